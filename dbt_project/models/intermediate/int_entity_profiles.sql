{{ config(materialized='incremental', unique_key='as_of_date', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
-- Point-in-time entity profiles: for every (lane, entity, day) on which the entity has traffic, what was
-- known at the start of that day. Outcomes count only when recorded strictly before as_of_date.
--
-- Incremental: whole days are rebuilt (unique_key as_of_date, delete+insert), from the earliest of
--   * the last var('feature_lookback_days') days already built (late rows of recent days), and
--   * the first day whose lane-wide profile (items that day, items over 365 days, inspections and hits
--     known before it) differs from the one built: any late item or late outcome, however old, changes
--     the lane totals of the days after it, so this catches it without scanning every entity.
-- A rebuilt day is computed from all history, so it equals what a full refresh writes.
{%- set windows = [30, 90, 365] %}


with

item_entities as (
    select * from {{ ref('int_item_entities') }}
),

outcome_days as (
    select * from {{ ref('int_entity_outcome_days') }}
),

entity_days as (
    select
        lane,
        entity_type,
        entity_value,
        item_date as as_of_date,
        count(*) as n_items_on_day
    from item_entities
    group by lane, entity_type, entity_value, item_date
),

{%- if is_incremental() %}

lane_days as (
    select * from entity_days where entity_type = 'lane'
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
),

rebuild_from as (
    select min(as_of_date) as as_of_date
    from (
        select {{ add_days('max(as_of_date)', -var('feature_lookback_days')) }} as as_of_date
        from {{ this }}
        union all
        select min(as_of_date) from changed_lane_days
    ) as candidates
),

target_days as (
    select * from entity_days
    where as_of_date >= (select as_of_date from rebuild_from)
),

{%- else %}

target_days as (
    select * from entity_days
),

{%- endif %}

final as (
    {{ entity_profile_rows('target_days', windows) }}
)

select * from final
