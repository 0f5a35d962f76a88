"""Reading the HR new-hires extract into validated hires.

The extract comes from an HR system we do not control, so problems are split by how far they reach.
A problem that makes the whole file untrustworthy (unreadable, not UTF-8, no header, missing columns,
broken CSV quoting) raises :class:`HRExtractError` and stops the run: guessing where records begin in a
broken file could silently drop or splice new hires. A problem confined to one record is split once more:

* what makes the hire's group or membership wrong (``employee_id``, ``email``, ``department``,
  ``start_date``, a row of the wrong width, an identity conflict) rejects the record, reported as a
  :class:`RowProblem`, so everybody else still gets their onboarding group;
* an oddity in a field that decides neither (``first_name``, ``last_name``, ``location``: empty names,
  over-long values, line breaks or other control characters) is a *note*: the hire proceeds, the value
  is kept as written, and the note (also a :class:`RowProblem`) tells HR what to tidy up.

Row numbers are the 1-based physical line on which a record starts, the header being line 1. A quoted
field that spans lines makes the following record numbers jump accordingly, so the number always points
at the line a person opening the file in an editor has to look at.

The file is streamed: memory grows with the number of records kept, not with the file's text.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from airflow_provider_zoom.emails import MAX_EMAIL_LENGTH, is_email
from airflow_provider_zoom.exceptions import HRExtractError, InvalidGroupSpec
from airflow_provider_zoom.group_spec import normalize_group_name

REQUIRED_COLUMNS = ("employee_id", "email", "first_name", "last_name", "department", "location", "start_date")
MAX_FIELD_LENGTH = 256
# What decides a hire's group and membership; a problem here rejects the row.
ESSENTIAL_COLUMNS = ("employee_id", "email", "department", "start_date")
# Informational only (members are added by email): a problem here is a note and the hire proceeds.
INFORMATIONAL_COLUMNS = ("first_name", "last_name", "location")
_NOTE_IF_EMPTY = ("first_name", "last_name")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PREVIEW_LENGTH = 40
# Bounded caches: a department, a name or a date is usually shared by many rows, so one object serves them.
_CACHE_LIMIT = 50_000
_CACHED_LENGTH = 64  # a huge cell is not worth keeping for later rows
# Named as group_spec names them in its messages.
_CONTROL_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}

# Problem kinds: what a row had wrong, without its values, so that "the most common problem" of a file
# can be told (``RowProblem.kinds``).
KIND_WIDTH = "row has a different number of fields than the header"
KIND_CONFLICT = "employee_id appears on several rows with different data"
KIND_EMAIL_TAKEN = "email is already used by another employee_id"
KIND_EMAIL_INVALID = "email is not a valid email address"
KIND_EMAIL_LONG = f"email is longer than {MAX_EMAIL_LENGTH} characters"
KIND_DATE_INVALID = "start_date is not a valid date (expected YYYY-MM-DD)"


def kind_empty(column: str) -> str:
    return f"{column} is empty"


def kind_too_long(column: str) -> str:
    return f"{column} is longer than {MAX_FIELD_LENGTH} characters"


def kind_bad_character(column: str) -> str:
    return f"{column} contains a control, bidi or invisible character"


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A rejected row (or, in ``ExtractReadResult.notes``, a noted one) and why.

    ``reason`` is the full text, every problem of the row in column order. The other fields take no
    part in equality: ``start_date`` is the row's start date when it could be read (so that a run can
    tell which of its days' hires were rejected), ``kinds`` says what was wrong without the values and
    ``examples`` the value each kind was about, as shown in ``reason`` (for a summary of many rows).
    """

    row_number: int
    employee_id: str
    reason: str
    start_date: datetime.date | None = field(default=None, compare=False)
    kinds: tuple[str, ...] = field(default=(), compare=False, repr=False)
    examples: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass
class ExtractReadResult:
    """Every non-blank data record ends up in exactly one of ``hires``, ``problems`` or ``duplicates_merged``.

    ``notes`` are about rows that are in ``hires``: an oddity in an informational field, value kept.
    """

    path: str
    hires: list[Hire]
    problems: list[RowProblem]
    rows_read: int
    duplicates_merged: int
    notes: list[RowProblem] = field(default_factory=list)


