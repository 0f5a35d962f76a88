"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations


def get_provider_info() -> dict:
    """What Airflow's ProvidersManager reads: modules, the ``zoom`` connection type and its form fields."""
    from airflow_provider_zoom import __version__

    return {
        "package-name": "airflow-provider-zoom",
        "name": "Zoom",
        "description": "Manage Zoom IM directory groups from Airflow (Server-to-Server OAuth).",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Zoom",
                "external-doc-url": "https://developers.zoom.us/docs/api/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "Zoom", "python-modules": ["airflow_provider_zoom.hooks.zoom"]}],
        "operators": [
            {
                "integration-name": "Zoom",
                "python-modules": [
                    "airflow_provider_zoom.operators.groups",
                    "airflow_provider_zoom.operators.im_groups",
                    "airflow_provider_zoom.operators.waves",
                ],
            }
        ],
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_zoom.hooks.zoom.ZoomHook",
                "hook-name": "Zoom",
                "connection-type": "zoom",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "login": "Client ID",
                        "password": "Client Secret",
                        "host": "API base URL",
                    },
                    "placeholders": {
                        "host": "https://api.zoom.us/v2",
                        "login": "Server-to-Server OAuth app client ID",
                        "password": "Server-to-Server OAuth app client secret",
                        "account_id": "Zoom account ID of the app",
                        "oauth_url": "https://zoom.us/oauth/token",
                        "credential_cache_dir": "$AIRFLOW_HOME/.zoom_tokens",
                        "rate_limiter_conn_id": "redis_default",
                        "proxies": '{"https": "http://proxy.example:3128"}',
                    },
                },
                # Every extra the hook reads (airflow_provider_zoom._transport.config.EXTRAS). No name holds a word
                # Airflow treats as secret ("token", "key", ...), or the form would show its value as ***; the one
                # exception is "proxies", whose value may hold a proxy password and is masked on purpose.
                "conn-fields": _CONN_FIELDS,
            }
        ],
    }


_OPTIONAL_NUMBER = {"type": ["number", "null"], "exclusiveMinimum": 0}

