{{ config(materialized='incremental', unique_key='consignee_key') }}
-- Consignees (express lane, pseudonymised clearance code), one row per consignee_key, plus 'unknown'.
{{ entity_dimension('consignee_key', 'consignee', ['express']) }}
