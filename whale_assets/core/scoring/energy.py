"""A weight-free stand-in for the humpback model: in-band sound whose level or tonality moves within its window.

Scores lie on the humpback model's own window grid (`WindowGrid`: 3.9124 s windows every
0.99 s at 10 kHz), so everything downstream of a `Classifier` treats both alike.

Per window (one STFT pass with the model's frame, 1024 Hann, and hop, 300):
1. **modulation** (the main feature since revision `modulation-1`): the in-band bins (100-1500 Hz)
   are summed into six log-spaced sub-bands; the feature is the standard deviation over the
   window's 128 frames of each sub-band's level (dB), averaged over the sub-bands. Stationary
   noise, whatever its colour or level, gives ~1.6 dB (a chi-square spread fixed by the bins per
   sub-band); so does a ship at any distance, whose level changes over minutes, not seconds. Song
   units come and go within the window in some sub-bands, tonal or not: real MBARI units (gurgles,
   grunts, groans, moans, shrieks) give 2.7-5.5 dB at 6-10 dB in-band SNR. Added because real song
   is full of broadband units that tonality scores low (issue 19: 0.16 pooled on real song).
2. **tonality**: the in-band spectrum of every frame is whitened by the window's own background,
   the per-bin geometric mean power over the window's frames; a frame's tonality is
   log(arithmetic / geometric mean) of its whitened bins, minus the ~0.58 that pure noise gives.
   It catches tonal units and is kept beside modulation (the logit is the larger of the two).
3. **low-frequency veto**: how far the energy below 100 Hz (20-100 Hz) and in band rise above
   their own 5-minute running floors (the `floor_percentile`-th order statistic of window levels
   over `floor_window_s`, centred, exact at every window). Ships, blue and fin whales and
   earthquakes rise far more below 100 Hz than in band; song does the reverse. When the low band
   rises `veto_db` more than the band, the score is pushed down.
4. score = logistic(max((tonality_db - midpoint_db) / width_db, (modulation_db -
   modulation_midpoint_db) / modulation_width_db) - veto). Noise scores ~0.02, song windows ~1.

The modulation midpoint (2.2 dB) was chosen on the tuning recordings only
(`bench/tune_energy_on_real_song.py`); `bench/real_song_detection.py` reports on held-out ones.

DC offset: a periodic Hann window confines a frame's mean (the MARS offset, ~-0.0034 of full
scale, ~40x the signal) to FFT bins 0 and 1, below 19.5 Hz, which no feature uses; measured, the
offset moves tonality by < 1e-5 dB. Everything but the running floors depends only on a
window's own samples; the floors need 2.5 minutes of margin each side (`_floor_windows`).

What it tells apart: humpback units of 0.2-10 s in 100-1500 Hz, tonal or broadband, with gaps
between them or changing within a window, from reddish ambient noise of any level, colour or slow
drift, ship passages, blue-whale A/B and fin-whale 20 Hz calls and earthquakes. Song under
fin-whale pulses is still found.
What it cannot: any other sound in 100-1500 Hz that changes within a few seconds scores like song
(killer whales, dolphins' whistles, sea lions, other baleen song, sonar, a ship's cavitation
modulated at a few Hz, a passing small boat, snapping or knocking on the mooring); song during a
loud ship or blue-whale chorus is vetoed (missed) while the low band dominates; it knows units,
not song structure, so a single call scores like a unit. Measured on synthetic noise only: real
MARS days with real noise were not available (docs/concepts/detector.md).

Cost: the STFT, one log per in-band bin, a small matrix product per window and a 6-column matrix
product per frame, block by block. Through `score_day` with its margins (`bench/energy_full_day.py`,
one hour, one core, load ~5 on 2 cores): 1 267x real time in wall time, 1 667x in CPU time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft, ndimage, signal, special

from whale_assets.core.scoring.classifier import WindowGrid

POWER_FLOOR = 1e-16
"""Added to band power (mean square, input units squared) before taking logs: below the in-band
quantisation noise of 24-bit PCM in [-1, 1), so it only matters for digital silence."""
NOISE_TONALITY = float(np.euler_gamma)
"""log(arithmetic / geometric mean) of exponentially distributed bin powers: pure noise."""
ENERGY_REVISION = "modulation-1"
"""Which energy detector scored: part of the fingerprints of the partitions it scores (not of the
`model` column), so partitions scored by an earlier revision recompute. Change it with the scores."""
SUB_BANDS = 6
"""Log-spaced sub-bands of the song band (100-1500 Hz: ~56 Hz wide at the bottom, ~500 Hz at the
top) whose level changes within a window make the modulation feature."""
LOW_BAND_HZ = (19.5, 100.0)
"""Below the song band: where ships, blue and fin whales and earthquakes put most of their energy.
Starts at bin 2, above the only bins (0 and 1) a DC offset reaches through a periodic Hann window."""


class EnergyClassifier:
    """In-band tonality detector with a low-frequency veto, implementing the `Classifier` protocol."""

    def __init__(
        self,
        lowcut_hz: float = 100.0,
        highcut_hz: float = 1500.0,
        floor_window_s: float = 300.0,
        floor_percentile: float = 10.0,
        midpoint_db: float = 1.0,
        width_db: float = 0.25,
        veto_db: float = 6.0,
        veto_width_db: float = 1.0,
        modulation_midpoint_db: float = 2.2,
        modulation_width_db: float = 0.1,
        block_windows: int = 32,
    ) -> None:
        self.name = "energy"
        self.grid = WindowGrid()
        nyquist = self.grid.sample_rate / 2
        if not LOW_BAND_HZ[1] <= lowcut_hz < highcut_hz <= nyquist:
            raise ValueError(
                f"band lowcut_hz={lowcut_hz}, highcut_hz={highcut_hz} is invalid: "
                f"need {LOW_BAND_HZ[1]:g} <= lowcut < highcut <= {nyquist:g} Hz"
            )
        if not (
            floor_window_s > 0 and 0 <= floor_percentile <= 100 and width_db > 0 and veto_width_db > 0
            and modulation_width_db > 0 and block_windows >= 1
        ):  # fmt: skip
            raise ValueError(
                f"need floor_window_s > 0 (got {floor_window_s}), 0 <= floor_percentile <= 100 "
                f"(got {floor_percentile}), width_db > 0 (got {width_db}), veto_width_db > 0 "
                f"(got {veto_width_db}), modulation_width_db > 0 (got {modulation_width_db}), "
                f"block_windows >= 1 (got {block_windows})"
            )
        n_fft = self.grid.frame_samples
        bin_hz = self.grid.sample_rate / n_fft
        self._bins = slice(int(np.ceil(lowcut_hz / bin_hz)), int(np.floor(highcut_hz / bin_hz)) + 1)
        self._low_bins = slice(int(np.ceil(LOW_BAND_HZ[0] / bin_hz)), int(np.ceil(LOW_BAND_HZ[1] / bin_hz)))
        self._window = signal.get_window("hann", n_fft).astype(np.float32)
        # One-sided Parseval: 2 |X_k|^2 / (N * sum(w^2)) is the mean-square power of bin k.
        self._power_scale = 2.0 / (n_fft * float(np.sum(self._window.astype(np.float64) ** 2)))
        # Odd, so the neighbourhood is centred (the day scorer's margin is half of it, plus one).
        self._floor_windows = int(round(floor_window_s / self.grid.step_s)) // 2 * 2 + 1
        self.floor_percentile = float(floor_percentile)
        self.midpoint_db = float(midpoint_db)
        self.width_db = float(width_db)
        self.veto_db = float(veto_db)
        self.veto_width_db = float(veto_width_db)
        self.block_windows = int(block_windows)
        self.neighbourhood_windows = self._floor_windows // 2 + 1
        self.modulation_midpoint_db = float(modulation_midpoint_db)
        self.modulation_width_db = float(modulation_width_db)
        # Sub-band membership of the in-band bins: equal widths on a log-frequency axis.
        centres = np.arange(self._bins.start, self._bins.stop) * bin_hz
        edges = np.geomspace(lowcut_hz, highcut_hz, SUB_BANDS + 1)
        member = np.clip(np.searchsorted(edges, centres, side="right") - 1, 0, SUB_BANDS - 1)
        self._sub_bands = (member[:, None] == np.arange(SUB_BANDS)[None, :]).astype(np.float32)

    def score(self, waveform: np.ndarray) -> np.ndarray:
        """float32 scores in [0, 1], one per `grid` window of the 10 kHz `waveform`."""
        features = self.window_features(waveform)
        if features.tonality_db.size == 0:
            return np.zeros(0, np.float32)
        low_rise = features.low_db - running_floor_db(features.low_db, self._floor_windows, self.floor_percentile)
        band_rise = features.band_db - running_floor_db(features.band_db, self._floor_windows, self.floor_percentile)
        veto = special.log1p(np.exp((low_rise - band_rise - self.veto_db) / self.veto_width_db))
        tonal = (features.tonality_db - self.midpoint_db) / self.width_db
        modulated = (features.modulation_db - self.modulation_midpoint_db) / self.modulation_width_db
        logit = np.maximum(tonal, modulated) - veto
        return special.expit(logit).astype(np.float32)

    def window_features(self, waveform: np.ndarray) -> WindowFeatures:
        """Tonality (dB) and band and low-band levels (dB re input units squared) of every window."""
        waveform = np.asarray(waveform)
        if waveform.ndim != 1:
            raise ValueError(f"waveform must be 1-D, got shape {waveform.shape}")
        grid = self.grid
        n_windows = grid.n_windows(waveform.shape[0])
        features = WindowFeatures(*(np.zeros(n_windows) for _ in range(4)))
        for w0 in range(0, n_windows, self.block_windows):
            w1 = min(n_windows, w0 + self.block_windows)
            f0 = w0 * grid.step_frames
            f1 = (w1 - 1) * grid.step_frames + grid.context_frames
            segment = waveform[f0 * grid.hop_samples : (f1 - 1) * grid.hop_samples + grid.frame_samples]
            self._block_features(segment, features, slice(w0, w1))
        return features

    def frame_powers(self, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per frame of `segment`: in-band bin powers [frames, bins] and low-band power [frames] (float32)."""
        grid = self.grid
        frames = sliding_window_view(segment, grid.frame_samples)[:: grid.hop_samples]
        # A periodic Hann window confines a frame's mean (the DC offset) to bins 0 and 1, which no
        # feature uses (measured: -0.0034 of DC moves tonality by < 1e-5 dB).
        windowed = np.multiply(frames, self._window, dtype=np.float32)
        spectrum = fft.rfft(windowed, axis=1)[:, self._low_bins.start : self._bins.stop]
        if not np.all(np.isfinite(spectrum)):
            raise ValueError("waveform contains NaN or inf")
        power = spectrum.real**2
        power += spectrum.imag**2
        power *= np.float32(self._power_scale)
        low = slice(0, self._low_bins.stop - self._low_bins.start)
        band = slice(self._bins.start - self._low_bins.start, None)
        return power[:, band], power[:, low].sum(axis=1)

    def _block_features(self, segment: np.ndarray, out: WindowFeatures, windows: slice) -> None:
        grid = self.grid
        band, low = self.frame_powers(segment)
        band += np.float32(POWER_FLOOR / band.shape[1])
        log_band = np.log(band)
        n_bins = band.shape[1]
        n = windows.stop - windows.start
        step, width = grid.step_frames, grid.context_frames

        def window_sums(per_frame: np.ndarray) -> np.ndarray:
            cumulative = np.concatenate(
                (np.zeros((1, *per_frame.shape[1:])), np.cumsum(per_frame, axis=0, dtype=np.float64))
            )
            first = np.arange(n) * step
            return cumulative[first + width] - cumulative[first]

        # The window's background per bin: geometric mean power over its own frames.
        reference = window_sums(log_band) / width  # [windows, bins]
        weights = np.exp(-(reference - reference.max(axis=1, keepdims=True))).astype(np.float32)
        # Whitened arithmetic mean of each frame of each window: [windows, frames].
        band_frames = sliding_window_view(band, width, axis=0)[::step][:n]  # [windows, bins, frames]
        whitened_sum = np.einsum("wbt,wb->wt", band_frames, weights, optimize=True)
        log_arith = np.log(whitened_sum / n_bins) - reference.max(axis=1, keepdims=True)
        frame_log_geo = log_band.mean(axis=1, dtype=np.float64)
        log_geo = sliding_window_view(frame_log_geo, width)[::step][:n] - reference.mean(axis=1, keepdims=True)
        tonality = (log_arith - log_geo).mean(axis=1) - NOISE_TONALITY
        out.tonality_db[windows] = 10.0 * np.log10(np.e) * tonality
        # Spectro-temporal modulation: how much each sub-band's level moves within the window.
        sub_db = (10.0 * np.log10(np.e)) * np.log(band @ self._sub_bands).astype(np.float64)  # [frames, sub-bands]
        mean_db = window_sums(sub_db) / width
        spread = np.maximum(window_sums(sub_db**2) / width - mean_db**2, 0.0)
        out.modulation_db[windows] = np.sqrt(spread).mean(axis=1)
        band_total = band.sum(axis=1, dtype=np.float64)
        out.band_db[windows] = 10.0 * np.log10(window_sums(band_total) / width + POWER_FLOOR)
        out.low_db[windows] = 10.0 * np.log10(
            np.maximum(window_sums(low.astype(np.float64)), 0.0) / width + POWER_FLOOR
        )


