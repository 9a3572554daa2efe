{{ config(materialized='view') }}
-- Import declarations, one row per declaration_id, with what inspection (if any) found (macros/item_marts.sql).
{{ item_outcome_mart('cargo') }}
