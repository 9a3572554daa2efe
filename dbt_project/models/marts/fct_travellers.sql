{{ config(materialized='view') }}
-- Arriving travellers, one row per arrival_id, with what inspection (if any) found (macros/item_marts.sql)
-- and what the AI-CCTV saw of the traveller on the arrival day.
{%- set cctv_columns %}
        coalesce(cctv.n_events, 0) as cctv_events,
        coalesce(cctv.bag_handovers, 0) as cctv_bag_handovers,
        coalesce(cctv.loiters, 0) as cctv_loiters
{%- endset %}
{%- set cctv_join %}
    left join {{ ref('int_traveller_cctv_daily') }} as cctv
        on cctv.traveller_key = items.traveller_key
        and cctv.event_date = items.arrival_date
{%- endset %}
{{ item_outcome_mart('traveller', extra_columns=cctv_columns, extra_joins=cctv_join) }}
