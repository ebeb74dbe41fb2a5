"""Diel grid: minutes per (day, UTC hour), every day from first to last, blank where nothing was scored;
its figure: no-audio hours unlike 0-minute hours, a colour scale from the data, nothing cut off."""

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.reports.diel import (
    MIN_COLOUR_MAX,
    diel_figure,
    diel_grid,
    figure_size_px,
    render_diel_png,
    song_minutes,
)
from whale_assets_tests.support.figures import pixel_at, texts_outside_canvas


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


def _three_kinds_of_hour() -> pd.DataFrame:
    """2023-09-14: hours 0-5 without audio, 6 with 9.6 minutes of song, the rest scored with none."""
    above = [0] * 24
    above[6] = 582  # 582 windows x 0.99 s = 9.6 minutes
    return diel_grid(song_minutes(_hourly("2023-09-14", above, range(6, 24))))


def test_hours_without_audio_and_hours_without_song_have_different_colours():
    grid = _three_kinds_of_hour()
    figure = diel_figure(grid)
    axes = figure.axes[0]
    no_audio, no_song, song = (pixel_at(figure, axes, hour, 0) for hour in (2, 12, 6))
    assert len({no_audio, no_song, song}) == 3
    # Neither "nothing" colour is the colour scale's own bottom, which stands for the fewest minutes of song.
    [image] = axes.get_images()
    lowest = tuple(round(255 * c) for c in image.cmap(0.0)[:3])
    assert all(max(abs(a - b) for a, b in zip(colour, lowest, strict=True)) > 60 for colour in (no_audio, no_song))


def test_the_colour_scale_reaches_the_most_minutes_in_the_data_not_an_hour():
    [image] = diel_figure(_three_kinds_of_hour()).axes[0].get_images()
    assert image.norm.vmax == pytest.approx(582 * 0.99 / 60)
    assert 0 < image.norm.vmin <= 0.99 / 60  # one window of song is coloured, zero is not


def test_a_grid_without_song_keeps_a_small_scale():
    grid = diel_grid(song_minutes(_hourly("2023-09-14", [0] * 24, range(24))))
    [image] = diel_figure(grid).axes[0].get_images()
    assert image.norm.vmax == MIN_COLOUR_MAX


@pytest.mark.parametrize("n_days", [1, 2, 30, 365])
def test_every_label_lies_inside_the_canvas(n_days):
    days = [
        _hourly(str(pd.Timestamp("2023-01-01") + pd.Timedelta(days=d))[:10], [30] * 24, range(24))
        for d in range(n_days)
    ]
    figure = diel_figure(diel_grid(song_minutes(pd.concat(days))))
    assert texts_outside_canvas(figure) == []
    day_labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert day_labels[0] == "2023-01-01" and len(day_labels) <= max(n_days, 1)
