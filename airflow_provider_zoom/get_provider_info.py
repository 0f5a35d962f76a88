"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations


def get_provider_info() -> dict:
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
                        "oauth_token_url": "https://zoom.us/oauth/token",
                    },
                },
                "conn-fields": {
                    "account_id": {
                        "label": "Account ID",
                        "description": "Account ID shown on the Server-to-Server OAuth app's credentials page.",
                        "schema": {"type": ["string", "null"], "maxLength": 128},
                    },
                    "oauth_token_url": {
                        "label": "OAuth token URL",
                        "description": "Token endpoint; leave empty for https://zoom.us/oauth/token.",
                        "schema": {"type": ["string", "null"], "format": "url"},
                    },
                    "plan": {
                        "label": "Zoom plan (pacing)",
                        "description": "free, pro or business: pace requests to that plan's per-second limits. "
                        "Empty: no client-side pacing.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "timeout": {
                        "label": "Timeout (s)",
                        "description": "Connect and read timeout of every request, in seconds (default 10 / 30).",
                        "schema": {"type": ["number", "null"]},
                    },
                },
            }
        ],
    }
