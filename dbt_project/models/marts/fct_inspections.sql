-- One row per inspection record, with the lag from the item's date and whether it found something.

with

inspections as (
    select * from {{ ref('stg_inspections') }}
),

final as (
    select
        inspection_id,
        inspection_date,
        lane,
        item_id,
        item_date,
        office_id,
        selection_reason,
        method,
        result,
        category,
        quantity,
        extra_duty_krw,
        result in ('irregularity', 'seizure') as is_hit,
        {{ days_between('item_date', 'inspection_date') }} as days_after_item,
        batch_date
    from inspections
)

select * from final
