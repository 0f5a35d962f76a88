"""Which provider errors a task retry could fix, and which should fail the task at once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from airflow_provider_zoom.exceptions import ZoomAPIError, ZoomAuthError, ZoomGroupExistsError


def is_permanent(exc: BaseException) -> bool:
    """Refused credentials, a conflict the caller forbade, a 4xx other than 429: the same input fails again."""
    if isinstance(exc, ZoomAuthError):
        return not exc.retryable
    if isinstance(exc, ZoomGroupExistsError):
        return True
    return isinstance(exc, ZoomAPIError) and 400 <= exc.status_code < 500 and exc.status_code != 429


@contextlib.contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Turn permanent errors into ``AirflowFailException`` so Airflow does not spend retries on them."""
    try:
        yield
    except (ZoomAuthError, ZoomAPIError, ZoomGroupExistsError) as exc:
        if not is_permanent(exc):
            raise
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(str(exc)) from None
