"""`make demo`: build the offline world, run `whale_pipeline`, `full_day_scoring` and `deliverables`
for two days on the project's instance settings, and say where the results and deliverables are."""

from __future__ import annotations

import json
import shlex
import shutil
import time
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus

from whale_assets.demo.launch import RunRequestSpec, failed_checks, launch_stages
from whale_assets.demo.world import DEMO_DAYS, DEMO_MARGIN_S, build_world
from whale_assets.results_sql import run_query
from whale_assets.settings import Settings
from whale_assets.storage.layout import CLIPS_DIR, IMAGES_DIR, RAVEN_DIR, REPORTS_DIR

SUMMARY_SQL = """
select date::date as date, encounter_id, status, window_id, round(pooled_score, 3) as pooled,
       round(max_score, 3) as max, detected, strftime(peak_score_utc, '%H:%M:%S') as peak_utc,
       round(sifted_seconds) as sifted_s
from whale_results order by start_utc
"""
# The repository's instance config (`make dev` uses it): run queue, pools, telemetry off.
PROJECT_DAGSTER_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"
# Used when the package is installed without the repository around it.
FALLBACK_DAGSTER_YAML = "telemetry:\n  enabled: false\n"
JOB = "whale_pipeline"
# After the pipeline: the full-day scores (whose hourly presence the diel figure draws), then the
# Raven tables and clips, which read both. Their launchpad defaults; each stage reads the one before.
LATER_JOBS = ("full_day_scoring", "deliverables")
# What the demo changes from the launchpad defaults, recorded on each run as this tag.
DEMO_CONFIG_TAG = "whale_assets/demo_config"
DEMO_CONFIG = {"ops": {"raw_audio": {"config": {"margin_s": DEMO_MARGIN_S}}}}
# The demo's one handle: `source demo-data/demo.env` (or `make dev-demo`) points Dagster's tools and
# `whale-assets` at the demo's instance and data.
DEMO_ENV_FILE = "demo.env"


def demo_dagster_home(home: Path) -> Path:
    """`home` as a DAGSTER_HOME with the project's dagster.yaml (so `dagster dev` there starts clean)."""
    home.mkdir(parents=True, exist_ok=True)
    if PROJECT_DAGSTER_YAML.exists():
        shutil.copy(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text(FALLBACK_DAGSTER_YAML)
    return home


def run_demo(directory: str) -> int:
    root = Path(directory).resolve()
    started = time.perf_counter()
    print(f"Building the offline world in {root} ...")
    world = build_world(root)
    env = {
        "WHALE_DATA_DIR": str(root / "data"),
        "WHALE_ENCOUNTERS": str(world.encounters_dir),
        "WHALE_AUDIO_SOURCE": str(world.archive_dir),
        "WHALE_CLASSIFIER": "energy",
    }
    settings = Settings.from_env(env)
    home = demo_dagster_home(root / "dagster_home")
    env_file = write_demo_env(root / DEMO_ENV_FILE, {"DAGSTER_HOME": str(home), **env})
    # Queued and run by a daemon from the code location, as the UI launches them: the UI can
    # re-execute these runs, and a re-execution (same config) reuses every stored partition.
    # The demo's margin is the runs' own config and tag; the launchpad's default recomputes a day.
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    run_config = {**DEMO_CONFIG, **quiet}
    tags = {DEMO_CONFIG_TAG: json.dumps(DEMO_CONFIG)}
    stages = [[RunRequestSpec(JOB, day.isoformat(), run_config, tags) for day in DEMO_DAYS]]
    stages += [[RunRequestSpec(job, day.isoformat(), quiet, {}) for day in DEMO_DAYS] for job in LATER_JOBS]
    days = ", ".join(day.isoformat() for day in DEMO_DAYS)
    print(f"Running {', then '.join([JOB, *LATER_JOBS])} for {days} (queued, started by dagster-daemon) ...")
    runs = launch_stages(home, env, stages)
    with DagsterInstance.from_config(str(home)) as instance:
        for run in runs:
            print(f"  {run.job_name} {run.tags['dagster/partition']}: {run.status.value} (run {run.run_id})")
            for check in failed_checks(instance, run.run_id):
                print(f"    check {check.check_name} ({check.severity}): {check.description}")
    if len(runs) < len(DEMO_DAYS) * (1 + len(LATER_JOBS)) or any(
        run.status != DagsterRunStatus.SUCCESS for run in runs
    ):
        print(f"A run failed: its log is in the UI (see below) and {home / 'daemon.log'}")
        return 1
    print()
    print(run_query(SUMMARY_SQL, settings.database).to_string(index=False))
    encounters = run_query("select count(*) as n from encounters", settings.database)["n"][0]
    print(f"\n{encounters} encounters kept, results in {settings.database} ({time.perf_counter() - started:.0f} s)")
    print("Figures:", settings.data_dir / IMAGES_DIR)
    print_deliverables(settings.data_dir)
    print()
    print(f"The demo's instance and data, for every command after this one: source {env_file}")
    print("Open its runs in the UI: make dev-demo (http://localhost:3000/runs; another port: make dev-demo PORT=3001)")
    print(
        f"The demo ran {JOB} with {json.dumps(DEMO_CONFIG)} (tag {DEMO_CONFIG_TAG}); the launchpad's default margin_s "
        f"is 1800, which recomputes a day. Re-execute a demo run (same config) to reuse what is stored."
    )
    print('Query: .venv/bin/whale-assets sql "select * from whale_results" (after sourcing the file above)')
    print("Next: the tour, docs/getting-started.md")
    return 0


def write_demo_env(path: Path, env: dict[str, str]) -> Path:
    """A shell file exporting the demo's DAGSTER_HOME and WHALE_* settings (`source` it; `make dev-demo` reads it)."""
    lines = ["# The demo's instance and data (written by `whale-assets demo`): source this file."]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in env.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def print_deliverables(data_dir: Path) -> None:
    """Where the Raven tables, clips and diel figure the demo built are (docs/how-to/deliverables.md)."""
    print("Deliverables:")
    for table in sorted(data_dir.glob(f"{RAVEN_DIR}/*/*.selections.txt")):
        print(f"  Raven selection table: {table}")
    for day in sorted(path for path in (data_dir / CLIPS_DIR).glob("*") if path.is_dir()):
        listening = len(list(day.glob("*.listen.flac")))
        archival = len(list(day.glob("*.flac"))) - listening
        print(f"  Clips {day.name}: {archival} archival + {listening} listening (.listen.flac) in {day}")
    print(f"  Diel presence figure: {data_dir / REPORTS_DIR / 'diel_presence.png'}")
