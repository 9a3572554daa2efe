{{ config(materialized='incremental', unique_key='as_of_date') }}
-- Reference unit value per lane, HS6 and day: the median of the daily HS6 medians over the
-- var('unit_value_reference_days') days before the day (express: USD/kg, cargo: KRW/kg).
-- Incremental: days from the first one whose daily medians changed since the last run are recomputed
-- (a changed day moves the reference of the days after it).
{%- set rebuild = rebuild_window([(ref('int_hs6_daily_unit_values'), 'value_date', 'inputs_loaded_at')]) %}

with

daily_medians as (
    select * from {{ ref('int_hs6_daily_unit_values') }}
),

hs6_days as (
    select lane, hs6, value_date as as_of_date
    from daily_medians
    {{ if_incremental('where value_date >= ' ~ rebuild.since) }}
),

reference as (
    select
        hs6_days.lane,
        hs6_days.hs6,
        hs6_days.as_of_date,
        {{ median('daily_medians.median_unit_value') }} as reference_unit_value,
        sum(daily_medians.n_items) as n_reference_items,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from hs6_days
    inner join daily_medians
        on daily_medians.lane = hs6_days.lane
        and daily_medians.hs6 = hs6_days.hs6
        and daily_medians.value_date < hs6_days.as_of_date
        and daily_medians.value_date >= {{ add_days('hs6_days.as_of_date', -var('unit_value_reference_days')) }}
    where daily_medians.median_unit_value is not null
    group by hs6_days.lane, hs6_days.hs6, hs6_days.as_of_date
)

select
    lane || '|' || hs6 || '|' || cast(as_of_date as varchar) as reference_key,
    *
from reference
order by as_of_date
