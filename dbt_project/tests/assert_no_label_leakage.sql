-- Fails (returns rows) when a feature table counted an outcome recorded on or after the item's date.
-- For one entity of each lane, and for every exact declared value of cargo (f_same_*), recomputes its
-- prior-inspection count straight from the inspections with the strict filter first inspection_date <
-- item_date (exact values: also the hit rate, hits with first hit date < item_date), and compares it with
-- the built feature (rates to 1e-6: features are stored as 4-byte floats). With
-- var('test_since') (the daily run) only the items from that date on are checked, against all history.
{%- set since = "cast('" ~ var('test_since', '1900-01-01') ~ "' as date)" %}
{%- set checks = [] %}
{%- for lane, entity in {'express': 'consignee', 'cargo': 'importer', 'traveller': 'traveller'}.items() %}
    {%- do checks.append({'name': lane ~ '_' ~ entity, 'lane': lane, 'feature': entity,
                          'value': lane_entities(lane)[entity], 'hit_rate': false}) %}
{%- endfor %}
{%- for key, expr in cargo_exact_value_keys().items() %}
    {%- do checks.append({'name': 'cargo_same_' ~ key, 'lane': 'cargo', 'feature': 'same_' ~ key, 'value': expr,
                          'hit_rate': true}) %}
{%- endfor %}

with

first_inspections as (
    select lane, item_id, min(inspection_date) as first_inspection_date,
        min(case when result in ('irregularity', 'seizure') then inspection_date end) as first_hit_date
    from {{ ref('stg_inspections') }}
    group by lane, item_id
),
{% for check in checks %}
{%- set item = lane_items()[check.lane] %}
{%- set entity_value = check.value.replace('{t}', 'items') %}
{%- set built = 'features.f_' ~ check.feature %}

{{ check.name }}_mismatches as (
    select
        '{{ check.lane }} {{ check.feature }}' as feature,
        features.item_id,
        {{ built }}_prior_inspections as built,
        count(inspected.item_id) as expected
    from {{ ref('fct_' ~ check.lane ~ '_features') }} as features
    inner join {{ ref(item.model) }} as items
        on items.{{ item.id }} = features.item_id
    left join (
        select {{ entity_value }} as entity_value, first_inspections.item_id, first_inspections.first_inspection_date,
            first_inspections.first_hit_date
        from {{ ref(item.model) }} as items
        inner join first_inspections
            on first_inspections.lane = '{{ check.lane }}'
            and first_inspections.item_id = items.{{ item.id }}
    ) as inspected
        on inspected.entity_value = {{ entity_value }}
        and inspected.first_inspection_date < features.item_date
    where features.item_date >= {{ since }}
    group by features.item_id, {{ built }}_prior_inspections
        {%- if check.hit_rate %}, {{ built }}_hit_rate, features.f_lane_prior_hit_rate{% endif %}
    having {{ built }}_prior_inspections <> count(inspected.item_id)
    {%- if check.hit_rate %}
        or abs({{ built }}_hit_rate - {{ smoothed_rate(
            'sum(case when inspected.first_hit_date < features.item_date then 1 else 0 end)',
            'count(inspected.item_id)', 'features.f_lane_prior_hit_rate') }}) > 1e-6
    {%- endif %}
),
{% endfor %}

mismatches as (
    {%- for check in checks %}
    select * from {{ check.name }}_mismatches
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from mismatches
