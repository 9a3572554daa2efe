-- One row per inspected item (lane + item_id): what its inspections found and when each fact became known.

with

inspections as (
    select * from {{ ref('stg_inspections') }}
),

ordered_inspections as (
    select
        *,
        row_number() over (
            partition by lane, item_id
            order by inspection_date, inspection_id
        ) as inspection_number
    from inspections
),

first_inspection as (
    select
        lane,
        item_id,
        selection_reason,
        office_id
    from ordered_inspections
    where inspection_number = 1
),

outcome_dates as (
    select
        lane,
        item_id,
        min(item_date) as item_date,
        min(inspection_date) as first_inspection_date,
        min(case when result in ('irregularity', 'seizure') then inspection_date end) as first_hit_date,
        count(*) as n_inspections,
        max(case when result = 'seizure' then 1 else 0 end) as has_seizure,
        max(loaded_at) as loaded_at
    from inspections
    group by lane, item_id
),

final as (
    select
        outcome_dates.lane || ':' || outcome_dates.item_id as outcome_key,
        outcome_dates.lane,
        outcome_dates.item_id,
        outcome_dates.item_date,
        first_inspection.office_id as inspecting_office_id,
        outcome_dates.first_inspection_date,
        outcome_dates.first_hit_date,
        cast(case when outcome_dates.first_hit_date is not null then 1 else 0 end as integer) as label,
        cast(outcome_dates.has_seizure as integer) as has_seizure,
        first_inspection.selection_reason,
        first_inspection.selection_reason = 'audit' as is_audit,
        outcome_dates.n_inspections,
        outcome_dates.loaded_at
    from outcome_dates
    inner join first_inspection
        on first_inspection.lane = outcome_dates.lane
        and first_inspection.item_id = outcome_dates.item_id
)

select * from final
