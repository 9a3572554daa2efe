{#- The three risk lanes: which staging model holds their items, and which entities they are profiled by. -#}

{% macro lane_items() -%}
    {{ return({
        'cargo': {'model': 'stg_declarations', 'id': 'declaration_id', 'date': 'declaration_date'},
        'express': {'model': 'stg_shipments', 'id': 'waybill_id', 'date': 'arrival_date'},
        'traveller': {'model': 'stg_travellers', 'id': 'arrival_id', 'date': 'arrival_date'},
    }) }}
{%- endmacro %}

{#-
    entity type -> SQL expression over the lane's staging columns ({t} = the items relation). Every item gets one profile row per
    entity per day (int_entity_profiles); the `lane` entity gives the lane-wide prior hit rate.
-#}
{% macro lane_entities(lane) -%}
    {%- set entities = {
        'cargo': {
            'lane': "'cargo'",
            'importer': '{t}.importer_id',
            'declarant': '{t}.declarant_id',
            'seller': '{t}.seller_id',
            'hs6': '{t}.hs6',
            'origin': '{t}.origin_country',
            'office': '{t}.office_id',
            'origin_indicator': "{t}.origin_country || '/' || {t}.origin_indicator",
        },
        'express': {
            'lane': "'express'",
            'consignee': '{t}.consignee_key',
            'seller': '{t}.seller_id',
            'origin': '{t}.origin_country',
            'hs6': '{t}.hs6',
        },
        'traveller': {
            'lane': "'traveller'",
            'traveller': '{t}.traveller_key',
            'origin_airport': '{t}.origin_airport',
            'transit_airport': '{t}.transit_airport',
            'flight': '{t}.flight_no',
        },
    } -%}
    {{ return(entities[lane]) }}
{%- endmacro %}

{#- (staging relation, date column) of every lane's items: the inputs of rebuild_since for item traffic.
    Call it outside `is_incremental()` blocks, so dbt sees the refs when it parses the model. -#}
{% macro lane_item_inputs() -%}
    {%- set inputs = [] -%}
    {%- for lane, item in lane_items().items() -%}
        {%- do inputs.append((ref(item.model), item.date)) -%}
    {%- endfor -%}
    {{ return(inputs) }}
{%- endmacro %}
