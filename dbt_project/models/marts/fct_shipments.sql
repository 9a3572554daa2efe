-- Express parcels, one row per waybill_id, with what inspection (if any) found.

with

shipments as (
    select * from {{ ref('stg_shipments') }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }} where lane = 'express'
),

final as (
    select
        shipments.*,
        outcomes.item_id is not null as is_inspected,
        outcomes.first_inspection_date,
        outcomes.selection_reason,
        coalesce(outcomes.is_audit, false) as is_audit,
        outcomes.label,
        outcomes.has_seizure
    from shipments
    left join outcomes
        on outcomes.item_id = shipments.waybill_id
)

select * from final
