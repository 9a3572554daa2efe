{{ config(materialized='incremental', unique_key='item_id', incremental_strategy='delete_insert_since',
          rebuild_date_column='item_date') }}
-- Point-in-time features of arriving travellers, one row per arrival: passenger record, prior outcomes
-- (recorded before the arrival date) of the traveller, airports and flight, and same-day AI-CCTV behaviour.
-- What each column means: the yml beside. Incremental: see feature_rebuild_window (macros/features.sql).
{%- set rebuild = feature_rebuild_window('traveller', [(ref('int_traveller_cctv_daily'), 'event_date', 'inputs_loaded_at')]) %}
{%- set zones = ['immigration', 'arrival_hall', 'baggage_claim', 'customs_lane', 'exit'] %}

with

{{ feature_inputs('traveller', rebuild) }}

cctv as (
    select * from {{ ref('int_traveller_cctv_daily') }}
    {{ if_incremental('where event_date >= ' ~ rebuild.first_day) }}
),

final as (
    select
        {{- feature_keys('traveller') }}
        -- the passenger record
        cast(items.booking_lead_days as double precision) as f_booking_lead_days,
        cast(case when items.ticket_payment = 'cash' then 1 else 0 end as double precision) as f_cash_payment,
        cast(items.trips_last_year as double precision) as f_trips_last_year,
        cast(items.source_country_visits as double precision) as f_source_country_visits,
        cast(items.bags_checked as double precision) as f_bags_checked,
        cast(case when items.declared_goods = 'Y' then 1 else 0 end as double precision) as f_declared_goods,
        cast(case when items.transit_airport is not null then 1 else 0 end as double precision) as f_has_transit,
        -- what the AI-CCTV saw of the traveller on the arrival day
        cast(case when cctv.traveller_key is not null then 1 else 0 end as double precision) as f_cctv_seen,
        {%- for zone in zones %}
        cast(coalesce(cctv.events_{{ zone }}, 0) as double precision) as f_cctv_events_{{ zone }},
        {%- endfor %}
        cast(coalesce(cctv.bag_handovers, 0) as double precision) as f_cctv_bag_handovers,
        cast(coalesce(cctv.loiters, 0) as double precision) as f_cctv_loiters,
        cast(coalesce(cctv.baggage_claim_dwell_minutes, 0) as double precision) as f_cctv_baggage_claim_dwell_minutes,
        cast(coalesce(cctv.min_match_score, 0) as double precision) as f_cctv_min_match_score,
        cast(case when cctv.matched_at_immigration = 1 and cctv.matched_at_exit = 0 then 1 else 0 end
            as double precision) as f_cctv_matched_immigration_not_exit,
        -- what was known of the traveller, airports and flight at the start of the arrival day
        {{- profile_features('traveller') }}
        lane_prior.prior_hit_rate as f_lane_prior_hit_rate,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from items
    left join cctv
        on cctv.traveller_key = items.traveller_key
        and cctv.event_date = items.arrival_date
    {{- history_joins('traveller') }}
)

{{ stored_features('final', order_by=['item_date', 'office_id', 'f_origin_airport_hit_rate', 'f_flight_hit_rate']) }}
