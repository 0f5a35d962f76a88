"""The HTTP face of :class:`~.backend.ZoomBackend`: a plain ASGI app that only translates.

It is a hand-rolled ASGI callable (Starlette is used only to parse bodies) because an injected connection
reset needs the raw ``send`` channel and a benchmark pushes 1,000+ creates/s through it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from .backend import ZoomBackend
from .errors import DropConnection, EmulatedZoomError, EmulatorError, invalid_body, validation_error
from .ratelimit import Category

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # JSON-serialisable, or None for an empty body
    headers: Mapping[str, str] | None = None


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
JSON_TYPE, MULTIPART_TYPE = "application/json", "multipart/form-data"
Handler = Callable[[ZoomBackend, Request, dict[str, str]], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    kind: str  # "api" (bearer, limits, faults, counted), "oauth" (counted) or "admin"
    category: Category | None = None
    api: str = "im"  # the API family of an "api" route: "im", "contacts", "users" or "user_create"

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"

    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "$")


def base_url(request: Request) -> str:
    """Where the client reached us, so Content-Location and ``api_url`` are usable as given."""
    host = request.headers.get("host")
    if host is None:
        server_host, server_port = request.scope["server"]
        host = f"{server_host}:{server_port}"
    return f"http://{host}"


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith(FORM_TYPES)


def _media_type(request: Request) -> str:
    """``Content-Type`` without its parameters, lower-cased; ``""`` when the request has none."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def unsupported_content_type(media_type: str, accepted: tuple[str, ...]) -> EmulatedZoomError:
    """A body in a content type the operation does not take: HTTP 400, code 300.

    Zoom's errors page lists no 415; it answers a request body it cannot use with 400 and code 300 (the
    "Validation Failed." / "Request Body should be a valid JSON object." family), so that is the documented
    shape a client must already handle. Zoom is silent on what it does with other content types; refusing
    them (rather than guessing at the body) is the stricter choice and shows a client bug at once.
    """
    given = media_type or "none"
    return EmulatedZoomError(400, 300, f"Unsupported Content-Type: {given}. Send {' or '.join(accepted)}.")


async def _form_fields(request: Request) -> dict[str, str]:
    """A form's fields as text; the first value wins when a field is repeated."""
    fields: dict[str, str] = {}
    try:
        async with request.form() as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):  # a field sent as a file part still carries its text
                    value = (await value.read()).decode("utf-8", "replace")
                fields.setdefault(key, value)
    except MultiPartException:
        raise invalid_body() from None
    return fields


async def _form_or_json(request: Request, *, body_required: bool = False) -> tuple[dict[str, Any], bool]:
    """Create/update bodies in the two content types Zoom documents: Swagger's top-level ``consumes`` is
    ``application/json`` and ``multipart/form-data`` (the create example is JSON, the Postman collection
    multipart). Anything else, ``application/x-www-form-urlencoded`` included, is refused. No body at all
    goes on to the operation's own validation ("name is required"), unless ``body_required``: Swagger marks
    the update's body ``required: true``, so an update without one is Zoom's 400/300, not a 204. Returns the
    fields and whether they came as a form (text values) rather than JSON (typed values)."""
    media_type = _media_type(request)
    if media_type == MULTIPART_TYPE:
        return await _form_fields(request), True
    raw = await request.body()
    if media_type != JSON_TYPE and raw.strip():
        raise unsupported_content_type(media_type, (JSON_TYPE, MULTIPART_TYPE))
    if body_required and not raw.strip():
        raise invalid_body()
    body = _parse_json(raw)
    if not isinstance(body, dict):
        raise invalid_body()
    return body, False


async def _json_only(request: Request) -> Any:
    """Add-members bodies: JSON only. Its body is a list of ``{id}``/``{email}`` objects, which flat form fields
    cannot carry and for which Zoom documents no form encoding, so a form (or any other type) is refused."""
    raw = await request.body()
    media_type = _media_type(request)
    if media_type != JSON_TYPE and raw.strip():
        raise unsupported_content_type(media_type, (JSON_TYPE,))
    return _parse_json(raw)


def _basic_credentials(header: str) -> tuple[str | None, str | None]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, colon, client_secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return (client_id, client_secret) if colon else (None, None)


async def _json(request: Request) -> Any:
    """An admin endpoint's body: JSON whatever the Content-Type (these are the emulator's, not Zoom's)."""
    return _parse_json(await request.body())


