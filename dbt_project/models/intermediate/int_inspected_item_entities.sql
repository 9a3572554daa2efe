{{ config(materialized='incremental', unique_key=['lane', 'item_id']) }}
-- The entities of every inspected item: the few items whose outcomes feed the entity profiles, kept
-- apart so that profiles and dimensions never join all of history to the outcomes.
-- Incremental: items whose outcome or whose own row was loaded since the last run are redone.
{%- set rebuild = rebuild_window(lane_item_inputs() + [(ref('int_item_outcomes'), 'item_date')]) %}

with

item_entities as (
    select * from {{ ref('int_item_entities') }}
    {{ if_incremental('where item_date >= ' ~ rebuild.since) }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }}
),

final as (
    select
        item_entities.lane,
        item_entities.item_id,
        item_entities.item_date,
        item_entities.entity_type,
        item_entities.entity_value,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from item_entities
    inner join outcomes
        on outcomes.lane = item_entities.lane
        and outcomes.item_id = item_entities.item_id
    {{ if_incremental('where item_entities.loaded_at > ' ~ rebuild.watermark ~ ' or outcomes.loaded_at > ' ~ rebuild.watermark) }}
)

select * from final
