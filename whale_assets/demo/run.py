"""`make demo`: build the offline world, materialize two days through Dagster, print results."""

from __future__ import annotations

import time
from pathlib import Path

from dagster import DagsterInstance, materialize

from whale_assets.assets import PIPELINE_ASSETS
from whale_assets.definitions import build_resources
from whale_assets.demo.world import DEMO_DAYS, DEMO_MARGIN_S, build_world
from whale_assets.results_sql import run_query
from whale_assets.settings import Settings

SUMMARY_SQL = """
select date::date as date, encounter_id, status, window_id, round(pooled_score, 3) as pooled,
       round(max_score, 3) as max, detected, strftime(peak_score_utc, '%H:%M:%S') as peak_utc
from whale_results order by start_utc
"""


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
    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    instance = DagsterInstance.from_config(str(home))
    run_config = {
        "ops": {"raw_audio": {"config": {"margin_s": DEMO_MARGIN_S}}},
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }
    for day in DEMO_DAYS:
        result = materialize(
            PIPELINE_ASSETS,
            partition_key=day.isoformat(),
            resources=build_resources(settings),
            instance=instance,
            run_config=run_config,
            raise_on_error=False,
        )
        print(f"  {day}: {'materialized' if result.success else 'FAILED'} (run {result.run_id})")
        if not result.success:
            return 1
    print()
    print(run_query(SUMMARY_SQL, settings.database).to_string(index=False))
    encounters = run_query("select count(*) as n from encounters", settings.database)["n"][0]
    print(f"\n{encounters} encounters kept, results in {settings.database} ({time.perf_counter() - started:.0f} s)")
    print("Figures:", settings.data_dir / "images")
    print("Browse the runs:", " ".join(f"{k}={v}" for k, v in env.items()), f"DAGSTER_HOME={home} dagster dev")
    print(f'Query: WHALE_DATA_DIR={env["WHALE_DATA_DIR"]} whale-assets sql "select * from whale_results"')
    return 0
