"""Fuzzing every API route (IM groups, Contact Groups, users) and the users admin endpoint: never a 5xx.

Random JSON of any shape, wrong types, huge strings, lone surrogates (as JSON escapes, which is how a client
sends them), empty and non-JSON bodies, wrong content types, odd path ids (percent-encoded, even invalid UTF-8)
and odd query values. Faults are off, so any 5xx is a bug: bad input must get Zoom's 4xx. Bounded: a few hundred
examples, derandomized so CI failures reproduce.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.emulator.helpers import ZoomClient, create_contact_group, user_id
from zoom_emulator import EmulatorServer

ROUTES = [
    ("GET", "/v2/im/groups"),
    ("POST", "/v2/im/groups"),
    ("GET", "/v2/im/groups/{groupId}"),
    ("PATCH", "/v2/im/groups/{groupId}"),
    ("DELETE", "/v2/im/groups/{groupId}"),
    ("GET", "/v2/im/groups/{groupId}/members"),
    ("POST", "/v2/im/groups/{groupId}/members"),
    ("DELETE", "/v2/im/groups/{groupId}/members/{memberId}"),
    ("GET", "/v2/contacts/groups"),
    ("POST", "/v2/contacts/groups"),
    ("GET", "/v2/contacts/groups/{groupId}"),
    ("PATCH", "/v2/contacts/groups/{groupId}"),
    ("DELETE", "/v2/contacts/groups/{groupId}"),
    ("GET", "/v2/contacts/groups/{groupId}/members"),
    ("POST", "/v2/contacts/groups/{groupId}/members"),
    ("DELETE", "/v2/contacts/groups/{groupId}/members"),
    ("GET", "/v2/users"),
    ("GET", "/v2/users/{userId}"),
    ("POST", "/v2/users"),
    ("POST", "/_emulator/users"),
    ("POST", "/_emulator/users/{userId}/activate"),
]
SURROGATES = ["\ud800", "\udfff", "a\udc00b", "\ud83d"]
FIELD_NAMES = [
    "name",
    "type",
    "search_by_domain",
    "members",
    "id",
    "email",
    "group_name",
    "group_privacy",
    "description",
    "group_members",
    "privacy",
    "emails",
    "status",
    "action",
    "user_info",
]
QUERY_NAMES = ["page_size", "page_number", "next_page_token", "member_ids", "status"]
CONTENT_TYPES = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "application/x-www-form-urlencoded",
    "text/plain",
    "",
]

# Short values for URLs (an over-long request line is refused by the HTTP server before the emulator sees it).
short_texts = st.one_of(
    st.text(max_size=20),
    st.sampled_from(SURROGATES),
    st.sampled_from(["", " ", "x" * 2_000, "ann@example.com", "0", "-1", "51", "1e9", "null", "%00", "../..", "a,b"]),
)
texts = st.one_of(short_texts, st.just("x" * 70_000))  # bodies also get a huge string
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), texts)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), texts), children, max_size=4),
    ),
    max_leaves=12,
)
# Bodies shaped like the real ones, with wrong values inside, reach further than random JSON does.
member_items = st.fixed_dictionaries({}, optional={"type": json_values, "id": json_values, "email": json_values})
shaped = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "group_name": json_values,
            "group_privacy": json_values,
            "description": json_values,
            "group_members": st.one_of(json_values, st.lists(member_items, max_size=5)),
            "members": st.one_of(json_values, st.lists(member_items, max_size=5)),
            "name": json_values,
            "privacy": json_values,
            "type": json_values,
            "emails": json_values,
            "action": st.one_of(json_values, st.sampled_from(["create", "autoCreate", "custCreate", "ssoCreate"])),
            "user_info": st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {}, optional={"email": json_values, "type": json_values, "first_name": json_values}
                ),
            ),
        },
    ),
)
bodies = st.one_of(
    st.none(),
    json_values.map(lambda value: json.dumps(value).encode()),  # ensure_ascii: surrogates become \\udxxx escapes
    shaped.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=64),
    st.sampled_from([b"{", b"[]", b'"x"', b"\xff\xfe", b"{" * 5000 + b"}" * 5000, b"--xyz\r\n\r\n--xyz--"]),
)


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[tuple[EmulatorServer, ZoomClient, dict[str, str]]]:
    with EmulatorServer(seed=7, user_domains=["example.com"]) as server:
        api = ZoomClient(server)
        known = {
            "im": api.create_group("Fuzzed")["id"],
            "contact": create_contact_group(api, "Fuzzed")["group_id"],
            "user": user_id(api, "ann@example.com"),
        }
        yield server, api, known


def path_ids(known: dict[str, str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(list(known.values())), short_texts.filter(bool))


def encode(segment: str) -> str:
    return quote(segment, safe="", errors="surrogatepass")  # lone surrogates become invalid UTF-8 on the wire


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_no_input_gets_a_5xx(fuzz_target: tuple[EmulatorServer, ZoomClient, dict[str, str]], data: Any) -> None:
    server, api, known = fuzz_target
    method, template = data.draw(st.sampled_from(ROUTES), label="route")
    path = template
    for name in ("groupId", "memberId", "userId"):
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", encode(data.draw(path_ids(known), label=name)))
    query = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES), short_texts, max_size=3), label="query")
    query_string = "&".join(f"{encode(k)}={encode(v)}" for k, v in query.items())
    body = data.draw(bodies, label="body")
    content_type = data.draw(st.sampled_from(CONTENT_TYPES), label="content-type")
    headers = dict(api.session.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    url = f"{server.url}{path}" + (f"?{query_string}" if query_string else "")
    response = requests.request(method, url, data=body, headers=headers, timeout=30)
    seen = (method, path[:200], str(query)[:200], body[:200] if body else body, response.text[:300])
    assert response.status_code < 500, seen
    if response.content:
        assert isinstance(response.json(), dict), seen


FORM_ROUTES = [
    ("POST", "/v2/im/groups"),
    ("PATCH", "/v2/im/groups/{groupId}"),
    ("POST", "/v2/im/groups/{groupId}/members"),
    ("POST", "/v2/contacts/groups"),
    ("PATCH", "/v2/contacts/groups/{groupId}"),
]


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_no_multipart_form_gets_a_5xx(
    fuzz_target: tuple[EmulatorServer, ZoomClient, dict[str, str]], data: Any
) -> None:
    """Well-formed multipart bodies (the IM create/update's documented encoding) with odd fields and values,
    as text parts and as file parts, including bytes that are not UTF-8."""
    server, api, known = fuzz_target
    method, template = data.draw(st.sampled_from(FORM_ROUTES), label="route")
    group_id = known["contact"] if "contacts" in template else known["im"]
    path = template.replace("{groupId}", group_id)
    names = st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=8))
    values = st.one_of(texts.map(lambda text: text.encode("utf-8", "surrogatepass")), st.binary(max_size=32))
    fields = data.draw(st.dictionaries(names, values, max_size=5), label="fields")
    as_files = data.draw(st.booleans(), label="as files")
    files = {name: (("f.txt" if as_files else None), value) for name, value in fields.items()} or {"": (None, b"")}
    response = requests.request(
        method, f"{server.url}{path}", files=files, headers=dict(api.session.headers), timeout=30
    )
    assert response.status_code < 500, (method, path, fields, response.text[:300])
    if response.content:
        assert isinstance(response.json(), dict)


def test_after_fuzzing_the_account_is_still_consistent(
    fuzz_target: tuple[EmulatorServer, ZoomClient, dict[str, str]],
) -> None:
    server, api, _ = fuzz_target
    assert api.get("/contacts/groups", params={"page_size": 50}).status_code == 200
    assert api.get("/im/groups").status_code == 200
    state = server.state()
    assert all(group["group_name"] for group in state["contact_groups"])
    json.dumps(state, ensure_ascii=False).encode("utf-8")  # no lone surrogate made it into the account
