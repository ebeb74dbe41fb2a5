"""The `daily_scores` table: one row per scored model window of a UTC day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from whale_assets.core.utc import Day

DAILY_SCORE_COLUMNS = {"date": "datetime64[us]", "time_utc": "datetime64[us]", "score": "float32", "model": "string"}
DAILY_SCORE_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day of the partition",
    "time_utc": "Start of the model window, UTC (one row per window with audio)",
    "score": "Model score of the window, 0-1",
    "model": "Classifier that scored the window",
}


def daily_score_table(day: Day, times: np.ndarray, scores: np.ndarray, model: str) -> pd.DataFrame:
    """Rows for the windows that have a score (NaN = no audio): date, time_utc (window start), score, model.

    Column types are fixed, so an empty day stores the same schema as a full one.
    """
    times = np.asarray(times)
    scores = np.asarray(scores, dtype=np.float32)
    if times.shape != scores.shape:
        raise ValueError(f"{times.shape[0] if times.ndim else 0} window times for {scores.size} scores")
    keep = ~np.isnan(scores)
    frame = pd.DataFrame({"date": day.start, "time_utc": times[keep], "score": scores[keep], "model": model})
    return frame.astype(DAILY_SCORE_COLUMNS)
