"""A small stand-in for the Google humpback whale SavedModel: same signatures, same timing.

The real model (`https://tfhub.dev/google/humpback_whale/1`) is unreachable from tests, so this
builds a SavedModel that `tensorflow_hub.load` opens exactly like the real one:

- `score(waveform: float32[batch, samples, 1], context_step_samples: int64 scalar)`
  -> `{"scores": float32[batch, windows, 1]}`, frames of 1024 samples every 300, no padding,
  windows of 128 frames advancing `context_step_samples // 300` frames (1 800 s -> 1 815 scores);
- `metadata()` -> `input_sample_rate` 10000, `context_width_samples` 39124, `class_names` [b"Mn"].

Each window's score depends only on that window's samples (like the real model's per-window
PCEN), so scoring in overlapping chunks cannot change it. Like PCEN, the score ignores absolute
level: quiet song at archive level (noise RMS ~8e-5, unit SNR 6-15 dB in band) scores high.

Scoring rule, per window of 128 frames (1024-sample periodic Hann STFT, hop 300):
1. the in-band (100-1500 Hz) bin powers of each frame are divided by the window's own
   background, each bin's geometric mean power over the window's frames (gain normalisation
   per window and per bin, so neither level nor noise colour matters);
2. a frame's tonality is log(arithmetic / geometric mean) of its normalised bins; pure noise gives
   Euler's gamma (~0.58) whatever its level, a broadband rise (ship, earthquake) too, while a
   song unit concentrates power into a few bins that come and go;
3. score = sigmoid((10 log10(e) x (mean frame tonality - gamma) - MIDPOINT_DB) / SCALE_DB).
Sources below 100 Hz (blue and fin whales, ship blade lines) never enter; the DC offset stays
in bins 0 and 1 of a periodic Hann window.
"""

from __future__ import annotations

import math
from pathlib import Path

SAMPLE_RATE = 10_000
FRAME_SAMPLES = 1024
HOP_SAMPLES = 300
CONTEXT_FRAMES = 128
CONTEXT_SAMPLES = HOP_SAMPLES * (CONTEXT_FRAMES - 1) + FRAME_SAMPLES  # 39 124
BAND_HZ = (100.0, 1500.0)
MIDPOINT_DB = 1.0
"""Window tonality over noise (dB) that scores 0.5: noise gives 0 +- ~0.05 dB, song units 1.5-6 dB."""
SCALE_DB = 0.25
NOISE_TONALITY = 0.5772156649015329
"""Euler's gamma: log(arithmetic / geometric mean) of exponentially distributed bin powers."""


def _build_module():  # -> tf.Module; TensorFlow is imported only when a test needs the model
    import numpy as np
    import tensorflow as tf

    bin_hz = SAMPLE_RATE / FRAME_SAMPLES
    band_bins = (math.ceil(BAND_HZ[0] / bin_hz), math.floor(BAND_HZ[1] / bin_hz) + 1)
    band_selector = tf.constant(np.eye(FRAME_SAMPLES // 2 + 1, dtype=np.float32)[:, band_bins[0] : band_bins[1]])

    class StandInHumpbackModel(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([None, None, 1], tf.float32, name="waveform"),
                tf.TensorSpec([], tf.int64, name="context_step_samples"),
            ]
        )
        def score(self, waveform, context_step_samples):
            x = waveform[:, :, 0]
            stft = tf.signal.stft(
                x, frame_length=FRAME_SAMPLES, frame_step=HOP_SAMPLES, fft_length=FRAME_SAMPLES, pad_end=False
            )
            power = tf.math.square(tf.abs(stft))
            # The band picked by a one-hot matmul (exact in float32), a slice with the real model's
            # kind of arithmetic (its mel matmul), which a bfloat16 rewrite really runs in bfloat16.
            band = tf.matmul(power, band_selector) + 1e-30  # [batch, frames, bins]
            step_frames = tf.cast(context_step_samples // HOP_SAMPLES, tf.int32)
            # Each window's own 128 frames only: nothing crosses a window's edges.
            windows = tf.signal.frame(band, CONTEXT_FRAMES, step_frames, axis=1)  # [batch, windows, frames, bins]
            log_power = tf.math.log(windows)
            background = tf.reduce_mean(log_power, axis=2, keepdims=True)  # per-bin geometric mean
            log_normalised = log_power - background
            peak = tf.reduce_max(log_normalised, axis=-1, keepdims=True)
            log_arith = tf.math.log(tf.reduce_mean(tf.exp(log_normalised - peak), axis=-1)) + peak[..., 0]
            log_geo = tf.reduce_mean(log_normalised, axis=-1)
            tonality = tf.reduce_mean(log_arith - log_geo, axis=-1) - NOISE_TONALITY  # [batch, windows]
            tonality_db = tonality * (10.0 / 2.302585092994046)
            logit = (tonality_db - MIDPOINT_DB) / SCALE_DB
            return {"scores": tf.math.sigmoid(logit)[:, :, tf.newaxis]}

        @tf.function(input_signature=[])
        def metadata(self):
            return {
                "input_sample_rate": tf.constant(SAMPLE_RATE, tf.int64),
                "context_width_samples": tf.constant(CONTEXT_SAMPLES, tf.int64),
                "class_names": tf.constant([b"Mn"]),
            }

    return StandInHumpbackModel()


def build_humpback_savedmodel(directory: Path) -> Path:
    """Save the stand-in model as a SavedModel in `directory` and return that directory."""
    import tensorflow as tf

    directory = Path(directory)
    module = _build_module()
    tf.saved_model.save(module, str(directory), signatures={"score": module.score, "metadata": module.metadata})
    return directory
