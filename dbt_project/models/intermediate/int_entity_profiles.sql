{{ config(materialized='incremental', unique_key='as_of_date') }}
-- depends_on: {{ ref('int_entity_traffic_365d') }}
-- Point-in-time entity profiles: for every (lane, entity, day) on which the entity has traffic, what was
-- known at the start of that day. Outcomes count only when recorded strictly before as_of_date.
--
-- A full build (or a rebuild of more than var('profile_join_max_days') days) computes them with window
-- functions over each entity's days (entity_profile_rows): linear in the rows. Joining every entity-day to
-- all its earlier days grows with the days squared, but for the one or few days of a daily run it is the
-- cheaper way (no sort of the whole history), so a short rebuild does that (entity_profile_rows_by_join).
--
-- Incremental: whole days are rebuilt (unique_key as_of_date, delete+insert), from the earliest of
--   * the days whose traffic was loaded since the last run (inputs_loaded_at), and
--   * the first day whose lane-wide profile (items that day, items over 365 days, inspections and hits
--     known before it) differs from the one built: any late item or late outcome, however old, changes
--     the lane totals of the days after it, so this catches it without scanning every entity.
-- Both are found on the small lane rows first, then the day is written into the query as a literal.
-- A daily run rebuilds only the last day: its prior traffic is int_entity_traffic_365d (one row per
-- entity) less the day plus the day 365 days before, so it reads two days of entity-days, not a year.
-- The rebuilt days read only what they need: the entities with traffic on a rebuilt day, their traffic
-- from 365 days before the first rebuilt day and their outcome days, so a rebuilt day equals what a full
-- refresh writes, at a cost that grows with that day's entities and their history.
{%- set windows = [30, 90, 365] %}


{%- if is_incremental() and execute %}
{%- set changed_days_query %}
with

lane_days as (
    select * from {{ ref('int_entity_days') }} where entity_type = 'lane'
),

lane_outcome_days as (
    select * from {{ ref('int_entity_outcome_days') }} where entity_type = 'lane'
),

fresh_lane_profiles as (
    {{ entity_profile_rows('lane_days', 'lane_outcome_days', windows) }}
),

built_lane_profiles as (
    select * from {{ this }} where entity_type = 'lane'
),

changed_lane_days as (
    select coalesce(fresh.as_of_date, built.as_of_date) as as_of_date
    from fresh_lane_profiles as fresh
    full outer join built_lane_profiles as built
        on built.lane = fresh.lane
        and built.as_of_date = fresh.as_of_date
    where built.as_of_date is null
        or fresh.as_of_date is null
        or built.n_items_on_day <> fresh.n_items_on_day
        or built.n_prior_items_365d <> fresh.n_prior_items_365d
        or built.n_inspected <> fresh.n_inspected
        or built.n_hits <> fresh.n_hits
),

first_changed as (
    select min(as_of_date) as as_of_date from (
        select min(as_of_date) as as_of_date
        from {{ ref('int_entity_days') }}
        where inputs_loaded_at > (select max(inputs_loaded_at) from {{ this }})
        union all
        select min(as_of_date) from changed_lane_days
    ) as candidates
)

select
    first_changed.as_of_date,
    {{ days_between('first_changed.as_of_date', '(select max(as_of_date) from fresh_lane_profiles)') }} + 1 as n_days,
    (select max(as_of_date) from {{ ref('int_entity_traffic_365d') }}) as traffic_counted_through
from first_changed
{%- endset %}
{%- set changed = run_query(changed_days_query).rows[0] %}
{%- set rebuild_from = date_literal(changed[0] if changed[0] is not none else '9999-12-31') %}
{%- set by_join = changed[0] is none or (changed[1] is not none and changed[1] <= var('profile_join_max_days')) %}
{%- set last_day_only = changed[0] is not none and changed[1] == 1 and changed[0] == changed[2] %}
{%- endif %}

with

entity_days as (
    select * from {{ ref('int_entity_days') }}
    where entity_value is not null
    {%- if is_incremental() %}
        and as_of_date >= {{ add_days(rebuild_from, -365) }}
    {%- endif %}
),

outcome_days as (
    select * from {{ ref('int_entity_outcome_days') }}
),
{%- if is_incremental() and last_day_only %}

rebuilt_days as (
    select * from {{ ref('int_entity_days') }}
    where entity_value is not null and as_of_date = {{ rebuild_from }}
),

leaving_days as (
    select * from {{ ref('int_entity_days') }}
    where entity_value is not null and as_of_date = {{ add_days(rebuild_from, -365) }}
),

prior_traffic as (
    -- The window ending on the day, less the day, plus the day that left it: the 365 days before.
    select
        rebuilt_days.lane, rebuilt_days.entity_type, rebuilt_days.entity_value, rebuilt_days.as_of_date,
        traffic_365d.n_items_365d - rebuilt_days.n_items_on_day
            + coalesce(leaving_days.n_items_on_day, 0) as n_prior_items_365d
    from rebuilt_days
    inner join {{ ref('int_entity_traffic_365d') }} as traffic_365d
        on traffic_365d.entity_hash = rebuilt_days.entity_hash
    left join leaving_days
        on leaving_days.entity_hash = rebuilt_days.entity_hash
),

final as (
    {{ entity_profile_rows_by_join('rebuilt_days', none, 'outcome_days', windows, prior_traffic='prior_traffic') }}
)
{%- elif is_incremental() and by_join %}

rebuilt_days as (
    select * from entity_days where as_of_date >= {{ rebuild_from }}
),

final as (
    {{ entity_profile_rows_by_join('rebuilt_days', 'entity_days', 'outcome_days', windows) }}
)
{%- elif is_incremental() %}

rebuilt_entities as (
    select distinct lane, entity_type, entity_value
    from entity_days
    where as_of_date >= {{ rebuild_from }}
),

traffic as (
    select entity_days.*
    from entity_days
    inner join rebuilt_entities
        on rebuilt_entities.lane = entity_days.lane
        and rebuilt_entities.entity_type = entity_days.entity_type
        and rebuilt_entities.entity_value = entity_days.entity_value
),

outcomes as (
    select outcome_days.*
    from outcome_days
    inner join rebuilt_entities
        on rebuilt_entities.lane = outcome_days.lane
        and rebuilt_entities.entity_type = outcome_days.entity_type
        and rebuilt_entities.entity_value = outcome_days.entity_value
),

final as (
    {{ entity_profile_rows('traffic', 'outcomes', windows, since=rebuild_from) }}
)
{%- else %}

final as (
    {{ entity_profile_rows('entity_days', 'outcome_days', windows) }}
)
{%- endif %}

select * from final
order by as_of_date
