{#- Shared shape of the traffic-derived dimensions (importers, consignees, sellers, HS6). -#}

{#- The member key of a code: the code itself, or 'unknown' when it is missing (NULL or blank). -#}
{% macro member_key(code_expr) -%}
    coalesce(nullif(trim({{ code_expr }}), ''), 'unknown')
{%- endmacro %}

{#-
    One row per distinct code of `code_column` in int_lane_items (restricted to `lanes`), plus one
    'unknown' member that counts the items without a code, so nothing is dropped: sum(n_items) over
    the dimension equals the number of items of those lanes.
-#}
{% macro entity_dimension(key_name, code_column, lanes) -%}
with

items as (
    select * from {{ ref('int_lane_items') }}
    where lane in ({% for lane in lanes %}'{{ lane }}'{{ ", " if not loop.last }}{% endfor %})
),

members as (
    select
        {{ member_key(code_column) }} as {{ key_name }},
        count(*) as n_items,
        sum(case when is_inspected then 1 else 0 end) as n_inspected,
        sum(is_hit) as n_hits,
        min(item_date) as first_seen_date,
        max(item_date) as last_seen_date,
        count(distinct item_date) as n_active_days
        {%- for lane in lanes %},
        sum(case when lane = '{{ lane }}' then 1 else 0 end) as n_{{ lane }}_items
        {%- endfor %}
    from items
    group by {{ member_key(code_column) }}
),

final as (
    select
        members.*,
        members.{{ key_name }} = 'unknown' as is_unknown_member,
        {{ safe_divide('members.n_hits', 'members.n_inspected') }} as hit_rate
    from members
)

select * from final
{%- endmacro %}
