-- Arriving travellers, one row per arrival_id, with what inspection (if any) found.

with

travellers as (
    select * from {{ ref('stg_travellers') }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }} where lane = 'traveller'
),

cctv as (
    select * from {{ ref('int_traveller_cctv_daily') }}
),

final as (
    select
        travellers.*,
        outcomes.item_id is not null as is_inspected,
        outcomes.first_inspection_date,
        outcomes.selection_reason,
        coalesce(outcomes.is_audit, false) as is_audit,
        outcomes.label,
        outcomes.has_seizure,
        coalesce(cctv.n_events, 0) as cctv_events,
        coalesce(cctv.bag_handovers, 0) as cctv_bag_handovers,
        coalesce(cctv.loiters, 0) as cctv_loiters
    from travellers
    left join outcomes
        on outcomes.item_id = travellers.arrival_id
    left join cctv
        on cctv.traveller_key = travellers.traveller_key
        and cctv.event_date = travellers.arrival_date
)

select * from final
