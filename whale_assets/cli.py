"""`whale-assets`: SQL over the results, exports of a table, the offline demo, deploy-init, and waiting for runs."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence

from whale_assets.results_sql import ResultsUnavailable, run_query


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="whale-assets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    sql = commands.add_parser("sql", help="run read-only DuckDB SQL over the results tables")
    sql.add_argument("query", help='e.g. "select * from whale_results where detected"')
    sql.add_argument("--format", choices=("table", "csv"), default="table")
    sql.add_argument("--database", help="DuckDB file (default: $WHALE_DATA_DIR/whale.duckdb)")

    export = commands.add_parser(
        "export", help="write one results table over a range of UTC days to a Parquet or CSV file"
    )
    export.add_argument("out", help="the file to write (replaced atomically)")
    export.add_argument("--table", required=True, help="e.g. whale_results, hourly_presence, raven_selections")
    export.add_argument("--from", dest="first_day", required=True, type=dt.date.fromisoformat, help="first UTC day")
    export.add_argument("--to", dest="last_day", required=True, type=dt.date.fromisoformat, help="last UTC day")
    export.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    export.add_argument("--database", help="DuckDB file (default: $WHALE_DATA_DIR/whale.duckdb)")

    sample = commands.add_parser(
        "review-sample", help="write a Raven table of detections to review, stratified by score bin (by seed)"
    )
    sample.add_argument("--from", dest="first_day", required=True, type=dt.date.fromisoformat, help="first UTC day")
    sample.add_argument("--to", dest="last_day", required=True, type=dt.date.fromisoformat, help="last UTC day")
    sample.add_argument("--per-bin", type=int, default=10, help="detections drawn per score bin (default 10)")
    sample.add_argument("--seed", type=int, default=0, help="the same seed draws the same sample (default 0)")
    sample.add_argument("--out", default=".", help="folder for the table (default: the current folder)")
    sample.add_argument("--database", help="DuckDB file (default: $WHALE_DATA_DIR/whale.duckdb)")
    sample.add_argument(
        "--no-clips",
        action="store_true",
        help="write the tables only, no WAV clip per detection (clips are read from $WHALE_AUDIO_SOURCE)",
    )

    demo = commands.add_parser("demo", help="build an offline world and run two demo days through Dagster")
    demo.add_argument("--dir", default="demo-data", help="where the demo world and its results go")

    deploy = commands.add_parser(
        "deploy-init", help="set every pool's limit in the instance of $DAGSTER_HOME (run once per deployment)"
    )
    deploy.add_argument("--pods", type=int, help="run pods working at once (default $WHALE_DEPLOY_PODS or 1: one node)")
    deploy.add_argument("--limit", action="append", default=[], metavar="POOL=N", help="override one pool's limit")

    wait = commands.add_parser(
        "wait-runs",
        help="wait until no run of $DAGSTER_HOME's instance is queued or in progress and every backfill has "
        "finished; list the backfills and their runs (exit 1 if one failed)",
    )
    wait.add_argument("--timeout", type=float, default=1800, help="seconds to wait at most (default 1800)")

    args = parser.parse_args(argv)
    if args.command == "wait-runs":
        return _wait_runs(args.timeout)
    if args.command == "deploy-init":
        return _deploy_init(args.pods, args.limit)
    if args.command == "sql":
        return _sql(args.query, args.format, args.database)
    if args.command == "export":
        return _export(args)
    if args.command == "review-sample":
        return _review_sample(args)
    from whale_assets.demo.run import run_demo

    return run_demo(args.dir)


def _sql(query: str, output_format: str, database: str | None) -> int:
    try:
        frame = run_query(query, database)
    except ResultsUnavailable as problem:
        print(f"whale-assets sql: {problem}", file=sys.stderr)
        return 2
    if output_format == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        print(frame.to_string(index=False) if len(frame) else f"(no rows; columns: {', '.join(frame.columns)})")
    return 0


def _export(args: argparse.Namespace) -> int:
    from whale_assets.results_export import export_table

    try:
        rows = export_table(args.table, args.first_day, args.last_day, args.out, args.format, args.database)
    except ResultsUnavailable as problem:
        print(f"whale-assets export: {problem}", file=sys.stderr)
        return 2
    print(f"{rows} rows of {args.table} ({args.first_day} to {args.last_day}) -> {args.out}", file=sys.stderr)
    return 0


def _review_sample(args: argparse.Namespace) -> int:
    from whale_assets.review_sample import review_sample
    from whale_assets.settings import Settings
    from whale_assets.sources.audio_archive import AudioArchive

    try:
        archive = None
        if not args.no_clips:
            settings = Settings.from_env()
            archive = AudioArchive(settings.audio_source, endpoint_url=settings.audio_endpoint_url)
        made = review_sample(
            args.first_day, args.last_day, args.per_bin, args.seed, args.out, args.database, archive=archive
        )
    except (ResultsUnavailable, ValueError) as problem:
        print(f"whale-assets review-sample: {problem}", file=sys.stderr)
        return 2
    print(
        f"{made.rows} of {made.detections} detections to review, {len(made.tables)} tables, "
        f"{len(made.clips)} clips -> {made.folder}",
        file=sys.stderr,
    )
    for reason in made.clips_missing:
        print(f"no clip: {reason}", file=sys.stderr)
    print(
        "fill in their Verdict column (yes / no / unsure) and copy the folder into the reviews folder", file=sys.stderr
    )
    return 0


def _wait_runs(timeout_s: float) -> int:
    import os

    from dagster import DagsterInstance

    if not os.environ.get("DAGSTER_HOME"):
        print(
            "whale-assets wait-runs: DAGSTER_HOME is not set (the demo's: source demo-data/demo.env; "
            "make dev's: export DAGSTER_HOME=$PWD)",
            file=sys.stderr,
        )
        return 2

    from whale_assets.run_wait import wait_until_idle

    with DagsterInstance.get() as instance:
        try:
            outcomes = wait_until_idle(instance, timeout_s)
        except TimeoutError as problem:
            print(f"whale-assets wait-runs: {problem}", file=sys.stderr)
            return 2
    for outcome in outcomes:
        print(outcome.describe())
    return 0 if all(outcome.succeeded for outcome in outcomes) else 1


def _deploy_init(pods: int | None, limits: list[str]) -> int:
    from whale_assets.deploy_init import DeployInitError, deploy_init

    try:
        applied = deploy_init(pods, limits)
    except DeployInitError as problem:
        print(f"whale-assets deploy-init: {problem}", file=sys.stderr)
        return 2
    for pool in applied:
        was = "not set" if pool.previous is None else pool.previous
        print(f"{pool.pool}: {pool.limit} (was {was})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
