-- Point-in-time entity profiles: for every (lane, entity, day) on which the entity has traffic, what was
-- known at the start of that day. Outcomes count only when recorded strictly before as_of_date.
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

prior_outcomes as (
    select
        entity_days.lane,
        entity_days.entity_type,
        entity_days.entity_value,
        entity_days.as_of_date,
        sum(outcome_days.n_inspected) as n_inspected,
        sum(outcome_days.n_hits) as n_hits
        {%- for window in windows %},
        sum(case when outcome_days.outcome_date >= {{ add_days('entity_days.as_of_date', -window) }}
            then outcome_days.n_inspected else 0 end) as n_inspected_{{ window }}d,
        sum(case when outcome_days.outcome_date >= {{ add_days('entity_days.as_of_date', -window) }}
            then outcome_days.n_hits else 0 end) as n_hits_{{ window }}d
        {%- endfor %}
    from entity_days
    inner join outcome_days
        on outcome_days.lane = entity_days.lane
        and outcome_days.entity_type = entity_days.entity_type
        and outcome_days.entity_value = entity_days.entity_value
        and outcome_days.outcome_date < entity_days.as_of_date
    group by entity_days.lane, entity_days.entity_type, entity_days.entity_value, entity_days.as_of_date
),

prior_traffic as (
    select
        entity_days.lane,
        entity_days.entity_type,
        entity_days.entity_value,
        entity_days.as_of_date,
        sum(earlier.n_items_on_day) as n_prior_items_365d,
        min(earlier.as_of_date) as first_seen_date_365d
    from entity_days
    inner join entity_days as earlier
        on earlier.lane = entity_days.lane
        and earlier.entity_type = entity_days.entity_type
        and earlier.entity_value = entity_days.entity_value
        and earlier.as_of_date < entity_days.as_of_date
        and earlier.as_of_date >= {{ add_days('entity_days.as_of_date', -365) }}
    group by entity_days.lane, entity_days.entity_type, entity_days.entity_value, entity_days.as_of_date
),

final as (
    select
        entity_days.lane || '|' || entity_days.entity_type || '|' || entity_days.entity_value
            || '|' || cast(entity_days.as_of_date as varchar) as profile_key,
        entity_days.lane,
        entity_days.entity_type,
        entity_days.entity_value,
        entity_days.as_of_date,
        entity_days.n_items_on_day,
        coalesce(prior_traffic.n_prior_items_365d, 0) as n_prior_items_365d,
        coalesce(prior_outcomes.n_inspected, 0) as n_inspected,
        coalesce(prior_outcomes.n_hits, 0) as n_hits
        {%- for window in windows %},
        coalesce(prior_outcomes.n_inspected_{{ window }}d, 0) as n_inspected_{{ window }}d,
        coalesce(prior_outcomes.n_hits_{{ window }}d, 0) as n_hits_{{ window }}d
        {%- endfor %}
    from entity_days
    left join prior_outcomes
        on prior_outcomes.lane = entity_days.lane
        and prior_outcomes.entity_type = entity_days.entity_type
        and prior_outcomes.entity_value = entity_days.entity_value
        and prior_outcomes.as_of_date = entity_days.as_of_date
    left join prior_traffic
        on prior_traffic.lane = entity_days.lane
        and prior_traffic.entity_type = entity_days.entity_type
        and prior_traffic.entity_value = entity_days.entity_value
        and prior_traffic.as_of_date = entity_days.as_of_date
)

select * from final
