{{ config(materialized='view') }}
-- Every item of every lane unpivoted into one row per (item, entity it is profiled by). Items without a
-- code for an entity keep a NULL entity_value: profiles skip them, the dimensions count them as 'unknown'.
{%- set lanes = lane_items() %}

with
{% for lane, item in lanes.items() %}
{{ lane }}_items as (
    select * from {{ ref(item.model) }}
),
{% endfor %}
unpivoted as (
{%- for lane, item in lanes.items() %}
    {%- set outer_loop = loop %}
    {%- for entity_type, expr in lane_entities(lane).items() %}
    select
        '{{ lane }}' as lane,
        {{ item.id }} as item_id,
        {{ item.date }} as item_date,
        '{{ entity_type }}' as entity_type,
        cast({{ expr.replace('{t}', lane ~ '_items') }} as varchar) as entity_value,
        {{ lane }}_items.loaded_at
    from {{ lane }}_items
    {{ 'union all' if not (loop.last and outer_loop.last) }}
    {%- endfor %}
{%- endfor %}
)

select * from unpivoted