@dataclass
class WindowFeatures:
    """Per-window features, float64 arrays of one length."""

    tonality_db: np.ndarray
    """In-band tonality over noise, dB: ~0 for noise of any colour or level, ships, earthquakes."""
    band_db: np.ndarray
    """Mean in-band power, dB re input units squared."""
    low_db: np.ndarray
    """Mean 20-100 Hz power, dB re input units squared."""
    modulation_db: np.ndarray
    """Standard deviation over the window's frames of each sub-band's level, dB, averaged over the
    sub-bands: ~1.6 for stationary noise of any colour or level (ships at closest approach too),
    2.7-5.5 for windows in real song at 6-10 dB in-band SNR."""


def running_floor_db(level_db: np.ndarray, neighbourhood: int, percentile: float) -> np.ndarray:
    """Low percentile of `level_db` over a sliding neighbourhood of `neighbourhood` windows (odd).

    The order statistic nearest the percentile, at every window: a window's floor depends only on
    its neighbourhood, never on where the input starts, so chunked scoring with a margin of half a
    neighbourhood equals one call. Near the edges the neighbourhood is shifted inward, not
    truncated or padded.
    """
    n = level_db.shape[0]
    rank = int(round(percentile / 100.0 * (min(n, neighbourhood) - 1)))
    if n <= neighbourhood:
        return np.full(n, np.partition(level_db, rank)[rank] if n else 0.0)
    half = neighbourhood // 2
    floors = ndimage.rank_filter(level_db, rank, size=neighbourhood, mode="nearest")
    floors[:half] = floors[half]
    floors[n - half :] = floors[n - half - 1]
    return floors
