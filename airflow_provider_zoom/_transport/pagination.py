"""The one paginator of Zoom's listings (IM Groups, Contact Groups and their members alike).

Zoom pages with ``next_page_token``; a token that expired (Zoom keeps them about 15 minutes) or that Zoom
refuses is answered with a 400. The listing then starts over once from its first page: the items are handed
out only when the last page is in, so a restart never repeats one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_zoom._transport.requester import Requester
from airflow_provider_zoom._transport.retries import page_of
from airflow_provider_zoom.exceptions import ZoomAPIError


def paginate(
    requester: Requester,
    path: str,
    keys: tuple[str, ...],
    *,
    page_size: int | None = None,
    not_a_token_error: Callable[[ZoomAPIError], bool] = lambda exc: False,
) -> Iterator[dict[str, Any]]:
    """Every item of a listing (the items under the first of ``keys`` a page has).

    :param page_size: sent as ``page_size`` when set (Zoom's default otherwise).
    :param not_a_token_error: a 400 for which this is true is raised as it is, never taken for an expired
        token (e.g. "this group does not exist" on a member listing).
    """
    first: dict[str, Any] = {"page_size": page_size} if page_size else {}
    params = dict(first)
    parse = functools.partial(page_of, keys=keys)
    restarted = False
    seen: list[dict[str, Any]] = []
    while True:
        try:
            body = requester.request("GET", path, params=params, parse=parse)
        except ZoomAPIError as exc:
            if "next_page_token" not in params or restarted or exc.status_code != 400 or not_a_token_error(exc):
                raise
            restarted = True
            params, seen = dict(first), []
            continue
        seen += body["_items"]
        token = body.get("next_page_token")
        if not token:
            yield from seen
            return
        params = {**first, "next_page_token": str(token)}
