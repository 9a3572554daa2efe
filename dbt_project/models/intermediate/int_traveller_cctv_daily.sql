{{ config(materialized='incremental', unique_key='event_date') }}
-- AI-CCTV behaviour per traveller and day. A camera track belongs to the traveller its best face match
-- (highest score that day) points to; all events of the track are then counted for that traveller.
-- Incremental: days from the first one with events loaded since the last run are recomputed whole.
{%- set rebuild = rebuild_window([(ref('stg_cctv_events'), 'event_time')]) %}

with

-- not materialized (docs/warehouse.md): the track owners read four of its columns, the attribution all.
events as not materialized (
    select
        *,
        cast(event_time as date) as event_date
    from {{ ref('stg_cctv_events') }}
    {{ if_incremental('where event_time >= cast(' ~ rebuild.since ~ ' as timestamp)') }}
),

ranked_matches as (
    select
        track_id,
        event_date,
        traveller_key,
        row_number() over (
            partition by track_id, event_date
            order by coalesce(match_score, -1) desc, event_time, event_id
        ) as match_rank
    from events
    where traveller_key is not null
),

track_owners as (
    select track_id, event_date, traveller_key as owner_key
    from ranked_matches
    where match_rank = 1
),

attributed_events as (
    select
        track_owners.owner_key,
        events.*,
        events.traveller_key = track_owners.owner_key as is_face_match
    from events
    inner join track_owners
        on track_owners.track_id = events.track_id
        and track_owners.event_date = events.event_date
),

per_traveller_day as (
    select
        owner_key as traveller_key,
        event_date,
        count(*) as n_events,
        count(distinct track_id) as n_tracks,
        {%- for zone in ['immigration', 'arrival_hall', 'baggage_claim', 'customs_lane', 'exit'] %}
        count(*) filter (where zone = '{{ zone }}') as events_{{ zone }},
        {%- endfor %}
        count(*) filter (where event_type = 'bag_handover') as bag_handovers,
        count(*) filter (where event_type = 'loiter') as loiters,
        coalesce({{ minutes_between("min(event_time) filter (where zone = 'baggage_claim')",
                                    "max(event_time) filter (where zone = 'baggage_claim')") }}, 0)
            as baggage_claim_dwell_minutes,
        min(match_score) filter (where is_face_match) as min_match_score,
        max(case when is_face_match and zone = 'immigration' then 1 else 0 end) as matched_at_immigration,
        max(case when is_face_match and zone = 'exit' then 1 else 0 end) as matched_at_exit,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from attributed_events
    group by owner_key, event_date
)

select *
from per_traveller_day
order by event_date
