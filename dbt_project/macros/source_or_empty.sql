{#-
    A raw source table, or an empty typed relation when ingest has not created it yet.
    Keeps one missing source (say, no CCTV feed yet) from breaking the models of the others.
    The column types come from the generated __sources.yml (data_type of each column).
-#}
{% macro source_or_empty(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and load_relation(relation) is none -%}
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
