"""Property tests: whatever an HR system writes with a CSV library, no valid hire is lost and every row is
accounted for."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_zoom.onboarding.cohorts import build_cohorts, iso_week
from airflow_provider_zoom.onboarding.hr_extract import REQUIRED_COLUMNS, Hire, HRExtractError, read_hr_extract

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Letters, marks, digits, symbols and spaces: accents, RTL scripts (Hebrew, Arabic), emoji.
_PRINTABLE = st.characters(categories=("L", "M", "Nd", "So", "Pd", "Po", "Zs"), exclude_characters="\u00a0")
_NAME = st.text(_PRINTABLE, min_size=1, max_size=40).map(str.strip).filter(bool)
_HOSTILE_PIECES = st.sampled_from(
    ['"', '""', ",", "\n", "\r\n", "\r", " ", "\t", "=cmd|' /C calc'!A0", "@", "🎉", "👩🏽‍💻", "שלום", "مرحبا",
     "\u202e", "\u2028", "\ufeff", "x" * 300, "2026-11-23", "a@example.com"]
)
_ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
_HOSTILE_TEXT = st.lists(st.one_of(_HOSTILE_PIECES, _ANY_TEXT), max_size=6).map("".join)


@dataclass
class Row:
    """A generated record: ``hire`` is what a valid row must come back as; a repeat must be merged."""

    cells: list[str]
    hire: Hire | None = None
    repeat: bool = False


@st.composite
def hire_cells(draw: st.DrawFn, tag: str, index: int) -> tuple[Hire, list[str]]:
    """A valid hire and its cells in REQUIRED_COLUMNS order (space-padded, email in random case).

    ``tag`` namespaces employee_id and email, so hostile rows can never claim a valid hire's identity.
    """
    local = draw(st.from_regex(r"[A-Za-z0-9._%+-]{1,20}", fullmatch=True))
    domain = draw(st.from_regex(r"[A-Za-z0-9-]{1,15}\.[A-Za-z]{2,6}", fullmatch=True))
    email = f"{tag}{index}.{local}@{domain}"
    hire = Hire(
        employee_id=f"{tag.upper()}{index}",
        email=email.lower(),
        first_name=draw(_NAME),
        last_name=draw(_NAME),
        department=draw(st.one_of(st.sampled_from(["Engineering", "Sales", "People"]), _NAME)),
        location=draw(st.one_of(st.just(""), _NAME)),
        start_date=draw(st.dates()),
    )
    cells = [hire.employee_id, email, hire.first_name, hire.last_name, hire.department, hire.location,
             hire.start_date.isoformat()]
    pad = draw(st.sampled_from(["", " ", "  "]))
    return hire, [pad + cell + pad for cell in cells]


@st.composite
def mutated_cells(draw: st.DrawFn, index: int) -> list[str]:
    """A hostile variant of a valid row: one to three fields replaced by, or extended with, hostile text."""
    _, cells = draw(hire_cells("h", index))
    for column in draw(st.sets(st.integers(0, len(REQUIRED_COLUMNS) - 1), min_size=1, max_size=3)):
        text = draw(_HOSTILE_TEXT)
        if draw(st.booleans()):
            cells[column] += text
        elif column == 0:
            cells[column] = f"H{index}-{text}" if text.strip() else text
        elif column == 1:
            cells[column] = f"h{index}.{text}"
        else:
            cells[column] = text
    return cells


@st.composite
def extract_file(draw: st.DrawFn):
    order = draw(st.permutations(REQUIRED_COLUMNS))
    header = [draw(st.sampled_from([name, name.upper(), f" {name} "])) for name in order] + ["notes"]

    def in_header_order(cells: list[str]) -> list[str]:
        by_name = dict(zip(REQUIRED_COLUMNS, cells, strict=True))
        return [by_name[name] for name in order] + [draw(_HOSTILE_TEXT)]

    rows: list[Row] = []
    for index in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["valid", "mutated", "random", "repeat"]))
        valid_rows = [row for row in rows if row.hire]
        if kind == "valid" or (kind == "repeat" and not valid_rows):
            hire, cells = draw(hire_cells("v", index))
            rows.append(Row(in_header_order(cells), hire))
        elif kind == "repeat":
            original = draw(st.sampled_from(valid_rows))
            rows.append(Row([*original.cells[:-1], draw(_HOSTILE_TEXT)], repeat=True))  # notes differ
        elif kind == "mutated":
            rows.append(Row(in_header_order(draw(mutated_cells(index)))))
        else:  # any number of cells of any text
            rows.append(Row(draw(st.lists(_HOSTILE_TEXT, min_size=1, max_size=10))))

    newline = draw(st.sampled_from(["\n", "\r\n"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    if newline == "\n" and any("\r" in cell for row in rows for cell in row.cells):
        # Python's writer only quotes characters of its own line terminator, so a bare CR would be
        # written unquoted and the file would be ambiguous (test_bare_cr_outside_quotes_ends_a_record).
        quoting = csv.QUOTE_ALL
    return header, rows, newline, quoting, draw(st.booleans())


def _write(path, header: list[str], rows: list[Row], newline: str, quoting: int, bom: bool) -> list[int]:
    """Write the file; return the 1-based line on which each row starts, counted as the reader must."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline, quoting=quoting)
    writer.writerow(header)
    starts, line = [], 1 + len(io.StringIO(out.getvalue(), newline="").readlines())
    for row in rows:
        before = len(out.getvalue())
        writer.writerow(row.cells)
        starts.append(line)
        line += len(io.StringIO(out.getvalue()[before:], newline="").readlines())
    path.write_bytes(out.getvalue().encode("utf-8-sig" if bom else "utf-8"))
    return starts


