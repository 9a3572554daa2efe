{{ config(materialized='incremental', unique_key='as_of_date') }}
-- Express parcels and distinct sellers per consignee over the 7 days ending on (and including) each day
-- the consignee receives a parcel. Same-day parcels are known when the day's list is scored.
-- Incremental: days from the first one with parcels loaded since the last run are recomputed, each
-- from its own 7-day window.
-- The window join matches a consignee's days only within the same and the previous 7-day bucket (an
-- equality the hash join can use), so its size is bounded by 14 days per consignee, not all history.
{%- set rebuild = rebuild_window([(ref('stg_shipments'), 'arrival_date')]) %}

with

shipments as (
    select * from {{ ref('stg_shipments') }}
    {{ if_incremental('where arrival_date >= ' ~ add_days(rebuild.since, -6)) }}
),

seller_days as (
    select
        consignee_key,
        seller_id,
        arrival_date,
        {{ week_bucket('arrival_date') }} as bucket,
        count(*) as n_parcels,
        sum(declared_value_usd) as value_usd
    from shipments
    group by consignee_key, seller_id, arrival_date
),

consignee_days as (
    select distinct consignee_key, arrival_date as as_of_date, bucket
    from seller_days
    {{ if_incremental('where arrival_date >= ' ~ rebuild.since) }}
),

window_seller_days as (
    {%- for back in [0, 1] %}
    select consignee_days.consignee_key, consignee_days.as_of_date, seller_days.seller_id,
        seller_days.n_parcels, seller_days.value_usd
    from consignee_days
    inner join seller_days
        on seller_days.consignee_key = consignee_days.consignee_key
        and seller_days.bucket = consignee_days.bucket - {{ back }}
    where seller_days.arrival_date <= consignee_days.as_of_date
        and seller_days.arrival_date >= {{ add_days('consignee_days.as_of_date', -6) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

window_traffic as (
    select
        consignee_key,
        as_of_date,
        sum(n_parcels) as parcels_7d,
        count(distinct seller_id) as sellers_7d,
        sum(value_usd) as value_usd_7d,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from window_seller_days
    group by consignee_key, as_of_date
)

select *
from window_traffic
order by as_of_date
