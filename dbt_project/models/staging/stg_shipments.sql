with

source as (
    select * from {{ source_or_empty('raw', 'shipments') }} as raw_rows
),

renamed as (
    select
        cast(waybill_id as varchar) as waybill_id,
        cast(arrival_date as date) as arrival_date,
        cast(office_id as varchar) as office_id,
        cast(courier_id as varchar) as courier_id,
        cast(platform as varchar) as platform,
        cast(seller_id as varchar) as seller_id,
        cast(consignee_key as varchar) as consignee_key,
        cast(consignee_name_key as varchar) as consignee_name_key,
        cast(item_description as varchar) as item_description,
        cast(hs6 as varchar) as hs6,
        cast(quantity as bigint) as quantity,
        cast(declared_value_usd as double precision) as declared_value_usd,
        cast(weight_kg as double precision) as weight_kg,
        cast(origin_country as varchar) as origin_country,
        cast(departure_country as varchar) as departure_country,
        cast(consignee_region as varchar) as consignee_region,
        cast(_batch_date as date) as batch_date,
        cast(_loaded_at as timestamp) as loaded_at
    from source
)

select * from renamed
