-- Importers (cargo lane), one row per importer_id seen in declarations, plus the 'unknown' member.
{{ entity_dimension('importer_id', 'importer', ['cargo']) }}
