{{ config(materialized='incremental', unique_key='as_of_date') }}
-- Point-in-time entity profiles: for every (lane, entity, day) on which the entity has traffic, what was
-- known at the start of that day. Outcomes count only when recorded strictly before as_of_date.
--
-- Incremental: whole days are rebuilt (unique_key as_of_date, delete+insert), from the earliest of
--   * the days whose traffic was loaded since the last run (inputs_loaded_at), and
--   * the first day whose lane-wide profile (items that day, items over 365 days, inspections and hits
--     known before it) differs from the one built: any late item or late outcome, however old, changes
--     the lane totals of the days after it, so this catches it without scanning every entity.
-- Both are found on the small lane rows first, then the day is written into the query as a literal.
-- A rebuilt day is computed from all history, so it equals what a full refresh writes.
{%- set windows = [30, 90, 365] %}


{%- if is_incremental() and execute %}
{%- set changed_days_query %}
with

lane_days as (
    select * from {{ ref('int_entity_days') }} where entity_type = 'lane'
),

outcome_days as (
    select * from {{ ref('int_entity_outcome_days') }} where entity_type = 'lane'
),

entity_days as (
    select * from lane_days
),

fresh_lane_profiles as (
    {{ entity_profile_rows('lane_days', windows) }}
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
)

select min(as_of_date) from (
    select min(as_of_date) as as_of_date
    from {{ ref('int_entity_days') }}
    where inputs_loaded_at > (select max(inputs_loaded_at) from {{ this }})
    union all
    select min(as_of_date) from changed_lane_days
) as candidates
{%- endset %}
{%- set first_changed = run_query(changed_days_query).columns[0].values()[0] %}
{%- set rebuild_from = date_literal(first_changed if first_changed is not none else '9999-12-31') %}
{%- endif %}

with

entity_days as (
    select * from {{ ref('int_entity_days') }}
    where entity_value is not null
),

outcome_days as (
    select * from {{ ref('int_entity_outcome_days') }}
),

target_days as (
    select * from entity_days
    {%- if is_incremental() %}
    where as_of_date >= {{ rebuild_from }}
    {%- endif %}
),

final as (
    {{ entity_profile_rows('target_days', windows) }}
)

select * from final
order by as_of_date
