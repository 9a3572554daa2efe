{{ config(materialized='incremental', unique_key='item_date') }}
-- Items per lane, office code (as delivered) and day, with how many were inspected, found something or
-- were random audits: the small base of fct_daily_traffic and dim_offices.
-- Incremental: days from the first one with items or outcomes loaded since the last run are recomputed.
{%- set rebuild = rebuild_window(lane_item_inputs() + [(ref('int_item_outcomes'), 'item_date')]) %}

with

items as (
    select * from {{ ref('int_lane_items') }}
    {{ if_incremental('where item_date >= ' ~ rebuild.since) }}
),

daily as (
    select
        lane,
        office_id,
        item_date,
        count(*) as n_items,
        sum(case when is_inspected then 1 else 0 end) as n_inspected,
        sum(is_hit) as n_hits,
        sum(case when is_audit then 1 else 0 end) as n_audit,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from items
    group by lane, office_id, item_date
)

select * from daily
order by item_date
