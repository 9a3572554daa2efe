{{ config(materialized='incremental', unique_key='hs6') }}
-- HS6 codes declared in cargo and express, one row per code (plus 'unknown'), with chapter and heading.

with

members as (
    {{ entity_dimension('hs6', 'hs6', ['cargo', 'express']) | indent(4) }}
),

final as (
    select
        members.*,
        case when members.is_unknown_member then null else substr(members.hs6, 1, 2) end as hs_chapter,
        case when members.is_unknown_member then null else substr(members.hs6, 1, 4) end as hs_heading
    from members
)

select * from final
