{#- Building blocks of the point-in-time feature tables (fct_<lane>_features). -#}

{#-
    The rebuild window of a lane's feature table: its items' days (and `day_inputs`), the items whose own
    outcome changed, and the days after a newly recorded outcome, whose profiles change (an outcome
    recorded on day d is known from d + 1). See item_rebuild_window.
-#}
{% macro feature_rebuild_window(lane, day_inputs=[]) -%}
    {%- set item = lane_items()[lane] -%}
    {{ return(item_rebuild_window(lane, [(ref(item.model), item.date),
                                         (ref('int_item_outcomes'), add_days('first_inspection_date', 1))] + day_inputs)) }}
{%- endmacro %}

{#-
    The CTEs every feature table starts from: `items` (the lane's items this run rebuilds), their
    `outcomes` (the label), and the entity `profiles` and `lane_priors` of the days it rebuilds.
-#}
{% macro feature_inputs(lane, rebuild) -%}
{{ lane_items_and_outcomes(lane, rebuild) }}

-- not materialized (docs/warehouse.md): one join per entity type reads only its own profile rows.
profiles as not materialized (
    select * from {{ ref('int_entity_profiles') }} where lane = '{{ lane }}'
    {{ if_incremental('and as_of_date >= ' ~ rebuild.first_day) }}
),

lane_priors as (
    select * from {{ ref('int_lane_priors') }} where lane = '{{ lane }}'
    {{ if_incremental('and as_of_date >= ' ~ rebuild.first_day) }}
),
{%- endmacro %}

{#- The fixed head of every feature table: the item, its day and office, and its label (the model's interface). -#}
{% macro feature_keys(lane) -%}
    {%- set item = lane_items()[lane] %}
        items.{{ item.id }} as item_id,
        items.{{ item.date }} as item_date,
        items.office_id,
        outcomes.label,
        outcomes.selection_reason,
        coalesce(outcomes.is_audit, false) as is_audit,
{%- endmacro %}

{#-
    Joins of the item's label and of what was known at the start of its day: the lane prior (inner: every
    day has one) and the profile of each of its entities (profile_joins). Only `items` is referenced.
-#}
{% macro history_joins(lane) -%}
    {%- set item = lane_items()[lane] %}
    left join outcomes
        on outcomes.item_id = items.{{ item.id }}
    inner join lane_priors as lane_prior
        on lane_prior.as_of_date = items.{{ item.date }}
    {{- profile_joins(lane, item.date) }}
{%- endmacro %}

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
    Value per kg compared with the usual value per kg of the item's HS6 code in its lane: the median of the
    daily HS6 medians of the var('unit_value_reference_days') days before the item's day; 1.0 without a
    reference yet. Reads the CTE of unit_value_reference(), joined by unit_value_reference_join().
-#}
{% macro unit_value_vs_hs6_median(value, mass) -%}
    coalesce({{ safe_divide(safe_divide(value, mass), 'unit_value_reference.reference_unit_value') }}, 1.0)
{%- endmacro %}

{% macro unit_value_reference(lane, rebuild) -%}
unit_value_reference as (
    select * from {{ ref('int_hs6_unit_value_reference') }} where lane = '{{ lane }}'
    {{ if_incremental('and as_of_date >= ' ~ rebuild.first_day) }}
),
{%- endmacro %}

{% macro unit_value_reference_join(lane) -%}
    {%- set item = lane_items()[lane] %}
    left join unit_value_reference
        on unit_value_reference.hs6 = items.hs6
        and unit_value_reference.as_of_date = items.{{ item.date }}
{%- endmacro %}

{#-
    The window frame of "the `days` days before this row's day" ([d - days, d - 1]; every earlier day
    without `days`) over rows ordered by a whole day number: RANGE offsets on an integer run faster than
    intervals on a date in DuckDB, and DuckDB and PostgreSQL (11+) spell them alike.
-#}
{% macro prior_days_frame(days=none) -%}
    range between {{ 'unbounded' if days is none else days }} preceding and 1 preceding
{%- endmacro %}

{#-
    Point-in-time profile rows of the entity-days in `traffic` (lane, entity_type, entity_value, as_of_date,
    n_items_on_day, inputs_loaded_at; one row per entity and day) from `since` on (every day when none):
    the entity's traffic of the 365 days before as_of_date, and its outcomes in `outcomes` (lane,
    entity_type, entity_value, outcome_date, n_inspected, n_hits) recorded strictly before as_of_date,
    over all history and the last N days of `windows`.
    Window functions over each entity's rows ordered by day, so the cost grows with the rows (n log n),
    not with the days squared as joining every entity-day to its earlier days does: the traffic window
    over all traffic rows, the outcome windows only over the entities that have outcomes (most never
    do), each day of those entities once as traffic and once per outcome day.
    For the days from `since` on, `traffic` needs the entities' rows from since - 365 days and `outcomes`
    all of their outcome days; older rows are only read.
-#}
{% macro entity_profile_rows(traffic, outcomes, windows, since=none) %}
    {%- set entity = 'partition by lane, entity_type, entity_value order by day_number' %}
    {%- set epoch = "cast('1970-01-01' as date)" %}
    select
        traffic_windows.lane,
        traffic_windows.entity_type,
        traffic_windows.entity_value,
        traffic_windows.as_of_date,
        traffic_windows.n_items_on_day,
        coalesce(traffic_windows.n_prior_items_365d, 0) as n_prior_items_365d,
        coalesce(outcome_windows.n_inspected, 0) as n_inspected,
        coalesce(outcome_windows.n_hits, 0) as n_hits,
        traffic_windows.inputs_loaded_at
        {%- for window in windows %},
        coalesce(outcome_windows.n_inspected_{{ window }}d, 0) as n_inspected_{{ window }}d,
        coalesce(outcome_windows.n_hits_{{ window }}d, 0) as n_hits_{{ window }}d
        {%- endfor %}
    from (
        select
            lane, entity_type, entity_value, as_of_date, n_items_on_day, inputs_loaded_at,
            sum(n_items_on_day) over ({{ entity }} {{ prior_days_frame(365) }}) as n_prior_items_365d
        from (
            select lane, entity_type, entity_value, as_of_date, n_items_on_day, inputs_loaded_at,
                {{ days_between(epoch, 'as_of_date') }} as day_number
            from {{ traffic }}
        ) as traffic_days
    ) as traffic_windows
    left join (
        select * from (
            select
                lane, entity_type, entity_value, as_of_date, is_traffic_day,
                sum(inspected_on_day) over ({{ entity }} {{ prior_days_frame() }}) as n_inspected,
                sum(hits_on_day) over ({{ entity }} {{ prior_days_frame() }}) as n_hits
                {%- for window in windows %},
                sum(inspected_on_day) over ({{ entity }} {{ prior_days_frame(window) }}) as n_inspected_{{ window }}d,
                sum(hits_on_day) over ({{ entity }} {{ prior_days_frame(window) }}) as n_hits_{{ window }}d
                {%- endfor %}
            from (
                select traffic.lane, traffic.entity_type, traffic.entity_value, traffic.as_of_date,
                    {{ days_between(epoch, 'traffic.as_of_date') }} as day_number,
                    true as is_traffic_day, 0 as inspected_on_day, 0 as hits_on_day
                from {{ traffic }} as traffic
                inner join (select distinct lane, entity_type, entity_value from {{ outcomes }}) as inspected_entities
                    on inspected_entities.lane = traffic.lane
                    and inspected_entities.entity_type = traffic.entity_type
                    and inspected_entities.entity_value = traffic.entity_value
                union all
                select lane, entity_type, entity_value, outcome_date as as_of_date,
                    {{ days_between(epoch, 'outcome_date') }} as day_number,
                    false as is_traffic_day, n_inspected as inspected_on_day, n_hits as hits_on_day
                from {{ outcomes }}
            ) as entity_dates
        ) as all_outcome_windows
        where is_traffic_day
        {%- if since is not none %}
            and as_of_date >= {{ since }}
        {%- endif %}
    ) as outcome_windows
        on {{ same_entity_day('outcome_windows', 'traffic_windows') }}
    {%- if since is not none %}
    where traffic_windows.as_of_date >= {{ since }}
    {%- endif %}
{%- endmacro %}

{#- Join condition: `left` and `right` are rows of the same lane, entity and day. -#}
{% macro same_entity_day(left, right) -%}
    {%- for column in ['lane', 'entity_type', 'entity_value', 'as_of_date'] -%}
        {{ left }}.{{ column }} = {{ right }}.{{ column }}{{ ' and ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#-
    The same rows as entity_profile_rows, for the entity-days in `targets` only, which carry their prior
    traffic (n_prior_items_365d, found from int_entity_traffic_365d): their outcomes by joining each of them
    to the earlier rows of its entity in `outcomes` (few rows). The way of a short rebuild;
    entity_profile_rows is for many days.
-#}
{% macro entity_profile_rows_by_join(targets, outcomes, windows) %}
    select
        {{ targets }}.lane,
        {{ targets }}.entity_type,
        {{ targets }}.entity_value,
        {{ targets }}.as_of_date,
        {{ targets }}.n_items_on_day,
        {{ targets }}.n_prior_items_365d,
        coalesce(prior_outcomes.n_inspected, 0) as n_inspected,
        coalesce(prior_outcomes.n_hits, 0) as n_hits,
        {{ targets }}.inputs_loaded_at
        {%- for window in windows %},
        coalesce(prior_outcomes.n_inspected_{{ window }}d, 0) as n_inspected_{{ window }}d,
        coalesce(prior_outcomes.n_hits_{{ window }}d, 0) as n_hits_{{ window }}d
        {%- endfor %}
    from {{ targets }}
    left join (
        select
            t.lane, t.entity_type, t.entity_value, t.as_of_date,
            sum(outcome_days.n_inspected) as n_inspected,
            sum(outcome_days.n_hits) as n_hits
            {%- for window in windows %},
            sum(case when outcome_days.outcome_date >= {{ add_days('t.as_of_date', -window) }}
                then outcome_days.n_inspected else 0 end) as n_inspected_{{ window }}d,
            sum(case when outcome_days.outcome_date >= {{ add_days('t.as_of_date', -window) }}
                then outcome_days.n_hits else 0 end) as n_hits_{{ window }}d
            {%- endfor %}
        from {{ targets }} as t
        inner join {{ outcomes }} as outcome_days
            on outcome_days.lane = t.lane
            and outcome_days.entity_type = t.entity_type
            and outcome_days.entity_value = t.entity_value
            and outcome_days.outcome_date < t.as_of_date
        group by t.lane, t.entity_type, t.entity_value, t.as_of_date
    ) as prior_outcomes
        on {{ same_entity_day('prior_outcomes', targets) }}
{%- endmacro %}

{#-
    The final select of a feature table, in the form that stores it compactly: each day's items ordered so
    that those sharing an office and an entity's profile sit together (`order_by`: their repeated values
    then compress to runs), and the f_* columns of the model's yml as 4-byte floats, the precision XGBoost
    reads every feature in. `exact` names the declared amounts, kept in double precision so that the desk
    shows them as declared. A day's feature rows take about 40 % of the bytes they took in double precision
    and arrival order (docs/warehouse.md). DuckDB only; PostgreSQL keeps what the select builds.
-#}
{% macro stored_features(relation, order_by, exact=[]) -%}
    {{ return(adapter.dispatch('stored_features')(relation, order_by, exact)) }}
{%- endmacro %}

{% macro duckdb__stored_features(relation, order_by, exact) -%}
    {%- set floats = [] -%}
    {%- for name in model.get('columns', {}) if name.startswith('f_') and name not in exact -%}
        {%- do floats.append('cast(' ~ name ~ ' as float) as ' ~ name) -%}
    {%- endfor %}
select *{% if floats %} replace ({{ floats | join(', ') }}){% endif %}
from {{ relation }}
order by {{ (order_by + ['item_id']) | join(', ') }}
{%- endmacro %}

{#- PostgreSQL: as built, in double precision (it has no `* replace`, and its rows are not compressed). -#}
{% macro default__stored_features(relation, order_by, exact) -%}
select * from {{ relation }}
{%- endmacro %}