@SETTINGS
@given(extract_file())
def test_no_valid_hire_is_lost_and_every_row_is_accounted_for(tmp_path, generated):
    path = tmp_path / "hr.csv"
    header, rows, *dialect = generated
    starts = _write(path, header, rows, *dialect)

    result = read_hr_extract(path)

    non_blank = [start for start, row in zip(starts, rows, strict=True) if any(c.strip() for c in row.cells)]
    assert result.rows_read == len(non_blank)
    assert result.rows_read == len(result.hires) + len(result.problems) + result.duplicates_merged
    assert result.duplicates_merged >= sum(row.repeat for row in rows)

    returned = {hire.row_number: hire for hire in result.hires}
    problem_rows = [problem.row_number for problem in result.problems]
    for start, row in zip(starts, rows, strict=True):
        if row.hire:
            assert returned.get(start) == row.hire, f"valid hire on line {start} lost or altered"
        if row.repeat:
            assert start not in returned and start not in problem_rows, f"repeat on line {start} not merged"
    assert len(problem_rows) == len(set(problem_rows))
    assert set(problem_rows) | set(returned) <= set(non_blank)
    assert not set(problem_rows) & set(returned)
    assert all(problem.reason for problem in result.problems)


@SETTINGS
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda text: text.encode("utf-8", "replace"))))
def test_arbitrary_bytes_give_a_result_or_a_file_level_error(tmp_path, data):
    path = tmp_path / "hr.csv"
    header = ",".join(random.Random(len(data)).sample(REQUIRED_COLUMNS, k=len(REQUIRED_COLUMNS)))
    for content in (data, header.encode() + b"\n" + data):
        path.write_bytes(content)
        try:
            result = read_hr_extract(path)
        except HRExtractError as exc:
            assert str(exc).startswith(f"HR extract {path}: ")
        else:
            assert result.rows_read == len(result.hires) + len(result.problems) + result.duplicates_merged


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["Sales", "People", "Engineering"]), st.dates()), max_size=30))
def test_every_hire_lands_in_exactly_one_cohort_of_its_department_and_week(entries):
    hires = [Hire(f"E{n}", f"e{n}@example.com", "A", "B", dept, "", day) for n, (dept, day) in enumerate(entries)]
    cohorts, problems = build_cohorts(hires)
    assert problems == []
    placed = Counter(member.employee_id for cohort in cohorts for member in cohort.members)
    assert placed == Counter(hire.employee_id for hire in hires)
    by_id = {hire.employee_id: hire for hire in hires}
    for cohort in cohorts:
        assert cohort.name == f"Onboarding {cohort.iso_week} {cohort.department}"
        keys = {(by_id[m.employee_id].department, iso_week(by_id[m.employee_id].start_date)) for m in cohort.members}
        assert keys == {(cohort.department, cohort.iso_week)}
        assert [m.email for m in cohort.members] == sorted(m.email for m in cohort.members)


@SETTINGS
@given(st.data())
def test_hostile_names_and_locations_never_cost_a_hire_its_onboarding(tmp_path, data):
    """first_name, last_name and location decide neither group nor membership: whatever they hold (line
    breaks, control and bidi characters, 300 characters, nothing), the hire proceeds with the value kept."""
    rows, hires = [], []
    for index in range(data.draw(st.integers(1, 8))):
        hire, cells = data.draw(hire_cells("v", index))
        for column in data.draw(st.sets(st.sampled_from([2, 3, 5]), min_size=1)):
            cells[column] = data.draw(_HOSTILE_TEXT)
        rows.append(cells)
        hires.append(Hire(hire.employee_id, hire.email, cells[2].strip(), cells[3].strip(), hire.department,
                          cells[5].strip(), hire.start_date))
    path = tmp_path / "hr.csv"
    _write(path, list(REQUIRED_COLUMNS), [Row(cells) for cells in rows], "\r\n", csv.QUOTE_MINIMAL, False)

    result = read_hr_extract(path)

    assert result.problems == []
    assert result.hires == hires
    assert {note.row_number for note in result.notes} <= {hire.row_number for hire in result.hires}
