"""Building blocks for small hand-written HR extracts in tests."""

from __future__ import annotations

HEADER = "employee_id,email,first_name,last_name,department,location,start_date"


def line(
    employee_id: str = "E1",
    email: str = "ann.lee@example.com",
    first_name: str = "Ann",
    last_name: str = "Lee",
    department: str = "Engineering",
    location: str = "London",
    start_date: str = "2026-11-23",
) -> str:
    """One unquoted CSV line in HEADER order (tests that need quoting write the line by hand)."""
    return f"{employee_id},{email},{first_name},{last_name},{department},{location},{start_date}"


def extract(*lines: str, newline: str = "\n") -> str:
    return newline.join((HEADER, *lines)) + newline
