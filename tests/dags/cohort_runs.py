"""What the dry-run and exact-membership DAG tests share: small extracts, the group API in use, the account's groups."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.airflow_runs import run_dag

HEADER = "employee_id,email,first_name,last_name,department,location,start_date\n"
SALES, ENGINEERING = "Onboarding 2026-W48 Sales", "Onboarding 2026-W48 Engineering"


def hires(*rows: tuple[str, str]) -> str:
    """``(person, department)`` rows, all starting on Monday 2026-11-23; emails ``person@example.com``."""
    return HEADER + "".join(
        f"E{n},{person}@example.com,{person.title()},X,{department},Lisbon,2026-11-23\n"
        for n, (person, department) in enumerate(rows, 1)
    )


def use_group_api(zoom, monkeypatch, group_api: str) -> None:
    """Contact Groups: IM Groups retired on the emulator and the connection set to Contact Groups."""
    if group_api == "contact_groups":
        zoom.configure(im_groups="gone")
        conn = json.loads(zoom.server.connection_uri_json())
        conn["extra"]["group_api"] = "contact_groups"
        monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))


def account_groups(zoom, group_api: str) -> dict[str, list[str]]:
    """Name -> members; on Contact Groups, also that no name was created twice."""
    if group_api == "im_groups":
        return zoom.groups()
    groups = zoom.server.contact_groups(timeout=10)
    assert all(len(copies) == 1 for copies in groups.values()), groups
    return {name: copies[0] for name, copies in groups.items()}


def extract_conf(tmp_path, text: str, name: str, **params) -> dict:
    extract = tmp_path / name
    extract.write_text(text, encoding="utf-8")
    return {"hr_extract_path": str(extract), "quarantine_dir": str(tmp_path / "q"), **params}


def emails(*people: str) -> list[str]:
    return sorted(f"{p}@example.com" for p in people)


def run_day(day: str, conf: dict):
    return run_dag("zoom_onboarding_im_groups", conf, datetime.fromisoformat(day).replace(tzinfo=UTC))
