{{ config(materialized='incremental', unique_key='item_id', incremental_strategy='delete+insert', on_schema_change='fail') }}
-- Point-in-time features of express parcels, one row per waybill: only outcomes recorded before the
-- arrival date, and traffic known by the end of the arrival day.
-- Incremental: the new days' items, the items of days after newly recorded outcomes (their profiles
-- change) and the items whose own outcome changed (macros/incremental.sql).
{%- set rebuild = item_rebuild_window('express', [(ref('stg_shipments'), 'arrival_date'), (ref('int_item_outcomes'), add_days('first_inspection_date', 1))]) %}

with

shipments as (
    select * from {{ ref('stg_shipments') }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }} where lane = 'express'
),

profiles as (
    select * from {{ ref('int_entity_profiles') }} where lane = 'express'
    {%- if is_incremental() %}
    and as_of_date >= {{ rebuild.first_day }}
    {%- endif %}
),

lane_priors as (
    select * from {{ ref('int_lane_priors') }} where lane = 'express'
    {%- if is_incremental() %}
    and as_of_date >= {{ rebuild.first_day }}
    {%- endif %}
),

consignee_traffic as (
    select * from {{ ref('int_consignee_traffic_7d') }}
    where true
    {%- if is_incremental() %}
    and as_of_date >= {{ rebuild.first_day }}
    {%- endif %}
),

unit_value_reference as (
    select * from {{ ref('int_hs6_unit_value_reference') }} where lane = 'express'
    {%- if is_incremental() %}
    and as_of_date >= {{ rebuild.first_day }}
    {%- endif %}
),

items as (
    select * from shipments
    {%- if is_incremental() %}
    where {{ item_rebuild_filter(rebuild, 'shipments.waybill_id', 'shipments.arrival_date') }}
    {%- endif %}
),

parcel_features as (
    select
        items.waybill_id as item_id,
        items.declared_value_usd as f_declared_value_usd,
        items.weight_kg as f_weight_kg,
        coalesce({{ safe_divide('items.declared_value_usd', 'items.weight_kg') }}, 0) as f_value_per_kg,
        cast(items.quantity as double precision) as f_quantity,
        cast(case when items.departure_country = 'US' then {{ var('duty_free_threshold_us_usd') }}
                  else {{ var('duty_free_threshold_usd') }} end as double precision)
            - items.declared_value_usd as f_duty_free_margin_usd,
        coalesce({{ safe_divide(safe_divide('items.declared_value_usd', 'items.weight_kg'), 'unit_value_reference.reference_unit_value') }}, 1.0)
            as f_value_per_kg_vs_hs6_median,
        cast(substr(items.hs6, 1, 2) as double precision) as f_hs_chapter,
        cast(case when items.origin_country <> items.departure_country then 1 else 0 end as double precision)
            as f_origin_ne_departure
    from items
    left join unit_value_reference
        on unit_value_reference.hs6 = items.hs6
        and unit_value_reference.as_of_date = items.arrival_date
),

consignee_features as (
    select
        items.waybill_id as item_id,
        cast(coalesce(consignee_traffic.parcels_7d, 1) as double precision) as f_consignee_parcels_7d,
        cast(coalesce(consignee_traffic.sellers_7d, 1) as double precision) as f_consignee_sellers_7d
    from items
    left join consignee_traffic
        on consignee_traffic.consignee_key = items.consignee_key
        and consignee_traffic.as_of_date = items.arrival_date
),

history_features as (
    select
        items.waybill_id as item_id,
        {{ profile_features('express') }}
        lane_prior.prior_hit_rate as f_lane_prior_hit_rate
    from items
    inner join lane_priors as lane_prior
        on lane_prior.as_of_date = items.arrival_date
    {{ profile_joins('express', 'arrival_date') }}
),

final as (
    select
        items.waybill_id as item_id,
        items.arrival_date as item_date,
        items.office_id,
        outcomes.label,
        outcomes.selection_reason,
        coalesce(outcomes.is_audit, false) as is_audit,
        parcel_features.f_declared_value_usd,
        parcel_features.f_weight_kg,
        parcel_features.f_value_per_kg,
        parcel_features.f_quantity,
        parcel_features.f_duty_free_margin_usd,
        parcel_features.f_value_per_kg_vs_hs6_median,
        parcel_features.f_hs_chapter,
        parcel_features.f_origin_ne_departure,
        consignee_features.f_consignee_parcels_7d,
        consignee_features.f_consignee_sellers_7d,
        {{ profile_feature_columns('express', 'history_features') }}
        history_features.f_lane_prior_hit_rate,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from items
    inner join parcel_features on parcel_features.item_id = items.waybill_id
    inner join consignee_features on consignee_features.item_id = items.waybill_id
    inner join history_features on history_features.item_id = items.waybill_id
    left join outcomes on outcomes.item_id = items.waybill_id
)

select * from final
