-- Fails (returns rows) when a feature table counted an outcome recorded on or after the item's date.
-- For one entity of each lane, recomputes its prior-inspection count straight from the inspections with
-- the strict filter first inspection_date < item_date, and compares it with the built feature. With
-- var('test_since') (the daily run) only the items from that date on are checked, against all history.
{%- set since = "cast('" ~ var('test_since', '1900-01-01') ~ "' as date)" %}
{%- set checks = {'express': 'consignee', 'cargo': 'importer', 'traveller': 'traveller'} %}

with

first_inspections as (
    select lane, item_id, min(inspection_date) as first_inspection_date
    from {{ ref('stg_inspections') }}
    group by lane, item_id
),
{% for lane, entity in checks.items() %}
{%- set item = lane_items()[lane] %}
{%- set entity_value = lane_entities(lane)[entity].replace('{t}', 'items') %}

{{ lane }}_mismatches as (
    select
        '{{ lane }} {{ entity }}' as feature,
        features.item_id,
        features.f_{{ entity }}_prior_inspections as built,
        count(inspected.item_id) as expected
    from {{ ref('fct_' ~ lane ~ '_features') }} as features
    inner join {{ ref(item.model) }} as items
        on items.{{ item.id }} = features.item_id
    left join (
        select {{ entity_value }} as entity_value, first_inspections.item_id, first_inspections.first_inspection_date
        from {{ ref(item.model) }} as items
        inner join first_inspections
            on first_inspections.lane = '{{ lane }}'
            and first_inspections.item_id = items.{{ item.id }}
    ) as inspected
        on inspected.entity_value = {{ entity_value }}
        and inspected.first_inspection_date < features.item_date
    where features.item_date >= {{ since }}
    group by features.item_id, features.f_{{ entity }}_prior_inspections
    having features.f_{{ entity }}_prior_inspections <> count(inspected.item_id)
),
{% endfor %}

mismatches as (
    {%- for lane in checks %}
    select * from {{ lane }}_mismatches
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from mismatches
