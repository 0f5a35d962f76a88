"""``[core] hostname_callable`` of the e2e Celery workers.

Both workers run on one machine, so the FQDN Airflow records on each task instance would be the same for both.
Each worker gets ``ZOOM_E2E_WORKER_HOSTNAME`` (``worker-a`` / ``worker-b``), as if it were its own machine.
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("ZOOM_E2E_WORKER_HOSTNAME") or socket.getfqdn()
