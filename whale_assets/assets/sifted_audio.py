"""`sifted_audio`: the part of each window where band-limited energy stands out."""

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, asset
from pydantic import Field

from whale_assets.assets.partitions import DAILY_ARRAYS
from whale_assets.assets.reuse import ReusableConfig, check_reuse
from whale_assets.core.audio.sift import sift, widen
from whale_assets.core.windows import WindowRecord, WindowStatus
from whale_assets.resources import FingerprintStore
from whale_assets.storage.window_arrays import StoredWindows, WindowArray, WindowArrays


class SiftConfig(ReusableConfig):
    lowcut_hz: float = Field(50.0, gt=0, description="Band-pass low edge (Hz)")
    highcut_hz: float = Field(1500.0, gt=0, description="Band-pass high edge (Hz)")
    order: int = Field(5, ge=1, le=12, description="Butterworth order")
    threshold: float = Field(0.015, ge=0, le=1, description="Keep frames whose energy / max energy exceeds this")
    frame_samples: int = Field(512, ge=16, description="Energy frame length in samples")
    min_span_s: float = Field(
        4.0, ge=0, description="Widen shorter kept spans to this (one humpback model context is 3.9124 s)"
    )


@asset(
    **DAILY_ARRAYS,
    kinds={"numpy", "scipy"},
    group_name="whale_pipeline",
)
def sifted_audio(
    context: AssetExecutionContext, config: SiftConfig, raw_audio: StoredWindows, fingerprints: FingerprintStore
) -> WindowArrays:
    """The unfiltered audio between the first and last frame whose band energy passes `threshold`.

    The band-pass only decides what to keep: the classifiers get broadband audio, as they were built for.
    """
    if (reuse := check_reuse(context, fingerprints, config, upstream=["raw_audio"])).reused:
        return reuse.placeholder

    def sift_windows() -> Iterator[WindowArray]:
        for window in raw_audio:
            yield _sift_window(context, config, raw_audio, window)

    return WindowArrays(sift_windows(), attributes=config.model_dump(exclude={"force"}))


def _sift_window(context, config: SiftConfig, raw_audio: StoredWindows, window: WindowRecord) -> WindowArray:
    carried = WindowRecord(
        window.window_id, window.status, encounter_ids=window.encounter_ids, sample_rate=window.sample_rate
    )
    if not window.ok:
        return WindowArray(carried)
    audio = raw_audio.load(window.window_id)
    rate = int(window.sample_rate)
    result = sift(
        audio,
        rate,
        lowcut_hz=config.lowcut_hz,
        highcut_hz=config.highcut_hz,
        order=config.order,
        threshold=config.threshold,
        frame_samples=config.frame_samples,
    )
    if result.span is None:
        context.log.info(f"window {window.window_id}: nothing above the sift threshold")
        return WindowArray(replace(carried, status=WindowStatus.NO_SIGNAL))
    first, last = widen(result.span, int(config.min_span_s * rate), audio.size)

    def to_utc(sample: int) -> pd.Timestamp:
        return window.start_utc + pd.Timedelta(seconds=sample / rate)

    kept = replace(
        carried,
        n_samples=last - first,
        start_utc=to_utc(first),
        end_utc=to_utc(last),
        regions_utc=tuple((to_utc(a), to_utc(b)) for a, b in result.regions),
        kept_fraction=round((last - first) / max(audio.size, 1), 4),
    )
    return WindowArray(kept, np.array(audio[first:last], dtype=np.float32))
