-- Typed from raw.inspections: the columns of stg_inspections.yml, cast to their types in __sources.yml (macros/staging.sql).
with source as (select * from {{ source_or_empty('raw', 'inspections') }} as raw_rows),

renamed as (select {{ staged_columns('raw', 'inspections') }} from source)

select * from renamed
