{{ config(materialized='incremental', unique_key='importer_id') }}
-- Importers (cargo lane), one row per importer_id seen in declarations, plus the 'unknown' member.
{{ entity_dimension('importer_id', 'importer', ['cargo']) }}
