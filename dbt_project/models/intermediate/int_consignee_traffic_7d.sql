{{ config(materialized='incremental', unique_key='as_of_date', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
-- Express parcels and distinct sellers per consignee over the 7 days ending on (and including) each day
-- the consignee receives a parcel. Same-day parcels are known when the day's list is scored.
-- Incremental: days from the first one with parcels loaded since the last run are recomputed, each
-- from its own 7-day window.
{%- set rebuild = rebuild_window([(ref('stg_shipments'), 'arrival_date')]) %}

with

shipments as (
    select * from {{ ref('stg_shipments') }}
    {%- if is_incremental() %}
    where arrival_date >= {{ add_days(rebuild.since, -6) }}
    {%- endif %}
),

consignee_days as (
    select distinct consignee_key, arrival_date as as_of_date
    from shipments
    {%- if is_incremental() %}
    where arrival_date >= {{ rebuild.since }}
    {%- endif %}
),

window_traffic as (
    select
        consignee_days.consignee_key,
        consignee_days.as_of_date,
        count(*) as parcels_7d,
        count(distinct shipments.seller_id) as sellers_7d,
        sum(shipments.declared_value_usd) as value_usd_7d,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from consignee_days
    inner join shipments
        on shipments.consignee_key = consignee_days.consignee_key
        and shipments.arrival_date <= consignee_days.as_of_date
        and shipments.arrival_date >= {{ add_days('consignee_days.as_of_date', -6) }}
    group by consignee_days.consignee_key, consignee_days.as_of_date
)

select
    consignee_key || '|' || cast(as_of_date as varchar) as consignee_day_key,
    *
from window_traffic
order by as_of_date
