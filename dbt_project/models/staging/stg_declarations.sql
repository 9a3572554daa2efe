with

source as (
    select * from {{ source_or_empty('raw', 'declarations') }} as raw_rows
),

renamed as (
    select
        cast(declaration_id as varchar) as declaration_id,
        cast(declaration_date as date) as declaration_date,
        cast(office_id as varchar) as office_id,
        cast(process_type as varchar) as process_type,
        cast(import_type as varchar) as import_type,
        cast(import_use as varchar) as import_use,
        cast(payment_type as varchar) as payment_type,
        cast(transport_mode as varchar) as transport_mode,
        cast(declarant_id as varchar) as declarant_id,
        cast(importer_id as varchar) as importer_id,
        cast(seller_id as varchar) as seller_id,
        cast(courier_id as varchar) as courier_id,
        cast(hs6 as varchar) as hs6,
        cast(departure_country as varchar) as departure_country,
        cast(origin_country as varchar) as origin_country,
        cast(tax_rate as double precision) as tax_rate,
        cast(tax_type as varchar) as tax_type,
        cast(origin_indicator as varchar) as origin_indicator,
        cast(net_mass_kg as double precision) as net_mass_kg,
        cast(item_price_krw as double precision) as item_price_krw,
        cast(_batch_date as date) as batch_date,
        cast(_loaded_at as timestamp) as loaded_at
    from source
)

select * from renamed
