{{ config(materialized='incremental', unique_key='entity_hash',
          post_hook='delete from {{ this }} where n_items_365d = 0') }}
-- Per lane and entity, its items in the 365 days ending on the latest day of traffic: what the entity
-- profiles take their prior traffic from, so a run reads one row per entity instead of a year of
-- entity-days.
--
-- Incremental: when all traffic loaded since the last run falls on days after the last one counted (the
-- daily run's new day, or the days of a catch-up after an outage), the entities of those days add their
-- items and the entities of the days that leave the window take theirs away (the new days' rows and those
-- of the days leaving the window). Any other change (a late or reloaded day, a rerun of a counted day)
-- counts the whole window again from int_entity_days, and the entities no longer in it get 0.
-- Rows at 0 are deleted (post-hook); a row unchanged since an earlier day is still right, since nothing
-- entered or left its window.
{%- set rebuild = rebuild_window([(ref('int_entity_days'), 'as_of_date', 'inputs_loaded_at')]) %}
{%- set mode, counted_through, last_day = 'count', none, none %}
{%- if is_incremental() and execute %}
{%- set state_query %}
select
    (select max(as_of_date) from {{ this }}) as counted_through,
    min(as_of_date) as first_new,
    (select max(as_of_date) from {{ ref('int_entity_days') }}) as last_day
from {{ ref('int_entity_days') }}
where inputs_loaded_at > {{ rebuild.watermark }}
{%- endset %}
{%- set row = run_query(state_query).rows[0] %}
{%- set counted_through, last_day = row[0], row[2] %}
{%- if row[1] is none %}
{%- set mode = 'unchanged' %}
{%- elif row[0] is not none and row[1] > row[0] %}
{%- set mode = 'add_days' %}
{%- endif %}
{%- elif execute %}
{%- set last_day = run_query('select max(as_of_date) from ' ~ ref('int_entity_days')).rows[0][0] %}
{%- endif %}

with

-- not materialized (docs/warehouse.md): the days' filters below then reach the table scan.
entity_days as not materialized (
    select lane, entity_type, entity_value, {{ entity_hash() }} as entity_hash, as_of_date, n_items_on_day
    from {{ ref('int_entity_days') }}
    where entity_value is not null
),
{%- if mode == 'add_days' %}

changes as (
    select lane, entity_type, entity_value, entity_hash, n_items_on_day as n_items
    from entity_days
    where as_of_date > {{ date_literal(counted_through) }}
    union all
    select lane, entity_type, entity_value, entity_hash, -n_items_on_day
    from entity_days
    where as_of_date >= {{ add_days(date_literal(counted_through), -364) }}
        and as_of_date <= {{ add_days(date_literal(last_day), -365) }}
),

counted as (
    select lane, entity_type, entity_value, entity_hash, n_items from changes
    union all
    select lane, entity_type, entity_value, entity_hash, n_items_365d
    from {{ this }}
    where entity_hash in (select entity_hash from changes)
),

final as (
    select
        lane, entity_type, entity_value, entity_hash,
        sum(n_items) as n_items_365d,
        {{ date_literal(last_day) }} as as_of_date,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from counted
    group by lane, entity_type, entity_value, entity_hash
)
{%- else %}

counted as (
    select lane, entity_type, entity_value, entity_hash, sum(n_items_on_day) as n_items_365d
    from entity_days
    where as_of_date >= {{ add_days(date_literal(last_day), -364) }}
        {%- if mode == 'unchanged' %}
        and false
        {%- endif %}
    group by lane, entity_type, entity_value, entity_hash
),
{%- if is_incremental() and mode == 'count' %}

emptied as (
    select built.lane, built.entity_type, built.entity_value, built.entity_hash, 0 as n_items_365d
    from {{ this }} as built
    left join counted on counted.entity_hash = built.entity_hash
    where counted.entity_hash is null
),
{%- endif %}

final as (
    select *, {{ date_literal(last_day) }} as as_of_date, {{ rebuild.loaded_through }} as inputs_loaded_at
    from counted
    {%- if is_incremental() and mode == 'count' %}
    union all
    select *, {{ date_literal(last_day) }}, {{ rebuild.loaded_through }}
    from emptied
    {%- endif %}
)
{%- endif %}

select * from final
