"""(1) Client overhead: N creates through ``ZoomHook.create_im_group`` vs a bare ``requests.Session`` loop.

Both send the same multipart body, one at a time, to the emulator (a separate process, no rate limit, fresh
account before every loop). Each loop includes its own token fetch (one each). A round is one hook loop and
one bare loop back to back (alternating which goes first); the figure is the median over rounds of
hook / bare, so that both loops of a ratio ran under the same background load of a shared machine (the
ratio of the medians and of the fastest loops are reported too). ``--profile`` adds a cProfile of one
hook loop and one bare loop, and where they differ.

    python -m bench.client_overhead --creates 500 --rounds 11 [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import tempfile
import time
from pathlib import Path

import requests

from bench.common import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, Emulator, exit_on_sigterm, median, status_counts

CONN_ID = "bench_zoom"


def group_specs(n: int):
    from airflow_provider_zoom.group_spec import validate_group_spec

    return [validate_group_spec(f"Bench group {i:05d}", "normal", False, True, False) for i in range(n)]


def hook_loop(emulator: Emulator, specs, cache_dir: Path) -> float:
    from airflow_provider_zoom.hooks.zoom import ZoomHook

    # A token cache folder of its own per loop: the reset emulator no longer knows earlier tokens.
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = emulator.connection_uri_json(credential_cache_dir=str(cache_dir))
    started = time.perf_counter()
    hook = ZoomHook(zoom_conn_id=CONN_ID)
    for spec in specs:
        hook.create_im_group(spec)
    return time.perf_counter() - started


def raw_loop(emulator: Emulator, specs) -> float:
    """What the hook replaces: a session, one token, the same multipart POST per group."""
    started = time.perf_counter()
    session = requests.Session()
    reply = session.post(emulator.token_url, auth=(CLIENT_ID, CLIENT_SECRET),
                         data={"grant_type": "account_credentials", "account_id": ACCOUNT_ID}, timeout=30)
    reply.raise_for_status()
    headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    url = f"{emulator.api_url}/im/groups"
    for spec in specs:
        files = {field: (None, value) for field, value in spec.form_fields().items()}
        response = session.post(url, files=files, headers=headers, timeout=(10, 30))
        response.raise_for_status()
        response.json()
    return time.perf_counter() - started


def _checked(emulator: Emulator, n: int) -> None:
    state = emulator.state()
    statuses = status_counts(state)
    if len(state["groups"]) != n or statuses.get("201") != n:
        raise RuntimeError(f"expected {n} creates, the emulator saw {statuses} and {len(state['groups'])} groups")


def _profile(loop) -> cProfile.Profile:
    profiler = cProfile.Profile()
    profiler.enable()
    loop()
    profiler.disable()
    return profiler


def profile_hook(emulator: Emulator, specs, cache_dir: Path, top: int = 25) -> dict:
    """Where the hook's extra time goes: cProfile of a hook loop and of a bare loop, and their difference.

    ``extra_by_function`` lists the functions whose own time (tottime, ms) is larger in the hook loop than
    in the bare loop, largest first: the hook's overhead by where it is spent.
    """
    emulator.reset()
    hook = _profile(lambda: hook_loop(emulator, specs, cache_dir))
    emulator.reset()
    raw = _profile(lambda: raw_loop(emulator, specs))
    out: dict = {"hook_total_s": pstats.Stats(hook).total_tt, "raw_total_s": pstats.Stats(raw).total_tt}
    for key in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(hook, stream=buffer).strip_dirs().sort_stats(key).print_stats(top)
        out[f"hook_{key}"] = buffer.getvalue()

    def own_time(profiler: cProfile.Profile) -> dict[str, tuple[float, int]]:
        return {f"{Path(file).name}:{line}({name})": (tt, nc)
                for (file, line, name), (_, nc, tt, _, _) in pstats.Stats(profiler).stats.items()}

    hook_own, raw_own = own_time(hook), own_time(raw)
    extra = sorted(((tt - raw_own.get(fn, (0.0, 0))[0], fn, nc, raw_own.get(fn, (0.0, 0))[1])
                    for fn, (tt, nc) in hook_own.items()), reverse=True)[:top]
    out["extra_by_function"] = [{"function": fn, "extra_ms": round(1000 * d, 2), "calls_hook": nc, "calls_raw": rc}
                                for d, fn, nc, rc in extra]
    return out


def measure(creates: int, rounds: int, profile: bool) -> dict:
    specs = group_specs(creates)
    hook_s, raw_s = [], []
    with Emulator() as emulator, tempfile.TemporaryDirectory(prefix="zoom-bench-tokens-") as tokens:
        emulator.reset()
        raw_loop(emulator, specs[:50])  # warm-up: imports, first connections
        emulator.reset()
        hook_loop(emulator, specs[:50], Path(tokens) / "warmup")
        for r in range(rounds):
            order = ("hook", "raw") if r % 2 == 0 else ("raw", "hook")
            for which in order:
                emulator.reset()
                if which == "hook":
                    hook_s.append(hook_loop(emulator, specs, Path(tokens) / f"round{r}"))
                else:
                    raw_s.append(raw_loop(emulator, specs))
                _checked(emulator, creates)
        result = {
            "creates": creates,
            "rounds": rounds,
            "hook_s": hook_s,
            "raw_s": raw_s,
            "hook_median_s": median(hook_s),
            "raw_median_s": median(raw_s),
            "hook_ms_per_create": 1000 * median(hook_s) / creates,
            "raw_ms_per_create": 1000 * median(raw_s) / creates,
            "round_ratios": [h / r for h, r in zip(hook_s, raw_s, strict=True)],
            "client_overhead_ratio": median([h / r for h, r in zip(hook_s, raw_s, strict=True)]),
            "ratio_of_medians": median(hook_s) / median(raw_s),
            "ratio_of_minimums": min(hook_s) / min(raw_s),
        }
        if profile:
            result["profile"] = profile_hook(emulator, specs, Path(tokens) / "profile")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(args.creates, args.rounds, args.profile)))


if __name__ == "__main__":
    exit_on_sigterm()
    main()
