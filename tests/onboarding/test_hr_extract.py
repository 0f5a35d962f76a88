from __future__ import annotations

import dataclasses
import datetime
import os
import pickle
import tracemalloc

import pytest

from airflow_provider_zoom.onboarding.hr_extract import (
    MAX_FIELD_LENGTH,
    Hire,
    HRExtractError,
    RowProblem,
    read_hr_extract,
)
from tests.onboarding.hr_csv import HEADER, extract, line

ANN = Hire("E1", "ann.lee@example.com", "Ann", "Lee", "Engineering", "London", datetime.date(2026, 11, 23))


# --- file-level problems ---------------------------------------------------------------------------


def _file_error(path: os.PathLike[str] | str) -> str:
    with pytest.raises(HRExtractError) as caught:
        read_hr_extract(path)
    message = str(caught.value)
    assert message.startswith(f"HR extract {os.fspath(path)}: ")
    return message


def test_missing_file(tmp_path):
    assert _file_error(tmp_path / "nope.csv").endswith("file not found")


def test_directory(tmp_path):
    assert "is a directory" in _file_error(tmp_path)


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n"])
def test_empty_file(write_extract, content):
    assert _file_error(write_extract(content)).endswith("is empty")


def test_header_row_of_empty_cells(write_extract):
    assert _file_error(write_extract(",,,\n,,\n")).endswith("has no header row")


def test_data_where_the_header_should_be(write_extract):
    message = _file_error(write_extract(line() + "\n" + line("E2") + "\n"))
    assert "has no header row: line 1 names none of the columns employee_id, email" in message


def test_missing_required_columns(write_extract):
    path = write_extract("employee_id,first_name,last_name,department,location\nE1,Ann,Lee,Eng,London\n")
    assert _file_error(path).endswith("missing required columns: email, start_date")


def test_required_column_twice(write_extract):
    path = write_extract(HEADER + ",Email\n" + line() + ",other@example.com\n")
    assert _file_error(path).endswith("columns appear more than once: email")


def test_not_utf8_names_offset_and_line(write_extract):
    content = (extract(line(), line("E2", "jose@example.com", "José"))).encode("latin-1")
    offset = content.index(b"\xe9")
    message = _file_error(write_extract(content))
    assert message.endswith(f"is not valid UTF-8: byte 0xe9 at offset {offset} (line 3)")


def test_nul_byte(write_extract):
    message = _file_error(write_extract(extract(line(), line("E2", first_name="A\x00nn"))))
    assert message.endswith("contains a NUL byte at line 3; this is not a CSV text file")


def test_field_over_the_csv_module_limit(write_extract):
    path = write_extract(extract(line(), f'E2,"{"x" * 200_000}",a,b,c,d,2026-11-23'))
    assert "cannot be parsed as CSV at line 3: field larger than field limit" in _file_error(path)


def test_unterminated_quote_stops_the_file_instead_of_swallowing_rows(write_extract):
    path = write_extract(extract(line(), 'E2,b@example.com,"Bob,Lee,Sales,London,2026-11-23', line("E3")))
    assert "cannot be parsed as CSV at line 4: unexpected end of data" in _file_error(path)


def test_text_after_closing_quote(write_extract):
    path = write_extract(extract(line(), 'E2,b@example.com,"Bob"by,Lee,Sales,London,2026-11-23'))
    assert "cannot be parsed as CSV at line 3" in _file_error(path)


@pytest.mark.parametrize(("separator", "shown"), [(";", "';'"), ("\t", "tab")])
def test_header_with_another_separator_says_how_to_export(write_extract, separator, shown):
    content = (HEADER + "\n" + line() + "\n").replace(",", separator)
    message = _file_error(write_extract(content))
    assert message.endswith(f"the header looks {shown}-separated: export the file as comma-separated CSV")


def test_partly_recognised_header_with_semicolons_hints_too(write_extract):
    message = _file_error(write_extract("employee_id,email;first_name;last_name;department;location;start_date\n"))
    assert "missing required columns: email, first_name" in message and "looks ';'-separated" in message


