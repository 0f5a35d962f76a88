"""Reading the HR new-hires extract into validated hires.

The extract comes from an HR system we do not control, so problems are split by how far they reach.
A problem that makes the whole file untrustworthy (unreadable, not UTF-8, no header, missing columns,
broken CSV quoting) raises :class:`HRExtractError` and stops the run: guessing where records begin in a
broken file could silently drop or splice new hires. A problem confined to one record skips that record
and is reported as a :class:`RowProblem`, so everybody else still gets their onboarding group.

Row numbers are the 1-based physical line on which a record starts, the header being line 1. A quoted
field that spans lines makes the following record numbers jump accordingly, so the number always points
at the line a person opening the file in an editor has to look at.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

REQUIRED_COLUMNS = ("employee_id", "email", "first_name", "last_name", "department", "location", "start_date")
MAX_FIELD_LENGTH = 256
MAX_EMAIL_LENGTH = 254
# Fields that may not be blank; ``location`` is informational only and may be.
_NOT_EMPTY = ("employee_id", "email", "first_name", "last_name", "department", "start_date")

# Deliberately simple: exactly one @, something before it, a dotted domain without empty labels.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Line breaks and other control characters would end up inside Zoom group names and member records.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PREVIEW_LENGTH = 40


class HRExtractError(ValueError):
    """The extract as a whole cannot be trusted; nothing from it should be used."""

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"HR extract {path}: {problem}")

    def __reduce__(self):
        # Keep the exception picklable (task results and logs may cross process boundaries).
        return type(self), (self.path, self.problem)


@dataclass(frozen=True)
class Hire:
    """One validated new hire. ``row_number`` is provenance only and takes no part in equality."""

    employee_id: str
    email: str
    first_name: str
    last_name: str
    department: str
    location: str
    start_date: datetime.date
    row_number: int = field(default=0, compare=False)


@dataclass(frozen=True)
class RowProblem:
    row_number: int
    employee_id: str
    reason: str


@dataclass
class ExtractReadResult:
    """Every non-blank data record ends up in exactly one of ``hires``, ``problems`` or ``duplicates_merged``."""

    path: str
    hires: list[Hire]
    problems: list[RowProblem]
    rows_read: int
    duplicates_merged: int


@dataclass
class _Record:
    line: int
    values: dict[str, str]
    reasons: list[str]
    email_ok: bool
    hire: Hire | None = None

    @property
    def employee_id(self) -> str:
        return self.values.get("employee_id", "")

    @property
    def key(self) -> tuple[str | None, ...]:
        return tuple(self.values.get(column) for column in REQUIRED_COLUMNS)


def read_hr_extract(path: str | os.PathLike[str]) -> ExtractReadResult:
    """Read and validate an extract.

    Identity rules, applied after per-row validation:

    * An exact repeat of an earlier record (same required fields after trimming, email compared
      case-insensitively) is dropped silently, whatever became of the earlier record.
    * An ``employee_id`` on several records with different data rejects *all* of them: we cannot know
      which one HR meant, and onboarding the wrong variant is worse than onboarding a day late.
    * An email belongs to the first ``employee_id`` that uses it; later records of other employees with
      that email are rejected, even if the first record is itself rejected (the address stays disputed).

    Blank lines, and rows whose cells are all empty, are skipped and not counted in ``rows_read``.
    """
    shown = os.fspath(path)
    text = _read_text(shown)
    rows = _parse(shown, text)
    columns, width = _header(shown, rows)

    records = [_record(line, row, columns, width) for line, row in rows if any(cell.strip() for cell in row)]
    hires, problems, merged = _resolve(records)
    return ExtractReadResult(
        path=shown, hires=hires, problems=problems, rows_read=len(records), duplicates_merged=merged
    )


def _read_text(path: str) -> str:
    if os.path.isdir(path):
        raise HRExtractError(path, "is a directory, not a file")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise HRExtractError(path, "file not found") from None
    except OSError as exc:
        raise HRExtractError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise HRExtractError(
            path, f"is not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line})"
        ) from None
    if not text.strip():
        raise HRExtractError(path, "is empty")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise HRExtractError(path, f"contains a NUL byte at line {line}; this is not a CSV text file")
    return text


def _parse(path: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(start line, cells)``; ``strict`` makes broken quoting an error instead of a spliced record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines_consumed = 0
    try:
        for row in reader:
            yield lines_consumed + 1, row
            lines_consumed = reader.line_num
    except csv.Error as exc:
        raise HRExtractError(path, f"cannot be parsed as CSV at line {reader.line_num}: {exc}") from None


def _header(path: str, rows: Iterator[tuple[int, list[str]]]) -> tuple[dict[str, int], int]:
    """Required column -> index, and the header width; blank lines before the header are tolerated."""
    for line, header in rows:
        if any(cell.strip() for cell in header):
            break
    else:
        raise HRExtractError(path, "has no header row")
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if len(missing) == len(REQUIRED_COLUMNS):
        raise HRExtractError(
            path, f"has no header row: line {line} names none of the columns {', '.join(REQUIRED_COLUMNS)}"
        )
    if missing:
        raise HRExtractError(path, f"missing required columns: {', '.join(missing)}")
    repeated = [column for column in REQUIRED_COLUMNS if names.count(column) > 1]
    if repeated:
        raise HRExtractError(path, f"columns appear more than once: {', '.join(repeated)}")
    # Trailing unnamed header cells (a spreadsheet's stray commas) do not widen what a row must hold.
    width = max(index for index, name in enumerate(names) if name) + 1
    return {column: names.index(column) for column in REQUIRED_COLUMNS}, width


def _record(line: int, row: list[str], columns: dict[str, int], width: int) -> _Record:
    values = {column: row[index].strip() for column, index in columns.items() if index < len(row)}
    if "email" in values:
        values["email"] = values["email"].lower()
    if len(row) < width or any(cell.strip() for cell in row[width:]):
        hint = "" if len(row) < width else " (an unquoted comma inside a value?)"
        fields = "1 field" if len(row) == 1 else f"{len(row)} fields"
        reason = f"row has {fields}, the header names {width} columns{hint}"
        return _Record(line, values, [reason], False)
    reasons, start_date = _check(values)
    ordered = [reasons[column] for column in REQUIRED_COLUMNS if column in reasons]
    record = _Record(line, values, ordered, "email" not in reasons)
    if start_date is not None and not reasons:
        record.hire = Hire(
            employee_id=values["employee_id"],
            email=values["email"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            department=values["department"],
            location=values["location"],
            start_date=start_date,
            row_number=line,
        )
    return record


def _check(values: dict[str, str]) -> tuple[dict[str, str], datetime.date | None]:
    """Reason per failing field (first failure only), and the parsed start date when it is valid."""
    reasons: dict[str, str] = {}
    for column in REQUIRED_COLUMNS:
        value = values[column]
        if len(value) > MAX_FIELD_LENGTH:
            reasons[column] = f"{column} is {len(value)} characters long, the limit is {MAX_FIELD_LENGTH}"
        elif _CONTROL.search(value):
            reasons[column] = f"{column} {_show(value)} contains a line break or other control character"
        elif not value and column in _NOT_EMPTY:
            reasons[column] = f"{column} is empty"

    email = values["email"]
    if "email" not in reasons:
        if len(email) > MAX_EMAIL_LENGTH:
            reasons["email"] = f"email {_show(email)} is longer than {MAX_EMAIL_LENGTH} characters"
        elif not _EMAIL.fullmatch(email):
            reasons["email"] = f"email {_show(email)} is not a valid email address"

    start_date = None
    text = values["start_date"]
    if "start_date" not in reasons:
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(text)
            start_date = datetime.date.fromisoformat(text)
        except ValueError:
            reasons["start_date"] = f"start_date {_show(text)} is not a valid date (expected YYYY-MM-DD)"
    return reasons, start_date


def _resolve(records: list[_Record]) -> tuple[list[Hire], list[RowProblem], int]:
    variants: dict[str, set[tuple[str | None, ...]]] = {}
    lines: dict[str, list[int]] = {}
    for record in records:
        if record.employee_id:
            variants.setdefault(record.employee_id, set()).add(record.key)
            lines.setdefault(record.employee_id, []).append(record.line)
    conflicted = {employee_id for employee_id, keys in variants.items() if len(keys) > 1}

    hires: list[Hire] = []
    problems: list[RowProblem] = []
    seen: set[tuple[str | None, ...]] = set()
    email_owner: dict[str, tuple[str, int]] = {}
    merged = 0
    for record in records:
        employee_id = record.employee_id
        reasons = list(record.reasons)
        if employee_id in conflicted:
            shown_lines = ", ".join(str(line) for line in lines[employee_id])
            reasons.append(
                f"employee_id {employee_id!r} appears on lines {shown_lines} with different data; "
                "none of these rows is used"
            )
        elif record.key in seen:
            merged += 1
            continue
        seen.add(record.key)
        if record.email_ok and employee_id:
            email = record.values["email"]
            owner, owner_line = email_owner.setdefault(email, (employee_id, record.line))
            if owner != employee_id:
                reasons.append(f"email {email!r} is already used by employee_id {owner!r} on line {owner_line}")
        if reasons or record.hire is None:
            problems.append(RowProblem(record.line, employee_id, "; ".join(reasons)))
        else:
            hires.append(record.hire)
    return hires, problems, merged


def _show(value: str) -> str:
    """Quote a value for a reason, shortened so one huge cell cannot swamp the report."""
    if len(value) > _PREVIEW_LENGTH:
        value = value[:_PREVIEW_LENGTH] + "…"
    return repr(value)
