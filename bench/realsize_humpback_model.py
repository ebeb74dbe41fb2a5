"""Build a SavedModel the size and shape of Google's humpback whale model, with random weights.

The real weights (TF Hub `google/humpback_whale/1`) cannot be downloaded here, so benchmarks use
this instead: the same signatures and timing as the real model, and the same arithmetic.

- front end: STFT frame 1024, hop 300 (no padding), magnitude -> 64 mel bins 0-5000 Hz;
- windows of 128 frames every `context_step_samples // 300` frames, PCEN applied per window
  (the smoother as a 128 x 128 triangular matrix, per window as the real `score` does);
- classifier: ResNet-50 (bottleneck groups 3/4/6/3, 64 -> 2048 channels) on [128, 64, 1],
  global average pooling, Dense(1), sigmoid: ~23.5 M parameters, random weights;
- `score(waveform[b, n, 1], context_step_samples)` -> `{"scores": [b, windows, 1]}` and
  `metadata()` -> input_sample_rate 10000, context_width_samples 39124, class_names [b"Mn"].

The scores are meaningless (random weights); only speed and memory are realistic.

    python bench/realsize_humpback_model.py /tmp/realsize_humpback   # writes the SavedModel there

Never commit the output (~95 MB of variables).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

SAMPLE_RATE = 10_000
FRAME = 1024
HOP = 300
MEL_BINS = 64
CONTEXT_FRAMES = 128
CONTEXT_SAMPLES = HOP * (CONTEXT_FRAMES - 1) + FRAME
PCEN = dict(smoothing=0.025, alpha=0.98, delta=2.0, root=2.0, floor=1e-6)
INFO_FILE = "realsize_info.json"


def conv_flops(model) -> int:
    """Multiply-adds x 2 of every Conv2D and Dense layer for one window (batch norm, ReLU, adds not counted)."""
    import tensorflow as tf

    total = 0
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.Conv2D):
            out = layer.output.shape  # [None, h, w, c_out]
            kh, kw = layer.kernel_size
            c_in = layer.input.shape[-1]
            total += 2 * out[1] * out[2] * kh * kw * c_in * out[3]
        elif isinstance(layer, tf.keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units
    return int(total)


def build_module(seed: int = 0):
    import numpy as np
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    backbone = tf.keras.applications.ResNet50(
        include_top=False, weights=None, input_shape=(CONTEXT_FRAMES, MEL_BINS, 1), pooling="avg"
    )
    head = tf.keras.layers.Dense(1, name="logits")
    classifier = tf.keras.Sequential([backbone, head])
    classifier.build((None, CONTEXT_FRAMES, MEL_BINS, 1))

    mel = tf.signal.linear_to_mel_weight_matrix(MEL_BINS, FRAME // 2 + 1, SAMPLE_RATE, 0.0, 5000.0)
    s = PCEN["smoothing"]
    t = np.arange(CONTEXT_FRAMES)
    # M_ij = s (1 - s)^(i - j) for j <= i, and the first frame carries the initial state (1 - s)^i.
    smoother = np.where(t[:, None] >= t[None, :], s * (1 - s) ** (t[:, None] - t[None, :]), 0.0)
    smoother[:, 0] += (1 - s) ** (t + 1)
    smoother = tf.constant(smoother, tf.float32)

    class RealSizeHumpbackModel(tf.Module):
        def __init__(self):
            super().__init__()
            self.classifier = classifier
            self.mel = tf.Variable(mel, trainable=False, name="mel")
            self.smoother = tf.Variable(smoother, trainable=False, name="pcen_smoother")

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, None, 1], tf.float32, name="waveform"),
                tf.TensorSpec([], tf.int64, name="context_step_samples"),
            ]
        )
        def score(self, waveform, context_step_samples):
            batch = tf.shape(waveform)[0]
            pcen = self.pcen_windows(waveform, context_step_samples)
            logits = self.classifier(pcen[..., tf.newaxis], training=False)
            return {"scores": tf.reshape(tf.sigmoid(logits), [batch, -1, 1])}

        def pcen_windows(self, waveform, context_step_samples):
            """[batch * windows, 128, 64]: the PCEN mel spectrogram of each window, as `score` feeds it."""
            x = waveform[:, :, 0]
            stft = tf.signal.stft(x, frame_length=FRAME, frame_step=HOP, fft_length=FRAME, pad_end=False)
            spectrogram = tf.matmul(tf.abs(stft), self.mel)  # [b, frames, 64]
            step = tf.cast(context_step_samples // HOP, tf.int32)
            windows = tf.signal.frame(spectrogram, CONTEXT_FRAMES, step, axis=1)  # [b, w, 128, 64]
            flat = tf.reshape(windows, [-1, CONTEXT_FRAMES, MEL_BINS])
            smooth = tf.einsum("ij,bjk->bik", self.smoother, flat)  # PCEN smoother, per window
            return (flat / (PCEN["floor"] + smooth) ** PCEN["alpha"] + PCEN["delta"]) ** (1 / PCEN["root"]) - PCEN[
                "delta"
            ] ** (1 / PCEN["root"])

        @tf.function(input_signature=[])
        def metadata(self):
            return {
                "input_sample_rate": tf.constant(SAMPLE_RATE, tf.int64),
                "context_width_samples": tf.constant(CONTEXT_SAMPLES, tf.int64),
                "class_names": tf.constant([b"Mn"]),
            }

    return RealSizeHumpbackModel(), classifier


def build(directory: Path) -> dict:
    """Write the SavedModel to `directory`; returns its parameter count and FLOPs per window."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    module, classifier = build_module()
    return build_saved(module, classifier, directory)


def build_saved(module, classifier, directory: Path) -> dict:
    """Save `module` (from `build_module`, perhaps trained) with its info file, as `build` does."""
    import tensorflow as tf

    tf.saved_model.save(module, str(directory), signatures={"score": module.score, "metadata": module.metadata})
    info = {
        "parameters": int(classifier.count_params()),
        "resnet_flops_per_window": conv_flops(classifier.layers[0]) + 2 * 2048,
        "input": [CONTEXT_FRAMES, MEL_BINS, 1],
    }
    (Path(directory) / INFO_FILE).write_text(json.dumps(info, indent=1))
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write the SavedModel (a temp folder, never the repo)")
    args = parser.parse_args(argv)
    info = build(args.directory)
    print(
        f"wrote {args.directory}: {info['parameters'] / 1e6:.2f} M parameters, "
        f"{info['resnet_flops_per_window'] / 1e9:.2f} GFLOP per window (ResNet-50 convolutions + head)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