def test_a_plain_missing_column_gets_no_separator_hint(write_extract):
    path = write_extract("employee_id,first_name,last_name,department,location\nE1,Ann,Lee,Eng,London\n")
    assert "separated" not in _file_error(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_says_save_as_utf8(write_extract, encoding):
    message = _file_error(write_extract(extract(line(), line("E2", "b@example.com")).encode(encoding)))
    assert "looks like UTF-16" in message and "save it as UTF-8" in message


def test_invalid_utf8_far_into_a_large_file_is_located_exactly(write_extract):
    """The file is streamed; the offset and line are still those of the whole file (past any chunk edge)."""
    rows = [line(f"E{n}", f"p{n}@example.com", "Zoë") for n in range(3000)]  # ~190 kB, 2-byte characters
    good = extract(*rows).encode("utf-8")
    content = good + line("E9999", "x@example.com", "Jos\xe9").encode("latin-1") + b"\n"
    message = _file_error(write_extract(content))
    assert message.endswith(f"is not valid UTF-8: byte 0xe9 at offset {content.index(b'Jos') + 3} (line 3002)")


def test_multibyte_characters_across_read_boundaries_are_fine(write_extract):
    rows = [line(f"E{n}", f"p{n}@example.com", "李" * (n % 7 + 1), location="Zoë") for n in range(5000)]
    result = read_hr_extract(write_extract(extract(*rows)))
    assert len(result.hires) == 5000 and result.problems == []
    assert result.hires[4999].first_name == "李" * (4999 % 7 + 1)


def test_error_is_a_value_error_and_survives_pickling(tmp_path):
    with pytest.raises(ValueError) as caught:
        read_hr_extract(tmp_path / "nope.csv")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (type(copy), str(copy), copy.path) == (HRExtractError, str(caught.value), str(tmp_path / "nope.csv"))


# --- row-level problems ----------------------------------------------------------------------------


def _single_problem(write_extract, bad_line: str) -> RowProblem:
    """The bad line sits between two good ones (lines 2 and 4) so we also see valid rows proceed."""
    result = read_hr_extract(write_extract(extract(line(), bad_line, line("E9", "zed@example.com"))))
    assert [hire.employee_id for hire in result.hires] == ["E1", "E9"]
    assert len(result.problems) == 1 and result.problems[0].row_number == 3
    assert result.rows_read == 3
    return result.problems[0]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"employee_id": ""}, "employee_id is empty"),
        ({"employee_id": "   "}, "employee_id is empty"),
        ({"email": ""}, "email is empty"),
        ({"email": "bob@"}, "email 'bob@' is not a valid email address"),
        ({"email": "@example.com"}, "email '@example.com' is not a valid email address"),
        ({"email": "bob@example"}, "email 'bob@example' is not a valid email address"),
        ({"email": "bob@@example.com"}, "email 'bob@@example.com' is not a valid email address"),
        ({"email": "bob smith@example.com"}, "email 'bob smith@example.com' is not a valid email address"),
        ({"email": "bob@example..com"}, "email 'bob@example..com' is not a valid email address"),
        ({"email": "bob@.example.com"}, "email 'bob@.example.com' is not a valid email address"),
        ({"email": "bob@example.com."}, "email 'bob@example.com.' is not a valid email address"),
        ({"email": "Bob.Example.com"}, "email 'bob.example.com' is not a valid email address"),
        ({"department": ""}, "department is empty"),
        ({"start_date": ""}, "start_date is empty"),
        ({"start_date": "2026-13-01"}, "start_date '2026-13-01' is not a valid date (expected YYYY-MM-DD)"),
        ({"start_date": "2026-02-30"}, "start_date '2026-02-30' is not a valid date (expected YYYY-MM-DD)"),
        ({"start_date": "23/11/2026"}, "start_date '23/11/2026' is not a valid date (expected YYYY-MM-DD)"),
        ({"start_date": "20261123"}, "start_date '20261123' is not a valid date (expected YYYY-MM-DD)"),
        ({"start_date": "2026-W48-1"}, "start_date '2026-W48-1' is not a valid date (expected YYYY-MM-DD)"),
        ({"start_date": "2026-11-23T09:00"}, "start_date '2026-11-23T09:00' is not a valid date"),
        ({"start_date": "２０２６-１１-２３"}, "start_date '２０２６-１１-２３' is not a valid date"),
        ({"employee_id": "E2\tX"}, "employee_id 'E2\\tX' contains a line break or other control character"),
        ({"employee_id": "E" * 257}, f"employee_id is 257 characters long, the limit is {MAX_FIELD_LENGTH}"),
        ({"department": "D" * 257}, f"department is 257 characters long, the limit is {MAX_FIELD_LENGTH}"),
        ({"email": "b\u200b@example.com"}, "(U+200B ZERO WIDTH SPACE at position 2)"),
        ({"department": "Sa\u202eles"}, "contains a bidi control U+202E RIGHT-TO-LEFT OVERRIDE at position 3"),
        ({"department": "Sa\u2066les"}, "contains a bidi control U+2066 LEFT-TO-RIGHT ISOLATE at position 3"),
        ({"department": "Sa\tles"}, "contains a control character U+0009 TAB at position 3"),
        ({"department": "Sa\x07les"}, "contains a control character U+0007 CONTROL at position 3"),
        ({"department": "\u200b"}, "department '\\u200b' is empty once invisible characters are removed"),
    ],
)
def test_row_problem_reasons(write_extract, fields, reason):
    problem = _single_problem(write_extract, line(**{"employee_id": "E2", "email": "b@example.com", **fields}))
    assert reason in problem.reason
    assert problem.employee_id == fields.get("employee_id", "E2").strip()