@dataclass(slots=True)
class _Rejected:
    """A record that failed validation on its own; kept until identity rules have seen every record."""

    row_number: int
    key: tuple[str | None, ...]
    parts: tuple[tuple[str, str, str], ...]  # (text, kind, example); emptied once reported
    email_ok: bool
    start_date: datetime.date | None

    @property
    def employee_id(self) -> str:
        return self.key[0] or ""


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
    with _open(shown) as binary:
        lines = _Lines(shown, binary)
        rows = _parse(shown, lines)
        columns, width = _header(shown, rows, lines)
        checker = _Checker(columns, width)
        records: list[Hire | _Rejected] = []
        for line, row in rows:
            if any(cell.strip() for cell in row):
                records.append(checker.record(line, row))
    hires, problems, merged = _resolve(records)
    kept = {hire.row_number for hire in hires} if checker.notes else ()
    notes = [note for note in checker.notes if note.row_number in kept]
    return ExtractReadResult(
        path=shown, hires=hires, problems=problems, rows_read=len(records), duplicates_merged=merged, notes=notes
    )


# --- the file ----------------------------------------------------------------------------------------


def _open(path: str) -> io.BufferedReader:
    if os.path.isdir(path):
        raise HRExtractError(path, "is a directory, not a file")
    try:
        binary = open(path, "rb")  # noqa: SIM115 - closed by the caller's with block
    except FileNotFoundError:
        raise HRExtractError(path, "file not found") from None
    except OSError as exc:
        raise HRExtractError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        head = binary.peek(64)[:64]
    except OSError as exc:
        binary.close()
        raise HRExtractError(path, f"cannot be read: {exc.strerror or exc}") from None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        binary.close()
        raise HRExtractError(path, "looks like UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8")
    return binary


def _looks_like_utf16(head: bytes) -> bool:
    """ASCII text in UTF-16 without a byte order mark: a NUL every other byte."""
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return (odd.count(0) == len(odd) and not even.count(0)) or (even.count(0) == len(even) and not odd.count(0))


class _Lines:
    """The file's lines, decoded as they are read (never the whole text at once).

    Lines end where Python's csv module expects (``\\n``, ``\\r\\n`` or a bare ``\\r``, kept in the line),
    so ``csv.reader.line_num`` counts the lines an editor shows. Invalid UTF-8 and NUL bytes are
    whole-file errors naming where they are.
    """

    def __init__(self, path: str, binary: io.BufferedReader):
        self.path = path
        self.binary = binary
        self.head = binary.peek(64)[:64]
        self.count = 0
        self.saw_text = False

    def __iter__(self) -> Iterator[str]:
        text = io.TextIOWrapper(self.binary, encoding="utf-8-sig", newline="")
        try:
            for line in text:
                self.count += 1
                if "\x00" in line:
                    raise HRExtractError(self.path, self._nul_problem())
                if not self.saw_text and not line.isspace():
                    self.saw_text = True
                yield line
        except UnicodeDecodeError:
            offset, byte, line_number = _locate_invalid_utf8(self.path)
            raise HRExtractError(
                self.path, f"is not valid UTF-8: byte 0x{byte:02x} at offset {offset} (line {line_number})"
            ) from None

    def _nul_problem(self) -> str:
        if _looks_like_utf16(self.head):
            return f"contains NUL bytes from line {self.count}: it looks like UTF-16; save it as UTF-8"
        return f"contains a NUL byte at line {self.count}; this is not a CSV text file"


def _locate_invalid_utf8(path: str) -> tuple[int, int, int]:
    """Byte offset, byte value and line of the first byte that is not UTF-8 (read again, in chunks)."""
    base = newlines = 0
    pending = b""
    with open(path, "rb") as binary:
        while True:
            chunk = binary.read(1 << 16)
            data = pending + chunk
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                if chunk and exc.end == len(data) and exc.reason == "unexpected end of data":
                    # A character cut by the chunk boundary: carry its bytes over to the next chunk.
                    newlines += data.count(b"\n", 0, exc.start)
                    base += exc.start
                    pending = data[exc.start:]
                    continue
                return base + exc.start, data[exc.start], newlines + data.count(b"\n", 0, exc.start) + 1
            if not chunk:
                return base, 0, newlines + 1  # not reached: the decoder that raised saw this file
            newlines += data.count(b"\n")
            base += len(data)
            pending = b""


