"""What the desk shows of each lane's items: which mart holds the facts, which facts, which parties.

Facts are the marts' columns (``fct_shipments``, ``fct_declarations``, ``fct_travellers``), where
personal identifiers already are pseudonymous keys (``core.contracts``: ``pseudonym_as``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LaneView:
    table: str                                  # marts table of the items
    id_column: str
    date_column: str
    facts: tuple[tuple[str, str], ...]          # (column, label) shown on the item page, in order
    list_facts: tuple[str, ...]                 # the fact labels shown as list columns
    parties: tuple[tuple[str, str], ...]        # (column, label): whose history the item page shows
    keys: tuple[str, ...] = ()                  # pseudonymous keys: shortened on pages


VIEWS = {
    "express": LaneView(
        table="fct_shipments", id_column="waybill_id", date_column="arrival_date",
        facts=(("hs6", "HS6"), ("item_description", "Description"), ("declared_value_usd", "Declared value (USD)"),
               ("weight_kg", "Weight (kg)"), ("quantity", "Quantity"), ("origin_country", "Origin"),
               ("departure_country", "Departure"), ("courier_id", "Courier"), ("platform", "Platform"),
               ("seller_id", "Seller"), ("consignee_key", "Consignee (pseudonymous key)"),
               ("consignee_region", "Consignee region")),
        list_facts=("HS6", "Description", "Declared value (USD)", "Weight (kg)", "Origin", "Departure", "Courier",
                    "Seller", "Consignee (pseudonymous key)"),
        parties=(("seller_id", "Seller"), ("consignee_key", "Consignee"), ("courier_id", "Courier")),
        keys=("consignee_key",),
    ),
    "cargo": LaneView(
        table="fct_declarations", id_column="declaration_id", date_column="declaration_date",
        facts=(("hs6", "HS6"), ("item_price_krw", "Declared value (KRW)"), ("net_mass_kg", "Net mass (kg)"),
               ("origin_country", "Origin"), ("departure_country", "Departure"), ("courier_id", "Courier"),
               ("importer_id", "Importer"), ("seller_id", "Seller"), ("declarant_id", "Declarant"),
               ("tax_rate", "Duty rate (%)"), ("tax_type", "Tariff type"), ("origin_indicator", "Origin marking"),
               ("process_type", "Process type"), ("import_type", "Import type"), ("import_use", "Import use"),
               ("payment_type", "Payment type"), ("transport_mode", "Transport mode")),
        list_facts=("HS6", "Declared value (KRW)", "Net mass (kg)", "Origin", "Departure", "Courier", "Importer",
                    "Seller"),
        parties=(("importer_id", "Importer"), ("seller_id", "Seller"), ("declarant_id", "Declarant")),
    ),
    "traveller": LaneView(
        table="fct_travellers", id_column="arrival_id", date_column="arrival_date",
        facts=(("flight_no", "Flight"), ("origin_airport", "Journey began at"), ("transit_airport", "Transit"),
               ("nationality", "Nationality"), ("traveller_key", "Traveller (pseudonymous key)"),
               ("booking_lead_days", "Booked (days before)"), ("ticket_payment", "Ticket paid by"),
               ("trips_last_year", "Trips last year"), ("source_country_visits", "Visits to source countries"),
               ("bags_checked", "Bags checked"), ("declared_goods", "Declared goods"),
               ("cctv_events", "Camera events"), ("cctv_bag_handovers", "Bag handovers seen"),
               ("cctv_loiters", "Loitering seen")),
        list_facts=("Flight", "Journey began at", "Transit", "Nationality", "Traveller (pseudonymous key)",
                    "Bags checked", "Declared goods"),
        parties=(("traveller_key", "Traveller"),),
        keys=("traveller_key",),
    ),
}


def view(lane: str) -> LaneView:
    try:
        return VIEWS[lane]
    except KeyError:
        raise ValueError(f"unknown lane {lane!r}; expected one of {', '.join(VIEWS)}") from None


def short_key(value) -> str:
    """A pseudonymous key as shown: its first 12 characters are enough to tell parties apart."""
    return str(value)[:12] if value is not None else ""
