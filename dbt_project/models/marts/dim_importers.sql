{{ config(materialized='incremental', unique_key='importer_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
-- Importers (cargo lane), one row per importer_id seen in declarations, plus the 'unknown' member.
{{ entity_dimension('importer_id', 'importer', ['cargo']) }}