def test_email_over_254_characters(write_extract):
    email = "b" * 243 + "@example.com"  # 255 characters, under the generic field limit
    problem = _single_problem(write_extract, line("E2", email))
    assert problem.reason.startswith("email 'bbbbbbbb")
    assert problem.reason.endswith("is longer than 254 characters")


def test_long_values_are_previewed_not_copied(write_extract):
    problem = _single_problem(write_extract, line("E2", "b@example.com", start_date="9" * 200))
    assert len(problem.reason) < 120 and "…" in problem.reason


def test_all_reasons_of_a_row_in_column_order(write_extract):
    problem = _single_problem(write_extract, line("E2", "nope", "", "Lee", "", start_date="2026-02-30"))
    assert problem.reason == (
        "email 'nope' is not a valid email address; department is empty; "
        "start_date '2026-02-30' is not a valid date (expected YYYY-MM-DD)"
    )
    assert problem.kinds == (
        "email is not a valid email address", "department is empty",
        "start_date is not a valid date (expected YYYY-MM-DD)",
    )
    assert problem.examples == ("'nope'", "", "'2026-02-30'")


def test_a_rejected_row_keeps_its_start_date_when_it_could_be_read(write_extract):
    result = read_hr_extract(write_extract(extract(line(email="nope"), line("E2", "b@example.com", start_date="x"))))
    assert [problem.start_date for problem in result.problems] == [datetime.date(2026, 11, 23), None]


# --- notes: oddities of fields that decide neither the group nor the membership ----------------------


