{{ config(materialized='incremental', unique_key='value_date') }}
-- Median unit value per lane, HS6 and day (express: USD/kg, cargo: KRW/kg): the daily points the
-- undervaluation reference is the median of. One row per HS6 traded that day, NULL median when no item
-- of the day had a usable value and mass.
-- Incremental: days from the first one with items loaded since the last run are recomputed whole.
{%- set rebuild = rebuild_window([(ref('stg_shipments'), 'arrival_date'), (ref('stg_declarations'), 'declaration_date')]) %}

with

shipments as (
    select * from {{ ref('stg_shipments') }}
    {{ if_incremental('where arrival_date >= ' ~ rebuild.since) }}
),

declarations as (
    select * from {{ ref('stg_declarations') }}
    {{ if_incremental('where declaration_date >= ' ~ rebuild.since) }}
),

unit_values as (
    select 'express' as lane, hs6, arrival_date as value_date,
        {{ safe_divide('declared_value_usd', 'weight_kg') }} as unit_value
    from shipments
    union all
    select 'cargo' as lane, hs6, declaration_date as value_date,
        {{ safe_divide('item_price_krw', 'net_mass_kg') }} as unit_value
    from declarations
),

daily_medians as (
    select
        lane || '|' || coalesce(hs6, '') || '|' || cast(value_date as varchar) as hs6_day_key,
        lane,
        hs6,
        value_date,
        {{ median('unit_value') }} as median_unit_value,
        count(unit_value) as n_items,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from unit_values
    group by lane, hs6, value_date
)

select * from daily_medians
order by value_date
