{{ config(materialized='incremental', unique_key='item_id', incremental_strategy='delete_insert_since',
          rebuild_date_column='item_date') }}
-- Point-in-time features of import declarations, one row per declaration item: only outcomes recorded
-- before the declaration date (all history and 30/90/365-day windows) and traffic up to that day.
-- f_same_* columns: how earlier declarations of the same exact declared values ended (int_cargo_value_priors).
-- c_* columns are the declaration's raw codes, for the model to split on as native categories.
-- What each column means: the yml beside. Incremental: see feature_rebuild_window (macros/features.sql).
{%- set rebuild = feature_rebuild_window('cargo') %}
{%- set windows = ['all', 30, 90, 365] %}
{%- set code_columns = ['office_id', 'process_type', 'import_type', 'import_use', 'payment_type', 'transport_mode',
    'declarant_id', 'importer_id', 'seller_id', 'courier_id', 'hs6', 'departure_country', 'origin_country',
    'tax_type', 'origin_indicator'] %}

with

{{ feature_inputs('cargo', rebuild) }}

declarations as (
    select * from {{ ref('stg_declarations') }}
),

{{ unit_value_reference('cargo', rebuild) }}

exact_value_priors as (
    select * from {{ ref('int_cargo_value_priors') }}
),

importer_seller_first_seen as (
    select importer_id, seller_id, min(declaration_date) as first_seen_date
    from declarations
    where seller_id is not null
    {{ if_incremental('and importer_id in (select importer_id from items)') }}
    group by importer_id, seller_id
),

final as (
    select
        {{- feature_keys('cargo') }}
        -- the declaration as filed
        items.item_price_krw as f_item_price_krw,
        items.net_mass_kg as f_net_mass_kg,
        coalesce({{ safe_divide('items.item_price_krw', 'items.net_mass_kg') }}, 0) as f_unit_value_krw_per_kg,
        {{ unit_value_vs_hs6_median('items.item_price_krw', 'items.net_mass_kg') }} as f_unit_value_vs_hs6_median,
        items.tax_rate as f_tax_rate,
        cast(case when items.tax_type like 'F%' then 1 else 0 end as double precision) as f_is_fta_tax_type,
        cast(case when items.origin_country <> items.departure_country then 1 else 0 end as double precision)
            as f_origin_ne_departure,
        cast(case when items.origin_indicator = 'N' then 1 else 0 end as double precision) as f_origin_indicator_n,
        cast(substr(items.hs6, 1, 2) as double precision) as f_hs_chapter,
        cast(case when importer_seller_first_seen.first_seen_date = items.declaration_date then 1 else 0 end
            as double precision) as f_is_new_importer_seller,
        {%- for column in code_columns %}
        items.{{ column }} as c_{{ column }},
        {%- endfor %}
        -- what was known of the declaration's entities at the start of its day
        {{- profile_features('cargo', windows) }}
        -- How usual this origin indicator is for this origin country over the prior 365 days (smoothed share
        -- over the six indicator codes): a rare marking for the origin is an origin-fraud signal.
        (coalesce(origin_indicator.n_prior_items_365d, 0) + 1.0)
            / (coalesce(origin.n_prior_items_365d, 0) + 6.0) as f_origin_indicator_consistency,
        lane_prior.prior_hit_rate as f_lane_prior_hit_rate,
        -- how earlier declarations of the same exact declared values ended
        {{- exact_value_feature_columns('exact_value_priors') }}
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from items
    {{- unit_value_reference_join('cargo') }}
    left join importer_seller_first_seen
        on importer_seller_first_seen.importer_id = items.importer_id
        and importer_seller_first_seen.seller_id = items.seller_id
    {{- history_joins('cargo') }}
    inner join exact_value_priors on exact_value_priors.item_id = items.declaration_id
)

{{ stored_features('final', order_by=['item_date', 'office_id', 'f_origin_hit_rate', 'f_hs6_hit_rate'],
                   exact=['f_item_price_krw', 'f_net_mass_kg']) }}
