{{ config(materialized='incremental', unique_key='item_id', incremental_strategy='delete_insert_since',
          rebuild_date_column='item_date') }}
-- "Seen this exact value before, and how did it end": for every cargo item and exact-value key
-- (macros/exact_values.sql: price, mass, price and mass, importer and price, HS6 and price), how many
-- earlier declarations with the same exact value were inspected and their smoothed hit rate, counting only
-- outcomes recorded strictly before the item's day. A repeat declaration (same goods, same declared value
-- and mass) tells how this one is likely to end; bucketing or ratios of the numbers lose that.
-- Incremental like fct_cargo_features: the new days' items and every item dated after a newly recorded
-- outcome (feature_rebuild_window, macros/features.sql).
{%- set rebuild = feature_rebuild_window('cargo') %}
{%- set keys = cargo_exact_value_keys() %}

with

declarations as (
    select * from {{ ref('stg_declarations') }}
),

value_outcome_days as (
    select * from {{ ref('int_cargo_value_outcome_days') }}
),

lane_priors as (
    select * from {{ ref('int_lane_priors') }} where lane = 'cargo'
    {{ if_incremental('and as_of_date >= ' ~ rebuild.first_day) }}
),

items as (
    select
        declaration_id as item_id,
        declaration_date as item_date,
        {%- for key, expr in keys.items() %}
        {{ expr.replace('{t}', 'declarations') }} as {{ key }}_value{{ ',' if not loop.last }}
        {%- endfor %}
    from declarations
    {{ if_incremental('where ' ~ item_rebuild_filter(rebuild, 'declarations.declaration_id', 'declarations.declaration_date')) }}
),

target_values as (
    {%- for key in keys %}
    select distinct '{{ key }}' as key_type, {{ key }}_value as key_value, item_date as as_of_date
    from items
    where {{ key }}_value is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

prior_outcomes as (
    select
        target_values.key_type,
        target_values.key_value,
        target_values.as_of_date,
        sum(value_outcome_days.n_inspected) as n_inspected,
        sum(value_outcome_days.n_hits) as n_hits
    from target_values
    inner join value_outcome_days
        on value_outcome_days.key_type = target_values.key_type
        and value_outcome_days.key_value = target_values.key_value
        and value_outcome_days.outcome_date < target_values.as_of_date
    group by target_values.key_type, target_values.key_value, target_values.as_of_date
),

final as (
    select
        items.item_id,
        items.item_date,
        {%- for key in keys %}
        cast(coalesce({{ key }}.n_inspected, 0) as double precision) as f_same_{{ key }}_prior_inspections,
        {{ smoothed_rate(key ~ '.n_hits', key ~ '.n_inspected', 'lane_prior.prior_hit_rate') }} as f_same_{{ key }}_hit_rate,
        {%- endfor %}
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from items
    inner join lane_priors as lane_prior
        on lane_prior.as_of_date = items.item_date
    {%- for key in keys %}
    left join prior_outcomes as {{ key }}
        on {{ key }}.key_type = '{{ key }}'
        and {{ key }}.key_value = items.{{ key }}_value
        and {{ key }}.as_of_date = items.item_date
    {%- endfor %}
)

select * from final
