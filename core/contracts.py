"""Data contracts: the one definition of each landing source.

The Great Expectations suites (``expectations.suites``), the dbt sources (``dbt_project/models/staging/
__sources.yml``, checked against these by a test) and the simulator (``simworld.simulator``) all derive
from the objects below. Change a field here and the three move together.

Personal identifiers carry ``pseudonym_as``: at landing the raw column is replaced by a keyed hash
under that name, so the warehouse never sees the raw value.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Regular expressions shared by several fields. They are applied to the raw text of a landing file.
INT = r"^-?\d+$"
NUMBER = r"^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$"
DATE = r"^\d{4}-\d{2}-\d{2}$"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?$"
HS6 = r"^\d{6}$"
COUNTRY = r"^[A-Z]{2}$"
AIRPORT = r"^[A-Z]{3}$"
CODE = r"^[0-9A-Za-z_-]{1,32}$"

TYPE_PATTERNS = {"int": INT, "float": NUMBER, "date": DATE, "timestamp": TIMESTAMP}

# Offices that receive each lane's traffic in the synthetic world. KCS cargo offices are two-digit codes;
# unknown offices are loaded and surface as 'unknown' members in the dimensions, so only the format is checked.
OFFICES = {
    "cargo": ("10", "12", "13", "16", "20", "21", "30", "33", "39", "40", "62", "80"),
    "express": ("IEX", "ISE", "PEX", "GEX"),        # Incheon air express, Incheon sea express, Pyeongtaek, Gimpo
    "traveller": ("ICN1", "ICN2", "GMP", "PUS", "CJU"),
}
LANES = tuple(OFFICES)

# Upper bounds of the money and mass fields: far above any real item (the largest KCS 2020 item is 6e7 kg and
# 7e9 KRW), but finite, so an overflowed number ("1e999" -> inf) or a run-on digit string is quarantined.
MAX_KRW = 1e14
MAX_MASS_KG = 1e9


@dataclass(frozen=True)
class Field:
    name: str
    dtype: str = "string"          # string | int | float | date | timestamp
    required: bool = True
    description: str = ""
    pattern: str | None = None     # regex on the raw text, beside the type's own pattern
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    pseudonym_as: str | None = None  # personal identifier: replaced by HMAC-SHA256 under this column name
    kcs_name: str | None = None    # header in the KCS import declaration files

    @property
    def warehouse_name(self) -> str:
        return self.pseudonym_as or self.name

    @property
    def warehouse_dtype(self) -> str:
        return "string" if self.pseudonym_as else self.dtype

    def raw_patterns(self) -> list[str]:
        return [p for p in (TYPE_PATTERNS.get(self.dtype), self.pattern) if p]


@dataclass(frozen=True)
class Contract:
    name: str
    lane: str | None               # the risk lane whose items this source describes (None: all lanes)
    fmt: str                       # csv | jsonl
    key: str                       # unique id of a row
    day_column: str                # the column that must fall on the batch day
    description: str
    fields: tuple[Field, ...] = field(default_factory=tuple)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def warehouse_columns(self) -> list[str]:
        return list(dict.fromkeys(f.warehouse_name for f in self.fields))

    @property
    def warehouse_fields(self) -> list[Field]:
        """One field per warehouse column (two raw fields may share a pseudonym column name)."""
        seen: dict[str, Field] = {}
        for f in self.fields:
            seen.setdefault(f.warehouse_name, f)
        return list(seen.values())

    @property
    def file_name(self) -> str:
        return f"{self.name}.{self.fmt}"

    @property
    def table(self) -> str:
        return self.name

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


DECLARATIONS = Contract(
    name="declarations", lane="cargo", fmt="csv", key="declaration_id", day_column="declaration_date",
    description="Import declarations of general cargo, one row per declared item (KCS import form).",
    fields=(
        Field("declaration_id", pattern=CODE, kcs_name="Declaration ID", description="Declaration item id."),
        Field("declaration_date", "date", kcs_name="Date", description="Date the declaration was filed."),
        Field("office_id", pattern=r"^\d{2,3}$", kcs_name="Office ID", description="Customs office handling it."),
        Field("process_type", pattern=CODE, kcs_name="Process Type", description="Clearance process code."),
        Field("import_type", pattern=CODE, kcs_name="Import Type", description="Import type code."),
        Field("import_use", pattern=CODE, kcs_name="Import Use", description="Declared use of the goods."),
        Field("payment_type", pattern=CODE, kcs_name="Payment Type", description="Payment method code."),
        Field("transport_mode", pattern=CODE, kcs_name="Mode of Transport", description="10 sea, 40 air, ..."),
        Field("declarant_id", pattern=CODE, kcs_name="Declarant ID", description="Customs broker filing it."),
        Field("importer_id", pattern=CODE, kcs_name="Importer ID", description="Importing business."),
        Field("seller_id", required=False, pattern=CODE, kcs_name="Seller ID", description="Overseas seller."),
        Field("courier_id", required=False, pattern=CODE, kcs_name="Courier ID", description="Express carrier."),
        Field("hs6", pattern=HS6, kcs_name="HS6 Code", description="Harmonized System code, 6 digits."),
        Field("departure_country", pattern=COUNTRY, kcs_name="Country of Departure", description="ISO-2."),
        Field("origin_country", pattern=COUNTRY, kcs_name="Country of Origin", description="ISO-2."),
        Field("tax_rate", "float", min_value=0, max_value=1000, kcs_name="Tax Rate", description="Duty rate, %."),
        Field("tax_type", pattern=CODE, kcs_name="Tax Type", description="Tariff type (A basic, F.. FTA)."),
        Field("origin_indicator", allowed=("B", "E", "G", "N", "S", "Y"), kcs_name="Country of Origin Indicator",
              description="How the origin is marked on the goods."),
        Field("net_mass_kg", "float", min_value=0, max_value=MAX_MASS_KG, kcs_name="Net Mass",
              description="Net mass, kg."),
        Field("item_price_krw", "float", min_value=0, max_value=MAX_KRW, kcs_name="Item Price",
              description="Assessed value, KRW."),
    ),
)

SHIPMENTS = Contract(
    name="shipments", lane="express", fmt="csv", key="waybill_id", day_column="arrival_date",
    description="Express and e-commerce parcels under list clearance, one row per waybill.",
    fields=(
        Field("waybill_id", pattern=r"^[A-Z0-9]{8,20}$", description="Air waybill / house B/L number."),
        Field("arrival_date", "date", description="Day the parcel arrived."),
        Field("office_id", allowed=OFFICES["express"], description="Express customs office."),
        Field("courier_id", pattern=CODE, description="Express carrier."),
        Field("platform", pattern=CODE, description="E-commerce platform the goods were bought on."),
        Field("seller_id", pattern=CODE, description="Overseas seller."),
        Field("consignee_pccc", pattern=r"^P\d{12}$", pseudonym_as="consignee_key",
              description="Personal customs clearance code of the consignee (pseudonymised)."),
        Field("consignee_name", pseudonym_as="consignee_name_key", description="Consignee's name (pseudonymised)."),
        Field("item_description", description="Free-text description of the goods."),
        Field("hs6", pattern=HS6, description="Harmonized System code, 6 digits."),
        Field("quantity", "int", min_value=1, max_value=100_000, description="Number of units."),
        Field("declared_value_usd", "float", min_value=0, max_value=10_000_000, description="Declared value, USD."),
        Field("weight_kg", "float", min_value=0, max_value=100_000, description="Gross weight, kg."),
        Field("origin_country", pattern=COUNTRY, description="ISO-2 country of origin."),
        Field("departure_country", pattern=COUNTRY, description="ISO-2 country the parcel left from."),
        Field("consignee_region", pattern=CODE, description="Province of the delivery address."),
    ),
)

TRAVELLERS = Contract(
    name="travellers", lane="traveller", fmt="csv", key="arrival_id", day_column="arrival_date",
    description="Arriving international travellers from API/PNR, one row per arrival.",
    fields=(
        Field("arrival_id", pattern=r"^T[0-9]{6,}$", description="Id of this arrival (not of the person)."),
        Field("arrival_date", "date", description="Day of arrival."),
        Field("office_id", allowed=OFFICES["traveller"], description="Arrival airport terminal office."),
        Field("passport_no", pattern=r"^[A-Z][A-Z0-9]{7,8}$", pseudonym_as="traveller_key",
              description="Passport number (pseudonymised into the traveller key)."),
        Field("traveller_name", pseudonym_as="traveller_name_key", description="Name (pseudonymised)."),
        Field("nationality", pattern=COUNTRY, description="ISO-2 nationality."),
        Field("flight_no", pattern=r"^[A-Z0-9]{2}\d{1,4}$", description="Arriving flight."),
        Field("origin_airport", pattern=AIRPORT, description="IATA code where the journey began."),
        Field("transit_airport", required=False, pattern=AIRPORT, description="IATA code of a transit stop."),
        Field("booking_lead_days", "int", min_value=0, max_value=400, description="Days between booking and flight."),
        Field("ticket_payment", allowed=("card", "cash", "miles", "corporate"), description="How the ticket was paid."),
        Field("trips_last_year", "int", min_value=0, max_value=3650,
              description="International trips in the last 12 months."),
        Field("source_country_visits", "int", min_value=0, max_value=1000,
              description="Visits to drug-source countries in the last 3 years (from passport history)."),
        Field("bags_checked", "int", min_value=0, max_value=20, description="Checked bags."),
        Field("declared_goods", allowed=("Y", "N"), description="Whether goods were declared."),
    ),
)

CCTV_EVENTS = Contract(
    name="cctv_events", lane="traveller", fmt="jsonl", key="event_id", day_column="event_time",
    description="AI-CCTV event log of the arrival areas (no images): tracks, zones and face matches.",
    fields=(
        Field("event_id", pattern=r"^E[0-9]{6,}$", description="Event id."),
        Field("event_time", "timestamp", description="When the camera saw it (local time)."),
        Field("camera_id", pattern=CODE, description="Camera."),
        Field("zone", allowed=("immigration", "arrival_hall", "baggage_claim", "customs_lane", "exit"),
              description="Area the camera watches."),
        Field("event_type", allowed=("track_start", "seen", "bag_handover", "loiter", "track_end"),
              description="What the camera system recorded."),
        Field("track_id", pattern=CODE, description="Pseudonymous track id assigned by the camera system."),
        Field("face_match_id", required=False, pattern=r"^[A-Z][A-Z0-9]{7,8}$", pseudonym_as="traveller_key",
              description="Passport the face was matched to (pseudonymised into the traveller key)."),
        Field("match_score", "float", required=False, min_value=0, max_value=1, description="Face match score."),
    ),
)

INSPECTIONS = Contract(
    name="inspections", lane=None, fmt="csv", key="inspection_id", day_column="inspection_date",
    description="Inspection and seizure records: the outcome of every inspection, findings or not (the labels).",
    fields=(
        Field("inspection_id", pattern=CODE, description="Inspection record id."),
        Field("inspection_date", "date", description="Day the inspection result was recorded."),
        Field("lane", allowed=LANES, description="Which kind of item was inspected."),
        Field("item_id", pattern=CODE, description="declaration_id, waybill_id or arrival_id of the item."),
        Field("item_date", "date", description="Arrival or declaration date of the item."),
        Field("office_id", pattern=CODE, description="Office that inspected."),
        Field("selection_reason", allowed=("rule", "audit", "model", "exploration", "manual"),
              description="Why the item was inspected: rule hit, random audit, model, model exploration."),
        Field("method", allowed=("documents", "xray", "physical", "body_scanner"), description="How."),
        Field("result", allowed=("no_finding", "irregularity", "seizure"), description="Outcome."),
        Field("category", required=False,
              allowed=("drugs", "counterfeit", "undervaluation", "misclassification", "origin_fraud",
                       "prohibited_goods", "critical"),
              description="What was found."),
        Field("quantity", "float", required=False, min_value=0, max_value=MAX_MASS_KG,
              description="Quantity seized (kg or units)."),
        Field("extra_duty_krw", "float", required=False, min_value=0, max_value=MAX_KRW,
              description="Extra duty assessed, KRW."),
    ),
)

# Field.warehouse_dtype -> SQL type spelled the same way on DuckDB and PostgreSQL.
SQL_TYPES = {"string": "varchar", "int": "bigint", "float": "double precision", "date": "date", "timestamp": "timestamp"}

# The lineage column that numbers a row in its landing file: how readers, validation and quarantine name a row.
LINE_COLUMN = "_line"
# Columns every raw table carries beside its contract's: (SQL type, description).
LINEAGE = {
    "_batch_date": ("date", "Landing batch (day folder) the row was loaded from."),
    "_source_file": ("varchar", "Landing file the row was read from."),
    "_line": ("bigint", "Line (or record) number of the row in its landing file."),
    "_loaded_at": ("timestamp", "When the ingest stage wrote the row to the warehouse."),
}

# raw.quarantine, written by the ingest stage beside the raw tables: (SQL type, description).
QUARANTINE_COLUMNS = {
    "source": ("varchar", "Data contract (source) the rejected row belongs to."),
    "batch_date": ("date", "Landing batch (day folder) the row came from."),
    "source_file": ("varchar", "Landing file the row was read from."),
    "line": ("bigint", "Line (or record) number in the landing file."),
    "expectation": ("varchar", "First failed expectation (or 'parse' for an unreadable line): the short reason."),
    "reason": ("varchar", "Every failed expectation of the row, '; '-separated."),
    "raw_values": ("varchar", "The row as landed (JSON), personal identifiers hashed as in the warehouse."),
    "quarantined_at": ("timestamp", "When the ingest stage wrote the row to quarantine."),
}

CONTRACTS: dict[str, Contract] = {c.name: c for c in (DECLARATIONS, SHIPMENTS, TRAVELLERS, CCTV_EVENTS, INSPECTIONS)}

def get_contract(name: str) -> Contract:
    try:
        return CONTRACTS[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; known sources: {', '.join(CONTRACTS)}") from None
