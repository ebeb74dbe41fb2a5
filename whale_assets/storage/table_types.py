"""Column types of stored tables, the same in DuckDB and in Parquet, whatever the values."""

from __future__ import annotations

import pandas as pd


def storage_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Text as VARCHAR (pandas `string`) and naive timestamps as microsecond TIMESTAMP.

    An all-null text column would otherwise be typed NULL by DuckDB, and nanosecond timestamps
    would change type between the DuckDB file and the Parquet objects.
    """
    converted = {}
    for name, dtype in frame.dtypes.items():
        if dtype == object:
            converted[name] = frame[name].astype("string")
        elif pd.api.types.is_datetime64_any_dtype(dtype) and getattr(dtype, "tz", None) is None:
            converted[name] = frame[name].astype("datetime64[us]")
    return frame.assign(**converted) if converted else frame
