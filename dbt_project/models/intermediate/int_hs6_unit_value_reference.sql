-- Reference unit value per lane, HS6 and day: the median of the daily HS6 medians over the
-- var('unit_value_reference_days') days before the day (express: USD/kg, cargo: KRW/kg).

with

shipments as (
    select * from {{ ref('stg_shipments') }}
),

declarations as (
    select * from {{ ref('stg_declarations') }}
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
        lane,
        hs6,
        value_date,
        {{ median('unit_value') }} as median_unit_value,
        count(*) as n_items
    from unit_values
    where unit_value is not null
    group by lane, hs6, value_date
),

hs6_days as (
    select distinct lane, hs6, value_date as as_of_date
    from unit_values
),

reference as (
    select
        hs6_days.lane,
        hs6_days.hs6,
        hs6_days.as_of_date,
        {{ median('daily_medians.median_unit_value') }} as reference_unit_value,
        sum(daily_medians.n_items) as n_reference_items
    from hs6_days
    inner join daily_medians
        on daily_medians.lane = hs6_days.lane
        and daily_medians.hs6 = hs6_days.hs6
        and daily_medians.value_date < hs6_days.as_of_date
        and daily_medians.value_date >= {{ add_days('hs6_days.as_of_date', -var('unit_value_reference_days')) }}
    group by hs6_days.lane, hs6_days.hs6, hs6_days.as_of_date
)

select
    lane || '|' || hs6 || '|' || cast(as_of_date as varchar) as reference_key,
    *
from reference
