import numpy as np
import pytest

from whale_assets.core.review.performance import wilson_interval
from whale_assets.core.review.table import PERFORMANCE_DTYPES, ReviewedScores, performance_table
from whale_assets.core.review.verdicts import Verdict

T, F, U = Verdict.TRUE, Verdict.FALSE, Verdict.UNSURE


def reviewed() -> ReviewedScores:
    scores = np.array([0.52, 0.55, 0.58, 0.65, 0.72, 0.81, 0.86, 0.93, 0.97, 0.99])
    verdicts = [F, F, T, F, T, U, T, T, T, T]
    all_scores = np.concatenate([scores, np.full(30, 0.54), np.full(5, 0.95)])
    return ReviewedScores("energy", scores, verdicts, all_scores)


def test_bin_rows_count_verdicts_and_all_detections_per_bin():
    table = performance_table([reviewed()], edges=(0.5, 0.6, 0.8, 1.0), thresholds=(0.5, 0.9))
    bins = table[table.kind == "bin"].reset_index(drop=True)
    assert bins[["reviewed", "n_true", "n_false", "n_unsure", "detections"]].values.tolist() == [
        [3, 1, 2, 0, 33],
        [2, 1, 1, 0, 2],
        [5, 4, 0, 1, 10],
    ]
    assert bins.loc[0, "precision"] == pytest.approx(1 / 3)
    assert bins.loc[2, "precision_low"] < 1.0 == bins.loc[2, "precision"]


def test_threshold_rows_and_fit_rows_are_there_with_their_counts():
    table = performance_table([reviewed()], edges=(0.5, 0.6, 0.8, 1.0), thresholds=(0.5, 0.9))
    at = table[table.kind == "threshold"].set_index("score_low")
    assert at.loc[0.5, ["n_true", "n_false", "n_unsure", "detections"]].tolist() == [6, 3, 1, 45]
    assert at.loc[0.9, ["n_true", "n_false", "detections"]].tolist() == [3, 0, 8]
    fit = table[table.kind == "fit"].set_index("target_precision")
    assert fit.loc[0.90, "reviewed"] == 9  # true + false verdicts behind the fit
    assert fit.loc[0.90, "score_low"] < fit.loc[0.95, "score_low"]


def test_the_table_has_the_declared_types():
    table = performance_table([reviewed()])
    assert {name: str(dtype) for name, dtype in table.dtypes.items()} == PERFORMANCE_DTYPES


def test_the_figure_draws_points_curve_and_threshold_lines_inside_the_canvas(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from whale_assets.core.reports.performance_figure import performance_figure

    figure = performance_figure(performance_table([reviewed()]), "energy")
    FigureCanvasAgg(figure).draw()
    axes = figure.axes[0]
    assert axes.get_xlabel().startswith("score threshold")
    assert len(axes.lines) >= 3  # step of thresholds, fitted curve, threshold markers
    canvas = figure.bbox
    renderer = figure.canvas.get_renderer()
    for text in [axes.title, axes.xaxis.label, axes.yaxis.label]:
        box = text.get_window_extent(renderer)
        assert canvas.x0 <= box.x0 and box.x1 <= canvas.x1 and canvas.y0 <= box.y0 and box.y1 <= canvas.y1


def test_the_figure_draws_bins_whose_every_verdict_is_true():
    from whale_assets.core.reports.performance_figure import performance_png

    scores = np.array([0.91, 0.95, 0.97, 0.99])
    table = performance_table([ReviewedScores("energy", scores, [T, T, T, T], scores)])
    assert performance_png(table, "energy").startswith(b"\x89PNG")


def test_recall_counts_song_of_wholly_reviewed_days_kept_at_each_threshold():
    # Two days reviewed in full: detections judged true there, and 3 songs the analyst added.
    scores = np.array([0.52, 0.58, 0.65, 0.81, 0.93, 0.97, 0.55, 0.99])
    verdicts = [T, F, T, T, U, T, T, T]
    whole_day = np.array([True, True, True, True, True, True, False, False])
    group = ReviewedScores("energy", scores, verdicts, scores, whole_day=whole_day, whole_days=2, added_song=3)
    table = performance_table([group], thresholds=(0.5, 0.6, 0.9))

    # By hand: song on the whole days = true detections 0.52, 0.65, 0.81, 0.97 plus the 3 added = 7.
    at = table[table.kind == "threshold"].set_index("score_low")
    assert at[["whole_days", "n_song"]].drop_duplicates().values.tolist() == [[2, 7]]
    assert at["n_missed"].tolist() == [3, 4, 6]  # 0.5 keeps all 4 detected; 0.6 loses 0.52; 0.9 keeps 0.97
    assert at["recall"].tolist() == pytest.approx([4 / 7, 3 / 7, 1 / 7])
    assert at.loc[0.9, "recall_low"] == pytest.approx(wilson_interval(1, 7)[0])
    bins = table[table.kind == "bin"]
    assert bins["recall"].isna().all() and (bins["n_song"] == 0).all()


def test_without_a_whole_day_review_recall_is_not_claimed():
    table = performance_table([reviewed()])
    assert table["recall"].isna().all() and (table["n_song"] == 0).all()


def test_stored_verdicts_group_by_classifier_with_added_song_counted_as_missed():
    import pandas as pd

    from whale_assets.core.review.table import reviewed_scores

    day = pd.Timestamp("2023-09-14")
    verdicts = pd.DataFrame(
        {
            "date": [day, day, day, day + pd.Timedelta(days=1)],
            "confidence": [0.7, 0.6, np.nan, 0.9],
            "classifier": ["energy"] * 4,
            "verdict": ["true", "false", "true", "true"],
            "match": ["current", "stale", "added", "current"],
            "whole_day": [True, True, True, False],
        }
    )
    detections = pd.DataFrame({"classifier": ["energy"] * 5, "confidence": [0.7, 0.6, 0.9, 0.55, 0.52]})
    [group] = reviewed_scores(verdicts, detections)
    assert group.scores.tolist() == [0.7, 0.6, 0.9] and group.whole_day.tolist() == [True, True, False]
    assert (group.whole_days, group.added_song, group.all_scores.size) == (1, 1, 5)
    assert group.song_scores().tolist() == [0.7]
