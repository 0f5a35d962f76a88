"""Keep client secrets and access tokens out of logs, XCom and rendered fields.

A server may echo a credential in any form it travels in: raw, JSON-escaped, URL-encoded, or as the Base64
of a Basic header (Latin-1, as requests encodes it, or UTF-8). ``redact`` removes each of these forms, and
any run of 4 or more characters of a Base64 credential (what is left of it after a server cut the echo
short). Text is always redacted before it is shortened (``redact_then_cut``): a cut first could leave the
head of a credential that redaction no longer recognises.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterable
from typing import Any


def mask(secret: str | None) -> None:
    """Register a value with Airflow's secrets masker, in the task and in its supervisor.

    Under ``dag.test()`` / ``airflow dags test`` the supervisor runs in this very process and shares
    its masker, and Airflow's in-process channel (3.1 to 3.3) logs every message it sends at DEBUG, the
    value of a ``MaskSecret`` included (the real supervisor omits that body). There the mask is
    registered locally only, so that a token never reaches a DEBUG log.
    """
    if not secret:
        return
    from airflow.sdk import log as sdk_log
    from airflow.sdk.execution_time import task_runner

    from airflow_provider_zoom._compat import local_secrets_masker

    comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
    if type(comms).__name__ == "InProcessSupervisorComms" and (local_masker := local_secrets_masker()) is not None:
        local_masker.add_mask(secret, None)
        return
    sdk_log.mask_secret(secret)


REDACTED = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words; Airflow's masker has the same floor
#: A run this long of a Base64 credential is redacted wherever it appears (a server may cut its echo anywhere).
BASE64_FRAGMENT = 4
#: Encodings a Basic credential takes on the wire: requests sends Latin-1, other clients UTF-8.
BASIC_ENCODINGS = ("latin-1", "utf-8")


class Base64Credential(str):
    """The Base64 of a Basic credential: ``redact`` hides any fragment of it, not only the whole."""

    __slots__ = ()


def basic_credential_forms(client_id: str | None, client_secret: str | None) -> list[str]:
    """Every form the Basic credential travels in: ``id:secret``, its Base64 (Latin-1 and UTF-8, padded or not,
    standard and URL-safe alphabets) and the header value; the Base64 forms as ``Base64Credential``."""
    if not client_secret:
        return []
    raw = f"{client_id or ''}:{client_secret}"
    forms = [raw]
    for encoding in BASIC_ENCODINGS:
        try:
            data = raw.encode(encoding)
        except UnicodeEncodeError:
            continue  # outside Latin-1: the config refuses such a secret, nothing sends it that way
        encoded = base64.b64encode(data).decode()
        urlsafe = base64.urlsafe_b64encode(data).decode()
        forms.append(f"Basic {encoded}")
        forms += [Base64Credential(encoded), Base64Credential(urlsafe)]
    return list(dict.fromkeys(forms))


def secret_forms(value: str | None) -> list[str]:
    """A secret as a server may echo it: raw, JSON-escaped (ASCII escapes or not, ``\\/`` too), URL-encoded
    (UTF-8 and Latin-1, spaces as ``%20`` or ``+``, upper- or lowercase hex)."""
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return []
    forms = [value]
    for ascii_only in (True, False):
        escaped = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        forms += [escaped, escaped.replace("/", "\\/"), _upper_unicode_escapes(escaped)]
    for encoding in ("utf-8", "latin-1"):
        try:
            quoted = [urllib.parse.quote(value, safe="", encoding=encoding),
                      urllib.parse.quote_plus(value, safe="", encoding=encoding),
                      urllib.parse.quote(value, encoding=encoding)]  # "/" kept, as in a path
        except UnicodeEncodeError:
            continue
        forms += quoted + [_lower_percent_escapes(q) for q in quoted]
    return [form for form in dict.fromkeys(forms) if len(form) >= _MIN_SECRET_LENGTH]


def _upper_unicode_escapes(text: str) -> str:
    """``\\u00e9`` as ``\\u00E9``: JSON allows either case."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("\\u", i) and i + 6 <= len(text):
            out.append("\\u" + text[i + 2 : i + 6].upper())
            i += 6
        elif text.startswith("\\\\", i):
            out.append("\\\\")
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _lower_percent_escapes(text: str) -> str:
    """``%C3%A9`` as ``%c3%a9``: percent-encoding allows either case."""
    parts = text.split("%")
    return parts[0] + "".join("%" + p[:2].lower() + p[2:] for p in parts[1:])


def redact(text: Any, secrets: Iterable[str | None]) -> Any:
    """``text`` with every form of every secret replaced by ``***``; not a string: returned as is.

    Applied to every message built from a reply, so that a server echoing the request's headers
    cannot get a token or the client secret into a log or an exception, masker or not. A Base64
    credential (from ``basic_credential_forms``) is redacted whole and in any fragment of 4 or more
    characters, so an echo a server cut short leaves nothing of it either.
    """
    if not isinstance(text, str) or not text:
        return text
    forms: set[str] = set()
    fragments: list[str] = []
    for secret in secrets:
        if not secret:
            continue
        if isinstance(secret, Base64Credential):
            fragments.append(secret)
        forms.update(secret_forms(secret))
    for form in sorted(forms, key=len, reverse=True):  # longest first: "Basic xyz" before "xyz"
        text = text.replace(form, REDACTED)
    return _redact_fragments(text, fragments) if fragments else text


def _redact_fragments(text: str, encoded_forms: list[str]) -> str:
    """Every run of ``BASE64_FRAGMENT`` or more characters of one of ``encoded_forms``, replaced by ``***``."""
    n = BASE64_FRAGMENT
    grams = {form[i : i + n] for form in encoded_forms for i in range(len(form) - n + 1)}
    grams.discard(REDACTED[:n])
    hidden = [False] * len(text)
    for i in range(len(text) - n + 1):
        if text[i : i + n] in grams:
            hidden[i : i + n] = [True] * n
    if not any(hidden):
        return text
    out: list[str] = []
    for i, char in enumerate(text):
        if not hidden[i]:
            out.append(char)
        elif i == 0 or not hidden[i - 1]:
            out.append(REDACTED)
    return "".join(out)


def redact_then_cut(text: Any, secrets: Iterable[str | None], limit: int) -> str:
    """``text`` redacted, then shortened to ``limit`` characters (``...`` marks a cut): never the other way round."""
    shown = redact(str(text), secrets)
    return shown if len(shown) <= limit else shown[: max(0, limit - 3)] + "..."
