"""How the energy detector's modulation threshold was chosen: on the tuning recordings only.

The modulation feature (`WindowFeatures.modulation_db`: spread of six sub-band levels within a
window) and the detector's scores for candidate midpoints are computed on (a) windows overlapping
real units of `TUNING_RECORDINGS` at 3, 6 and 10 dB in-band SNR and (b) song-free MARS-like audio:
ambient noise, ships of 10-30 dB, blue and fin whale bouts at 20 dB, earthquakes of 30 dB. The
rule: the lowest midpoint at which the modulation feature adds no score to any song-free window
(its highest score equals the tonality-only detector's), plus one 0.1 dB step of safety margin
(real noise is less steady than this world's); the table shows what each candidate keeps of the
tuning song (windows scoring >= 0.5). Held-out recordings are never read here.

    .venv/bin/python bench/tune_energy_on_real_song.py
"""

from __future__ import annotations

import sys

import numpy as np

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.scoring.energy import EnergyClassifier
from whale_assets.core.synthesis.mars_scene import BaleenCalls, Earthquake, MarsScene, ShipPassage, SongSession, render
from whale_assets.demo.real_song import TUNING_RECORDINGS, load_real_units, song_intervals, units_dir

SNRS = (3.0, 6.0, 10.0)
SAFETY_STEP_DB = 0.1
MIDPOINTS = np.round(np.arange(1.9, 2.85, 0.1), 1)


def song_audio(classifier: EnergyClassifier, snr_db: float) -> tuple[np.ndarray, np.ndarray]:
    """10 kHz audio of every tuning recording replayed once at `snr_db`, and which windows overlap a unit."""
    units = load_real_units(TUNING_RECORDINGS)
    song_s = sum(b.span_s + 30.0 for b in units.bouts)
    scene = MarsScene(
        song_s + 20.0, seed=100 + int(snr_db), song=(SongSession(10.0, song_s, snr_db),), song_recording=units
    )
    audio = resample_exact(render(scene), scene.sample_rate, classifier.grid.sample_rate)
    starts = classifier.grid.window_offsets_s(classifier.grid.n_windows(audio.size))
    overlapping = np.zeros(starts.size, bool)
    for unit in song_intervals(scene):
        overlapping |= (starts < unit.end_s) & (unit.start_s < starts + classifier.grid.context_s)
    return audio, overlapping


def song_free_audio(rate: int) -> dict[str, np.ndarray]:
    scenes = {
        "ambient": MarsScene(600.0, seed=1, sample_rate=rate),
        **{f"ship {db:g} dB": MarsScene(480.0, seed=2, ships=(ShipPassage(240.0, 480.0, db),), sample_rate=rate) for db in (10.0, 20.0, 30.0)},
        **{f"{kind} 20 dB": MarsScene(480.0, seed=3, baleen=(BaleenCalls(kind, 0.0, 480.0, 20.0),), sample_rate=rate) for kind in ("blue", "fin")},
        "earthquakes 30 dB": MarsScene(480.0, seed=4, earthquakes=tuple(Earthquake(float(t), 30.0) for t in range(50, 450, 100)), sample_rate=rate),
    }  # fmt: skip
    return {name: render(scene) for name, scene in scenes.items()}


def main() -> int:
    if units_dir() is None:
        print("no real song units: ../shared/data/mbari-song-units/ is absent (set WHALE_REAL_SONG_UNITS)")
        return 1
    classifier = EnergyClassifier()
    free = song_free_audio(classifier.grid.sample_rate)
    for name, audio in free.items():
        print(f"song-free max modulation, {name:<18}: {classifier.window_features(audio).modulation_db.max():.2f} dB")
    song = {snr: song_audio(classifier, snr) for snr in SNRS}
    for snr, (audio, overlapping) in song.items():
        values = classifier.window_features(audio).modulation_db[overlapping]
        print(
            f"tuning song windows at {snr:g} dB: {values.size}, modulation p10/p50/p90 {np.percentile(values, [10, 50, 90]).round(2)}"
        )
    print(f"\n{'midpoint':>8} | " + " | ".join(f"song >= 0.5 at {snr:g} dB" for snr in SNRS) + " | song-free max score")
    tonality_only = EnergyClassifier(modulation_midpoint_db=1e3)
    ceiling = max(float(tonality_only.score(audio).max()) for audio in free.values())
    print(f"(tonality-only detector: song-free max score {ceiling:.3f})")
    chosen = None
    for midpoint in MIDPOINTS:
        candidate = EnergyClassifier(modulation_midpoint_db=float(midpoint))
        worst = max(float(candidate.score(audio).max()) for audio in free.values())
        shares = [float(np.mean(candidate.score(audio)[overlapping] >= 0.5)) for audio, overlapping in song.values()]
        if chosen is None and worst <= ceiling + 1e-4:
            chosen = round(float(midpoint) + SAFETY_STEP_DB, 1)
        mark = "  <- rule" if chosen == float(midpoint) else ""
        print(
            f"{midpoint:>8.1f} | " + " | ".join(f"{share:>19.1%}" for share in shares) + f" | {worst:>19.3f}{mark}",
            flush=True,
        )
    print(f"\nrule: lowest midpoint adding no song-free score, + {SAFETY_STEP_DB} dB -> {chosen} dB "
          f"(EnergyClassifier default: {classifier.modulation_midpoint_db:g} dB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