@pytest.mark.parametrize(
    ("bad_line", "note"),
    [
        (line("E2", "b@example.com", first_name=""), "first_name is empty"),
        (line("E2", "b@example.com", last_name=" "), "last_name is empty"),
        (line("E2", "b@example.com", first_name="A" * 257),
         f"first_name is 257 characters long (more than {MAX_FIELD_LENGTH}), kept as is"),
        (line("E2", "b@example.com", location="L" * 300),
         f"location is 300 characters long (more than {MAX_FIELD_LENGTH}), kept as is"),
        ('E2,b@example.com,"Bo\nb",Lee,Sales,London,2026-11-23',
         "first_name 'Bo\\nb' contains a line break or other control character (U+000A LINE FEED at position 3), kept as is"),
        ('E2,b@example.com,Bob,Lee,Sales,"Flat 2\r\n10 High Street\r\nLondon",2026-11-23',
         ("location 'Flat 2\\r\\n10 High Street\\r\\nLondon' contains a line break or other control character "
          "(U+000D CARRIAGE RETURN at position 7), kept as is")),
        (line("E2", "b@example.com", last_name="Lee\x07"), "(U+0007 CONTROL at position 4)"),
        (line("E2", "b@example.com", last_name="Lee\u202e"), "(U+202E RIGHT-TO-LEFT OVERRIDE at position 4)"),
    ],
)
def test_an_odd_informational_field_is_a_note_and_the_hire_proceeds(write_extract, bad_line, note):
    result = read_hr_extract(write_extract(extract(line(), bad_line, line("E9", "zed@example.com"))))
    assert [hire.employee_id for hire in result.hires] == ["E1", "E2", "E9"] and result.problems == []
    (noted,) = result.notes
    assert (noted.row_number, noted.employee_id) == (3, "E2") and note in noted.reason


def test_a_multi_line_address_from_excel_keeps_the_hire_and_its_address(write_extract):
    content = extract(line(), 'E2,b@example.com,Bob,Lee,Sales,"Flat 2\n10 High Street",2026-11-23', line("E3", "c@x.io"))
    result = read_hr_extract(write_extract(content))
    assert [(hire.employee_id, hire.row_number) for hire in result.hires] == [("E1", 2), ("E2", 3), ("E3", 5)]
    assert result.hires[1].location == "Flat 2\n10 High Street"


def test_notes_are_only_about_hires_that_proceed(write_extract):
    rows = [line(first_name=""), line(first_name=""), line("E2", "bad", first_name=""), line("E3", "c@x.io", location="a\tb")]
    result = read_hr_extract(write_extract(extract(*rows)))
    assert [note.row_number for note in result.notes] == [2, 5]
    assert result.duplicates_merged == 1 and [problem.row_number for problem in result.problems] == [4]


@pytest.mark.parametrize("department", ["Sa\u200bles", "Sales\u00a0", "\u00a0Sales", "Sa\u00adles", "Ｓａｌｅｓ"])
def test_harmless_invisible_or_wide_characters_in_a_department_are_accepted_as_written(write_extract, department):
    result = read_hr_extract(write_extract(extract(line(department=department))))
    assert result.problems == [] and result.hires[0].department == department.strip()


def test_too_few_fields(write_extract):
    problem = _single_problem(write_extract, "E2,b@example.com,Bob,Lee,Sales")
    assert problem == RowProblem(3, "E2", "row has 5 fields, the header names 7 columns")


def test_a_single_field(write_extract):
    assert _single_problem(write_extract, "E2").reason == "row has 1 field, the header names 7 columns"


def test_too_many_fields_hints_at_an_unquoted_comma(write_extract):
    problem = _single_problem(write_extract, "E2,b@example.com,Bob,Lee, Jr.,Sales,London,2026-11-23")
    assert problem.reason == "row has 8 fields, the header names 7 columns (an unquoted comma inside a value?)"


def test_trailing_empty_fields_are_not_ragged(write_extract):
    result = read_hr_extract(write_extract(extract(line() + ",,", line("E2", "b@example.com") + ",")))
    assert len(result.hires) == 2 and result.problems == []


def test_header_with_trailing_commas(write_extract):
    result = read_hr_extract(write_extract(HEADER + ",,\n" + line() + "\n"))
    assert result.hires == [ANN] and result.problems == []


def test_location_may_be_empty(write_extract):
    result = read_hr_extract(write_extract(extract(line(location=""))))
    assert result.hires[0].location == "" and result.problems == []


