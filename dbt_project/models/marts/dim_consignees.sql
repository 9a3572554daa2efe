{{ config(materialized='incremental', unique_key='consignee_key', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
-- Consignees (express lane, pseudonymised clearance code), one row per consignee_key, plus 'unknown'.
{{ entity_dimension('consignee_key', 'consignee', ['express']) }}
