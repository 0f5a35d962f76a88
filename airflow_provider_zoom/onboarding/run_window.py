"""Which start dates one DAG run is responsible for.

Airflow 3's default daily schedule (a cron *trigger* timetable) gives every run a zero-width data
interval, ``data_interval_start == data_interval_end == logical_date``, so "the hires of the data
interval" would be nobody. A run therefore covers the UTC calendar days its interval touches: the
single day of its logical date for a zero-width interval, and ``[start day, end day)`` for a real
interval (``CronDataIntervalTimetable``, a weekly schedule, a backfill of such a DAG). Every date is
covered by exactly one run of a daily schedule, manual runs of ``airflow dags test DAG 2026-11-23``
included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def run_window(data_interval_start: datetime, data_interval_end: datetime) -> tuple[date, date]:
    """Half-open ``[first_day, end_day)`` of start dates for a run with this data interval."""
    first = _utc_day(data_interval_start)
    end = _utc_day(data_interval_end)
    if end <= first:
        end = first + timedelta(days=1)
    return first, end


def _utc_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()
