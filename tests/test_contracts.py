"""The contracts are the single definition the suites, raw tables and simulator derive from."""
from __future__ import annotations

import re

import pytest

from expectations.suites import build_suite, value_column
from core.contracts import CONTRACTS, get_contract
from ingest.load import raw_table_ddl


@pytest.mark.parametrize("contract", CONTRACTS.values(), ids=list(CONTRACTS))
def test_contract_is_well_formed(contract):
    assert len(set(contract.columns)) == len(contract.columns)
    assert contract.key in contract.columns and contract.field(contract.key).required
    assert contract.field(contract.day_column).dtype in ("date", "timestamp")
    for field in contract.fields:
        for pattern in field.raw_patterns():
            re.compile(pattern)
        if field.allowed and field.pattern:
            assert all(re.search(field.pattern, v) for v in field.allowed)


@pytest.mark.parametrize("contract", CONTRACTS.values(), ids=list(CONTRACTS))
def test_suite_states_every_rule_of_the_contract(contract):
    import great_expectations as gx

    gx.get_context(mode="ephemeral")  # GE 1.x builds suites only inside an active context
    suite = build_suite(contract)
    seen = {(e.expectation_type, getattr(e, "column", None)) for e in suite.expectations}
    for field in contract.fields:
        if field.required:
            assert ("expect_column_values_to_not_be_null", field.name) in seen
        if field.raw_patterns():
            assert ("expect_column_values_to_match_regex", field.name) in seen
        if field.allowed:
            assert ("expect_column_values_to_be_in_set", field.name) in seen
        if field.min_value is not None or field.max_value is not None:
            assert ("expect_column_values_to_be_between", value_column(field)) in seen
    assert ("expect_column_values_to_be_unique", contract.key) in seen
    assert ("expect_column_values_to_be_between", value_column(contract.field(contract.day_column))) in seen


@pytest.mark.parametrize("contract", CONTRACTS.values(), ids=list(CONTRACTS))
def test_raw_table_has_pseudonymised_columns_only(contract):
    ddl = raw_table_ddl(contract)
    for field in contract.fields:
        if field.pseudonym_as:
            assert f" {field.name} " not in ddl and f"({field.name} " not in ddl
            assert field.pseudonym_as in ddl
    for column in contract.warehouse_columns:
        assert re.search(rf"[ (]{column} ", ddl)


def test_unknown_source_is_named():
    with pytest.raises(ValueError, match="unknown source 'boats'"):
        get_contract("boats")


@pytest.mark.parametrize("contract", CONTRACTS.values(), ids=list(CONTRACTS))
def test_every_number_has_a_finite_range(contract):
    """Without a max, '1e999' parses as inf and passes a min-only range check."""
    for field in contract.fields:
        if field.dtype in ("int", "float"):
            assert field.min_value is not None and field.max_value is not None, field.name
            assert field.min_value < field.max_value < float("inf"), field.name
