"""A requests session that consults the proxy and CA-bundle environment once per host, not on every call."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests


class EnvironmentOnceSession(requests.Session):
    """``requests.Session`` that resolves its environment settings once per scheme, host and call settings.

    With ``trust_env`` (the default, kept) requests scans ``os.environ`` twice on every request to find
    proxies and ``NO_PROXY`` exclusions. With an Airflow worker's environment that scan was about 40% of the
    client's own time per API call. A task process's environment does not change while it runs, so the
    merged result is kept: the same ``HTTP(S)_PROXY`` / ``NO_PROXY`` / ``REQUESTS_CA_BUNDLE`` /
    ``CURL_CA_BUNDLE`` apply as with a plain session, read when a host is first called.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment_settings: dict[tuple, dict[str, Any]] = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert) -> dict[str, Any]:
        scheme, host = urlsplit(url)[:2]
        try:
            key = (scheme, host, frozenset((proxies or {}).items()), stream, verify,
                   tuple(cert) if isinstance(cert, list) else cert, self.trust_env)
            hash(key)
        except TypeError:  # a setting requests accepts but cannot be a key: no caching for that call
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings = self._environment_settings.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._environment_settings[key] = settings
        # requests may adjust what it gets back (proxies on a redirect): hand out a copy.
        return {**settings, "proxies": dict(settings["proxies"])}
