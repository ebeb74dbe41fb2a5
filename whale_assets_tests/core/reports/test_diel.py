"""Diel grid: minutes per (day, UTC hour), every day from first to last, blank where nothing was scored."""

import numpy as np
import pandas as pd

from whale_assets.core.reports.diel import diel_grid, figure_size_px, render_diel_png, song_minutes


def _hourly(day: str, above: list[int], scored_hours: range) -> pd.DataFrame:
    start = pd.Timestamp(day)
    n_scores = np.array([3636 if h in scored_hours else 0 for h in range(24)])
    return pd.DataFrame(
        {
            "date": start,
            "hour_utc": start + pd.to_timedelta(np.arange(24), unit="h"),
            "n_scores": n_scores,
            "max_score": np.nan,
            "n_above_threshold": np.array(above),
            "present": False,
        }
    )


def test_grid_cells_are_the_hourly_minutes_and_missing_days_are_blank_rows():
    above = [0] * 24
    above[6] = 1212  # 1212 windows x 0.99 s = 20 minutes
    hourly = pd.concat([_hourly("2023-09-14", above, range(24)), _hourly("2023-09-16", [0] * 24, range(12))])
    grid = diel_grid(song_minutes(hourly))
    assert list(grid.columns) == list(range(24)) and len(grid) == 3
    assert grid.loc["2023-09-14", 6] == 1212 * 0.99 / 60
    assert grid.loc["2023-09-15"].isna().all()
    assert grid.loc["2023-09-16", 11] == 0 and np.isnan(grid.loc["2023-09-16", 12])


def test_the_png_has_the_size_for_its_number_of_days():
    import io

    import matplotlib.image

    grid = diel_grid(song_minutes(_hourly("2023-09-14", [10] * 24, range(24))))
    png = matplotlib.image.imread(io.BytesIO(render_diel_png(grid)), format="png")
    width, height = figure_size_px(1)
    assert png.shape[:2] == (height, width)
