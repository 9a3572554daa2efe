with

source as (
    select * from {{ source_or_empty('raw', 'travellers') }} as raw_rows
),

renamed as (
    select
        cast(arrival_id as varchar) as arrival_id,
        cast(arrival_date as date) as arrival_date,
        cast(office_id as varchar) as office_id,
        cast(traveller_key as varchar) as traveller_key,
        cast(traveller_name_key as varchar) as traveller_name_key,
        cast(nationality as varchar) as nationality,
        cast(flight_no as varchar) as flight_no,
        cast(origin_airport as varchar) as origin_airport,
        cast(transit_airport as varchar) as transit_airport,
        cast(booking_lead_days as bigint) as booking_lead_days,
        cast(ticket_payment as varchar) as ticket_payment,
        cast(trips_last_year as bigint) as trips_last_year,
        cast(source_country_visits as bigint) as source_country_visits,
        cast(bags_checked as bigint) as bags_checked,
        cast(declared_goods as varchar) as declared_goods,
        cast(_batch_date as date) as batch_date,
        cast(_loaded_at as timestamp) as loaded_at
    from source
)

select * from renamed
