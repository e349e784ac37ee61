"""shared/spreadsheets.py and every CSV the platform produces: no cell is read as a formula."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from services.registry.service.import_rows import RowError
from services.registry.service.imports import errors_csv
from services.training.service.reports import as_csv
from shared.spreadsheets import safe_cell, safe_mapping, safe_row

MALICIOUS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", MALICIOUS)
def test_text_a_spreadsheet_would_take_for_a_formula_is_quoted(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Depok", "32.76", "", "a=b", 'x"=1'])
def test_ordinary_text_is_left_alone(value: str) -> None:
    assert safe_cell(value) == value


def test_numbers_stay_numbers_even_when_negative() -> None:
    assert safe_row([-3, -1.5, 0, None]) == [-3, -1.5, 0, None]
    assert safe_mapping({"a": "=1", "b": 2}) == {"a": "'=1", "b": 2}


def test_registry_import_error_report_neutralises_formula_cells() -> None:
    report = errors_csv([RowError(2, "=cmd|' /C calc'!A0", "@SUM(1)", uuid.uuid4())])
    [header, row] = list(csv.reader(io.StringIO(report)))
    assert header == ["row", "field", "reason", "existing_volunteer_id"]
    assert row[1] == "'=cmd|' /C calc'!A0"
    assert row[2] == "'@SUM(1)"


def test_training_region_report_csv_neutralises_formula_cells() -> None:
    figures = {
        "region_code": "=1+1",
        "year": 2025,
        "volunteers_certified": {"dasar": 1, "lanjutan": 0, "khusus": 0},
        "participants": 2,
        "passed": 1,
        "failed": 1,
        "pass_rate": 0.5,
        "mean_pre_score": 60.0,
        "mean_post_score": 55.0,
        "mean_improvement": -5.0,
    }
    report = {**figures, "sessions_held": 1, "by_regency": [{**figures, "region_code": "+32"}]}
    rows = list(csv.DictReader(io.StringIO(as_csv(report))))
    assert rows[0]["region_code"] == "'+32"
    assert rows[1]["region_code"] == "'=1+1 (total)"
    # A number we computed is still a number.
    assert rows[0]["mean_improvement"] == "-5.0"
