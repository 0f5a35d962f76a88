"""Several task-like processes creating groups at once through ``ZoomHook``, all started on one signal.

Run as a script it is one such process: ``paced_processes.py PREFIX COUNT GO_FILE`` builds its hook (the
``zoom_default`` connection of its environment), prints ``ready``, waits for ``GO_FILE`` and creates
``COUNT`` groups named ``PREFIX NNN``. ``run_paced_processes`` starts them and checks the account after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

GO_TIMEOUT_S = 120.0


def run_paced_processes(zoom, tmp_path: Path, extras: dict, processes: int = 4, count: int = 12) -> dict:
    """Start ``processes`` workers with the connection ``extras``, release them together, wait for them.

    Returns the emulator's 429 count over the run; asserts every worker succeeded and every group exists once.
    """
    go = tmp_path / "go"
    env = {**os.environ, "AIRFLOW_CONN_ZOOM_DEFAULT": zoom.server.connection_uri_json(**extras)}
    procs = [
        subprocess.Popen([sys.executable, __file__, f"Paced {p}", str(count), str(go)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for p in range(processes)
    ]
    try:
        for proc in procs:  # every process imported Airflow and built its hook: they start at once
            line = proc.stdout.readline()
            assert line.strip() == "ready", line + proc.stdout.read()[-3000:]
        rate_limited_before = zoom.state()["counters"]["rate_limited"]
        go.touch()
        outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert [proc.returncode for proc in procs] == [0] * processes, "\n".join(o[-3000:] for o in outputs)
    names = sorted(g["name"] for g in zoom.state()["groups"])
    assert names == sorted(f"Paced {p} {i:03d}" for p in range(processes) for i in range(count))
    return {"status_429": zoom.state()["counters"]["rate_limited"] - rate_limited_before, "outputs": outputs}


def main(prefix: str, count: int, go: Path) -> None:
    from airflow_provider_zoom.group_spec import validate_group_spec
    from airflow_provider_zoom.hooks.zoom import ZoomHook

    hook = ZoomHook()
    hook.check_config()
    print("ready", flush=True)
    deadline = time.monotonic() + GO_TIMEOUT_S
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.01)
    for i in range(count):
        hook.create_im_group(validate_group_spec(f"{prefix} {i:03d}"))
    print(json.dumps({"prefix": prefix, "created": count}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
