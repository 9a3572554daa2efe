{#- Building blocks of the point-in-time feature tables. -#}

{#- Smoothed hit rate: (hits + prior * m) / (n + m), m = var('hit_rate_smoothing'). -#}
{% macro smoothed_rate(hits, n, prior) -%}
    ((coalesce({{ hits }}, 0) + ({{ prior }}) * {{ var('hit_rate_smoothing') }})
        / cast(coalesce({{ n }}, 0) + {{ var('hit_rate_smoothing') }} as double precision))
{%- endmacro %}

{#- Left joins of the lane's entity profiles (alias = entity type) onto `items` on the item's date. -#}
{% macro profile_joins(lane, date_column) -%}
    {%- for entity_type, expr in lane_entities(lane).items() if entity_type != 'lane' %}
    left join profiles as {{ entity_type }}
        on {{ entity_type }}.entity_type = '{{ entity_type }}'
        and {{ entity_type }}.entity_value = cast({{ expr.replace('{t}', 'items') }} as varchar)
        and {{ entity_type }}.as_of_date = items.{{ date_column }}
    {%- endfor %}
{%- endmacro %}

{#-
    f_<entity>_prior_inspections[_Nd], f_<entity>_hit_rate[_Nd] for each window ('all' = all history)
    and f_<entity>_prior_items_365d (traffic). Needs the joins above and a `lane_prior` relation.
-#}
{% macro profile_features(lane, windows=['all'], with_traffic=true) -%}
    {%- for entity_type in lane_entities(lane) if entity_type != 'lane' %}
        {%- for window in windows %}
            {%- set suffix = '' if window == 'all' else '_' ~ window ~ 'd' %}
        cast(coalesce({{ entity_type }}.n_inspected{{ suffix }}, 0) as double precision) as f_{{ entity_type }}_prior_inspections{{ suffix }},
        {{ smoothed_rate(entity_type ~ '.n_hits' ~ suffix, entity_type ~ '.n_inspected' ~ suffix, 'lane_prior.prior_hit_rate') }} as f_{{ entity_type }}_hit_rate{{ suffix }},
        {%- endfor %}
        {%- if with_traffic %}
        cast(coalesce({{ entity_type }}.n_prior_items_365d, 0) as double precision) as f_{{ entity_type }}_prior_items_365d,
        {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#-
    Incremental feature tables rebuild: the last var('feature_lookback_days') days, items not yet in the
    table (late arrivals), and items whose outcome (label, selection reason) changed since they were built.
-#}
{% macro feature_rebuild_filter(lane, id_column, date_column) -%}
    {{ date_column }} >= (select {{ add_days('max(item_date)', -var('feature_lookback_days')) }} from {{ this }})
    or not exists (select 1 from {{ this }} as built where built.item_id = {{ id_column }})
    or exists (
        select 1
        from {{ ref('int_item_outcomes') }} as outcome
        inner join {{ this }} as built on built.item_id = outcome.item_id
        where outcome.lane = '{{ lane }}'
            and outcome.item_id = {{ id_column }}
            and (built.label is distinct from outcome.label
                or built.selection_reason is distinct from outcome.selection_reason)
    )
{%- endmacro %}

{#- The column names profile_features() produces, qualified by `relation`, comma-terminated. -#}
{% macro profile_feature_columns(lane, relation, windows=['all'], with_traffic=true) -%}
    {%- for entity_type in lane_entities(lane) if entity_type != 'lane' %}
        {%- for window in windows %}
            {%- set suffix = '' if window == 'all' else '_' ~ window ~ 'd' %}
        {{ relation }}.f_{{ entity_type }}_prior_inspections{{ suffix }},
        {{ relation }}.f_{{ entity_type }}_hit_rate{{ suffix }},
        {%- endfor %}
        {%- if with_traffic %}
        {{ relation }}.f_{{ entity_type }}_prior_items_365d,
        {%- endif %}
    {%- endfor %}
{%- endmacro %}
