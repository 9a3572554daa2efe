-- Typed from raw.shipments: the columns of stg_shipments.yml, cast to their types in __sources.yml (macros/staging.sql).
with source as (select * from {{ source_or_empty('raw', 'shipments') }} as raw_rows),

renamed as (select {{ staged_columns('raw', 'shipments') }} from source)

select * from renamed
