-- Typed from raw.declarations: the columns of stg_declarations.yml, cast to their types in __sources.yml (macros/staging.sql).
with source as (select * from {{ source_or_empty('raw', 'declarations') }} as raw_rows),

renamed as (select {{ staged_columns('raw', 'declarations') }} from source)

select * from renamed
