-- Outcome history of exact declared values (macros/exact_values.sql): per key, value and day, how many
-- inspected declarations with that exact value became known as inspected (first inspection recorded that
-- day) and as hits (first irregularity/seizure recorded that day). Inspected items are a few % of traffic,
-- so this stays small; int_cargo_value_priors reads it point in time.
{%- set keys = cargo_exact_value_keys() %}

with

declarations as (
    select * from {{ ref('stg_declarations') }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }} where lane = 'cargo'
),

inspected as (
    select declarations.*, outcomes.first_inspection_date, outcomes.first_hit_date
    from outcomes
    inner join declarations on declarations.declaration_id = outcomes.item_id
),

inspected_values as (
    {%- for key, expr in keys.items() %}
    select '{{ key }}' as key_type, {{ expr.replace('{t}', 'inspected') }} as key_value, first_inspection_date,
        first_hit_date
    from inspected
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

outcome_events as (
    select key_type, key_value, first_inspection_date as outcome_date, 1 as n_inspected, 0 as n_hits
    from inspected_values
    where key_value is not null
    union all
    select key_type, key_value, first_hit_date as outcome_date, 0 as n_inspected, 1 as n_hits
    from inspected_values
    where key_value is not null and first_hit_date is not null
),

final as (
    select key_type, key_value, outcome_date, sum(n_inspected) as n_inspected, sum(n_hits) as n_hits
    from outcome_events
    group by key_type, key_value, outcome_date
)

select * from final
