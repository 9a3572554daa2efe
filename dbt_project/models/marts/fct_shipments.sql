{{ config(materialized='incremental', unique_key='waybill_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
-- Express parcels, one row per waybill_id, with what inspection (if any) found.
-- Incremental: the new days' items and the items whose outcome changed (macros/incremental.sql).
{%- set rebuild = item_rebuild_window('express', [(ref('stg_shipments'), 'arrival_date')]) %}

with

shipments as (
    select * from {{ ref('stg_shipments') }}
    {%- if is_incremental() %}
    where {{ item_rebuild_filter(rebuild, 'waybill_id', 'arrival_date') }}
    {%- endif %}
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
        outcomes.has_seizure,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from shipments
    left join outcomes
        on outcomes.item_id = shipments.waybill_id
)

select * from final
