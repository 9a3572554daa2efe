{#-
    Exact declared values of a cargo item that recur with their outcomes: the same goods declared again at
    the same price and mass (a repeat declaration). key -> SQL expression over the declarations columns
    ({t} = the relation); NULL when a part is missing. Prices and masses are compared as exact numbers
    (their text form), never bucketed.
-#}
{% macro cargo_exact_value_keys() -%}
    {%- set price = 'cast({t}.item_price_krw as varchar)' -%}
    {%- set mass = 'cast({t}.net_mass_kg as varchar)' -%}
    {{ return({
        'price': price,
        'mass': mass,
        'price_mass': price ~ " || '|' || " ~ mass,
        'importer_price': "{t}.importer_id || '|' || " ~ price,
        'hs6_price': "{t}.hs6 || '|' || " ~ price,
    }) }}
{%- endmacro %}

{#- The exact-value feature columns of `relation`, comma-terminated (for the feature table's select list). -#}
{% macro exact_value_feature_columns(relation) -%}
    {%- for key in cargo_exact_value_keys() %}
        {{ relation }}.f_same_{{ key }}_prior_inspections,
        {{ relation }}.f_same_{{ key }}_hit_rate,
    {%- endfor %}
{%- endmacro %}
