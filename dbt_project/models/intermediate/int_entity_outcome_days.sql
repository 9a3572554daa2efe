-- Entity outcome history: per lane, entity and day, how many of the entity's items became known as
-- inspected (first inspection recorded that day) and as hits (first irregularity/seizure recorded that day).

with

item_entities as (
    select * from {{ ref('int_inspected_item_entities') }}
    where entity_value is not null
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }}
),

inspected_entities as (
    select
        item_entities.lane,
        item_entities.entity_type,
        item_entities.entity_value,
        outcomes.first_inspection_date,
        outcomes.first_hit_date
    from item_entities
    inner join outcomes
        on outcomes.lane = item_entities.lane
        and outcomes.item_id = item_entities.item_id
),

outcome_events as (
    select lane, entity_type, entity_value, first_inspection_date as outcome_date, 1 as n_inspected, 0 as n_hits
    from inspected_entities
    union all
    select lane, entity_type, entity_value, first_hit_date as outcome_date, 0 as n_inspected, 1 as n_hits
    from inspected_entities
    where first_hit_date is not null
),

daily as (
    select
        lane,
        entity_type,
        entity_value,
        outcome_date,
        sum(n_inspected) as n_inspected,
        sum(n_hits) as n_hits
    from outcome_events
    group by lane, entity_type, entity_value, outcome_date
)

select * from daily
