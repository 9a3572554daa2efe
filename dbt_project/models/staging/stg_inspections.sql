with

source as (
    select * from {{ source_or_empty('raw', 'inspections') }} as raw_rows
),

renamed as (
    select
        cast(inspection_id as varchar) as inspection_id,
        cast(inspection_date as date) as inspection_date,
        cast(lane as varchar) as lane,
        cast(item_id as varchar) as item_id,
        cast(item_date as date) as item_date,
        cast(office_id as varchar) as office_id,
        cast(selection_reason as varchar) as selection_reason,
        cast(method as varchar) as method,
        cast(result as varchar) as result,
        cast(category as varchar) as category,
        cast(quantity as double precision) as quantity,
        cast(extra_duty_krw as double precision) as extra_duty_krw,
        cast(_batch_date as date) as batch_date,
        cast(_loaded_at as timestamp) as loaded_at
    from source
)

select * from renamed
