{#- Shared shape of the traffic-derived dimensions (importers, consignees, sellers, HS6). -#}

{#- The member key of a code: the code itself, or 'unknown' when it is missing (NULL or blank). -#}
{% macro member_key(code_expr) -%}
    coalesce(nullif(trim({{ code_expr }}), ''), 'unknown')
{%- endmacro %}

{#-
    One row per distinct code of the lanes' `entity_type` entity (see lane_entities), plus one 'unknown'
    member that counts the items without a code, so nothing is dropped: sum(n_items) over the dimension
    equals the number of items of those lanes. Built from the per-day entity traffic and the inspected
    items' entities, never from all items.
-#}
{% macro entity_dimension(key_name, entity_type, lanes) -%}
{%- set lane_list %}({% for lane in lanes %}'{{ lane }}'{{ ", " if not loop.last }}{% endfor %}){% endset -%}
with

entity_days as (
    select * from {{ ref('int_entity_days') }}
    where entity_type = '{{ entity_type }}' and lane in {{ lane_list }}
),

inspected_entities as (
    select * from {{ ref('int_inspected_item_entities') }}
    where entity_type = '{{ entity_type }}' and lane in {{ lane_list }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }}
),

traffic as (
    select
        {{ member_key('entity_value') }} as {{ key_name }},
        sum(n_items_on_day) as n_items,
        min(as_of_date) as first_seen_date,
        max(as_of_date) as last_seen_date,
        count(distinct as_of_date) as n_active_days
        {%- for lane in lanes %},
        sum(case when lane = '{{ lane }}' then n_items_on_day else 0 end) as n_{{ lane }}_items
        {%- endfor %}
    from entity_days
    group by {{ member_key('entity_value') }}
),

inspection_counts as (
    select
        {{ member_key('inspected_entities.entity_value') }} as {{ key_name }},
        count(*) as n_inspected,
        sum(outcomes.label) as n_hits
    from inspected_entities
    inner join outcomes
        on outcomes.lane = inspected_entities.lane
        and outcomes.item_id = inspected_entities.item_id
    group by {{ member_key('inspected_entities.entity_value') }}
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
        {{ safe_divide('inspection_counts.n_hits', 'inspection_counts.n_inspected') }} as hit_rate
    from traffic
    left join inspection_counts
        on inspection_counts.{{ key_name }} = traffic.{{ key_name }}
)

select * from final
{%- endmacro %}
