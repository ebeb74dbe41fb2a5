"""Two forced runs of one day at once, on two instances sharing one data dir: how many rounds both succeed.

Not a speed benchmark: the reliability bar of issue 23 (20 of 20 rounds, both runs SUCCESS).
Each round starts two processes (`whale_assets_tests/support/same_day_run.py`), each forcing
every pipeline asset of 2023-09-14 on its own Dagster instance against the one data dir, so no
run queue serialises them; the storage has to. Prints each round's statuses and wall time, the
failures' first error lines, and the machine it ran on.

    .venv/bin/python bench/same_day_runs.py --rounds 20
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from whale_assets_tests.support.pipeline import DAY, build_song_day
from whale_assets_tests.support.same_day_run import two_runs_at_once
from whale_assets_tests.support.world import World


def cpu() -> str:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    wide = sorted(flag for flag in flags if flag.startswith(("avx512", "amx")))
    return f"{model}; {os.cpu_count()} CPUs; flags: {' '.join(wide) or 'no avx512/amx'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"CPU: {cpu()}; load average at start {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp) / "world")
        build_song_day(world)
        homes = (Path(tmp) / "instance-a", Path(tmp) / "instance-b")
        ok = 0
        for n in range(1, args.rounds + 1):
            started = time.monotonic()
            outcome = two_runs_at_once(world.root, homes, DAY)
            ok += outcome.both_succeeded
            print(
                f"round {n:2d}: {outcome.statuses[0]:8s} {outcome.statuses[1]:8s} {time.monotonic() - started:5.0f} s",
                flush=True,
            )
            for error in outcome.errors:
                if not outcome.both_succeeded and error.strip():
                    print("    " + "\n    ".join(error.strip().splitlines()[-12:]))
        print(f"both runs SUCCESS in {ok} of {args.rounds} rounds")


if __name__ == "__main__":
    main()
