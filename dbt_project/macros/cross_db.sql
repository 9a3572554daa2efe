{#- SQL that DuckDB and PostgreSQL spell differently, behind adapter.dispatch. -#}

{#- date + n days, as a date -#}
{% macro add_days(date_expr, days) -%}
    {{ return(adapter.dispatch('add_days', 'customs_risk')(date_expr, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast(({{ date_expr }}) + ({{ days }}) * interval '1 day' as date)
{%- endmacro %}

{% macro postgres__add_days(date_expr, days) -%}
    (({{ date_expr }})::date + ({{ days }})::integer)
{%- endmacro %}

{% macro duckdb__add_days(date_expr, days) -%}
    cast(({{ date_expr }}) + to_days(cast({{ days }} as integer)) as date)
{%- endmacro %}

{#- whole days from start to end (end - start) -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'customs_risk')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}

{#- minutes from start to end of two timestamps, as a double -#}
{% macro minutes_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('minutes_between', 'customs_risk')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__minutes_between(start_ts, end_ts) -%}
    (extract(epoch from (({{ end_ts }}) - ({{ start_ts }}))) / 60.0)
{%- endmacro %}

{% macro duckdb__minutes_between(start_ts, end_ts) -%}
    (date_diff('second', {{ start_ts }}, {{ end_ts }}) / 60.0)
{%- endmacro %}

{#- median of a numeric expression (aggregate) -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'customs_risk')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{#- x / y as a double, NULL when y is 0 or NULL -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0))
{%- endmacro %}

{#- 64-bit hash of text columns: a one-column join key for long composite keys (collisions are
    negligible at the number of entities a customs service sees: ~1e-6 at 10 million). -#}
{% macro hash_key(columns) -%}
    {{ return(adapter.dispatch('hash_key', 'customs_risk')(columns)) }}
{%- endmacro %}

{% macro default__hash_key(columns) -%}
    hashtextextended({{ columns | join(" || '|' || ") }}, 0)
{%- endmacro %}

{% macro duckdb__hash_key(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{#- The 64-bit join key of an entity (lane, entity_type, entity_value), computed where it is joined on:
    storing it beside a year of entity-days would cost a third of their bytes. -#}
{% macro entity_hash() -%}
    {{ hash_key(['lane', 'entity_type', 'entity_value']) }}
{%- endmacro %}

{#- Whole 7-day periods since 1970-01-01: an equality key for joins over windows of up to 7 days. -#}
{% macro week_bucket(date_expr) -%}
    cast(floor({{ days_between("cast('1970-01-01' as date)", date_expr) }} / 7.0) as integer)
{%- endmacro %}
