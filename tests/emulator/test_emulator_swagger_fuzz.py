"""Schemathesis from Zoom's IM groups Swagger: every request it generates, valid or schema-violating, gets no 5xx,
and every request that violates the Swagger gets Zoom's 400 with code 300 naming the field.

The Swagger (``data/zoom-im-groups.swagger.json``, a copy of the one in the shared reference) drives both modes:
``positive`` requests follow it, ``negative`` ones break it (wrong types, out-of-range values, missing bodies). Which
requests broke it is decided here, from what went on the wire, rather than trusted to the generator's label: a
negative case can be valid on the wire (an extra query parameter, which Swagger does not forbid), and a multipart
body carries every value as text. The emulator may refuse more than the Swagger does (where Zoom is silent it takes
the stricter choice), so a valid request is only held to "no 5xx".

Bounded and derandomized, so a failure reproduces: up to 90 requests per operation and mode, about 1,000 in all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.emulator.helpers import ZoomClient
from zoom_emulator import EmulatorServer

SWAGGER_PATH = Path(__file__).parent / "data" / "zoom-im-groups.swagger.json"
SWAGGER = json.loads(SWAGGER_PATH.read_text(encoding="utf-8"))
SCHEMA = schemathesis.openapi.from_dict(SWAGGER)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
EXAMPLES_PER_CASE = 90
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _has_inputs(operation: Any) -> bool:
    """Only query and body parameters can break the Swagger: a path parameter is any string."""
    return any(parameter.get("in") in ("query", "body") for parameter in _parameters(operation))


def _parameters(operation: Any) -> list[dict[str, Any]]:
    return SWAGGER["paths"][operation.path][operation.method.lower()].get("parameters", [])


CASES = [
    pytest.param(operation, mode, id=f"{operation.method.upper()} {operation.path} {mode.value}")
    for operation in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _has_inputs(operation)
]


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[EmulatorServer, ZoomClient]]:
    with EmulatorServer(seed=11, user_domains=["example.com"]) as server:
        yield server, ZoomClient(server)


def violated_fields(operation: Any, response: requests.Response, case: Any) -> list[str] | None:
    """The fields this request broke, as they went on the wire (``[]``: the body as a whole); ``None``: valid."""
    violated: list[str] = []
    sent_query = parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True)
    for parameter in _parameters(operation):
        if parameter["in"] == "query":
            values = [value for name, value in sent_query if name == parameter["name"]]
            if len(values) > 1 or any(not _query_value_ok(parameter, value) for value in values):
                violated.append(parameter["name"])
        elif parameter["in"] == "body":
            raw = response.request.body
            media_type = response.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not raw:
                if parameter.get("required"):
                    violated.append("")
                continue
            if media_type == "multipart/form-data":
                continue  # text on the wire: its values cannot be told from the Swagger's types
            try:
                body = json.loads(raw)
            except ValueError:
                violated.append("")  # not JSON at all, or in a content type the operation does not take
                continue
            if media_type != "application/json":
                violated.append("")
                continue
            errors = sorted(jsonschema.Draft4Validator(parameter["schema"]).iter_errors(body), key=str)
            violated += [str(error.path[0]) if error.path else "" for error in errors]
    return violated or None


def _query_value_ok(parameter: dict[str, Any], value: str) -> bool:
    if parameter.get("type") != "integer":
        return True
    if not _INTEGER.fullmatch(value):
        return False
    return "maximum" not in parameter or int(value) <= parameter["maximum"]


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_swagger_requests_get_no_5xx_and_violations_get_400_300_naming_the_field(
    target: tuple[EmulatorServer, ZoomClient], operation: Any, mode: GenerationMode
) -> None:
    server, api = target
    headers = {"Authorization": api.session.headers["Authorization"]}

    @settings(
        max_examples=EXAMPLES_PER_CASE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        if "groupId" in (case.path_parameters or {}):
            # A real group, so the request reaches the body and query checks; a delete gets one of its own.
            deleting = operation.method.lower() == "delete" and "memberId" not in case.path_parameters
            case.path_parameters["groupId"] = api.create_group(f"fuzz {_next()}")["id"] if deleting else group_id
        response = case.call(base_url=f"{server.url}/v2", headers=headers, timeout=30)
        seen = (case.media_type, case.path_parameters, case.query, repr(case.body)[:300], response.text[:300])
        assert response.status_code < 500, seen
        violated = violated_fields(operation, response, case)
        if violated is None:
            return
        assert response.status_code == 400, seen
        body = response.json()
        assert body["code"] == 300, seen
        named = [field for field in violated if field]
        if named:
            reported = [error["field"] for error in body.get("errors", [])]
            assert any(field.startswith(tuple(named)) for field in reported), (named, seen)

    group_id = api.create_group("fuzz target")["id"]
    try:
        check()
    finally:
        api.delete(f"/im/groups/{group_id}")


_counter = iter(range(1_000_000))


def _next() -> int:
    return next(_counter)


# The three faults the fuzzer found, kept as plain regressions so they stay covered whatever it generates.


def test_a_control_character_in_a_new_group_name_is_a_400_naming_name(api: ZoomClient) -> None:
    for body in ({"json": {"name": "Sales\x00"}}, {"files": {"name": (None, "Sales\x07team")}}):
        response = api.post("/im/groups", **body)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == 300
        assert [error["field"] for error in response.json()["errors"]] == ["name"]


def test_a_null_name_in_a_group_update_is_a_400_naming_name(api: ZoomClient) -> None:
    group_id = api.create_group("Named")["id"]
    response = api.patch(f"/im/groups/{group_id}", json={"name": None})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == "name"
    assert api.get(f"/im/groups/{group_id}").json()["name"] == "Named"


@pytest.mark.parametrize("parameter", ["page_number", "page_size"])
def test_an_empty_integer_parameter_on_a_member_listing_is_a_400_naming_it(api: ZoomClient, parameter: str) -> None:
    group_id = api.create_group("Listed")["id"]
    response = api.get(f"/im/groups/{group_id}/members?{parameter}=")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == 300
    assert response.json()["errors"][0]["field"] == parameter


# Found by the fuzzer on the way: each got a 500 (create) or a 204 (update) before.


@pytest.mark.parametrize("field", ["type", "search_by_domain", "search_by_account", "search_by_ma_account"])
def test_a_json_null_in_a_group_create_or_update_is_a_400_naming_it(api: ZoomClient, field: str) -> None:
    created = api.post("/im/groups", json={"name": f"Null {field}", field: None})
    assert created.status_code == 400, created.text
    assert [error["field"] for error in created.json()["errors"]] == [field]
    group_id = api.create_group(f"Kept {field}")["id"]
    updated = api.patch(f"/im/groups/{group_id}", json={field: None})
    assert updated.status_code == 400, updated.text
    assert [error["field"] for error in updated.json()["errors"]] == [field]


def test_every_bad_listing_parameter_is_named_and_a_repeated_one_is_refused(api: ZoomClient) -> None:
    group_id = api.create_group("Listed twice")["id"]
    both = api.get(f"/im/groups/{group_id}/members?page_size=0&page_number=x")
    assert [error["field"] for error in both.json()["errors"]] == ["page_size", "page_number"]
    repeated = api.get(f"/im/groups/{group_id}/members?page_size=x&page_size=5")
    assert repeated.status_code == 400
    assert [error["field"] for error in repeated.json()["errors"]] == ["page_size"]
