-- Codes a dimension does not know flow into its 'unknown' member: every dimension and fct_daily_traffic
-- count exactly the items of the lanes they describe. Returns one row per count that disagrees.

with

items as (
    select 'cargo' as lane, count(*) as n_items from {{ ref('stg_declarations') }}
    union all
    select 'express' as lane, count(*) as n_items from {{ ref('stg_shipments') }}
    union all
    select 'traveller' as lane, count(*) as n_items from {{ ref('stg_travellers') }}
),

expected as (
    select
        sum(n_items) as all_items,
        sum(case when lane = 'cargo' then n_items else 0 end) as cargo_items,
        sum(case when lane = 'express' then n_items else 0 end) as express_items
    from items
),

counted as (
    select 'fct_daily_traffic' as model, (select sum(n_items) from {{ ref('fct_daily_traffic') }}) as n_counted,
        (select all_items from expected) as n_expected
    union all
    select 'dim_offices', (select sum(n_items) from {{ ref('dim_offices') }}), (select all_items from expected)
    union all
    select 'dim_importers', (select sum(n_items) from {{ ref('dim_importers') }}), (select cargo_items from expected)
    union all
    select 'dim_consignees', (select sum(n_items) from {{ ref('dim_consignees') }}), (select express_items from expected)
    union all
    select 'dim_sellers', (select sum(n_items) from {{ ref('dim_sellers') }}),
        (select cargo_items + express_items from expected)
    union all
    select 'dim_hs6', (select sum(n_items) from {{ ref('dim_hs6') }}), (select cargo_items + express_items from expected)
)

select *
from counted
where coalesce(n_counted, 0) <> coalesce(n_expected, 0)
