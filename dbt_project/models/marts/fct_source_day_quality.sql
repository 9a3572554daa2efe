-- Data quality per source and landing day: rows loaded, rows quarantined and the top reason, when the
-- day was loaded, and whether the day is missing although other sources delivered it (late or lost feed).
-- The day spine is every batch day seen for any source, so a day no source delivered does not appear.
{%- set sources = {
    'declarations': 'stg_declarations',
    'shipments': 'stg_shipments',
    'travellers': 'stg_travellers',
    'cctv_events': 'stg_cctv_events',
    'inspections': 'stg_inspections',
} %}

with

{% for source, model in sources.items() -%}
{{ source }}_batches as (
    select '{{ source }}' as source, batch_date, count(*) as rows_loaded, max(loaded_at) as loaded_at
    from {{ ref(model) }}
    group by batch_date
),

{% endfor -%}
quarantine as (
    select * from {{ ref('stg_quarantine') }}
),

loaded as (
    {%- for source in sources %}
    select * from {{ source }}_batches
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

quarantine_reasons as (
    select source, batch_date, expectation, count(*) as n_rows, max(quarantined_at) as quarantined_at
    from quarantine
    group by source, batch_date, expectation
),

ranked_reasons as (
    select
        *,
        row_number() over (partition by source, batch_date order by n_rows desc, expectation) as reason_rank
    from quarantine_reasons
),

quarantined as (
    select
        source,
        batch_date,
        sum(n_rows) as rows_quarantined,
        max(case when reason_rank = 1 then expectation end) as top_quarantine_reason,
        max(case when reason_rank = 1 then n_rows end) as top_quarantine_reason_rows,
        max(quarantined_at) as quarantined_at
    from ranked_reasons
    group by source, batch_date
),

source_names as (
    {%- for source in sources %}
    select '{{ source }}' as source
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

days as (
    select batch_date from loaded
    union
    select batch_date from quarantined
),

spine as (
    select source_names.source, days.batch_date
    from source_names
    cross join days
),

final as (
    select
        spine.source || '|' || cast(spine.batch_date as varchar) as source_day_key,
        spine.source,
        spine.batch_date,
        coalesce(loaded.rows_loaded, 0) as rows_loaded,
        coalesce(quarantined.rows_quarantined, 0) as rows_quarantined,
        {{ safe_divide('coalesce(quarantined.rows_quarantined, 0)',
                       'coalesce(loaded.rows_loaded, 0) + coalesce(quarantined.rows_quarantined, 0)') }}
            as quarantine_share,
        quarantined.top_quarantine_reason,
        quarantined.top_quarantine_reason_rows,
        coalesce(loaded.loaded_at, quarantined.quarantined_at) as loaded_at,
        {{ minutes_between('cast(' ~ add_days('spine.batch_date', 1) ~ ' as timestamp)',
                           'coalesce(loaded.loaded_at, quarantined.quarantined_at)') }} / 60.0
            as hours_after_day_end,
        loaded.batch_date is null and quarantined.batch_date is null as is_missing
    from spine
    left join loaded
        on loaded.source = spine.source
        and loaded.batch_date = spine.batch_date
    left join quarantined
        on quarantined.source = spine.source
        and quarantined.batch_date = spine.batch_date
)

select * from final
