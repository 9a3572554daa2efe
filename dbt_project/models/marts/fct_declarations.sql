{{ config(materialized='incremental', unique_key='declaration_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
-- Import declarations, one row per declaration_id, with what inspection (if any) found (macros/item_marts.sql).
{{ item_outcome_mart('cargo') }}
