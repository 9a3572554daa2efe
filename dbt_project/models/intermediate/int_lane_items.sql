{{ config(materialized='view') }}
-- Every item of every lane in one shape (lane, item, day, office), with what inspection found.

with

declarations as (
    select * from {{ ref('stg_declarations') }}
),

shipments as (
    select * from {{ ref('stg_shipments') }}
),

travellers as (
    select * from {{ ref('stg_travellers') }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }}
),

items as (
    select 'cargo' as lane, declaration_id as item_id, declaration_date as item_date, office_id, batch_date
    from declarations
    union all
    select 'express' as lane, waybill_id as item_id, arrival_date as item_date, office_id, batch_date
    from shipments
    union all
    select 'traveller' as lane, arrival_id as item_id, arrival_date as item_date, office_id, batch_date
    from travellers
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