def _parse_json(raw: bytes) -> Any:
    """A request body as JSON; ``{}`` for none. Zoom's 400/300 for anything that is not JSON in UTF-8 text,
    including text that escapes a lone surrogate (``"\ud800"``): it decodes to a string no UTF-8 encoder
    accepts, which used to surface as a 500 wherever such a value was written out."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise invalid_body() from None
    if _has_lone_surrogate(body):
        raise invalid_body()
    return body


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


async def _json_body(request: Request, *, required: bool) -> Any:
    """Contact Groups bodies: JSON. The reference (section 0) says Zoom also takes multipart/form-data, but
    these bodies hold integers and arrays of objects that flat form fields cannot carry, and Zoom documents no
    form encoding of them; refusing a form is the stricter choice and shows a client bug at once. A missing
    body is refused where the 2023 spec marks it required (create, update) and the operation needs one."""
    raw = await request.body()
    media_type = _media_type(request)
    if media_type != JSON_TYPE and raw.strip():
        raise unsupported_content_type(media_type, (JSON_TYPE,))
    if required and not raw.strip():
        raise invalid_body()
    return _parse_json(raw)


def _refuse_repeated_query(request: Request) -> None:
    """A query parameter given twice (``?page_size=5&page_size=x``): none of Zoom's parameters here is an array,
    and Zoom does not say which value wins; refusing, naming it, is the stricter choice (reading one of them
    would let an invalid value through unseen)."""
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise validation_error([(name, "is given more than once") for name in repeated])


# -- handlers --------------------------------------------------------------------------------------------


async def issue_token(backend: ZoomBackend, request: Request, _: dict[str, str]) -> Reply:
    params = dict(request.query_params)
    if _is_form(request):
        params.update(await _form_fields(request))  # Zoom accepts the grant in the query string or the form body
    client_id, client_secret = _basic_credentials(request.headers.get("authorization", ""))
    token = backend.issue_token(
        client_id, client_secret, params.get("grant_type"), params.get("account_id"), base_url(request)
    )
    return Reply(200, token)


async def list_groups(backend: ZoomBackend, _: Request, __: dict[str, str]) -> Reply:
    return Reply(200, backend.list_groups())


async def create_group(backend: ZoomBackend, request: Request, _: dict[str, str]) -> Reply:
    fields, form = await _form_or_json(request)
    group = backend.create_group(fields, form=form)
    location = f"{base_url(request)}/v2/im/groups/{group['id']}"
    return Reply(201, group, {"Content-Location": location})


async def get_group(backend: ZoomBackend, _: Request, params: dict[str, str]) -> Reply:
    return Reply(200, backend.get_group(params["groupId"]))


async def update_group(backend: ZoomBackend, request: Request, params: dict[str, str]) -> Reply:
    fields, form = await _form_or_json(request, body_required=True)
    backend.update_group(params["groupId"], fields, form=form)
    return Reply(204)


async def delete_group(backend: ZoomBackend, _: Request, params: dict[str, str]) -> Reply:
    backend.delete_group(params["groupId"])
    return Reply(204)


async def list_members(backend: ZoomBackend, request: Request, params: dict[str, str]) -> Reply:
    query = request.query_params
    page = backend.list_members(
        params["groupId"], query.get("page_size"), query.get("page_number"), query.get("next_page_token")
    )
    return Reply(200, page)


async def add_members(backend: ZoomBackend, request: Request, params: dict[str, str]) -> Reply:
    return Reply(201, backend.add_members(params["groupId"], await _json_only(request)))


async def remove_member(backend: ZoomBackend, _: Request, params: dict[str, str]) -> Reply:
    backend.remove_member(params["groupId"], params["memberId"])
    return Reply(204)


async def list_contact_groups(backend: ZoomBackend, request: Request, _: dict[str, str]) -> Reply:
    query = request.query_params
    return Reply(200, backend.list_contact_groups(query.get("page_size"), query.get("next_page_token")))


async def create_contact_group(backend: ZoomBackend, request: Request, _: dict[str, str]) -> Reply:
    return Reply(201, backend.create_contact_group(await _json_body(request, required=True)))


async def get_contact_group(backend: ZoomBackend, _: Request, params: dict[str, str]) -> Reply:
    return Reply(200, backend.get_contact_group(params["groupId"]))


async def update_contact_group(backend: ZoomBackend, request: Request, params: dict[str, str]) -> Reply:
    backend.update_contact_group(params["groupId"], await _json_body(request, required=True))
    return Reply(204)


async def delete_contact_group(backend: ZoomBackend, _: Request, params: dict[str, str]) -> Reply:
    backend.delete_contact_group(params["groupId"])
    return Reply(204)


async def list_contact_group_members(backend: ZoomBackend, request: Request, params: dict[str, str]) -> Reply:
    query = request.query_params
    page = backend.list_contact_group_members(params["groupId"], query.get("page_size"), query.get("next_page_token"))
    return Reply(200, page)


async def add_contact_group_members(backend: ZoomBackend, request: Request, params: dict[str, str]) -> Reply:
    return Reply(201, backend.add_contact_group_members(params["groupId"], await _json_body(request, required=True)))


async def remove_contact_group_members(backend: ZoomBackend, request: Request, params: dict[str, str]) -> Reply:
    backend.remove_contact_group_members(params["groupId"], request.query_params.get("member_ids"))
    return Reply(204)


async def get_user(backend: ZoomBackend, _: Request, params: dict[str, str]) -> Reply:
    return Reply(200, backend.get_user(params["userId"]))


async def list_account_users(backend: ZoomBackend, request: Request, _: dict[str, str]) -> Reply:
    query = request.query_params
    page = backend.list_users(
        query.get("status"), query.get("page_size"), query.get("page_number"), query.get("next_page_token")
    )
    return Reply(200, page)


async def create_user(backend: ZoomBackend, request: Request, _: dict[str, str]) -> Reply:
    return Reply(201, backend.create_user(await _json_body(request, required=True)))


async def activate_user(backend: ZoomBackend, _: Request, params: dict[str, str]) -> Reply:
    return Reply(200, backend.activate_user(params["email"]))


async def health(_: ZoomBackend, __: Request, ___: dict[str, str]) -> Reply:
    return Reply(200, {"status": "ok"})


async def state(backend: ZoomBackend, _: Request, __: dict[str, str]) -> Reply:
    return Reply(200, backend.dump())


async def reset(backend: ZoomBackend, request: Request, _: dict[str, str]) -> Reply:
    body = await _json(request)
    backend.reset(keep_config=not isinstance(body, dict) or body.get("keep_config", True) is not False)
    return Reply(200, backend.dump())


async def get_config(backend: ZoomBackend, _: Request, __: dict[str, str]) -> Reply:
    return Reply(200, backend.config())


async def update_config(backend: ZoomBackend, request: Request, _: dict[str, str]) -> Reply:
    body = await _json(request)
    if not isinstance(body, dict):
        raise invalid_body()
    return Reply(200, backend.update_config(body))


async def list_users(backend: ZoomBackend, _: Request, __: dict[str, str]) -> Reply:
    return Reply(200, {"users": backend.dump()["users"], "user_domains": backend.config()["user_domains"]})


async def add_users(backend: ZoomBackend, request: Request, _: dict[str, str]) -> Reply:
    body = await _json(request)
    if not isinstance(body, dict):
        body = {}
    return Reply(200, backend.add_users(body.get("emails"), body.get("status"), body.get("missing")))


async def invalidate_tokens(backend: ZoomBackend, _: Request, __: dict[str, str]) -> Reply:
    return Reply(200, {"invalidated": backend.invalidate_tokens()})


GROUPS, GROUP, MEMBERS = "/v2/im/groups", "/v2/im/groups/{groupId}", "/v2/im/groups/{groupId}/members"
CONTACTS, CONTACT = "/v2/contacts/groups", "/v2/contacts/groups/{groupId}"
CONTACT_MEMBERS = CONTACT + "/members"
ROUTES: tuple[Route, ...] = (
    Route("POST", "/oauth/token", issue_token, "oauth"),
    Route("GET", GROUPS, list_groups, "api", "Medium"),
    Route("POST", GROUPS, create_group, "api", "Light"),
    Route("GET", GROUP, get_group, "api", "Light"),
    Route("PATCH", GROUP, update_group, "api", "Light"),
    Route("DELETE", GROUP, delete_group, "api", "Light"),
    Route("GET", MEMBERS, list_members, "api", "Medium"),
    Route("POST", MEMBERS, add_members, "api", "Medium"),
    Route("DELETE", MEMBERS + "/{memberId}", remove_member, "api", "Light"),
    # Contact Groups and users: labels from zoom-contact-groups.md section 2 / 7.1.
    Route("GET", CONTACTS, list_contact_groups, "api", "Medium", "contacts"),
    Route("POST", CONTACTS, create_contact_group, "api", "Heavy", "contacts"),
    Route("GET", CONTACT, get_contact_group, "api", "Light", "contacts"),
    Route("PATCH", CONTACT, update_contact_group, "api", "Heavy", "contacts"),
    Route("DELETE", CONTACT, delete_contact_group, "api", "Heavy", "contacts"),
    Route("GET", CONTACT_MEMBERS, list_contact_group_members, "api", "Medium", "contacts"),
    Route("POST", CONTACT_MEMBERS, add_contact_group_members, "api", "Heavy", "contacts"),
    Route("DELETE", CONTACT_MEMBERS, remove_contact_group_members, "api", "Heavy", "contacts"),
    Route("GET", "/v2/users", list_account_users, "api", "Medium", "users"),
    Route("GET", "/v2/users/{userId}", get_user, "api", "Light", "users"),
    Route("POST", "/v2/users", create_user, "api", "Light", "user_create"),
    Route("GET", "/health", health, "admin"),
    Route("GET", "/_emulator/state", state, "admin"),
    Route("POST", "/_emulator/reset", reset, "admin"),
    Route("GET", "/_emulator/config", get_config, "admin"),
    Route("PUT", "/_emulator/config", update_config, "admin"),
    Route("POST", "/_emulator/config", update_config, "admin"),
    Route("POST", "/_emulator/tokens/invalidate", invalidate_tokens, "admin"),
    Route("GET", "/_emulator/users", list_users, "admin"),
    Route("POST", "/_emulator/users", add_users, "admin"),
    Route("POST", "/_emulator/users/{email}/activate", activate_user, "admin"),
)


class EmulatorApp:
    """ASGI application serving one :class:`ZoomBackend`."""

    def __init__(self, backend: ZoomBackend):
        self.backend = backend
        self._routes = [(route, route.pattern()) for route in ROUTES]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no lifespan or websockets; servers are run with lifespan="off"
            return
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        allowed: list[str] = []
        for route, pattern in self._routes:
            match = pattern.match(path)
            if match and route.method == method:
                await self._serve(route, match.groupdict(), Request(scope, receive), receive, send)
                return
            if match:
                allowed.append(route.method)
        if allowed:
            # A known path, another method: HTTP's 405 with the Allow header it requires (RFC 9110 15.5.6),
            # in Zoom's {"code", "message"} error shape with the status as code, as for 404 and 429. Zoom
            # documents nothing for this case; answering 404 would hide that the path itself is right.
            allow = ", ".join(sorted(set(allowed)))
            body = {"code": 405, "message": f"Method {method} is not allowed for this path. Allowed: {allow}."}
            await _send_json(send, Reply(405, body, {"Allow": allow}))
            return
        await _send_json(send, Reply(404, {"code": 404, "message": "Not found"}))

    async def _serve(
        self, route: Route, params: dict[str, str], request: Request, receive: Receive, send: Send
    ) -> None:
        backend = self.backend
        try:
            if route.kind != "admin":
                delay = backend.latency_seconds(oauth=route.kind == "oauth")
                if delay:
                    await asyncio.sleep(delay)
            if route.category is not None:
                backend.admit(route.category, request.headers.get("authorization"), route.api)
                _refuse_repeated_query(request)
            reply = await route.handler(backend, request, params)
        except EmulatorError as error:
            reply = Reply(error.status, error.body(), error.headers)
        except DropConnection:
            backend.record(route.key, "dropped")
            await _drop_connection(receive, send)
            return
        if route.kind != "admin":
            backend.record(route.key, reply.status)
        await _send_json(send, reply)


async def _send_json(send: Send, reply: Reply) -> None:
    headers = [(name.lower().encode(), value.encode()) for name, value in (reply.headers or {}).items()]
    body = b""
    if reply.body is not None:
        body = json.dumps(reply.body, separators=(",", ":")).encode()
        headers += [(b"content-type", b"application/json;charset=UTF-8"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop_connection(receive: Receive, send: Send) -> None:
    """Close the TCP connection without a byte of response.

    uvicorn's ``send`` is a bound method of its request cycle, which holds the transport; aborting it and
    then waiting for ``http.disconnect`` makes uvicorn treat the request as abandoned by the client (no
    500, no log line). ``requests`` then raises ``ConnectionError`` ("Connection aborted"). Under another
    ASGI server the fallback announces a body that never comes, which ``requests`` reports as
    ``ChunkedEncodingError``.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        await send({"type": "http.response.start", "status": 500, "headers": [(b"content-length", b"1")]})
        return
    transport.abort()
    while (await asyncio.wait_for(receive(), timeout=5))["type"] != "http.disconnect":
        pass


def create_app(backend: ZoomBackend) -> EmulatorApp:
    return EmulatorApp(backend)
