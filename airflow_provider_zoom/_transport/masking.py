"""Keep client secrets and access tokens out of logs, XCom and rendered fields."""

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


def basic_credential_forms(client_id: str | None, client_secret: str | None) -> list[str]:
    """Every form the Basic credential travels in: ``id:secret``, its base64 (padded or not) and the header value."""
    if not client_secret:
        return []
    raw = f"{client_id or ''}:{client_secret}"
    encoded = base64.b64encode(raw.encode()).decode()
    urlsafe = base64.urlsafe_b64encode(raw.encode()).decode()
    return [f"Basic {encoded}", raw, encoded, encoded.rstrip("="), urlsafe, urlsafe.rstrip("=")]


def secret_forms(value: str | None) -> list[str]:
    """A secret as a server may echo it: raw, JSON-escaped, URL-encoded."""
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return []
    forms = [value, json.dumps(value)[1:-1], urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)]
    return list(dict.fromkeys(forms))


def redact(text: Any, secrets: Iterable[str | None]) -> Any:
    """``text`` with every form of every secret replaced by ``***``; not a string: returned as is.

    Applied to every message built from a reply, so that a server echoing the request's headers
    cannot get a token or the client secret into a log or an exception, masker or not.
    """
    if not isinstance(text, str) or not text:
        return text
    forms: set[str] = set()
    for secret in secrets:
        forms.update(secret_forms(secret))
    for form in sorted(forms, key=len, reverse=True):  # longest first: "Basic xyz" before "xyz"
        text = text.replace(form, REDACTED)
    return text
