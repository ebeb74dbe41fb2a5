"""The detector-performance figure: precision against score threshold, with the reviewed bins
(points with 95 % intervals and their counts) and the logistic fit of P(true | score); recall
against threshold too where whole days were reviewed."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from whale_assets.core.review.performance import LogisticFit, logit


def score_text(score: float) -> str:
    """A score with two digits after its run of nines (0.75, 0.9913, 0.9999971): never rounded to 1."""
    nines = int(np.floor(-np.log10(max(1.0 - score, 1e-12)))) if score > 0.9 else 0
    return f"{score:.{max(2, nines + 2)}f}"


def expit_array(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(values, dtype="float64")))


DPI = 100
SIZE_IN = (8.0, 5.0)
# The score axis is on a logit scale: the fit is a straight logistic there, and scores piling up
# near 1 (0.99, 0.999, ...) spread out instead of hiding in the last pixel. These are its ends.
SCORE_AXIS = (0.01, 0.9999)
SCORE_TICKS = (0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 0.9999, 0.99999)


def performance_figure(table: pd.DataFrame, classifier: str):  # -> matplotlib.figure.Figure
    """One classifier's rows of `detector_performance`, drawn as a Figure (not yet a PNG)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter

    rows = table[table["classifier"] == classifier]
    bins = rows[(rows["kind"] == "bin") & (rows["n_true"] + rows["n_false"] > 0)]
    thresholds = rows[rows["kind"] == "threshold"]
    fits = rows[rows["kind"] == "fit"]

    figure = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    # A bin's point sits at its centre on the logit axis (the bin from 0 at its top's logit minus 1).
    low_logit = np.where(
        bins["score_low"] > 0, logit(bins["score_low"].clip(upper=0.999999)), logit(bins["score_high"]) - 2
    )
    centres = pd.Series(expit_array((low_logit + logit(bins["score_high"])) / 2), index=bins.index)
    axes.errorbar(
        centres,
        bins["precision"],
        # Clipped at 0: at precision 1 the interval's top is 1 up to rounding, never below the point.
        yerr=np.clip([bins["precision"] - bins["precision_low"], bins["precision_high"] - bins["precision"]], 0, None),
        fmt="o",
        color="tab:blue",
        capsize=3,
        label="reviewed, per score bin (95 % interval)",
    )
    for x, y, true, false in zip(centres, bins["precision"], bins["n_true"], bins["n_false"], strict=True):
        # Below the point, or above it near the axis, where the tick labels are.
        axes.annotate(
            f"{true}/{true + false}", (x, y), textcoords="offset points", xytext=(6, -12 if y > 0.1 else 6), fontsize=8
        )
    axes.step(
        thresholds["score_low"],
        thresholds["precision"],
        where="post",
        color="tab:gray",
        label="reviewed, at or above threshold",
    )
    with_recall = thresholds[thresholds["n_song"] > 0]
    if len(with_recall):
        song, days = int(with_recall["n_song"].iloc[0]), int(with_recall["whole_days"].iloc[0])
        axes.step(
            with_recall["score_low"],
            with_recall["recall"],
            where="post",
            color="tab:green",
            linestyle="--",
            label=f"recall: song kept, {song} song selections on {days} whole day{'s' * (days != 1)}",
        )
    fitted = bool(len(fits)) and bool(np.isfinite(fits["fit_slope"].iloc[0]))
    thresholds_found = fits["score_low"][np.isfinite(fits["score_low"])]
    lowest = SCORE_AXIS[0]
    # Past 0.9999 only when a fitted threshold lies there (a score of 0.99995 must still be seen).
    highest = max([SCORE_AXIS[1], *(1 - (1 - thresholds_found) / 3).tolist()])
    if not fitted:
        axes.text(
            0.02,
            0.04,
            "no logistic fit: it needs both true and false verdicts",
            transform=axes.transAxes,
            fontsize=9,
            color="tab:orange",
        )
    if fitted:
        fit = LogisticFit(
            float(fits["fit_intercept"].iloc[0]), float(fits["fit_slope"].iloc[0]), int(fits["reviewed"].iloc[0])
        )
        grid = expit_array(np.linspace(logit(lowest), logit(highest), 300))
        axes.plot(grid, fit.probability(grid), color="tab:orange", label=f"logistic fit, n = {fit.n_verdicts}")
        for side, (_, row) in enumerate(fits.iterrows()):
            if np.isfinite(row["score_low"]):
                axes.axvline(row["score_low"], color="tab:red", linestyle=":", linewidth=1)
                # The first label left of its line, the next right: close thresholds keep both readable.
                axes.annotate(
                    f"P = {row['target_precision']:.2f} at {score_text(row['score_low'])}",
                    (row["score_low"], 0.03),
                    rotation=90,
                    fontsize=8,
                    color="tab:red",
                    xytext=(-10 if side % 2 == 0 else 3, 0),
                    textcoords="offset points",
                )
    axes.set_xscale("logit")
    axes.set_xlim(lowest, highest)
    ticks = [tick for tick in SCORE_TICKS if lowest <= tick <= highest]
    axes.set_xticks(ticks, [f"{tick:g}" for tick in ticks])
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("score threshold (logit scale)")
    axes.set_ylabel("precision; fit: P(song | score)")
    axes.set_title(f"Detector performance from analysts' verdicts: {classifier}")
    axes.grid(alpha=0.3)
    figure.legend(loc="outside lower center", ncols=3, fontsize=8)
    return figure


def performance_png(table: pd.DataFrame, classifier: str) -> bytes:
    buffer = io.BytesIO()
    performance_figure(table, classifier).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
