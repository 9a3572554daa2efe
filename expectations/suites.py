"""Build one GE expectation suite per data contract and run it on a pandas frame of a landing batch.

The frame holds each contract column as raw text (so type and format checks see what the file said)
and, for typed columns, a parsed twin named ``<column>__value`` for range checks. Row-level failures
come back as line numbers with the expectation that failed; the suite's batch-level expectations
(columns present, at least one row) decide whether the batch may load at all.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.contracts import LINE_COLUMN, Contract, Field

if TYPE_CHECKING:
    import pandas as pd

LINE = LINE_COLUMN
# Each row carries the day it is loaded for, so one validation can cover many days (a KCS file spans a
# year) with the day rule still judged per row: the day column must fall on the row's own batch day.
BATCH_DAY, BATCH_DAY_END = "_batch_day", "_batch_day_end"
# Values that name no country; a declaration whose goods carry an origin marking must name a real one.
UNKNOWN_COUNTRIES = ("ZZ", "XX")
# Where a row's key was seen first ("line 6 of FILE", "loaded for 2026-03-01"); null for a first copy.
DUPLICATE_OF = "_duplicate_of"
DUPLICATE_REASON = "duplicate key"
# The span of the batch's days (one day for a daily load): a coarse range rule beside the per-row one.
DAY_START, DAY_END = "batch_day_start", "batch_day_end"


def value_column(field: Field) -> str:
    return f"{field.name}__value"


def day_part_column(field: Field) -> str:
    return f"{field.name}__day"


def is_typed(field: Field) -> bool:
    return field.dtype in ("int", "float", "date", "timestamp")


def build_suite(contract: Contract):
    """The expectation suite of a contract: the same rules the contract states, nothing more."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    from great_expectations.expectations.row_conditions import Column

    suite = gx.ExpectationSuite(name=f"{contract.name}_contract")
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=1))
    suite.add_expectation(gxe.ExpectTableColumnsToMatchSet(
        column_set=contract.columns, exact_match=False))
    for f in contract.fields:
        if f.required:
            suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=f.name))
        for pattern in f.raw_patterns():
            suite.add_expectation(gxe.ExpectColumnValuesToMatchRegex(column=f.name, regex=pattern))
        if f.allowed:
            suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(f.allowed)))
        if is_typed(f):
            # Text that matches the pattern but is no real value (2026-02-30, 1e999 overflowing to inf is
            # caught by the range below) has no parsed twin: the row may not load.
            suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(
                column=value_column(f), row_condition=Column(f.name).is_not_null(), meta={"parsed": f.dtype}))
        if f.min_value is not None or f.max_value is not None:
            suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(
                column=value_column(f), min_value=f.min_value, max_value=f.max_value))
        if f.name == contract.day_column:
            suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(
                column=value_column(f), min_value={"$PARAMETER": DAY_START}, max_value={"$PARAMETER": DAY_END}))
            # The day column (its date part) must equal the row's own batch day.
            suite.add_expectation(gxe.ExpectColumnPairValuesToBeEqual(
                column_A=day_part_column(f), column_B=BATCH_DAY, ignore_row_if="either_value_is_missing"))
        elif f.dtype in ("date", "timestamp"):
            # No date may lie after the batch day: outcomes and items cannot come from the future.
            suite.add_expectation(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=BATCH_DAY_END, column_B=value_column(f), or_equal=True,
                ignore_row_if="either_value_is_missing"))
    # A key seen before (earlier in the batch, or on a day already loaded) is a duplicate: the first copy
    # loads, the later ones are quarantined; among the first copies the key must then be unique.
    suite.add_expectation(gxe.ExpectColumnValuesToBeNull(column=DUPLICATE_OF, meta={"duplicate_key": contract.key}))
    suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(
        column=contract.key, row_condition=Column(DUPLICATE_OF).is_null()))
    for expectation in cross_field_expectations(contract):
        suite.add_expectation(expectation)
    return suite


def cross_field_expectations(contract: Contract) -> list:
    """Rules between columns of one row.

    Declarations: the origin indicator must be consistent with the origin country. Indicators B, E, G,
    S and Y say how the goods are *marked* with their origin (on the goods, the box, a sticker, ...);
    only N says they carry no marking. Marked goods must therefore name a real country of origin, not
    an unknown placeholder (ZZ/XX). Deliberately narrow: rare-but-valid combinations (N with a known
    country, Korean origin shipped from China) are risk signals for the model, not data errors, and
    must load.
    """
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    if contract.name != "declarations":
        return []
    return [gxe.ExpectColumnValuesToNotBeInSet(
        column="origin_country", value_set=list(UNKNOWN_COUNTRIES),
        row_condition=Column("origin_indicator") != "N")]


