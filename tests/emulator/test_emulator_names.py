"""Property: any name Zoom accepts survives multipart and JSON unchanged (after trimming) and stays unique."""

from __future__ import annotations

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.emulator.helpers import ZoomClient
from zoom_emulator import EmulatorServer

names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=140).filter(
    lambda name: 0 < len(name.strip()) <= 128
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, multipart_first=st.booleans())
def test_valid_names_round_trip_and_collide_across_encodings(
    emulator: EmulatorServer, name: str, multipart_first: bool
) -> None:
    requests.post(f"{emulator.url}/_emulator/reset", timeout=10)
    api = ZoomClient(emulator)
    as_form = {"files": {"name": (None, name)}}
    as_json = {"json": {"name": name}}
    first, second = (as_form, as_json) if multipart_first else (as_json, as_form)
    created = api.post("/im/groups", **first)
    assert created.status_code == 201, created.text
    assert created.json()["name"] == name.strip()
    assert api.get(f"/im/groups/{created.json()['id']}").json()["name"] == name.strip()
    duplicate = api.post("/im/groups", **second)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == 4132
