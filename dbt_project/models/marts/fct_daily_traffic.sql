-- Items per lane, office and day, with how many were inspected and how many inspections found
-- something. Office codes the offices seed does not know are kept under office_key 'unknown'.

with

keyed_office_days as (
    {{ keyed_office_days() }}
),

daily as (
    select
        lane,
        office_key,
        item_date,
        sum(n_items) as n_items,
        sum(n_inspected) as n_inspected,
        sum(n_hits) as n_hits,
        sum(n_audit) as n_audit,
        count(distinct case when office_key = 'unknown' then coalesce(office_id, '') end) as n_unknown_office_codes
    from keyed_office_days
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