def _parse(path: str, lines: _Lines) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(start line, cells)``; ``strict`` makes broken quoting an error instead of a spliced record."""
    reader = csv.reader(lines, strict=True)
    lines_consumed = 0
    try:
        for row in reader:
            yield lines_consumed + 1, row
            lines_consumed = reader.line_num
    except csv.Error as exc:
        raise HRExtractError(path, f"cannot be parsed as CSV at line {reader.line_num}: {exc}") from None


def _header(
    path: str, rows: Iterator[tuple[int, list[str]]], lines: _Lines
) -> tuple[tuple[int, ...], int]:
    """Indexes of the required columns, and the header width; blank lines before the header are tolerated."""
    for line, header in rows:  # noqa: B007 - the header line is named after the loop
        if any(cell.strip() for cell in header):
            break
    else:
        raise HRExtractError(path, "has no header row" if lines.saw_text else "is empty")
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if len(missing) == len(REQUIRED_COLUMNS):
        raise HRExtractError(
            path,
            f"has no header row: line {line} names none of the columns {', '.join(REQUIRED_COLUMNS)}"
            + _separator_hint(header),
        )
    if missing:
        raise HRExtractError(path, f"missing required columns: {', '.join(missing)}" + _separator_hint(header))
    repeated = [column for column in REQUIRED_COLUMNS if names.count(column) > 1]
    if repeated:
        raise HRExtractError(path, f"columns appear more than once: {', '.join(repeated)}")
    # Trailing unnamed header cells (a spreadsheet's stray commas) do not widen what a row must hold.
    width = max(index for index, name in enumerate(names) if name) + 1
    return tuple(names.index(column) for column in REQUIRED_COLUMNS), width


def _separator_hint(header: list[str]) -> str:
    """A header that names more columns when split on ';' or a tab was exported with another separator."""
    text = ",".join(header)
    found_with_comma = sum(column in (cell.strip().lower() for cell in header) for column in REQUIRED_COLUMNS)
    for separator, shown in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
        names = {cell.strip().lower() for cell in text.split(separator)}
        if sum(column in names for column in REQUIRED_COLUMNS) > found_with_comma:
            return f"; the header looks {shown}-separated: export the file as comma-separated CSV"
    return ""


# --- one record ----------------------------------------------------------------------------------------


class _Checker:
    """Validates records one at a time; the notes of records that proceed are collected in ``notes``."""

    def __init__(self, columns: tuple[int, ...], width: int):
        self.columns = columns
        self.width = width
        self.notes: list[RowProblem] = []
        self._shared: dict[str, str] = {}
        self._dates: dict[str, datetime.date | tuple[str, str, str]] = {}  # text -> date, or why it is none
        self._departments: dict[str, tuple[str, str, str] | None] = {}

    def record(self, line: int, row: list[str]) -> Hire | _Rejected:
        if len(row) < self.width or any(cell.strip() for cell in row[self.width:]):
            key = tuple(row[index].strip() if index < len(row) else None for index in self.columns)
            if key[1] is not None:
                key = (key[0], key[1].lower(), *key[2:])
            hint = "" if len(row) < self.width else " (an unquoted comma inside a value?)"
            fields = "1 field" if len(row) == 1 else f"{len(row)} fields"
            text = f"row has {fields}, the header names {self.width} columns{hint}"
            return _Rejected(line, key, ((text, KIND_WIDTH, fields),), False, None)

        employee_id, email, first_name, last_name, department, location, start_text = (
            row[index].strip() for index in self.columns
        )
        email = email.lower()
        parts: list[tuple[str, str, str]] = []
        email_ok = True
        problem = _check_text("employee_id", employee_id)
        if problem:
            parts.append(problem)
        problem = _check_text("email", email) or _check_email(email)
        if problem:
            parts.append(problem)
            email_ok = False
        problem = self._check_department(department)
        if problem:
            parts.append(problem)
        parsed = self._start_date(start_text)
        start_date: datetime.date | None = None
        if isinstance(parsed, tuple):
            parts.append(parsed)
        else:
            start_date = parsed

        if parts:
            # Rejected for the fields above; the informational fields would not change that. An extract
            # where every row is rejected (all dates in the wrong format) is common: share what repeats.
            key = (employee_id, email, self._share(first_name), self._share(last_name), self._share(department),
                   self._share(location), self._share(start_text))
            return _Rejected(line, key, tuple(parts), email_ok, start_date)
        assert start_date is not None  # a row without a valid start date has a part above

        notes = [note for column, value in zip(INFORMATIONAL_COLUMNS, (first_name, last_name, location), strict=True)
                 if (note := _note(column, value))]
        if notes:
            self.notes.append(
                RowProblem(line, employee_id, "; ".join(text for text, _, _ in notes), start_date,
                           tuple(kind for _, kind, _ in notes), tuple(example for _, _, example in notes))
            )
        return Hire(
            employee_id=employee_id,
            email=email,
            first_name=self._share(first_name),
            last_name=self._share(last_name),
            department=self._share(department),
            location=self._share(location),
            start_date=start_date,
            row_number=line,
        )

    def _share(self, value: str) -> str:
        shared = self._shared.get(value)
        if shared is not None:
            return shared
        if len(self._shared) < _CACHE_LIMIT and len(value) <= _CACHED_LENGTH:
            self._shared[value] = value
        return value

    def _start_date(self, text: str) -> datetime.date | tuple[str, str, str]:
        cached = self._dates.get(text)
        if cached is not None:
            return cached
        day: datetime.date | tuple[str, str, str] | None = _check_text("start_date", text)
        if day is None:
            try:
                if not _ISO_DATE.fullmatch(text):
                    raise ValueError(text)
                day = datetime.date.fromisoformat(text)
            except ValueError:
                shown = _show(text)
                day = f"start_date {shown} is not a valid date (expected YYYY-MM-DD)", KIND_DATE_INVALID, shown
        if len(self._dates) < _CACHE_LIMIT and len(text) <= _CACHED_LENGTH:
            self._dates[text] = day
        return day

    def _check_department(self, value: str) -> tuple[str, str, str] | None:
        if value in self._departments:
            return self._departments[value]
        problem = _check_department(value)
        if len(self._departments) < _CACHE_LIMIT and len(value) <= _CACHED_LENGTH:
            self._departments[value] = problem
        return problem


def _check_text(column: str, value: str) -> tuple[str, str, str] | None:
    """Empty, too long, or holding a control / invisible character: (reason, kind, example) or None."""
    if not value:
        return f"{column} is empty", kind_empty(column), ""
    if len(value) > MAX_FIELD_LENGTH:
        return (f"{column} is {len(value)} characters long, the limit is {MAX_FIELD_LENGTH}",
                kind_too_long(column), f"{len(value)} characters")
    if not value.isprintable():
        found = _bad_character(value)
        if found:
            shown = _show(value)
            return f"{column} {shown} contains {found}", kind_bad_character(column), shown
    return None


def _check_email(email: str) -> tuple[str, str, str] | None:
    if len(email) > MAX_EMAIL_LENGTH:
        shown = _show(email)
        return f"email {shown} is longer than {MAX_EMAIL_LENGTH} characters", KIND_EMAIL_LONG, shown
    if not is_email(email):  # the rule the Zoom user lookup applies too (airflow_provider_zoom.emails)
        shown = _show(email)
        return f"email {shown} is not a valid email address", KIND_EMAIL_INVALID, shown
    return None


def _check_department(value: str) -> tuple[str, str, str] | None:
    """The department names the group: it must normalise like a group name (see ``normalize_group_name``).

    A no-break space, a zero-width space and the like are harmless (the group name drops or folds them);
    a control or bidi character could make two names look alike, and rejects the row.
    """
    if not value:
        return "department is empty", kind_empty("department"), ""
    if len(value) > MAX_FIELD_LENGTH:
        return (f"department is {len(value)} characters long, the limit is {MAX_FIELD_LENGTH}",
                kind_too_long("department"), f"{len(value)} characters")
    if value.isprintable():
        return None
    try:
        normalized = normalize_group_name(value)
    except InvalidGroupSpec as exc:
        shown = _show(value)
        return f"department {shown} {exc.reason}", kind_bad_character("department"), shown
    if not normalized:
        return f"department {_show(value)} is empty once invisible characters are removed", kind_empty("department"), ""
    return None


def _note(column: str, value: str) -> tuple[str, str, str] | None:
    """An oddity of an informational field: (note, kind, example) or None. The value is kept as is."""
    if not value:
        return (f"{column} is empty", kind_empty(column), "") if column in _NOTE_IF_EMPTY else None
    if len(value) > MAX_FIELD_LENGTH:
        return (f"{column} is {len(value)} characters long (more than {MAX_FIELD_LENGTH}), kept as is",
                kind_too_long(column), f"{len(value)} characters")
    problem = _check_text(column, value)
    if problem:
        text, kind, example = problem
        return f"{text}, kept as is", kind, example
    return None


def _bad_character(value: str) -> str | None:
    """Describe the first control, line-break, bidi or invisible character, or None (other spaces are fine)."""
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category == "Cc" or category in ("Zl", "Zp"):
            label = "a line break or other control character"
        elif category in ("Cf", "Cs", "Co", "Cn"):
            label = "an invisible, bidi or unassigned character"
        else:
            continue
        return f"{label} (U+{ord(char):04X} {_char_name(char)} at position {index + 1})"
    return None


def _char_name(char: str) -> str:
    fallback = "CONTROL" if unicodedata.category(char) == "Cc" else "UNASSIGNED"
    return str(_CONTROL_NAMES.get(char) or unicodedata.name(char, fallback))


# --- identity --------------------------------------------------------------------------------------


def _key_of(record: Hire | _Rejected) -> tuple[str | None, ...]:
    if isinstance(record, _Rejected):
        return record.key
    return (record.employee_id, record.email, record.first_name, record.last_name, record.department,
            record.location, record.start_date.isoformat())  # the reader only accepts the canonical form


def _resolve(records: list[Hire | _Rejected]) -> tuple[list[Hire], list[RowProblem], int]:
    # employee_id -> its first record: the only key held per employee (a later record is compared with it).
    first: dict[str, Hire | _Rejected] = {}
    conflicted: set[str] = set()
    for record in records:
        employee_id = record.employee_id
        if not employee_id:
            continue
        earlier = first.setdefault(employee_id, record)
        if earlier is not record and employee_id not in conflicted and _key_of(earlier) != _key_of(record):
            conflicted.add(employee_id)
    lines: dict[str, list[int]] = {employee_id: [] for employee_id in conflicted}
    if conflicted:
        for record in records:
            if record.employee_id in lines:
                lines[record.employee_id].append(record.row_number)

    hires: list[Hire] = []
    problems: list[RowProblem] = []
    labels = _Labels()
    seen_without_id: set[tuple[str | None, ...]] = set()
    email_owner: dict[str, Hire | _Rejected] = {}
    merged = 0
    for record in records:
        employee_id = record.employee_id
        rejected = record if isinstance(record, _Rejected) else None
        parts = list(rejected.parts) if rejected is not None else []
        if rejected is not None:
            rejected.parts = ()  # its text now lives in the problem
        if employee_id in conflicted:
            shown_lines = ", ".join(str(line) for line in lines[employee_id])
            parts.append((
                (f"employee_id {employee_id!r} appears on lines {shown_lines} with different data; "
                 "none of these rows is used"),
                KIND_CONFLICT,
                repr(employee_id),
            ))
        elif employee_id:
            if first[employee_id] is not record:  # same data as the employee's first record
                merged += 1
                continue
        else:
            key = _key_of(record)
            if key in seen_without_id:
                merged += 1
                continue
            seen_without_id.add(key)
        if employee_id and (rejected is None or rejected.email_ok):
            email = str(rejected.key[1]) if rejected is not None else str(getattr(record, "email", ""))
            owner = email_owner.setdefault(email, record)
            if owner.employee_id != employee_id:
                parts.append((
                    f"email {email!r} is already used by employee_id {owner.employee_id!r} on line {owner.row_number}",
                    KIND_EMAIL_TAKEN,
                    repr(email),
                ))
        if parts:
            kinds, examples = labels.of(parts)
            problems.append(RowProblem(
                record.row_number, employee_id, "; ".join(text for text, _, _ in parts), record.start_date,
                kinds, examples,
            ))
        elif isinstance(record, Hire):
            hires.append(record)
    return hires, problems, merged


class _Labels:
    """``kinds`` and ``examples`` tuples of problems, one object per distinct value (bounded)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[tuple[str, str, str], ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def of(self, parts: list[tuple[str, str, str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        key = tuple(parts)
        labels = self._cache.get(key)
        if labels is None:
            labels = tuple(kind for _, kind, _ in parts), tuple(example for _, _, example in parts)
            if len(self._cache) < _CACHE_LIMIT:
                self._cache[key] = labels
        return labels


def _show(value: str) -> str:
    """Quote a value for a reason, shortened so one huge cell cannot swamp the report."""
    if len(value) > _PREVIEW_LENGTH:
        value = value[:_PREVIEW_LENGTH] + "…"
    return repr(value)
