"""Diel presence: minutes of song per UTC hour and day, as a table and a heatmap PNG.

Minutes are the windows whose median-filtered score reached the threshold (`hourly_presence`'s
`n_above_threshold`) times the model's step (0.99 s): windows overlap, so each stands for one step.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from whale_assets.core.scoring.classifier import WindowGrid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
FRAME_HEIGHT_IN = 1.6  # title, hour axis and key
MIN_HEIGHT_IN = 3.4
DPI = 100
COLOUR_MAP = "viridis"
NO_AUDIO_COLOUR = "lightgrey"
"""Hours without scores: hatched light grey, so no recording effort never reads as "no song"."""
ZERO_MINUTES_COLOUR = "white"
"""Hours scored with no song: white, apart from the map's darkest colour for the fewest minutes."""
MAX_COLOUR_BAR_IN = 4.0  # a year's heatmap is tall; its colour bar need not be
LABEL_SPACING_IN = 0.2  # day labels closer than this overlap
SOME_SONG_MINUTES = STEP_S / 60 / 2
"""The colour scale's bottom: half a model window, so 0 minutes falls below it (white) and one window above."""
MIN_COLOUR_MAX = 1.0
"""The colour scale's top when no hour reaches a minute: a day of zeros is not drawn at full colour."""


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
    height = max(MIN_HEIGHT_IN, FRAME_HEIGHT_IN + ROW_HEIGHT_IN * n_days)
    return round(FIGURE_WIDTH_IN * DPI), round(height * DPI)


def colour_max(grid: pd.DataFrame) -> float:
    """The colour scale's top: the most minutes in any hour (at least `MIN_COLOUR_MAX`)."""
    values = grid.to_numpy(dtype=np.float64)
    most = np.nanmax(values) if np.isfinite(values).any() else 0.0
    return float(max(most, MIN_COLOUR_MAX))


def diel_figure(grid: pd.DataFrame) -> Figure:
    """Heatmap: UTC hour across, day down; colour = minutes of song on a scale up to the data's
    most, white = scored with no song, hatched grey = no audio scored."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    width, height = figure_size_px(len(grid))
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    # No-audio cells are transparent and show the hatched axes background; zeros fall below vmin.
    axes.set_facecolor(NO_AUDIO_COLOUR)
    axes.patch.set_hatch("///")
    axes.patch.set_edgecolor("grey")
    cmap = matplotlib.colormaps[COLOUR_MAP].with_extremes(under=ZERO_MINUTES_COLOUR, bad=(0.0, 0.0, 0.0, 0.0))
    values = np.ma.masked_invalid(grid.to_numpy(dtype=np.float64)) if len(grid) else np.ma.masked_all((1, 24))
    top = colour_max(grid)
    image = axes.imshow(values, aspect="auto", cmap=cmap, vmin=SOME_SONG_MINUTES, vmax=top, interpolation="nearest")
    axes.set_xticks(range(0, 24, 3), [f"{h:02d}" for h in range(0, 24, 3)])
    axes.set_xticks(np.arange(-0.5, 24), minor=True)
    axes.set_yticks(np.arange(-0.5, len(grid)), minor=True)
    axes.tick_params(which="minor", length=0)
    axes.grid(which="minor", color="0.85", linewidth=0.5)  # cell edges: white cells stay cells
    axes.set_xlabel("hour (UTC)")
    step = (
        max(1, math.ceil(LABEL_SPACING_IN / ROW_HEIGHT_IN))
        if len(grid) * ROW_HEIGHT_IN > MIN_HEIGHT_IN - FRAME_HEIGHT_IN
        else 1
    )
    axes.set_yticks(range(0, len(grid), step), [f"{d:%Y-%m-%d}" for d in grid.index[::step]])
    axes.set_title("Humpback song at MARS: minutes per UTC hour")
    plot_height_in = height / DPI - FRAME_HEIGHT_IN
    shrink = min(1.0, MAX_COLOUR_BAR_IN / plot_height_in) if plot_height_in > 0 else 1.0
    colour_bar = figure.colorbar(image, ax=axes, label="minutes of song", pad=0.01, shrink=shrink, anchor=(0, 1))
    colour_bar.ax.set_ylim(0, top)
    key = [
        Patch(facecolor=ZERO_MINUTES_COLOUR, edgecolor="grey", label="scored, no song (0 min)"),
        Patch(facecolor=NO_AUDIO_COLOUR, edgecolor="grey", hatch="///", label="no audio scored"),
    ]
    figure.legend(handles=key, loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    return figure


def render_diel_png(grid: pd.DataFrame) -> bytes:
    """`diel_figure` as PNG bytes, `figure_size_px` in size."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(diel_figure(grid)).print_png(buffer)  # no tight bbox: the size stays figure_size_px
    return buffer.getvalue()