# --- identity: duplicates and conflicts --------------------------------------------------------------


def test_identical_rows_are_merged_silently_after_normalisation(write_extract):
    duplicate = line(" E1 ", "ANN.Lee@Example.com ", " Ann", "Lee ", "Engineering", "London", " 2026-11-23")
    result = read_hr_extract(write_extract(extract(line(), duplicate, line() + ",extra column value")))
    assert result.hires == [ANN] and result.hires[0].row_number == 2
    assert (result.problems, result.rows_read, result.duplicates_merged) == ([], 3, 2)


def test_conflicting_rows_of_one_employee_are_all_rejected(write_extract):
    rows = [line(), line(), line("E2", "b@example.com"), line(last_name="Leigh")]
    result = read_hr_extract(write_extract(extract(*rows)))
    assert [hire.employee_id for hire in result.hires] == ["E2"]
    reason = "employee_id 'E1' appears on lines 2, 3, 5 with different data; none of these rows is used"
    assert result.problems == [RowProblem(row, "E1", reason) for row in (2, 3, 5)]
    assert result.duplicates_merged == 0


def test_conflict_with_an_invalid_row_reports_both_reasons(write_extract):
    result = read_hr_extract(write_extract(extract(line(), line(start_date="someday"))))
    assert result.hires == []
    assert result.problems[1].reason == (
        "start_date 'someday' is not a valid date (expected YYYY-MM-DD); "
        "employee_id 'E1' appears on lines 2, 3 with different data; none of these rows is used"
    )


def test_email_of_another_employee_rejects_the_later_rows(write_extract):
    rows = [
        line(),
        line("E2", "ANN.LEE@example.com", "Anne"),
        line("E3", "b@example.com"),
        line("E4", "ann.lee@example.com"),
    ]
    result = read_hr_extract(write_extract(extract(*rows)))
    assert [hire.employee_id for hire in result.hires] == ["E1", "E3"]
    assert result.problems == [
        RowProblem(3, "E2", "email 'ann.lee@example.com' is already used by employee_id 'E1' on line 2"),
        RowProblem(5, "E4", "email 'ann.lee@example.com' is already used by employee_id 'E1' on line 2"),
    ]


def test_an_email_stays_disputed_when_its_first_owner_is_rejected(write_extract):
    rows = [line(start_date="2026-02-30"), line("E2", "ann.lee@example.com")]
    result = read_hr_extract(write_extract(extract(*rows)))
    assert result.hires == []
    assert "already used by employee_id 'E1' on line 2" in result.problems[1].reason


# --- CSV dialect and layout --------------------------------------------------------------------------


def test_bom_is_not_part_of_the_first_column_name(write_extract):
    result = read_hr_extract(write_extract(b"\xef\xbb\xbf" + extract(line()).encode("utf-8")))
    assert result.hires == [ANN] and result.problems == []


def test_crlf_line_endings(write_extract):
    result = read_hr_extract(write_extract(extract(line(), "E2,bad", line("E3", "c@example.com"), newline="\r\n")))
    assert [(hire.employee_id, hire.row_number, hire.start_date) for hire in result.hires] == [
        ("E1", 2, datetime.date(2026, 11, 23)),
        ("E3", 4, datetime.date(2026, 11, 23)),
    ]
    assert result.problems[0].row_number == 3
    assert all("\r" not in value for hire in result.hires for value in (hire.location, hire.employee_id))


def test_quoted_fields_with_commas_quotes_and_line_breaks(write_extract):
    content = (
        HEADER + ",notes\n"
        'E1,ann.lee@example.com,"Ann","O""Neil, Jr.",Engineering,"Washington, D.C.",2026-11-23,"line one\n'
        'line two, with ""quotes""\n'
        'line three"\n'
        + line("E2", "bad") + ",\n"  # line 5
        + line("E3", "c@example.com") + ',"x\r\ny"\n'  # lines 6-7
        + line("E4", "bad") + "\n"  # line 8
    )
    result = read_hr_extract(write_extract(content))
    first, third = result.hires
    assert (first.last_name, first.location, first.row_number) == ('O"Neil, Jr.', "Washington, D.C.", 2)
    assert third.row_number == 6
    assert [problem.row_number for problem in result.problems] == [5, 8]


