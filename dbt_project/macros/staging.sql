{#- The node of a source table in the graph (its columns and data_type come from the generated __sources.yml). -#}
{% macro source_node(source_name, table_name) -%}
    {{ return(graph.sources.values() | selectattr('source_name', 'equalto', source_name)
              | selectattr('name', 'equalto', table_name) | first) }}
{%- endmacro %}

{#-
    The typed column list of a staging model, so no model repeats what the contracts say: every column
    of the model's yml (generated from core/contracts.py by transform/dbt_sources.py, in that order),
    cast to the data_type of its raw column in __sources.yml. A staging column reads the raw column of
    its name or, for the lineage columns, the one with a leading underscore (batch_date <- _batch_date).
-#}
{% macro staged_columns(source_name, table_name) -%}
    {%- if not execute -%}{{ return('*') }}{%- endif -%}
    {%- set raw_columns = source_node(source_name, table_name).columns -%}
    {%- for name in model.columns %}
        {%- set raw_name = name if name in raw_columns else '_' ~ name %}
        {%- if raw_name not in raw_columns %}
            {{- exceptions.raise_compiler_error(model.name ~ ": column " ~ name ~ " has no raw column " ~ name
                ~ " or _" ~ name ~ " in " ~ source_name ~ "." ~ table_name) }}
        {%- endif %}
        cast({{ raw_name }} as {{ raw_columns[raw_name].data_type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
