"""How the hook talks to Zoom: OAuth tokens and their cache, pacing, retries, reply parsing, the HTTP session and
secret masking. Internal: import from ``airflow_provider_zoom.hooks.zoom`` instead."""
