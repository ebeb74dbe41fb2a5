"""A small TRAINED stand-in for the humpback SavedModel, built in seconds: real signatures, real timing.

Unlike `humpback_savedmodel.py` (a hand-written tonality rule) this one learns: a per-window
log-mel front end (STFT 1024/300, 64 mel bins 0-5000 Hz, each window's own per-bin mean removed,
so level does not matter, as PCEN makes the real model level-blind), two strided convolutions, global
average pooling and Dense(1), trained with Adam on MARS-like scenes (song at 6-15 dB among
ambient noise, a ship, blue and fin calls, an earthquake) to say which 3.9 s windows hold song.
Its scores spread over 0-1, so agreement between precisions (float32, bfloat16) means something.
Scenes here use synthetic song units: the model is test support, not a quality figure (those are
measured with real units, `bench/train_standin.py`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.synthesis.mars_scene import (
    BaleenCalls,
    Earthquake,
    MarsScene,
    ShipPassage,
    SongSession,
    render,
    song_units,
)

SAMPLE_RATE = 10_000
FRAME_SAMPLES = 1024
HOP_SAMPLES = 300
CONTEXT_FRAMES = 128
CONTEXT_SAMPLES = HOP_SAMPLES * (CONTEXT_FRAMES - 1) + FRAME_SAMPLES  # 39 124
MEL_BINS = 64
STEP_SAMPLES = 9_900  # 33 frames: what the default context_step_samples 10 000 really advances
TRAINING_STEPS = 120


def training_scene(seed: int, duration_s: float = 180.0) -> MarsScene:
    """Song bouts at 6-15 dB with a ship, blue and fin calls and an earthquake in between."""
    rng = np.random.default_rng(seed)
    third = duration_s / 3
    return MarsScene(
        duration_s,
        seed=seed,
        song=(
            SongSession(10.0, third - 20, float(rng.uniform(6, 15))),
            SongSession(2 * third, third - 10, float(rng.uniform(6, 15))),
        ),
        ships=(ShipPassage(1.5 * third, third, float(rng.uniform(10, 18))),),
        baleen=(BaleenCalls("blue", 0.0, duration_s, 10.0), BaleenCalls("fin", third, third, 10.0)),
        earthquakes=(Earthquake(1.3 * third, 20.0),),
    )


def song_labels(scene: MarsScene, n_windows: int) -> np.ndarray:
    """1 where song units cover >= 0.5 s of the window, 0 where none touch it, -1 in between."""
    starts = np.arange(n_windows) * STEP_SAMPLES / SAMPLE_RATE
    covered = np.zeros(n_windows)
    for begin, end in song_units(scene):
        covered += np.clip(np.minimum(end, starts + CONTEXT_SAMPLES / SAMPLE_RATE) - np.maximum(begin, starts), 0, None)
    return np.where(covered >= 0.5, 1, np.where(covered == 0, 0, -1))


def scene_audio(scene: MarsScene) -> np.ndarray:
    return resample_exact(render(scene), scene.sample_rate, SAMPLE_RATE).astype(np.float32)


def _build_module(seed: int = 0):  # -> tf.Module; TensorFlow is imported only when a test needs it
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    mel = tf.signal.linear_to_mel_weight_matrix(MEL_BINS, FRAME_SAMPLES // 2 + 1, SAMPLE_RATE, 0.0, 5000.0)
    classifier = tf.keras.Sequential(
        [
            tf.keras.Input((CONTEXT_FRAMES, MEL_BINS, 1)),
            tf.keras.layers.Conv2D(8, 5, strides=2, activation="relu"),
            tf.keras.layers.Conv2D(16, 3, strides=2, activation="relu"),
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(1),
        ]
    )

    class TrainedStandIn(tf.Module):
        def __init__(self):
            super().__init__()
            self.classifier = classifier
            self.mel = tf.Variable(mel, trainable=False, name="mel")

        def windows(self, waveform, context_step_samples):
            """[batch * windows, 128, 64, 1]: each window's log-mel minus its own per-bin mean."""
            stft = tf.signal.stft(waveform[:, :, 0], FRAME_SAMPLES, HOP_SAMPLES, FRAME_SAMPLES, pad_end=False)
            log_mel = tf.math.log(tf.matmul(tf.abs(stft), self.mel) + 1e-9)
            step = tf.cast(context_step_samples // HOP_SAMPLES, tf.int32)
            framed = tf.signal.frame(log_mel, CONTEXT_FRAMES, step, axis=1)  # [b, w, 128, 64]
            framed = tf.reshape(framed, [-1, CONTEXT_FRAMES, MEL_BINS])
            return (framed - tf.reduce_mean(framed, axis=1, keepdims=True))[..., tf.newaxis]

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, None, 1], tf.float32, name="waveform"),
                tf.TensorSpec([], tf.int64, name="context_step_samples"),
            ]
        )
        def score(self, waveform, context_step_samples):
            logits = self.classifier(self.windows(waveform, context_step_samples), training=False)
            return {"scores": tf.reshape(tf.sigmoid(logits), [tf.shape(waveform)[0], -1, 1])}

        @tf.function(input_signature=[])
        def metadata(self):
            return {
                "input_sample_rate": tf.constant(SAMPLE_RATE, tf.int64),
                "context_width_samples": tf.constant(CONTEXT_SAMPLES, tf.int64),
                "class_names": tf.constant([b"Mn"]),
            }

    return TrainedStandIn()


def _train(module, seeds: tuple[int, ...] = (11, 12)) -> None:
    import tensorflow as tf

    xs, ys = [], []
    for seed in seeds:
        scene = training_scene(seed)
        windows = module.windows(tf.constant(scene_audio(scene)[None, :, None]), tf.constant(10_000, tf.int64)).numpy()
        labels = song_labels(scene, len(windows))
        xs.append(windows[labels >= 0])
        ys.append(labels[labels >= 0])
    x, y = np.concatenate(xs), np.concatenate(ys).astype(np.float32)[:, None]
    rng = np.random.default_rng(0)
    optimizer = tf.keras.optimizers.Adam(3e-3)
    loss = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    weights = module.classifier.trainable_variables

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            value = loss(yb, module.classifier(xb, training=True))
        optimizer.apply_gradients(zip(tape.gradient(value, weights), weights, strict=True))

    for _ in range(TRAINING_STEPS):
        batch = rng.choice(len(x), 64, replace=False)
        step(tf.constant(x[batch]), tf.constant(y[batch]))


def build_trained_savedmodel(directory: Path) -> Path:
    """Train the small stand-in (seconds) and save it as a SavedModel in `directory`."""
    import tensorflow as tf

    directory = Path(directory)
    module = _build_module()
    _train(module)
    tf.saved_model.save(module, str(directory), signatures={"score": module.score, "metadata": module.metadata})
    return directory
