"""Train the real-size humpback stand-in on MARS-like audio voiced with REAL song units.

The real weights cannot be downloaded here and full training of a ResNet-50 does not fit in
minutes on 2 shared cores, so this fine-tunes part of the real-size architecture
(`realsize_humpback_model.py`: STFT, mel, per-window PCEN, ResNet-50, Dense(1)):

1. the random backbone's batch-norm statistics are set from the training windows (one pass in
   training mode with momentum 0), so activations are scaled as in a trained network;
2. the backbone up to `conv5_block2_out` is frozen and its features computed once;
3. the last bottleneck block (`conv5_block3`, 4.5 M parameters) and the head are trained on them
   (Adam, binary cross-entropy) to tell windows with song from windows without.

Training scenes use the units of `TRAIN_RECORDINGS`, evaluation scenes other seeds and the units
of `HELD_OUT_RECORDINGS` (`real_song_world.py`): song at 6-15 dB among ambient noise, a ship,
blue and fin calls and an earthquake. The SavedModel has the real `score`/`metadata` signatures;
its ROC AUC and precision/recall at 0.5 on the held-out scenes go to `standin_report.json`.

    .venv/bin/python bench/train_standin.py                 # ~/.cache/whale_assets/trained_standin
    .venv/bin/python bench/train_standin.py --out /tmp/trained_standin

Never commit the output (~95 MB of variables).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import real_song_world as world  # noqa: E402
import realsize_humpback_model as realsize  # noqa: E402

DEFAULT_OUT = Path.home() / ".cache" / "whale_assets" / "trained_standin"
STEP_SAMPLES = 10_000
TRAIN_SEEDS = (101, 102, 103, 104, 105, 106)
HELD_OUT_SEEDS = (201, 202, 203)
FROZEN_UNTIL = "conv5_block2_out"
REPORT_FILE = "standin_report.json"


def pcen_windows(module, samples: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    waveform = tf.constant(samples[np.newaxis, :, np.newaxis])
    return module.pcen_windows(waveform, tf.constant(STEP_SAMPLES, tf.int64)).numpy()


def scene_windows(module, seeds: tuple[int, ...], recordings: tuple[str, ...], minutes: float):
    """PCEN windows and labels (1 song, 0 noise; ambiguous ones dropped) of one scene per seed."""
    units = world.load_units(recordings)
    xs, ys = [], []
    for seed in seeds:
        pcen = pcen_windows(module, world.audio(world.scene(seed, minutes, units)))
        starts_s = np.arange(len(pcen)) * (STEP_SAMPLES // realsize.HOP * realsize.HOP) / realsize.SAMPLE_RATE
        labels = world.window_labels(
            world.scene(seed, minutes, units), starts_s, realsize.CONTEXT_SAMPLES / realsize.SAMPLE_RATE
        )
        xs.append(pcen[labels >= 0])
        ys.append(labels[labels >= 0])
    return np.concatenate(xs)[..., np.newaxis], np.concatenate(ys).astype(np.float32)


def calibrate_batch_norm(backbone, windows: np.ndarray) -> None:
    """Set every batch-norm layer's moving statistics from `windows` (momentum 0, one pass)."""
    import tensorflow as tf

    layers = [layer for layer in backbone.layers if isinstance(layer, tf.keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    backbone(windows, training=True)
    for layer, momentum in zip(layers, momenta, strict=True):
        layer.momentum = momentum


def trainable_tail(backbone, head):
    """conv5_block3 + pooling + head as a model on the frozen features (the same layer objects)."""
    import tensorflow as tf

    features = tf.keras.Input(backbone.get_layer(FROZEN_UNTIL).output.shape[1:])
    x = features
    for suffix in ("1_conv", "1_bn", "1_relu", "2_conv", "2_bn", "2_relu", "3_conv", "3_bn"):
        x = backbone.get_layer(f"conv5_block3_{suffix}")(x)
    x = backbone.get_layer("conv5_block3_out")(backbone.get_layer("conv5_block3_add")([features, x]))
    x = backbone.get_layer("avg_pool")(x)
    return tf.keras.Model(features, head(x))


def train(out: Path, minutes: float, epochs: int) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    started = time.perf_counter()
    module, classifier = realsize.build_module(seed=0)
    backbone, head = classifier.layers
    x, y = scene_windows(module, TRAIN_SEEDS, world.TRAIN_RECORDINGS, minutes)
    print(f"training windows: {len(y)} ({y.mean():.0%} song), {time.perf_counter() - started:.0f} s", flush=True)
    rng = np.random.default_rng(0)
    calibrate_batch_norm(backbone, x[rng.choice(len(x), min(256, len(x)), replace=False)])
    frozen = tf.keras.Model(backbone.input, backbone.get_layer(FROZEN_UNTIL).output)
    features = np.concatenate([frozen(x[i : i + 64], training=False).numpy() for i in range(0, len(x), 64)])
    print(f"frozen features {features.shape}, {time.perf_counter() - started:.0f} s", flush=True)
    tail = trainable_tail(backbone, head)
    for layer in tail.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            layer.trainable = False  # keep the calibrated statistics; conv weights and head learn
    tail.compile(optimizer=tf.keras.optimizers.Adam(3e-4), loss=tf.keras.losses.BinaryCrossentropy(from_logits=True))
    tail.fit(features, y, batch_size=64, epochs=epochs, shuffle=True, verbose=2)

    held_x, held_y = scene_windows(module, HELD_OUT_SEEDS, world.HELD_OUT_RECORDINGS, minutes)
    scores = np.concatenate(
        [tf.sigmoid(classifier(held_x[i : i + 64], training=False)).numpy().ravel() for i in range(0, len(held_x), 64)]
    )
    precision, recall = world.precision_recall(scores, held_y.astype(int))
    report = {
        "held_out_recordings": world.HELD_OUT_RECORDINGS,
        "held_out_seeds": HELD_OUT_SEEDS,
        "held_out_windows": len(held_y),
        "held_out_song_share": float(held_y.mean()),
        "roc_auc": world.roc_auc(scores, held_y.astype(int)),
        "precision_at_0.5": precision,
        "recall_at_0.5": recall,
        "score_quantiles": {q: float(np.quantile(scores, q)) for q in (0.01, 0.1, 0.5, 0.9, 0.99)},
        "train_recordings": world.TRAIN_RECORDINGS,
        "train_seeds": TRAIN_SEEDS,
        "train_windows": len(y),
        "minutes_per_scene": minutes,
        "trained": f"{FROZEN_UNTIL} frozen; conv5_block3 and head trained {epochs} epochs",
        "seconds": time.perf_counter() - started,
    }
    info = realsize.build_saved(module, classifier, out)
    report |= info
    (out / REPORT_FILE).write_text(json.dumps(report, indent=1))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the SavedModel goes (outside git)")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of each training/held-out scene")
    parser.add_argument("--epochs", type=int, default=12)
    args = parser.parse_args(argv)
    report = train(args.out, args.minutes, args.epochs)
    print(json.dumps({k: v for k, v in report.items() if k not in ("train_recordings",)}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
