{{ config(materialized='incremental', unique_key='item_id') }}
-- Point-in-time features of express parcels, one row per waybill: only outcomes recorded before the
-- arrival date, and traffic known by the end of the arrival day. What each column means: the yml beside.
-- Incremental: see feature_rebuild_window (macros/features.sql).
{%- set rebuild = feature_rebuild_window('express') %}

with

{{ feature_inputs('express', rebuild) }}

consignee_traffic as (
    select * from {{ ref('int_consignee_traffic_7d') }}
    {{ if_incremental('where as_of_date >= ' ~ rebuild.first_day) }}
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

select * from final
