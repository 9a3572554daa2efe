-- Typed from raw.travellers: the columns of stg_travellers.yml, cast to their types in __sources.yml (macros/staging.sql).
with source as (select * from {{ source_or_empty('raw', 'travellers') }} as raw_rows),

renamed as (select {{ staged_columns('raw', 'travellers') }} from source)

select * from renamed
