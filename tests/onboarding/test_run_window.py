from datetime import UTC, date, datetime, timedelta, timezone

from airflow_provider_zoom.onboarding.run_window import run_window


def test_zero_width_interval_of_cron_trigger_timetable_covers_its_day():
    moment = datetime(2026, 11, 23, tzinfo=UTC)
    assert run_window(moment, moment) == (date(2026, 11, 23), date(2026, 11, 24))


def test_manual_run_in_the_middle_of_a_day_covers_that_day():
    moment = datetime(2026, 11, 25, 14, 37, tzinfo=UTC)
    assert run_window(moment, moment) == (date(2026, 11, 25), date(2026, 11, 26))


def test_daily_data_interval_covers_its_start_day_only():
    start = datetime(2026, 11, 23, tzinfo=UTC)
    assert run_window(start, start + timedelta(days=1)) == (date(2026, 11, 23), date(2026, 11, 24))


def test_weekly_interval_covers_seven_days():
    start = datetime(2026, 11, 23, tzinfo=UTC)
    assert run_window(start, start + timedelta(days=7)) == (date(2026, 11, 23), date(2026, 11, 30))


def test_consecutive_daily_runs_cover_every_day_once():
    days = []
    for offset in range(10):
        moment = datetime(2026, 11, 23, tzinfo=UTC) + timedelta(days=offset)
        first, end = run_window(moment, moment)
        days += [first + timedelta(days=i) for i in range((end - first).days)]
    assert days == [date(2026, 11, 23) + timedelta(days=i) for i in range(10)]


def test_non_utc_timestamps_are_read_in_utc():
    tz = timezone(timedelta(hours=-8))
    moment = datetime(2026, 11, 22, 20, 0, tzinfo=tz)  # 2026-11-23 04:00 UTC
    assert run_window(moment, moment)[0] == date(2026, 11, 23)
