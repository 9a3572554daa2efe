-- Items per lane, office and day, with how many were inspected and how many inspections found
-- something. Office codes the offices seed does not know are kept under office_key 'unknown'.

with

items as (
    select * from {{ ref('int_lane_items') }}
),

offices as (
    select * from {{ ref('dim_offices') }}
    where not is_unknown_member
),

keyed_items as (
    select
        items.*,
        case when offices.office_key is null then 'unknown' else items.office_id end as office_key
    from items
    left join offices
        on offices.lane = items.lane
        and offices.office_key = items.office_id
),

daily as (
    select
        lane,
        office_key,
        item_date,
        count(*) as n_items,
        sum(case when is_inspected then 1 else 0 end) as n_inspected,
        sum(is_hit) as n_hits,
        sum(case when is_audit then 1 else 0 end) as n_audit,
        count(distinct case when office_key = 'unknown' then office_id end) as n_unknown_office_codes
    from keyed_items
    group by lane, office_key, item_date
),

final as (
    select
        lane || '|' || office_key || '|' || cast(item_date as varchar) as daily_traffic_key,
        lane,
        office_key,
        item_date,
        n_items,
        n_inspected,
        n_hits,
        n_audit,
        {{ safe_divide('n_inspected', 'n_items') }} as inspection_rate,
        {{ safe_divide('n_hits', 'n_inspected') }} as hit_rate,
        n_unknown_office_codes
    from daily
)

select * from final
