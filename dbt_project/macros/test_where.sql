{#-
    Data tests of the daily run check the rows the run can have changed, not all history.
    With var('test_since') set (a date; the transform DAG passes its business day), a generic test on a
    model whose meta names a `test_rows_since` column only reads that model's rows from that date on;
    without it every test reads everything (weekly, or `customs-risk transform` by hand). An explicit
    `where` on a test still applies. Overrides dbt's get_where_subquery, which applies `where`.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set since = var('test_since', none) -%}
    {%- if since and execute -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.schema == relation.schema
               and (node.alias or node.name) == relation.identifier and node.config.meta.get('test_rows_since') -%}
            {%- do conditions.append(node.config.meta['test_rows_since'] ~ " >= cast('" ~ since ~ "' as date)") -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
