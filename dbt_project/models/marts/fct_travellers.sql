{{ config(materialized='incremental', unique_key='arrival_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
-- Arriving travellers, one row per arrival_id, with what inspection (if any) found.
-- Incremental: the new days' items and the items whose outcome changed (macros/incremental.sql).
{%- set rebuild = item_rebuild_window('traveller', [(ref('stg_travellers'), 'arrival_date'), (ref('int_traveller_cctv_daily'), 'event_date', 'inputs_loaded_at')]) %}

with

travellers as (
    select * from {{ ref('stg_travellers') }}
    {%- if is_incremental() %}
    where {{ item_rebuild_filter(rebuild, 'arrival_id', 'arrival_date') }}
    {%- endif %}
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
        coalesce(cctv.loiters, 0) as cctv_loiters,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from travellers
    left join outcomes
        on outcomes.item_id = travellers.arrival_id
    left join cctv
        on cctv.traveller_key = travellers.traveller_key
        and cctv.event_date = travellers.arrival_date
)

select * from final
