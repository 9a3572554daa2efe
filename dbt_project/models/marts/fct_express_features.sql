{{ config(materialized='incremental', unique_key='item_id', incremental_strategy='delete_insert_since',
          rebuild_date_column='item_date') }}
-- Point-in-time features of express parcels, one row per waybill: only outcomes recorded before the
-- arrival date, and traffic known by the end of the arrival day. What each column means: the yml beside.
-- Incremental: see feature_rebuild_window (macros/features.sql).
{%- set rebuild = feature_rebuild_window('express') %}

with

{{ feature_inputs('express', rebuild) }}

-- The consignee's parcels and distinct sellers over the 7 days ending on (and including) each rebuilt
-- parcel's day, counted here for the rebuilt parcels' consignees alone. (A stored table of every
-- consignee-day cost a twentieth of the warehouse and the slowest write of a daily run.) The window join
-- matches a consignee's parcels only within the same and the previous 7-day bucket, an equality the hash
-- join can use, so a full build pairs each consignee-day with at most 14 days of its parcels.
consignee_days as (
    select distinct consignee_key, arrival_date as as_of_date, {{ week_bucket('arrival_date') }} as bucket
    from items
    where consignee_key is not null
),

consignee_seller_days as (
    select
        consignee_key,
        seller_id,
        arrival_date,
        {{ week_bucket('arrival_date') }} as bucket,
        count(*) as n_parcels
    from {{ ref('stg_shipments') }}
    where consignee_key in (select consignee_key from consignee_days)
        {{ if_incremental('and arrival_date >= ' ~ add_days(rebuild.first_day, -6)) }}
    group by consignee_key, seller_id, arrival_date
),

consignee_traffic as (
    select
        consignee_days.consignee_key,
        consignee_days.as_of_date,
        sum(seller_days.n_parcels) as parcels_7d,
        count(distinct seller_days.seller_id) as sellers_7d
    from consignee_days
    inner join consignee_seller_days as seller_days
        on seller_days.consignee_key = consignee_days.consignee_key
        and seller_days.bucket in (consignee_days.bucket, consignee_days.bucket - 1)
    where seller_days.arrival_date <= consignee_days.as_of_date
        and seller_days.arrival_date >= {{ add_days('consignee_days.as_of_date', -6) }}
    group by consignee_days.consignee_key, consignee_days.as_of_date
),

{{ unit_value_reference('express', rebuild) }}

final as (
    select
        {{- feature_keys('express') }}
        -- the parcel as declared
        items.declared_value_usd as f_declared_value_usd,
        items.weight_kg as f_weight_kg,
        coalesce({{ safe_divide('items.declared_value_usd', 'items.weight_kg') }}, 0) as f_value_per_kg,
        cast(items.quantity as double precision) as f_quantity,
        cast(case when items.departure_country = 'US' then {{ var('duty_free_threshold_us_usd') }}
                  else {{ var('duty_free_threshold_usd') }} end as double precision)
            - items.declared_value_usd as f_duty_free_margin_usd,
        {{ unit_value_vs_hs6_median('items.declared_value_usd', 'items.weight_kg') }} as f_value_per_kg_vs_hs6_median,
        cast(substr(items.hs6, 1, 2) as double precision) as f_hs_chapter,
        cast(case when items.origin_country <> items.departure_country then 1 else 0 end as double precision)
            as f_origin_ne_departure,
        -- the consignee's parcels over the last 7 days
        cast(coalesce(consignee_traffic.parcels_7d, 1) as double precision) as f_consignee_parcels_7d,
        cast(coalesce(consignee_traffic.sellers_7d, 1) as double precision) as f_consignee_sellers_7d,
        -- what was known of the parcel's entities at the start of its day
        {{- profile_features('express') }}
        lane_prior.prior_hit_rate as f_lane_prior_hit_rate,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from items
    {{- unit_value_reference_join('express') }}
    left join consignee_traffic
        on consignee_traffic.consignee_key = items.consignee_key
        and consignee_traffic.as_of_date = items.arrival_date
    {{- history_joins('express') }}
)

{{ stored_features('final', order_by=['item_date', 'office_id', 'f_origin_hit_rate', 'f_hs6_hit_rate', 'f_seller_hit_rate'],
                   exact=['f_declared_value_usd', 'f_weight_kg']) }}
