{{ config(materialized='incremental', unique_key='as_of_date') }}
-- Traffic per lane, entity and day: how many items each entity had on the day. The base of the entity
-- profiles (prior traffic) and of the dimensions, so neither re-reads every item of history.
-- Incremental: the days that have items loaded since the last run are recomputed whole.
{%- set rebuild = rebuild_window(lane_item_inputs()) %}

with

item_entities as (
    select * from {{ ref('int_item_entities') }}
    {{ if_incremental('where item_date >= ' ~ rebuild.since) }}
),

entity_days as (
    select
        lane,
        entity_type,
        entity_value,
        item_date as as_of_date,
        count(*) as n_items_on_day,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from item_entities
    group by lane, entity_type, entity_value, item_date
)

select * from entity_days
order by as_of_date
