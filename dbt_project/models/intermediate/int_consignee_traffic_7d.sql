-- Express parcels and distinct sellers per consignee over the 7 days ending on (and including) each day
-- the consignee receives a parcel. Same-day parcels are known when the day's list is scored.

with

shipments as (
    select * from {{ ref('stg_shipments') }}
),

consignee_days as (
    select distinct consignee_key, arrival_date as as_of_date
    from shipments
),

window_traffic as (
    select
        consignee_days.consignee_key,
        consignee_days.as_of_date,
        count(*) as parcels_7d,
        count(distinct shipments.seller_id) as sellers_7d,
        sum(shipments.declared_value_usd) as value_usd_7d
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
