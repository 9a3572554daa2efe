{#-
    The item + outcome mart of a lane (fct_declarations, fct_shipments, fct_travellers): every item of the
    lane's staging model (lane_items) with what inspection, if any, found; one row per item id. A lane
    that carries more adds `extra_columns` and `extra_joins` (SQL over the `items` relation) and the
    inputs those read to `day_inputs` (see item_rebuild_window).
    Incremental: the new days' items and the items whose outcome changed (macros/incremental.sql).
-#}
{% macro item_outcome_mart(lane, day_inputs=[], extra_columns='', extra_joins='') -%}
{%- set item = lane_items()[lane] -%}
{%- set rebuild = item_rebuild_window(lane, [(ref(item.model), item.date)] + day_inputs) -%}
with

{{ lane_items_and_outcomes(lane, rebuild) }}

final as (
    select
        items.*,
        outcomes.item_id is not null as is_inspected,
        outcomes.first_inspection_date,
        outcomes.selection_reason,
        coalesce(outcomes.is_audit, false) as is_audit,
        outcomes.label,
        outcomes.has_seizure,
        {{- extra_columns }}
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from items
    left join outcomes
        on outcomes.item_id = items.{{ item.id }}
    {{- extra_joins }}
)

select * from final
{%- endmacro %}

{#- The CTEs `items` (the lane's items this run rebuilds: all of them on a full build, see
    item_rebuild_filter) and `outcomes` (what inspection found, one row per inspected item). -#}
{% macro lane_items_and_outcomes(lane, rebuild) -%}
{%- set item = lane_items()[lane] -%}
items as (
    select * from {{ ref(item.model) }}
    {{ if_incremental('where ' ~ item_rebuild_filter(rebuild, item.id, item.date)) }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }} where lane = '{{ lane }}'
),
{%- endmacro %}
