-- Fails (returns rows) when a feature table counted an outcome recorded on or after the item's date.
-- Recomputes the express consignee and cargo importer prior-inspection counts, and every cargo exact-value
-- prior (f_same_*: inspections and hit rate), straight from the inspections with the strict filter
-- inspection_date < item_date (hit_date < item_date for hits), and compares. With var('test_since')
-- (the daily run) only the items from that date on are checked, against all their history.
{%- set since = "cast('" ~ var('test_since', '1900-01-01') ~ "' as date)" %}
{%- set value_keys = cargo_exact_value_keys() %}

with

shipments as (select * from {{ ref('stg_shipments') }}),
declarations as (select * from {{ ref('stg_declarations') }}),
inspections as (select * from {{ ref('stg_inspections') }}),
express_features as (select * from {{ ref('fct_express_features') }} where item_date >= {{ since }}),
cargo_features as (select * from {{ ref('fct_cargo_features') }} where item_date >= {{ since }}),

first_inspections as (
    select lane, item_id, min(inspection_date) as first_inspection_date,
        min(case when result in ('irregularity', 'seizure') then inspection_date end) as first_hit_date
    from inspections
    group by lane, item_id
),

inspected_shipments as (
    select shipments.consignee_key, first_inspections.first_inspection_date
    from shipments
    inner join first_inspections
        on first_inspections.lane = 'express'
        and first_inspections.item_id = shipments.waybill_id
),

inspected_declarations as (
    select declarations.importer_id, first_inspections.first_inspection_date
    from declarations
    inner join first_inspections
        on first_inspections.lane = 'cargo'
        and first_inspections.item_id = declarations.declaration_id
),

express_recomputed as (
    select
        shipment.waybill_id as item_id,
        count(*) as expected_prior_inspections
    from shipments as shipment
    inner join inspected_shipments as inspected
        on inspected.consignee_key = shipment.consignee_key
    where inspected.first_inspection_date < shipment.arrival_date
        and shipment.arrival_date >= {{ since }}
    group by shipment.waybill_id
),

cargo_recomputed as (
    select
        declaration.declaration_id as item_id,
        count(*) as expected_prior_inspections
    from declarations as declaration
    inner join inspected_declarations as inspected
        on inspected.importer_id = declaration.importer_id
    where inspected.first_inspection_date < declaration.declaration_date
        and declaration.declaration_date >= {{ since }}
    group by declaration.declaration_id
),

inspected_declaration_values as (
    select
        {%- for key, expr in value_keys.items() %}
        {{ expr.replace('{t}', 'declarations') }} as {{ key }}_value,
        {%- endfor %}
        first_inspections.first_inspection_date,
        first_inspections.first_hit_date
    from declarations
    inner join first_inspections
        on first_inspections.lane = 'cargo'
        and first_inspections.item_id = declarations.declaration_id
),

cargo_value_recomputed as (
    {%- for key, expr in value_keys.items() %}
    select
        '{{ key }}' as key_type,
        declaration.declaration_id as item_id,
        count(*) as expected_prior_inspections,
        sum(case when inspected.first_hit_date < declaration.declaration_date then 1 else 0 end) as expected_prior_hits
    from declarations as declaration
    inner join inspected_declaration_values as inspected
        on inspected.{{ key }}_value = {{ expr.replace('{t}', 'declaration') }}
    where inspected.first_inspection_date < declaration.declaration_date
        and declaration.declaration_date >= {{ since }}
    group by declaration.declaration_id
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

mismatches as (
    select 'express consignee' as feature, features.item_id, features.f_consignee_prior_inspections as built,
        coalesce(recomputed.expected_prior_inspections, 0) as expected
    from express_features as features
    left join express_recomputed as recomputed on recomputed.item_id = features.item_id
    where features.f_consignee_prior_inspections <> coalesce(recomputed.expected_prior_inspections, 0)
    union all
    select 'cargo importer' as feature, features.item_id, features.f_importer_prior_inspections as built,
        coalesce(recomputed.expected_prior_inspections, 0) as expected
    from cargo_features as features
    left join cargo_recomputed as recomputed on recomputed.item_id = features.item_id
    where features.f_importer_prior_inspections <> coalesce(recomputed.expected_prior_inspections, 0)
    {%- for key in value_keys %}
    union all
    select 'cargo same {{ key }}' as feature, features.item_id, features.f_same_{{ key }}_prior_inspections as built,
        coalesce(recomputed.expected_prior_inspections, 0) as expected
    from cargo_features as features
    left join cargo_value_recomputed as recomputed
        on recomputed.key_type = '{{ key }}' and recomputed.item_id = features.item_id
    where features.f_same_{{ key }}_prior_inspections <> coalesce(recomputed.expected_prior_inspections, 0)
        or abs(features.f_same_{{ key }}_hit_rate - {{ smoothed_rate('recomputed.expected_prior_hits',
            'recomputed.expected_prior_inspections', 'features.f_lane_prior_hit_rate') }}) > 1e-9
    {%- endfor %}
)

select * from mismatches
