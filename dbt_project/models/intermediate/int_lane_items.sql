{{ config(materialized='view') }}
-- Every item of every lane in one shape (lane, item, day, office), with what inspection found.

with

items as (
    {%- for lane, item in lane_items().items() %}
    select '{{ lane }}' as lane, {{ item.id }} as item_id, {{ item.date }} as item_date, office_id, batch_date
    from {{ ref(item.model) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }}
),

final as (
    select
        items.*,
        outcomes.item_id is not null as is_inspected,
        coalesce(outcomes.label, 0) as is_hit,
        coalesce(outcomes.is_audit, false) as is_audit
    from items
    left join outcomes
        on outcomes.lane = items.lane
        and outcomes.item_id = items.item_id
)

select * from final
