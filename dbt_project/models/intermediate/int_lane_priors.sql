-- Lane-wide prior hit rate per day, known at the start of the day: the smoothing target of every
-- entity hit rate. Before any outcome is known it is var('default_hit_rate_prior').

with

profiles as (
    select * from {{ ref('int_entity_profiles') }}
),

lane_days as (
    select lane, as_of_date, n_inspected, n_hits
    from profiles
    where entity_type = 'lane'
),

final as (
    select
        lane || '|' || cast(as_of_date as varchar) as lane_day_key,
        lane,
        as_of_date,
        n_inspected as lane_prior_inspections,
        n_hits as lane_prior_hits,
        {{ smoothed_rate('n_hits', 'n_inspected', var('default_hit_rate_prior')) }} as prior_hit_rate
    from lane_days
)

select * from final
