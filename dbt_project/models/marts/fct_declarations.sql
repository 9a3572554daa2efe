{{ config(materialized='incremental', unique_key='declaration_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
-- Import declarations, one row per declaration_id, with what inspection (if any) found.
-- Incremental: the new days' items and the items whose outcome changed (macros/incremental.sql).
{%- set rebuild = item_rebuild_window('cargo', [(ref('stg_declarations'), 'declaration_date')]) %}

with

declarations as (
    select * from {{ ref('stg_declarations') }}
    {%- if is_incremental() %}
    where {{ item_rebuild_filter(rebuild, 'declaration_id', 'declaration_date') }}
    {%- endif %}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }} where lane = 'cargo'
),

final as (
    select
        declarations.*,
        outcomes.item_id is not null as is_inspected,
        outcomes.first_inspection_date,
        outcomes.selection_reason,
        coalesce(outcomes.is_audit, false) as is_audit,
        outcomes.label,
        outcomes.has_seizure,
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from declarations
    left join outcomes
        on outcomes.item_id = declarations.declaration_id
)

select * from final