@dataclass
class ValidationOutcome:
    success: bool
    batch_errors: list[str]              # failed batch-level expectations: the batch must not load
    row_failures: dict[int, list[str]]   # line -> what failed on it
    statistics: dict


def describe(config) -> str:
    """A short human reason for a failed expectation, e.g. 'net_mass_kg: expect_column_values_to_be_between(min 0)'."""
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("column", "batch_id", "result_format")}
    shown = []
    for key in ("regex", "value_set", "min_value", "max_value"):
        if key in kwargs and kwargs[key] is not None:
            value = kwargs[key]
            if isinstance(value, list) and len(value) > 8:
                value = value[:8] + ["..."]
            shown.append(f"{key.replace('_value', '')} {value}")
    column = config.kwargs.get("column", "")
    meta = config.meta or {}
    if "duplicate_key" in meta:
        return f"{meta['duplicate_key']}: {DUPLICATE_REASON}"
    if "parsed" in meta:
        return f"{column.removesuffix('__value')}: not a valid {meta['parsed']}"
    if config.type == "expect_column_pair_values_to_be_equal":
        column, shown = config.kwargs["column_A"], ["= batch day"]
    elif config.type == "expect_column_pair_values_a_to_be_greater_than_b":
        column, shown = config.kwargs["column_B"], ["<= batch day"]
    elif config.kwargs.get("row_condition") is not None and column == "origin_country":
        shown.append("when origin_indicator != N")
    column = column.removesuffix("__value").removesuffix("__day")
    detail = f"({', '.join(shown)})" if shown else ""
    return f"{column}: {config.type}{detail}" if column else f"{config.type}{detail}"


def validate(frame: "pd.DataFrame", contract: Contract, gx_dir) -> ValidationOutcome:
    """Run the contract's suite on a batch through a GE checkpoint that also updates Data Docs.

    The frame may hold several days: each row's ``_batch_day`` (and ``_batch_day_end``) say which."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    from expectations.context import drop_unexpected_values, get_context, publish_data_docs
    from expectations.docs_index import run_name

    context = get_context(gx_dir)
    source = context.data_sources.add_or_update_pandas("landing")
    try:
        asset = source.get_asset(contract.name)
    except LookupError:
        asset = source.add_dataframe_asset(contract.name)
    try:
        batch_definition = asset.get_batch_definition("whole_batch")
    except (LookupError, KeyError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole_batch")
    suite = context.suites.add_or_update(build_suite(contract))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{contract.name}_landing", data=batch_definition, suite=suite))
    checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
        name=f"{contract.name}_checkpoint",
        validation_definitions=[definition],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [LINE],
                       "return_unexpected_index_query": False, "partial_unexpected_count": 0},
    ))
    start = frame[BATCH_DAY].min().to_pydatetime()
    end = frame[BATCH_DAY_END].max().to_pydatetime()
    # Named by source and business day, so Data Docs list "shipments 2026-03-08", not "__none__".
    run_id = RunIdentifier(run_name=run_name(contract.name, start.date(), end.date()),
                           run_time=dt.datetime.now(dt.timezone.utc))
    result = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id,
                            expectation_parameters={DAY_START: start, DAY_END: end})
    (key, validation), = result.run_results.items()
    drop_unexpected_values(Path(gx_dir), key, LINE)
    publish_data_docs(Path(gx_dir))

    batch_errors: list[str] = []
    row_failures: dict[int, list[str]] = {}
    for item in validation.results:
        if item.success:
            continue
        config = item.expectation_config
        index_list = (item.result or {}).get("unexpected_index_list")
        if item.exception_info and item.exception_info.get("raised_exception"):
            batch_errors.append(f"{describe(config)} raised {item.exception_info.get('exception_message')}")
        elif index_list is None:
            batch_errors.append(f"{describe(config)} observed {item.result.get('observed_value')!r}")
        else:
            reason = describe(config)
            for entry in index_list:
                row_failures.setdefault(int(entry[LINE]), []).append(reason)
    return ValidationOutcome(validation.success, batch_errors, row_failures, dict(validation.statistics))
