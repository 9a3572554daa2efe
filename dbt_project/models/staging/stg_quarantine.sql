-- Typed from raw.quarantine: the columns of stg_quarantine.yml, cast to their types in __sources.yml (macros/staging.sql).
with source as (select * from {{ source_or_empty('raw', 'quarantine') }} as raw_rows),

renamed as (select {{ staged_columns('raw', 'quarantine') }} from source)

select * from renamed
