{#- Shared shape of the traffic-derived dimensions (importers, consignees, sellers, HS6). -#}

{#- The member key of a code: the code itself, or 'unknown' when it is missing (NULL or blank). Codes are
    pattern-checked at landing (no whitespace), so the code itself is the key. -#}
{% macro member_key(code_expr) -%}
    coalesce(nullif({{ code_expr }}, ''), 'unknown')
{%- endmacro %}

{#-
    One row per distinct code of the lanes' `entity_type` entity (see lane_entities), plus one 'unknown'
    member that counts the items without a code, so nothing is dropped: sum(n_items) over the dimension
    equals the number of items of those lanes. Built from the per-day entity traffic and the inspected
    items' entities, never from all items. The calling model is incremental on `key_name`: a run updates
    the members with traffic or outcomes loaded since its last run. Their traffic adds the new days to what
    the member had, so it costs the day's rows however long the history; a member last seen on a day this
    run rebuilt (a past day loaded again) is counted again from all its days (a branch compiled only when
    some member was last seen on or after the first rebuilt day: the daily run never needs it, and reading
    it costs a scan of every member's days of history). Inspection counts are counted again from all the
    member's inspected items for the members with inspected items loaded since (a new inspection or a
    changed label); the others keep theirs.
-#}
{% macro entity_dimension(key_name, entity_type, lanes) -%}
{%- set lane_list %}({% for lane in lanes %}'{{ lane }}'{{ ", " if not loop.last }}{% endfor %}){% endset -%}
{%- set rebuild = rebuild_window([(ref('int_entity_days'), 'as_of_date', 'inputs_loaded_at'),
                                  (ref('int_inspected_item_entities'), 'item_date', 'inputs_loaded_at')]) -%}
with

-- not materialized (docs/warehouse.md): the filters on the new rows below then reach the table scan.
all_entity_days as not materialized (
    select {{ member_key('entity_value') }} as member, lane, as_of_date, n_items_on_day, inputs_loaded_at
    from {{ ref('int_entity_days') }}
    where entity_type = '{{ entity_type }}' and lane in {{ lane_list }}
),

all_inspected_entities as not materialized (
    select {{ member_key('entity_value') }} as member, lane, item_id, inputs_loaded_at
    from {{ ref('int_inspected_item_entities') }}
    where entity_type = '{{ entity_type }}' and lane in {{ lane_list }}
),

{%- if is_incremental() %}
{%- set recount_query -%}
    select (select max(last_seen_date) from {{ this }}) >= (
        select min(as_of_date) from {{ ref('int_entity_days') }}
        where entity_type = '{{ entity_type }}' and lane in {{ lane_list }} and inputs_loaded_at > {{ rebuild.watermark }})
{%- endset %}
{%- set recount = execute and run_query(recount_query).columns[0].values()[0] == true %}

new_entity_days as (
    select * from all_entity_days where inputs_loaded_at > {{ rebuild.watermark }}
),

newly_inspected as (
    select distinct member from all_inspected_entities where inputs_loaded_at > {{ rebuild.watermark }}
),

touched as (
    select member from new_entity_days
    union
    select member from newly_inspected
),

previous as (
    select * from {{ this }} where {{ key_name }} in (select member from touched)
),

{%- if recount %}

recounted as (
    select {{ key_name }} as member from previous
    where last_seen_date >= (select min(as_of_date) from new_entity_days)
),

kept as (
    select * from previous where {{ key_name }} not in (select member from recounted)
),

entity_days as (
    select * from new_entity_days where member not in (select member from recounted)
    union all
    select * from all_entity_days where member in (select member from recounted)
),

{%- else %}

kept as (
    select * from previous
),

entity_days as (
    select * from new_entity_days
),

{%- endif %}

inspected_entities as (
    select * from all_inspected_entities where member in (select member from newly_inspected)
),

{%- else %}

entity_days as (
    select * from all_entity_days
),

inspected_entities as (
    select * from all_inspected_entities
),

{%- endif %}

outcomes as (
    select * from {{ ref('int_item_outcomes') }}
),

member_days as (
    select
        member,
        as_of_date,
        sum(n_items_on_day) as n_items
        {%- for lane in lanes %},
        sum(case when lane = '{{ lane }}' then n_items_on_day else 0 end) as n_{{ lane }}_items
        {%- endfor %}
    from entity_days
    group by member, as_of_date
),

counted as (
    select
        member as {{ key_name }},
        sum(n_items) as n_items,
        min(as_of_date) as first_seen_date,
        max(as_of_date) as last_seen_date,
        count(*) as n_active_days
        {%- for lane in lanes %},
        sum(n_{{ lane }}_items) as n_{{ lane }}_items
        {%- endfor %}
    from member_days
    group by member
),

{%- if is_incremental() %}

traffic as (
    -- a kept member's days all come before the new ones: its first day stays, the counts add up
    select
        coalesce(counted.{{ key_name }}, kept.{{ key_name }}) as {{ key_name }},
        coalesce(kept.first_seen_date, counted.first_seen_date) as first_seen_date,
        coalesce(counted.last_seen_date, kept.last_seen_date) as last_seen_date
        {%- for column in ['n_items', 'n_active_days'] %},
        coalesce(kept.{{ column }}, 0) + coalesce(counted.{{ column }}, 0) as {{ column }}
        {%- endfor %}
        {%- for lane in lanes %},
        coalesce(kept.n_{{ lane }}_items, 0) + coalesce(counted.n_{{ lane }}_items, 0) as n_{{ lane }}_items
        {%- endfor %}
    from counted
    full outer join kept
        on kept.{{ key_name }} = counted.{{ key_name }}
),

{%- else %}

traffic as (
    select * from counted
),

{%- endif %}

counted_inspections as (
    select
        inspected_entities.member as {{ key_name }},
        count(*) as n_inspected,
        sum(outcomes.label) as n_hits
    from inspected_entities
    inner join outcomes
        on outcomes.lane = inspected_entities.lane
        and outcomes.item_id = inspected_entities.item_id
    group by inspected_entities.member
),

inspection_counts as (
    select * from counted_inspections
    {%- if is_incremental() %}
    union all
    select {{ key_name }}, n_inspected, n_hits from previous
    where {{ key_name }} not in (select member from newly_inspected)
    {%- endif %}
),

final as (
    select
        traffic.{{ key_name }},
        traffic.n_items,
        coalesce(inspection_counts.n_inspected, 0) as n_inspected,
        coalesce(inspection_counts.n_hits, 0) as n_hits,
        traffic.first_seen_date,
        traffic.last_seen_date,
        traffic.n_active_days,
        {%- for lane in lanes %}
        traffic.n_{{ lane }}_items,
        {%- endfor %}
        traffic.{{ key_name }} = 'unknown' as is_unknown_member,
        {{ safe_divide('inspection_counts.n_hits', 'inspection_counts.n_inspected') }} as hit_rate,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from traffic
    left join inspection_counts
        on inspection_counts.{{ key_name }} = traffic.{{ key_name }}
)

select * from final
{%- endmacro %}

{#- int_office_daily_traffic keyed to dim_offices: office_key is the office code where the offices seed
    knows it for the lane, else 'unknown' (dim_offices and fct_daily_traffic key rows the same way). -#}
{% macro keyed_office_days() -%}
    select
        office_days.*,
        case when offices.office_id is null then 'unknown' else office_days.office_id end as office_key
    from {{ ref('int_office_daily_traffic') }} as office_days
    left join {{ ref('offices') }} as offices
        on offices.lane = office_days.lane
        and offices.office_id = office_days.office_id
{%- endmacro %}
