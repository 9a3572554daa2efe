{{ config(materialized='view') }}
-- Express parcels, one row per waybill_id, with what inspection (if any) found (macros/item_marts.sql).
{{ item_outcome_mart('express') }}
