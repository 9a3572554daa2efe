{{ config(materialized='incremental', unique_key='item_id', incremental_strategy='delete+insert', on_schema_change='fail') }}
-- Point-in-time features of import declarations, one row per declaration item: only outcomes recorded
-- before the declaration date (all history and 30/90/365-day windows) and traffic up to that day.
-- f_same_* columns: how earlier declarations of the same exact declared values ended (int_cargo_value_priors).
-- c_* columns are the declaration's raw codes, for the model to split on as native categories.
-- Incremental: the new days' items, the items of days after newly recorded outcomes (their profiles
-- change) and the items whose own outcome changed (macros/incremental.sql).
{%- set rebuild = item_rebuild_window('cargo', [(ref('stg_declarations'), 'declaration_date'), (ref('int_item_outcomes'), add_days('first_inspection_date', 1))]) %}
{%- set windows = ['all', 30, 90, 365] %}
{%- set code_columns = ['office_id', 'process_type', 'import_type', 'import_use', 'payment_type', 'transport_mode',
    'declarant_id', 'importer_id', 'seller_id', 'courier_id', 'hs6', 'departure_country', 'origin_country',
    'tax_type', 'origin_indicator'] %}

with

declarations as (
    select * from {{ ref('stg_declarations') }}
),

outcomes as (
    select * from {{ ref('int_item_outcomes') }} where lane = 'cargo'
),

profiles as (
    select * from {{ ref('int_entity_profiles') }} where lane = 'cargo'
    {%- if is_incremental() %}
    and as_of_date >= {{ rebuild.first_day }}
    {%- endif %}
),

lane_priors as (
    select * from {{ ref('int_lane_priors') }} where lane = 'cargo'
    {%- if is_incremental() %}
    and as_of_date >= {{ rebuild.first_day }}
    {%- endif %}
),

unit_value_reference as (
    select * from {{ ref('int_hs6_unit_value_reference') }} where lane = 'cargo'
    {%- if is_incremental() %}
    and as_of_date >= {{ rebuild.first_day }}
    {%- endif %}
),

exact_value_priors as (
    select * from {{ ref('int_cargo_value_priors') }}
),

items as (
    select * from declarations
    {%- if is_incremental() %}
    where {{ item_rebuild_filter(rebuild, 'declarations.declaration_id', 'declarations.declaration_date') }}
    {%- endif %}
),

importer_seller_first_seen as (
    select importer_id, seller_id, min(declaration_date) as first_seen_date
    from declarations
    where seller_id is not null
    {%- if is_incremental() %}
    and importer_id in (select importer_id from items)
    {%- endif %}
    group by importer_id, seller_id
),

declaration_features as (
    select
        items.declaration_id as item_id,
        items.item_price_krw as f_item_price_krw,
        items.net_mass_kg as f_net_mass_kg,
        coalesce({{ safe_divide('items.item_price_krw', 'items.net_mass_kg') }}, 0) as f_unit_value_krw_per_kg,
        coalesce({{ safe_divide(safe_divide('items.item_price_krw', 'items.net_mass_kg'), 'unit_value_reference.reference_unit_value') }}, 1.0)
            as f_unit_value_vs_hs6_median,
        items.tax_rate as f_tax_rate,
        cast(case when items.tax_type like 'F%' then 1 else 0 end as double precision) as f_is_fta_tax_type,
        cast(case when items.origin_country <> items.departure_country then 1 else 0 end as double precision)
            as f_origin_ne_departure,
        cast(case when items.origin_indicator = 'N' then 1 else 0 end as double precision) as f_origin_indicator_n,
        cast(substr(items.hs6, 1, 2) as double precision) as f_hs_chapter,
        cast(case when importer_seller_first_seen.first_seen_date = items.declaration_date then 1 else 0 end
            as double precision) as f_is_new_importer_seller,
        {%- for column in code_columns %}
        items.{{ column }} as c_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from items
    left join unit_value_reference
        on unit_value_reference.hs6 = items.hs6
        and unit_value_reference.as_of_date = items.declaration_date
    left join importer_seller_first_seen
        on importer_seller_first_seen.importer_id = items.importer_id
        and importer_seller_first_seen.seller_id = items.seller_id
),

history_features as (
    select
        items.declaration_id as item_id,
        {{ profile_features('cargo', windows) }}
        -- How usual this origin indicator is for this origin country over the prior 365 days (smoothed share
        -- over the six indicator codes): a rare marking for the origin is an origin-fraud signal.
        (coalesce(origin_indicator.n_prior_items_365d, 0) + 1.0)
            / (coalesce(origin.n_prior_items_365d, 0) + 6.0) as f_origin_indicator_consistency,
        lane_prior.prior_hit_rate as f_lane_prior_hit_rate
    from items
    inner join lane_priors as lane_prior
        on lane_prior.as_of_date = items.declaration_date
    {{ profile_joins('cargo', 'declaration_date') }}
),

final as (
    select
        items.declaration_id as item_id,
        items.declaration_date as item_date,
        items.office_id,
        outcomes.label,
        outcomes.selection_reason,
        coalesce(outcomes.is_audit, false) as is_audit,
        declaration_features.f_item_price_krw,
        declaration_features.f_net_mass_kg,
        declaration_features.f_unit_value_krw_per_kg,
        declaration_features.f_unit_value_vs_hs6_median,
        declaration_features.f_tax_rate,
        declaration_features.f_is_fta_tax_type,
        declaration_features.f_origin_ne_departure,
        declaration_features.f_origin_indicator_n,
        declaration_features.f_hs_chapter,
        declaration_features.f_is_new_importer_seller,
        {%- for column in code_columns %}
        declaration_features.c_{{ column }},
        {%- endfor %}
        {{ profile_feature_columns('cargo', 'history_features', windows) }}
        history_features.f_origin_indicator_consistency,
        history_features.f_lane_prior_hit_rate,
        {{- exact_value_feature_columns('exact_value_priors') }}
        {{ rebuild.loaded_through }} as inputs_loaded_at
    from items
    inner join declaration_features on declaration_features.item_id = items.declaration_id
    inner join history_features on history_features.item_id = items.declaration_id
    inner join exact_value_priors on exact_value_priors.item_id = items.declaration_id
    left join outcomes on outcomes.item_id = items.declaration_id
)

select * from final
