with

source as (
    select * from {{ source_or_empty('raw', 'cctv_events') }} as raw_rows
),

renamed as (
    select
        cast(event_id as varchar) as event_id,
        cast(event_time as timestamp) as event_time,
        cast(camera_id as varchar) as camera_id,
        cast(zone as varchar) as zone,
        cast(event_type as varchar) as event_type,
        cast(track_id as varchar) as track_id,
        cast(traveller_key as varchar) as traveller_key,
        cast(match_score as double precision) as match_score,
        cast(_batch_date as date) as batch_date,
        cast(_loaded_at as timestamp) as loaded_at
    from source
)

select * from renamed
