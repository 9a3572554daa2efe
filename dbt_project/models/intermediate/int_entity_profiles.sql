{{ config(materialized='incremental', unique_key='as_of_date') }}
-- depends_on: {{ ref('int_entity_traffic_365d') }}
-- Point-in-time entity profiles: for every (lane, entity, day) on which the entity has traffic, what was
-- known at the start of that day. Outcomes count only when recorded strictly before as_of_date.
--
-- A full build (or a rebuild of more than var('profile_join_max_days') days) computes them with window
-- functions over each entity's days (entity_profile_rows): linear in the rows.
--
-- Incremental: whole days are rebuilt (unique_key as_of_date, delete+insert), from the earliest of
--   * the days whose traffic was loaded since the last run (inputs_loaded_at), and
--   * the first day whose lane-wide profile (items that day, items over 365 days, inspections and hits
--     known before it) differs from the one built: any late item or late outcome, however old, changes
--     the lane totals of the days after it, so this catches it without scanning every entity.
-- Both are found on the small lane rows first, then the day is written into the query as a literal.
-- A rebuild of a few days (the daily run's new day, a catch-up after an outage) takes its prior traffic
-- from int_entity_traffic_365d, one row per entity with its items in the year ending on the last day:
-- less the entity's days from the rebuilt day on, plus its days that left the year since. It reads the
-- rebuilt days and as many days a year before, never the year between. Its outcomes are joined (few
-- rows). A longer rebuild reads the rebuilt entities' traffic from 365 days before the first rebuilt day
-- and their outcome days, with the windows of a full build. Either way a rebuilt day equals what a full
-- refresh writes.
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
    (select max(as_of_date) from {{ ref('int_entity_traffic_365d') }}) as traffic_counted_through,
    (select max(as_of_date) from {{ ref('int_entity_days') }}) as last_day
from first_changed
{%- endset %}
{%- set changed = run_query(changed_days_query).rows[0] %}
{%- set rebuild_from = date_literal(changed[0] if changed[0] is not none else '9999-12-31') %}
{%- set last_day = date_literal(changed[3]) %}
{#- The year's traffic is current when it was counted through the last day (this run built it first). #}
{%- set from_year_traffic = changed[0] is none or (changed[1] is not none and changed[1] <= var('profile_join_max_days')
                                                   and changed[2] is not none and changed[2] == changed[3]) %}
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
{%- if is_incremental() and from_year_traffic %}

rebuilt_days as (
    select *, {{ entity_hash() }} as entity_hash from {{ ref('int_entity_days') }}
    where entity_value is not null and as_of_date >= {{ rebuild_from }}
),

left_days as (
    -- The entity-days that left the year ending on the last day since the first rebuilt day's year.
    select *, {{ entity_hash() }} as entity_hash from {{ ref('int_entity_days') }}
    where entity_value is not null
        and as_of_date >= {{ add_days(rebuild_from, -365) }}
        and as_of_date <= {{ add_days(last_day, -365) }}
),

left_traffic as (
    -- Per rebuilt entity-day, the items of its entity's days that left the year since this day's year
    -- (none until the history is a year long).
    select rebuilt.entity_hash, rebuilt.as_of_date, sum(left_days.n_items_on_day) as n_left_items
    from rebuilt_days as rebuilt
    inner join left_days
        on left_days.entity_hash = rebuilt.entity_hash
        and left_days.as_of_date >= {{ add_days('rebuilt.as_of_date', -365) }}
    group by rebuilt.entity_hash, rebuilt.as_of_date
),

rebuilt_with_traffic as (
    -- The 365 days before the day: the year ending on the last day, less the entity's days from this one
    -- on, plus its days that left the year since this day's year. Computed on the rebuilt rows themselves
    -- (the joins match at most one row each) rather than as a table joined back on the entity's names.
    select
        rebuilt_days.*,
        coalesce(traffic_365d.n_items_365d, 0)
            - sum(rebuilt_days.n_items_on_day) over (partition by rebuilt_days.entity_hash
                                                      order by rebuilt_days.as_of_date desc
                                                      rows between unbounded preceding and current row)
            + coalesce(left_traffic.n_left_items, 0) as n_prior_items_365d
    from rebuilt_days
    left join {{ ref('int_entity_traffic_365d') }} as traffic_365d
        on traffic_365d.entity_hash = rebuilt_days.entity_hash
    left join left_traffic
        on left_traffic.entity_hash = rebuilt_days.entity_hash
        and left_traffic.as_of_date = rebuilt_days.as_of_date
),

final as (
    {{ entity_profile_rows_by_join('rebuilt_with_traffic', 'outcome_days', windows) }}
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
-- An entity type's rows of a day together: their counts then compress to runs (a fifth fewer bytes).
order by as_of_date, lane, entity_type
