"""The transform stage: dbt builds the warehouse (staging -> intermediate -> marts)."""
