"""The detector-performance figure: precision against score threshold, with the reviewed bins
(points with 95 % intervals and their counts) and the logistic fit of P(true | score); recall
against threshold too where whole days were reviewed."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from whale_assets.core.review.performance import LogisticFit

DPI = 100
SIZE_IN = (8.0, 5.0)


def performance_figure(table: pd.DataFrame, classifier: str):  # -> matplotlib.figure.Figure
    """One classifier's rows of `detector_performance`, drawn as a Figure (not yet a PNG)."""
    from matplotlib.figure import Figure

    rows = table[table["classifier"] == classifier]
    bins = rows[(rows["kind"] == "bin") & (rows["n_true"] + rows["n_false"] > 0)]
    thresholds = rows[rows["kind"] == "threshold"]
    fits = rows[rows["kind"] == "fit"]

    figure = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    centres = (bins["score_low"] + bins["score_high"]) / 2
    axes.errorbar(
        centres, bins["precision"],
        # Clipped at 0: at precision 1 the interval's top is 1 up to rounding, never below the point.
        yerr=np.clip([bins["precision"] - bins["precision_low"], bins["precision_high"] - bins["precision"]], 0, None),
        fmt="o", color="tab:blue", capsize=3, label="reviewed, per score bin (95 % interval)",
    )
    for x, y, true, false in zip(centres, bins["precision"], bins["n_true"], bins["n_false"], strict=True):
        axes.annotate(f"{true}/{true + false}", (x, y), textcoords="offset points", xytext=(6, -12), fontsize=8)
    axes.step(thresholds["score_low"], thresholds["precision"], where="post", color="tab:gray",
              label="reviewed, at or above threshold")
    with_recall = thresholds[thresholds["n_song"] > 0]
    if len(with_recall):
        song, days = int(with_recall["n_song"].iloc[0]), int(with_recall["whole_days"].iloc[0])
        axes.step(with_recall["score_low"], with_recall["recall"], where="post", color="tab:green", linestyle="--",
                  label=f"recall: song kept, {song} song selections on {days} whole day{'s' * (days != 1)}")
    fitted = bool(len(fits)) and bool(np.isfinite(fits["fit_slope"].iloc[0]))
    if not fitted:
        axes.text(0.02, 0.04, "no logistic fit: it needs both true and false verdicts", transform=axes.transAxes,
                  fontsize=9, color="tab:orange")
    if fitted:
        fit = LogisticFit(float(fits["fit_intercept"].iloc[0]), float(fits["fit_slope"].iloc[0]),
                          int(fits["reviewed"].iloc[0]))
        grid = np.linspace(0.01, 0.999, 300)
        axes.plot(grid, fit.probability(grid), color="tab:orange", label=f"logistic fit, n = {fit.n_verdicts}")
        for _, row in fits.iterrows():
            if np.isfinite(row["score_low"]):
                axes.axvline(row["score_low"], color="tab:red", linestyle=":", linewidth=1)
                axes.annotate(f"P = {row['target_precision']:.2f} at {row['score_low']:.3f}", (row["score_low"], 0.03),
                              rotation=90, fontsize=8, color="tab:red", xytext=(3, 0), textcoords="offset points")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("score threshold")
    axes.set_ylabel("precision; fit: P(song | score)")
    axes.set_title(f"Detector performance from analysts' verdicts: {classifier}")
    axes.grid(alpha=0.3)
    figure.legend(loc="outside lower center", ncols=3, fontsize=8)
    return figure


def performance_png(table: pd.DataFrame, classifier: str) -> bytes:
    buffer = io.BytesIO()
    performance_figure(table, classifier).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
