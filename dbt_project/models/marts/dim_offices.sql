-- Customs offices: the known offices of the `offices` seed, each with its traffic, plus one 'unknown'
-- member that collects every item whose office code the seed does not know (counted, never dropped).

with

offices as (
    select * from {{ ref('offices') }}
),

keyed_office_days as (
    {{ keyed_office_days() }}
),

traffic as (
    select
        office_key,
        sum(n_items) as n_items,
        sum(n_inspected) as n_inspected,
        sum(n_hits) as n_hits,
        min(item_date) as first_seen_date,
        max(item_date) as last_seen_date,
        count(distinct case when office_key = 'unknown' then lane || ':' || coalesce(office_id, '') end)
            as n_unknown_codes
    from keyed_office_days
    group by office_key
),

members as (
    select office_id as office_key, lane, office_name, false as is_unknown_member
    from offices
    union all
    select 'unknown' as office_key, cast(null as varchar) as lane,
        'Office code not in the offices seed' as office_name, true as is_unknown_member
),

final as (
    select
        members.office_key,
        members.lane,
        members.office_name,
        members.is_unknown_member,
        coalesce(traffic.n_items, 0) as n_items,
        coalesce(traffic.n_inspected, 0) as n_inspected,
        coalesce(traffic.n_hits, 0) as n_hits,
        traffic.first_seen_date,
        traffic.last_seen_date,
        coalesce(traffic.n_unknown_codes, 0) as n_unknown_codes
    from members
    left join traffic
        on traffic.office_key = members.office_key
)

select * from final
