from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from airflow_provider_zoom.onboarding.hr_extract import RowProblem
from airflow_provider_zoom.onboarding.quarantine import quarantine_filename, write_quarantine_report

RUN_ID = "scheduled__2026-11-23T00:00:00+00:00"


def read_report(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_no_problems_no_file(tmp_path):
    target = tmp_path / "quarantine"
    assert write_quarantine_report([], target, RUN_ID, "/data/hr.csv") is None
    assert not target.exists()


def test_report_rows_sorted_with_source_column(tmp_path):
    problems = [RowProblem(7, "E7", "department is empty"), RowProblem(3, "", "employee_id is empty")]
    path = write_quarantine_report(problems, tmp_path / "q" / "nested", RUN_ID, "/data/hr.csv")
    assert path == os.path.join(tmp_path / "q" / "nested", quarantine_filename(RUN_ID))
    assert read_report(path) == [
        ["source", "row_number", "employee_id", "reason"],
        ["/data/hr.csv", "3", "", "employee_id is empty"],
        ["/data/hr.csv", "7", "E7", "department is empty"],
    ]


def test_filename_is_filesystem_safe_distinct_and_stable():
    name = quarantine_filename(RUN_ID)
    assert name.startswith("hr_quarantine_scheduled__2026-11-23T00_00_00_00_00_") and name.endswith(".csv")
    assert not set(name) & set(":+/\\ ")
    assert quarantine_filename("manual__a:b") != quarantine_filename("manual__a+b")
    assert quarantine_filename(RUN_ID) == name
    assert len(quarantine_filename("x" * 250)) < 140
    assert "/" not in quarantine_filename("../../etc/passwd")


def test_rerun_of_the_same_run_overwrites_its_report(tmp_path):
    write_quarantine_report([RowProblem(2, "E1", "first")], tmp_path, RUN_ID, "hr.csv")
    path = write_quarantine_report([RowProblem(3, "E2", "second")], tmp_path, RUN_ID, "hr.csv")
    assert [row[3] for row in read_report(path)] == ["reason", "second"]
    assert os.listdir(tmp_path) == [quarantine_filename(RUN_ID)]


def test_commas_quotes_and_line_breaks_survive(tmp_path):
    reason = 'last_name \'O"Neil, Jr.\'\nsecond line, "quoted"\r\nthird'
    path = write_quarantine_report([RowProblem(2, 'E,"1"', reason)], tmp_path, RUN_ID, "dir, with comma/hr.csv")
    assert read_report(path)[1] == ["dir, with comma/hr.csv", "2", 'E,"1"', reason]


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"])
def test_formula_injection_is_defused(tmp_path, value):
    path = write_quarantine_report([RowProblem(2, value, value)], tmp_path, RUN_ID, value)
    assert read_report(path)[1] == ["'" + value, "2", "'" + value, "'" + value]


def test_harmless_values_are_untouched(tmp_path):
    path = write_quarantine_report([RowProblem(2, "E-1", "email 'a=b@x' is odd")], tmp_path, RUN_ID, "hr.csv")
    assert read_report(path)[1] == ["hr.csv", "2", "E-1", "email 'a=b@x' is odd"]


def test_failed_write_leaves_neither_temp_file_nor_report(tmp_path, monkeypatch):
    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_quarantine_report([RowProblem(2, "E1", "x")], tmp_path, RUN_ID, "hr.csv")
    assert os.listdir(tmp_path) == []


def test_report_is_private_to_its_owner(tmp_path):
    path = write_quarantine_report([RowProblem(2, "E1", "x")], tmp_path, RUN_ID, "hr.csv")
    assert os.stat(path).st_mode & 0o077 == 0


def test_report_opens_in_excel_as_utf8_bom_first_and_names_round_trip(tmp_path):
    """Excel reads a CSV without a byte order mark in the legacy code page: "José" would show as "JosÃ©"."""
    reason = "email 'jose@' is not a valid email address; first_name 'José Łukasz 李' is odd"
    path = write_quarantine_report([RowProblem(2, "É1", reason)], tmp_path, RUN_ID, "/data/hrç.csv")
    data = Path(path).read_bytes()
    assert data.startswith(b"\xef\xbb\xbfsource,row_number,")
    assert data.count(b"\xef\xbb\xbf") == 1
    with open(path, encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle))[1] == ["/data/hrç.csv", "2", "É1", reason]
