-- Typed from raw.cctv_events: the columns of stg_cctv_events.yml, cast to their types in __sources.yml (macros/staging.sql).
with source as (select * from {{ source_or_empty('raw', 'cctv_events') }} as raw_rows),

renamed as (select {{ staged_columns('raw', 'cctv_events') }} from source)

select * from renamed
