with

source as (
    select * from {{ source_or_empty('raw', 'quarantine') }} as raw_rows
),

renamed as (
    select
        cast(source as varchar) as source,
        cast(batch_date as date) as batch_date,
        cast(source_file as varchar) as source_file,
        cast(line as bigint) as line,
        cast(expectation as varchar) as expectation,
        cast(reason as varchar) as reason,
        cast(raw_values as varchar) as raw_values,
        cast(quarantined_at as timestamp) as quarantined_at
    from source
)

select * from renamed
