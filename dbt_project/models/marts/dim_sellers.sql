{{ config(materialized='incremental', unique_key='seller_id') }}
-- Overseas sellers of cargo declarations and express parcels, one row per seller_id, plus 'unknown'.
{{ entity_dimension('seller_id', 'seller', ['cargo', 'express']) }}
