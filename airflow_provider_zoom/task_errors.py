"""Which provider errors a task retry could fix, and which should fail the task at once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from airflow_provider_zoom.exceptions import (
    ZoomAPIError,
    ZoomAuthError,
    ZoomConfigError,
    ZoomError,
    ZoomGroupExistsError,
    ZoomInvalidInput,
    ZoomReplyError,
)


def is_permanent(exc: BaseException) -> bool:
    """Decided on the type: the same input would fail again.

    Permanent: a wrong connection setting or argument (``ZoomConfigError``, ``ZoomInvalidInput``),
    refused credentials (``ZoomCredentialsRejected``), a conflict the caller forbade, a 4xx other than
    429 (a 401 that survived every renewal too). Not permanent: 429 / 5xx (``ZoomTransientError``), an unreachable token endpoint
    (``ZoomTokenEndpointUnavailable``), a reply not as Zoom documents it (``ZoomReplyError``), network errors.
    """
    if isinstance(exc, (ZoomConfigError, ZoomInvalidInput, ZoomGroupExistsError)):
        return True
    if isinstance(exc, ZoomAuthError):
        return not exc.retryable
    if isinstance(exc, ZoomReplyError):
        return False
    return isinstance(exc, ZoomAPIError) and 400 <= exc.status_code < 500 and exc.status_code != 429


@contextlib.contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Turn permanent errors into ``AirflowFailException`` so Airflow does not spend retries on them."""
    try:
        yield
    except ZoomError as exc:
        if not is_permanent(exc):
            raise
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(str(exc)) from None
