{{ config(materialized='incremental', unique_key='item_id', incremental_strategy='delete+insert', on_schema_change='fail') }}
-- Point-in-time features of arriving travellers, one row per arrival: passenger record, prior outcomes
-- (recorded before the arrival date) of the traveller, airports and flight, and same-day AI-CCTV behaviour.
-- Incremental: the new days' items, the items of days after newly recorded outcomes (their profiles
-- change) and the items whose own outcome changed (macros/incremental.sql).
{%- set rebuild = item_rebuild_window('traveller', [(ref('stg_travellers'), 'arrival_date'), (ref('int_item_outcomes'), add_days('first_inspection_date', 1)), (ref('int_traveller_cctv_daily'), 'event_date', 'inputs_loaded_at')]) %}

with

travellers as (
    select * from {{ ref('stg_travellers') }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }} where lane = 'traveller'
),

profiles as (
    select * from {{ ref('int_entity_profiles') }} where lane = 'traveller'
    {%- if is_incremental() %}
    and as_of_date >= {{ rebuild.first_day }}
    {%- endif %}
),

lane_priors as (
    select * from {{ ref('int_lane_priors') }} where lane = 'traveller'
    {%- if is_incremental() %}
    and as_of_date >= {{ rebuild.first_day }}
    {%- endif %}
),

cctv as (
    select * from {{ ref('int_traveller_cctv_daily') }}
    where true
    {%- if is_incremental() %}
    and event_date >= {{ rebuild.first_day }}
    {%- endif %}
),

items as (
    select * from travellers
    {%- if is_incremental() %}
    where {{ item_rebuild_filter(rebuild, 'travellers.arrival_id', 'travellers.arrival_date') }}
    {%- endif %}
),

passenger_features as (
    select
        items.arrival_id as item_id,
        cast(items.booking_lead_days as double precision) as f_booking_lead_days,
        cast(case when items.ticket_payment = 'cash' then 1 else 0 end as double precision) as f_cash_payment,
        cast(items.trips_last_year as double precision) as f_trips_last_year,
        cast(items.source_country_visits as double precision) as f_source_country_visits,
        cast(items.bags_checked as double precision) as f_bags_checked,
        cast(case when items.declared_goods = 'Y' then 1 else 0 end as double precision) as f_declared_goods,
        cast(case when items.transit_airport is not null then 1 else 0 end as double precision) as f_has_transit
    from items
),

cctv_features as (
    select
        items.arrival_id as item_id,
        cast(case when cctv.traveller_key is not null then 1 else 0 end as double precision) as f_cctv_seen,
        {%- for zone in ['immigration', 'arrival_hall', 'baggage_claim', 'customs_lane', 'exit'] %}
        cast(coalesce(cctv.events_{{ zone }}, 0) as double precision) as f_cctv_events_{{ zone }},
        {%- endfor %}
        cast(coalesce(cctv.bag_handovers, 0) as double precision) as f_cctv_bag_handovers,
        cast(coalesce(cctv.loiters, 0) as double precision) as f_cctv_loiters,
        cast(coalesce(cctv.baggage_claim_dwell_minutes, 0) as double precision) as f_cctv_baggage_claim_dwell_minutes,
        cast(coalesce(cctv.min_match_score, 0) as double precision) as f_cctv_min_match_score,
        cast(case when cctv.matched_at_immigration = 1 and cctv.matched_at_exit = 0 then 1 else 0 end
            as double precision) as f_cctv_matched_immigration_not_exit
    from items
    left join cctv
        on cctv.traveller_key = items.traveller_key
        and cctv.event_date = items.arrival_date
),

history_features as (
    select
        items.arrival_id as item_id,
        {{ profile_features('traveller') }}
        lane_prior.prior_hit_rate as f_lane_prior_hit_rate
    from items
    inner join lane_priors as lane_prior
        on lane_prior.as_of_date = items.arrival_date
    {{ profile_joins('traveller', 'arrival_date') }}
),

final as (
    select
        items.arrival_id as item_id,
        items.arrival_date as item_date,
        items.office_id,
        outcomes.label,
        outcomes.selection_reason,
        coalesce(outcomes.is_audit, false) as is_audit,
        passenger_features.f_booking_lead_days,
        passenger_features.f_cash_payment,
        passenger_features.f_trips_last_year,
        passenger_features.f_source_country_visits,
        passenger_features.f_bags_checked,
        passenger_features.f_declared_goods,
        passenger_features.f_has_transit,
        cctv_features.f_cctv_seen,
        {%- for zone in ['immigration', 'arrival_hall', 'baggage_claim', 'customs_lane', 'exit'] %}
        cctv_features.f_cctv_events_{{ zone }},
        {%- endfor %}
        cctv_features.f_cctv_bag_handovers,
        cctv_features.f_cctv_loiters,
        cctv_features.f_cctv_baggage_claim_dwell_minutes,
        cctv_features.f_cctv_min_match_score,
        cctv_features.f_cctv_matched_immigration_not_exit,
        {{ profile_feature_columns('traveller', 'history_features') }}
        history_features.f_lane_prior_hit_rate,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from items
    inner join passenger_features on passenger_features.item_id = items.arrival_id
    inner join cctv_features on cctv_features.item_id = items.arrival_id
    inner join history_features on history_features.item_id = items.arrival_id
    left join outcomes on outcomes.item_id = items.arrival_id
)

select * from final
