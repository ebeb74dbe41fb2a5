"""Diel presence: minutes of song per UTC hour and day, as a table and a heatmap PNG.

Minutes are the windows whose median-filtered score reached the threshold (`hourly_presence`'s
`n_above_threshold`) times the model's step (0.99 s): windows overlap, so each stands for one step.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from whale_assets.core.scoring.classifier import WindowGrid

STEP_S = WindowGrid().step_s  # 0.99 s: the step of daily_scores' windows
DIEL_DTYPES = {"date": "datetime64[us]", "hour": "int64", "n_scores": "int64", "song_minutes": "float64"}
DIEL_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day",
    "hour": "UTC hour, 0-23",
    "n_scores": "Model windows with a score in the hour",
    "song_minutes": "Minutes of song: windows at or above the threshold times the model step",
}
FIGURE_WIDTH_IN = 10.0
ROW_HEIGHT_IN = 0.12
MIN_HEIGHT_IN = 3.0
DPI = 100


def song_minutes(hourly: pd.DataFrame, step_s: float = STEP_S) -> pd.DataFrame:
    """One row per (date, UTC hour) of `hourly_presence` rows: minutes of song, scores behind them."""
    table = pd.DataFrame(
        {
            "date": pd.to_datetime(hourly["date"]).dt.normalize(),
            "hour": pd.to_datetime(hourly["hour_utc"]).dt.hour,
            "n_scores": hourly["n_scores"],
            "song_minutes": hourly["n_above_threshold"].astype("float64") * step_s / 60.0,
        },
        columns=list(DIEL_DTYPES),
    )
    return table.astype(DIEL_DTYPES).sort_values(["date", "hour"], ignore_index=True)


def diel_grid(minutes: pd.DataFrame) -> pd.DataFrame:
    """Days (every day from first to last, as rows) x 24 UTC hours; NaN where an hour has no scores."""
    scored = minutes[minutes["n_scores"] > 0]
    grid = scored.pivot_table(index="date", columns="hour", values="song_minutes", aggfunc="sum")
    if len(minutes):
        days = pd.date_range(minutes["date"].min(), minutes["date"].max(), freq="D")
    else:
        days = pd.DatetimeIndex([])
    return grid.reindex(index=days, columns=range(24))


def figure_size_px(n_days: int) -> tuple[int, int]:
    """(width, height) in pixels of the heatmap of `n_days` days."""
    height = max(MIN_HEIGHT_IN, 1.2 + ROW_HEIGHT_IN * n_days)
    return round(FIGURE_WIDTH_IN * DPI), round(height * DPI)


def render_diel_png(grid: pd.DataFrame) -> bytes:
    """Heatmap: UTC hour across, day down, colour = minutes of song (blank = no audio scored)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    width, height = figure_size_px(len(grid))
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    axes = figure.add_subplot()
    values = np.ma.masked_invalid(grid.to_numpy(dtype=np.float64)) if len(grid) else np.ma.zeros((1, 24))
    image = axes.imshow(values, aspect="auto", cmap="viridis", vmin=0, vmax=60, interpolation="nearest")
    axes.set_xticks(range(0, 24, 3), [f"{h:02d}" for h in range(0, 24, 3)])
    axes.set_xlabel("hour (UTC)")
    step = max(1, len(grid) // 20)
    axes.set_yticks(range(0, len(grid), step), [f"{d:%Y-%m-%d}" for d in grid.index[::step]])
    axes.set_title("Humpback song at MARS: minutes per UTC hour")
    figure.colorbar(image, ax=axes, label="minutes of song")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)  # no tight bbox: the size stays figure_size_px
    return buffer.getvalue()
