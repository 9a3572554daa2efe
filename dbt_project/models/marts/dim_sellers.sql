-- Overseas sellers of cargo declarations and express parcels, one row per seller_id, plus 'unknown'.
{{ entity_dimension('seller_id', 'seller', ['cargo', 'express']) }}