def test_bare_cr_outside_quotes_ends_a_record(write_extract):
    """As in Python's csv module and spreadsheets: the fragments are reported, the neighbours kept."""
    content = extract(line(), "E2,b@example.com,Bob\r,Lee", line("E3", "c@example.com"))
    result = read_hr_extract(write_extract(content))
    assert [hire.employee_id for hire in result.hires] == ["E1", "E3"]
    assert [(problem.row_number, problem.employee_id) for problem in result.problems] == [(3, "E2"), (4, "")]


def test_extra_columns_are_ignored(write_extract):
    content = "manager_email,employee_id,email,first_name,last_name,department,location,start_date,cost_centre\n"
    content += "=HYPERLINK(x),E1,ann.lee@example.com,Ann,Lee,Engineering,London,2026-11-23,CC-1\n"
    assert read_hr_extract(write_extract(content)).hires == [ANN]


def test_reordered_columns_and_header_spelling(write_extract):
    content = " Start_Date ,LOCATION,Department,last_name,First_Name,EMAIL,employee_id\n"
    content += "2026-11-23,London,Engineering,Lee,Ann,ann.lee@example.com,E1\n"
    assert read_hr_extract(write_extract(content)).hires == [ANN]


def test_blank_lines_are_skipped_and_not_counted(write_extract):
    content = "\n\n" + HEADER + "\n\n" + line() + "\n,,,,,,\n  \n" + line("E2", "bad") + "\n\n"
    result = read_hr_extract(write_extract(content))
    assert result.hires == [ANN] and result.hires[0].row_number == 5
    assert result.rows_read == 2 and [problem.row_number for problem in result.problems] == [8]


def test_non_ascii_values_and_path_like(write_extract):
    path = write_extract(extract(line("E1", "lukasz@example.com", "Łukasz", "Nowak", "Finanse", "Kraków")))
    result = read_hr_extract(path)
    assert (result.path, result.hires[0].first_name, result.hires[0].location) == (str(path), "Łukasz", "Kraków")


def test_row_number_is_provenance_not_identity():
    assert dataclasses.replace(ANN, row_number=7) == ANN


# --- memory ------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("excel_dates", [False, True], ids=["valid", "every-row-rejected"])
def test_a_200k_row_extract_is_read_in_under_150_mb(tmp_path, excel_dates):
    """A 15 MB, 200,000-row extract: peak traced memory of the read (a memory bound, not a timing one).

    Also when every row is rejected (dates as Excel writes them), the common way a whole export goes wrong.
    """
    departments = ["Engineering", "Sales", "Customer Success", "Marketing", "Finance", "People"]
    names = ["Ann", "Ben", "Cléo", "Dev", "Eve", "José", "Zoë", "Søren", "Łukasz", "Wong"]
    path = tmp_path / "wave.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER + "\n")
        for n in range(200_000):
            first, last = names[n % 10], names[(n * 7) % 10]
            day = datetime.date(2026, 1, 5) + datetime.timedelta(days=n % 300)
            day = day.strftime("%d/%m/%Y") if excel_dates else day.isoformat()
            handle.write(f"E{n:07d},{first.lower()}.{last.lower()}.{n}@example.com,{first},{last},"
                         f"{departments[n % 6]},London,{day}\n")
    assert path.stat().st_size > 15_000_000

    tracemalloc.start()
    try:
        result = read_hr_extract(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if excel_dates:
        assert len(result.problems) == 200_000 and result.hires == []
        assert result.problems[-1].kinds == ("start_date is not a valid date (expected YYYY-MM-DD)",)
    else:
        assert len(result.hires) == 200_000 and result.problems == []
    assert peak < 150 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
