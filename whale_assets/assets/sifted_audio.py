"""`sifted_audio`: the stretches of each window where band-limited energy stands out."""

import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext
from pydantic import Field, model_validator

from whale_assets.assets.daily import daily_asset
from whale_assets.assets.partitions import DAILY_ARRAYS
from whale_assets.assets.reuse import ReusableConfig
from whale_assets.core.audio.coverage import sift_recorded
from whale_assets.core.audio.sift import SiftParameters, bandpass_sos
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.core.scoring.classifier import MODEL_CONTEXT_S
from whale_assets.core.windows import WindowRecord, WindowStatus
from whale_assets.storage.window_arrays import StoredWindows, WindowArray, WindowArrays

DEFAULTS = SiftParameters()


class SiftConfig(ReusableConfig):
    mode: Literal["noise_floor", "max_relative"] = Field(
        DEFAULTS.mode.value,
        description="`noise_floor`: band level against a running low percentile of itself (BLED-like). "
        "`max_relative`: band energy / the window's loudest frame > `threshold` (the first rule)",
    )
    lowcut_hz: float = Field(DEFAULTS.lowcut_hz, gt=0, description="Band-pass low edge (Hz)")
    highcut_hz: float = Field(
        DEFAULTS.highcut_hz, gt=0, lt=ARCHIVE_SAMPLE_RATE / 2, description="Band-pass high edge (Hz), above lowcut_hz"
    )
    order: int = Field(DEFAULTS.order, ge=1, le=12, description="Butterworth order")
    frame_samples: int = Field(
        DEFAULTS.frame_samples, ge=16, le=10 * ARCHIVE_SAMPLE_RATE, description="Energy frame length in samples"
    )
    start_db: float = Field(
        DEFAULTS.start_db, ge=0, le=120, description="noise_floor: dB above the floor that start an event"
    )
    end_db: float = Field(
        DEFAULTS.end_db, ge=0, le=120, description="noise_floor: dB above the floor an event lasts (<= start_db)"
    )
    floor_percentile: float = Field(DEFAULTS.floor_percentile, ge=0, le=100, description="noise_floor: percentile")
    floor_window_s: float = Field(
        DEFAULTS.floor_window_s, gt=0, le=86_400, description="noise_floor: seconds the floor spans"
    )
    min_event_s: float = Field(DEFAULTS.min_event_s, ge=0, le=3600, description="noise_floor: drop shorter events")
    merge_gap_s: float = Field(DEFAULTS.merge_gap_s, ge=0, le=3600, description="noise_floor: merge events this close")
    threshold: float = Field(DEFAULTS.threshold, ge=0, lt=1, description="max_relative: fraction of the loudest frame")

    def parameters(self) -> SiftParameters:
        return SiftParameters(**self.model_dump(exclude={"force"}))

    @model_validator(mode="after")
    def _the_cores_rules(self) -> "SiftConfig":
        """What the sift itself checks (threshold below 1, end_db <= start_db, the band below Nyquist)."""
        self.parameters()
        bandpass_sos(self.lowcut_hz, self.highcut_hz, ARCHIVE_SAMPLE_RATE, self.order)
        return self


@daily_asset(
    DAILY_ARRAYS,
    kinds={"numpy", "scipy"},
    group_name="whale_pipeline",
)
def sifted_audio(context: AssetExecutionContext, config: SiftConfig, raw_audio: StoredWindows) -> WindowArrays:
    """The regions of each window whose band energy stands out, each padded by one model context.

    The stored array is the padded regions one after another (overlaps merged, so no audio is
    kept twice); the band-pass only decides what to keep: classifiers get broadband audio.
    """
    parameters = config.parameters()

    def sift_windows() -> Iterator[WindowArray]:
        for window in raw_audio:
            yield _sift_window(context, parameters, raw_audio, window)

    return WindowArrays(sift_windows(), attributes=config.model_dump(exclude={"force"}))


def _sift_window(
    context: AssetExecutionContext, parameters: SiftParameters, raw_audio: StoredWindows, window: WindowRecord
) -> WindowArray:
    carried = WindowRecord(
        window.window_id, window.status, encounter_ids=window.encounter_ids, sample_rate=window.sample_rate
    )
    if not window.ok:
        return WindowArray(carried)
    audio = raw_audio.load_present(window.window_id)
    rate = window.required_sample_rate
    # One model context each side, so every window of the model that overlaps a region is scored.
    regions, segments = sift_recorded(audio, rate, parameters, math.ceil(MODEL_CONTEXT_S * rate))
    if not regions:
        context.log.info(f"window {window.window_id}: no band energy above the sift's threshold")
        return WindowArray(replace(carried, status=WindowStatus.NO_SIGNAL))
    kept = np.concatenate([audio[start:stop] for start, stop in segments]).astype(np.float32, copy=False)

    def to_utc(sample: int) -> pd.Timestamp:
        return window.start_utc + pd.Timedelta(seconds=sample / rate)

    record = replace(
        carried,
        n_samples=int(kept.size),
        start_utc=to_utc(regions[0][0]),
        end_utc=to_utc(regions[-1][1]),
        regions_utc=tuple((to_utc(a), to_utc(b)) for a, b in regions),
        segments_utc=tuple((to_utc(a), to_utc(b)) for a, b in segments),
        sifted_seconds=kept.size / rate,
        kept_fraction=round(kept.size / max(audio.size, 1), 4),
    )
    return WindowArray(record, kept)
