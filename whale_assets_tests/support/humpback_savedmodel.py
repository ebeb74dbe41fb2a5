"""A small stand-in for the Google humpback whale SavedModel: same signatures, same timing.

The real model (`https://tfhub.dev/google/humpback_whale/1`) is unreachable from tests, so this
builds a SavedModel that `tensorflow_hub.load` opens exactly like the real one:

- `score(waveform: float32[batch, samples, 1], context_step_samples: int64 scalar)`
  -> `{"scores": float32[batch, windows, 1]}`, frames of 1024 samples every 300, no padding,
  windows of 128 frames advancing `context_step_samples // 300` frames (1 800 s -> 1 815 scores);
- `metadata()` -> `input_sample_rate` 10000, `context_width_samples` 39124, `class_names` [b"Mn"].

Each window's score depends only on that window's samples (like the real model's per-window
PCEN), so scoring in overlapping chunks cannot change it. The score is deterministic and means
something: loud, tonal energy in 100-1000 Hz (where humpback song sits) scores high, quiet or
broadband noise scores low.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_RATE = 10_000
FRAME_SAMPLES = 1024
HOP_SAMPLES = 300
CONTEXT_FRAMES = 128
CONTEXT_SAMPLES = HOP_SAMPLES * (CONTEXT_FRAMES - 1) + FRAME_SAMPLES  # 39 124
BAND_HZ = (100.0, 1000.0)
REFERENCE_DB = -50.0
"""In-band power (dB re full scale) at which a perfectly tonal window scores 0.5."""
LEVEL_SCALE_DB = 5.0
PURITY_SCALE_DB = 2.0


def _build_module():  # -> tf.Module; TensorFlow is imported only when a test needs the model
    import tensorflow as tf

    n_bins = FRAME_SAMPLES // 2 + 1
    freqs = tf.linspace(0.0, SAMPLE_RATE / 2, n_bins)
    band_mask = tf.cast((freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1]), tf.float32)
    # Parseval with a Hann window (mean square 3/8), one-sided spectrum counted twice: bin powers
    # then sum to the frame's mean signal power, so a full-scale sine reads about -3 dB.
    power_norm = 2.0 / (FRAME_SAMPLES * FRAME_SAMPLES * 0.375)

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
            power = tf.math.square(tf.abs(stft)) * power_norm  # [batch, frames, bins]
            band = tf.reduce_sum(power * band_mask, axis=-1)
            total = tf.reduce_sum(power, axis=-1)
            step_frames = tf.cast(context_step_samples // HOP_SAMPLES, tf.int32)
            # Windows are sums over their own 128 frames only: nothing crosses a window's edges.
            band_w = tf.reduce_sum(tf.signal.frame(band, CONTEXT_FRAMES, step_frames, axis=1), axis=-1)
            total_w = tf.reduce_sum(tf.signal.frame(total, CONTEXT_FRAMES, step_frames, axis=1), axis=-1)
            eps = 1e-12
            level_db = 10.0 * tf.math.log((band_w + eps) / CONTEXT_FRAMES) / tf.math.log(10.0)
            # Per-window normalisation: the share of the window's own energy that lies in band.
            purity_db = 10.0 * tf.math.log((band_w + eps) / (total_w + eps)) / tf.math.log(10.0)
            logit = (level_db - REFERENCE_DB) / LEVEL_SCALE_DB + purity_db / PURITY_SCALE_DB
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
    tf.saved_model.save(
        module, str(directory), signatures={"score": module.score, "metadata": module.metadata}
    )
    return directory