_CONN_FIELDS: dict = {
    "account_id": {
        "label": "Account ID",
        "description": "Account ID shown on the Server-to-Server OAuth app's credentials page.",
        "schema": {"type": ["string", "null"], "maxLength": 128},
    },
    "oauth_url": {
        "label": "OAuth token URL",
        "description": "Zoom's token endpoint; empty: https://zoom.us/oauth/token. "
        "Formerly the extra oauth_token_url, still read.",
        "schema": {"type": ["string", "null"], "format": "url"},
    },
    # A choice list whose empty choice (null) means "no pacing": Airflow 3.3's form shows it as a dropdown with
    # that choice and saves null for it (tests/e2e/test_e2e_3_connection_form.py saves both empty and "pro").
    "plan": {
        "label": "Zoom plan (pacing)",
        "description": "Pace requests to this plan's per-second limits (Light / Medium / Heavy): free 4 / 2 / 1, "
        "pro 30 / 20 / 10, business 80 / 60 / 40. Empty: no client-side pacing.",
        "schema": {
            "type": ["string", "null"],
            "enum": [None, "free", "pro", "business"],
            "values_display": {"null": "(none: no pacing)", "free": "free", "pro": "pro", "business": "business"},
        },
    },
    "light_rps": {
        "label": "Light requests per second",
        "description": "Explicit pace of Light API calls (creating groups, adding one member); wins over the plan's.",
        "schema": dict(_OPTIONAL_NUMBER),
    },
    "medium_rps": {
        "label": "Medium requests per second",
        "description": "Explicit pace of Medium API calls (listing groups, adding members); wins over the plan's.",
        "schema": dict(_OPTIONAL_NUMBER),
    },
    "heavy_rps": {
        "label": "Heavy requests per second",
        "description": "Explicit pace of Heavy API calls (Contact Groups: create, update, delete, add and remove "
        "members); wins over the plan's (free 1, pro 10, business 40).",
        "schema": dict(_OPTIONAL_NUMBER),
    },
    # Like the plan: a choice list whose empty choice means the default.
    "rate_limiter": {
        "label": "Rate limiter",
        "description": "Who shares the pacing above: process (each task process paces itself), machine (every "
        "process of a worker, through files beside the token cache), redis (every worker of the deployment, "
        "through the Redis connection below; needs airflow-provider-zoom[redis]). With machine or redis, any "
        "number of tasks together keep to the plan's limits. Empty: process.",
        "schema": {
            "type": ["string", "null"],
            "enum": [None, "process", "machine", "redis"],
            "values_display": {"null": "(default: process)", "process": "process", "machine": "machine",
                               "redis": "redis"},
        },
    },
    "rate_limiter_conn_id": {
        "label": "Rate limiter Redis connection",
        "description": "ID of the Airflow Redis connection the redis rate limiter keeps its slots in, reachable "
        "from every worker; empty: redis_default.",
        "schema": {"type": ["string", "null"]},
    },
    "group_api": {
        "label": "Group API",
        "description": "im_groups: Zoom's retired IM Groups API (accounts that still serve it); contact_groups: "
        "its successor, Contact Groups; empty or auto: IM Groups until Zoom answers 410 (code 4137), then "
        "Contact Groups, remembered for later tasks.",
        "schema": {
            "type": ["string", "null"],
            "enum": [None, "auto", "im_groups", "contact_groups"],
            "values_display": {"null": "(auto)", "auto": "auto", "im_groups": "im_groups",
                               "contact_groups": "contact_groups"},
        },
    },
    "timeout": {
        "label": "Timeout (s)",
        "description": "Connect and read timeout of every request, in seconds; wins over the two below.",
        "schema": dict(_OPTIONAL_NUMBER),
    },
    "connect_timeout": {
        "label": "Connect timeout (s)",
        "description": "Seconds to wait for a connection to Zoom; empty: 10.",
        "schema": dict(_OPTIONAL_NUMBER),
    },
    "read_timeout": {
        "label": "Read timeout (s)",
        "description": "Seconds to wait for Zoom's reply; empty: 30.",
        "schema": dict(_OPTIONAL_NUMBER),
    },
    "max_attempts": {
        "label": "Max attempts",
        "description": "Attempts per API call, the first included, on 429s, 5xx replies and network errors; "
        "empty: 10.",
        "schema": {"type": ["integer", "null"], "minimum": 1},
    },
    "max_retry_seconds": {
        "label": "Max retry time (s)",
        "description": "Longest time one API call may spend retrying; empty: 300. A daily rate limit that resets "
        "later fails at once.",
        "schema": {"type": ["number", "null"], "minimum": 0},
    },
    "credential_cache": {
        "label": "Access token cache",
        "description": "file: one token shared by every task process of a worker (a 0600 file); process: one per "
        "process. Empty: file. Formerly the extra token_cache, still read.",
        "schema": {
            "type": ["string", "null"],
            "enum": [None, "file", "process"],
            "values_display": {"null": "(default: file)", "file": "file", "process": "process"},
        },
    },
    "credential_cache_dir": {
        "label": "Access token cache folder",
        "description": "Folder of the file cache, on the worker's local disk; empty: $AIRFLOW_HOME/.zoom_tokens. "
        "Formerly the extra token_cache_dir, still read.",
        "schema": {"type": ["string", "null"]},
    },
    "proxies": {
        "label": "Proxies",
        "description": 'JSON mapping of scheme to proxy URL, like {"https": "http://proxy.example:3128"}; empty: '
        "the environment's HTTPS_PROXY / NO_PROXY. Shown as *** once saved (a proxy URL may hold a password).",
        "schema": {"type": ["string", "null"]},
    },
    "verify": {
        "label": "Verify TLS",
        "description": "true, false, or the path of a CA bundle on the workers; empty: verify with the "
        "default CA bundle (REQUESTS_CA_BUNDLE).",
        "schema": {"type": ["string", "null"]},
    },
}
