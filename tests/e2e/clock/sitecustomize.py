"""Shifts the wall clock of every Python process of the e2e deployment (on ``PYTHONPATH`` there only).

With ``ZOOM_E2E_CLOCK_OFFSET_S`` set, ``time.time()``, ``datetime.now()`` and everything built on them run
that many seconds ahead (``time_machine`` with ``tick=True``); ``time.monotonic()`` and sleeps are untouched.
All processes get the same offset, so their clocks agree with each other and with the run's database (see
``tests/e2e/services.py``).
"""

import os
import sys

_offset = os.environ.get("ZOOM_E2E_CLOCK_OFFSET_S")
if _offset:
    try:
        import time

        import time_machine

        time_machine.travel(time.time() + float(_offset), tick=True).start()
    except Exception as exc:  # noqa: BLE001 - site would swallow it; say it loudly and stop
        print(f"e2e clock: cannot shift the clock: {exc!r}", file=sys.stderr, flush=True)
        os._exit(70)
