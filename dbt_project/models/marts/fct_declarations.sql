-- Import declarations, one row per declaration_id, with what inspection (if any) found.

with

declarations as (
    select * from {{ ref('stg_declarations') }}
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
        outcomes.has_seizure
    from declarations
    left join outcomes
        on outcomes.item_id = declarations.declaration_id
)

select * from final
