"""`whale-assets`: SQL over the results, and the offline demo."""

from __future__ import annotations

import argparse
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

    demo = commands.add_parser("demo", help="build an offline world and run two demo days through Dagster")
    demo.add_argument("--dir", default="demo-data", help="where the demo world and its results go")

    args = parser.parse_args(argv)
    if args.command == "sql":
        return _sql(args.query, args.format, args.database)
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


if __name__ == "__main__":
    sys.exit(main())
