"""Reviews of the demo days as an analyst would give them, and the expected performance computed
independently of the platform's code (counts by hand, precision, a separate Newton logistic fit)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

RAVEN_DATE_TIME = "%Y/%m/%d %H:%M:%S.%f"


def verdicts_from_known_song(table: pd.DataFrame, song_utc: list[tuple[pd.Timestamp, pd.Timestamp]]) -> list[str]:
    """yes where the selection overlaps known song, no elsewhere, every fourth one left unsure."""
    begin = pd.to_datetime(table["Begin Date Time"], format=RAVEN_DATE_TIME)
    end = begin + pd.to_timedelta(table["End Time (s)"].astype(float) - table["Begin Time (s)"].astype(float), unit="s")
    verdicts = []
    for index, (b, e) in enumerate(zip(begin, end, strict=True)):
        song = any(b < stop and e > start for start, stop in song_utc)
        verdicts.append("unsure" if index % 4 == 3 else ("yes" if song else "no"))
    return verdicts


def write_review(folder: Path, name: str, table: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # As Raven saves it: its own column added, the analyst's column last, rows in another order.
    saved = table.assign(**{"Delta Time (s)": "0"}).iloc[::-1]
    (folder / name).write_text(saved.to_csv(sep="\t", index=False))


def newton_fit(scores: np.ndarray, true: np.ndarray, ridge: float = 1e-3) -> tuple[float, float]:
    """Logistic fit of `true` on logit(score), by Newton-Raphson, with the platform's tiny ridge."""
    clipped = np.clip(scores, 1e-6, 1 - 1e-6)
    design = np.column_stack([np.ones_like(clipped), np.log(clipped / (1 - clipped))])
    beta = np.zeros(2)
    for _ in range(100):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (true - p) - 2 * ridge * beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 2 * ridge * np.eye(2)
        beta = beta + np.linalg.solve(hessian, gradient)
    return float(beta[0]), float(beta[1])


def fitted_threshold(intercept: float, slope: float, precision: float) -> float:
    z = (math.log(precision / (1 - precision)) - intercept) / slope
    return 1 / (1 + math.exp(-z))
