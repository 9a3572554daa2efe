{#-
    A raw source table, or an empty typed relation when ingest has not created it yet.
    Keeps one missing source (say, no CCTV feed yet) from breaking the models of the others.
    The column types come from the generated __sources.yml (data_type of each column).
    Existence is asked of the warehouse's catalog, not of dbt's relation cache: dbt fills the cache of an
    uncached schema (raw is not one of the project's) one relation at a time while other threads already
    read it, so two staging models compiled together could see raw.inspections as missing and build on
    nothing (all labels NULL after a full refresh on PostgreSQL, seen once in CI).
-#}
{% macro source_or_empty(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and not source_exists(relation) -%}
        {%- set node = source_node(source_name, table_name) -%}
        {{ log("source " ~ relation ~ " does not exist yet: using an empty relation", info=true) }}
        (
            select
            {%- for column in node.columns.values() %}
                cast(null as {{ column.data_type }}) as {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
            {%- endfor %}
            where 1 = 0
        )
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{% macro source_exists(relation) -%}
    {%- set found = run_query("select count(*) from information_schema.tables where table_schema = '"
                              ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}
