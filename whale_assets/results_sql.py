"""Read-only SQL over the results database."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from whale_assets.settings import database_path, data_dir_from_env


class ResultsUnavailable(RuntimeError):
    """The query cannot be answered now; the message says why and what to do."""


def run_query(query: str, database: str | Path | None = None) -> pd.DataFrame:
    path = Path(database) if database else database_path(data_dir_from_env())
    if not path.exists():
        raise ResultsUnavailable(
            f"no results database at {path}: materialize whale_results first (make demo, or the Dagster UI), "
            "or point WHALE_DATA_DIR at the folder that holds whale.duckdb"
        )
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as locked:
        raise ResultsUnavailable(
            f"{path} is being written by a running materialization ({locked}); retry in a few seconds"
        ) from locked
    try:
        relation = connection.sql(query)
        return relation.df() if relation is not None else pd.DataFrame()
    except duckdb.Error as error:
        raise ResultsUnavailable(f"query failed: {error}") from error
    finally:
        connection.close()

