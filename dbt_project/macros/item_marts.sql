{#-
    The item + outcome mart of a lane (fct_declarations, fct_shipments, fct_travellers): every item of the
    lane's staging model with what inspection, if any, found; one row per item id. A lane that carries more
    adds `extra_columns` and `extra_joins` (SQL over the `items` relation).
    A view, not a table: its rows are the raw rows and the labels, which the warehouse already keeps, so
    storing them again would double the largest share of its bytes (a US-sized day is 3.4 M parcels); a
    reader's date bound reaches the raw table's row groups through the view.
-#}
{% macro item_outcome_mart(lane, extra_columns='', extra_joins='') -%}
{%- set item = lane_items()[lane] -%}
with

{{ lane_items_and_outcomes(lane) }}

final as (
    select
        items.*,
        outcomes.item_id is not null as is_inspected,
        outcomes.first_inspection_date,
        outcomes.selection_reason,
        coalesce(outcomes.is_audit, false) as is_audit,
        outcomes.label,
        outcomes.has_seizure
        {%- if extra_columns %},{{ extra_columns }}{% endif %}
    from items
    left join outcomes
        on outcomes.item_id = items.{{ item.id }}
    {{- extra_joins }}
)

select * from final
{%- endmacro %}

{#- The CTEs `items` (the lane's items: with `rebuild`, those an incremental run rebuilds, see
    item_rebuild_filter; all of them otherwise) and `outcomes` (what inspection found, one row per
    inspected item). -#}
{% macro lane_items_and_outcomes(lane, rebuild=none) -%}
{%- set item = lane_items()[lane] -%}
-- not materialized (docs/warehouse.md): a feature table reads a key or two of it once more beside the final select.
items as not materialized (
    select * from {{ ref(item.model) }}
    {%- if rebuild is not none %}
    {{ if_incremental('where ' ~ item_rebuild_filter(rebuild, item.id, item.date)) }}
    {%- endif %}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }} where lane = '{{ lane }}'
),
{%- endmacro %}
