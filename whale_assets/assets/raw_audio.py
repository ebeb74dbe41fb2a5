"""`raw_audio`: the exact archive samples around each group of encounters."""

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext
from pydantic import Field

from whale_assets.assets.daily import daily_asset
from whale_assets.assets.partitions import DAILY_ARRAYS
from whale_assets.assets.policies import TRANSIENT_RETRY, corrupt_archive_failure, failures_classified
from whale_assets.assets.reuse import ReusableConfig
from whale_assets.core.audio.coverage import SilenceTally, audio_coverage, silent_samples
from whale_assets.core.audio.wav_header import CorruptWavHeader
from whale_assets.core.encounters.windows import MAX_MARGIN_S, EncounterWindow, group_encounters
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.core.windows import WindowRecord, WindowStatus
from whale_assets.resources import AudioArchiveResource
from whale_assets.sources.audio_archive import PIECE_SAMPLES, AudioPieces, AudioUnavailable
from whale_assets.storage.npy_files import StreamedArray
from whale_assets.storage.window_arrays import WindowArray, WindowArrays

NOT_RETRIED = "fix the archive or its access (WHALE_AUDIO_SOURCE); retrying will not help"


class RawAudioConfig(ReusableConfig):
    margin_s: float = Field(
        1800.0, ge=0, le=MAX_MARGIN_S, description="Seconds of audio kept before and after each encounter"
    )


@daily_asset(
    DAILY_ARRAYS,
    fingerprint_extra=lambda audio_archive: audio_archive.identity(),
    what_to_do=NOT_RETRIED,
    kinds={"numpy"},
    group_name="whale_pipeline",
    retry_policy=TRANSIENT_RETRY,
)
def raw_audio(
    context: AssetExecutionContext,
    config: RawAudioConfig,
    encounters: pd.DataFrame,
    audio_archive: AudioArchiveResource,
) -> WindowArrays:
    """16 kHz float32 audio of each encounter window, read by exact byte ranges (across midnight too)."""
    windows = group_encounters(
        encounters["encounter_id"], encounters["start_utc"], encounters["end_utc"], config.margin_s
    )
    context.log.info(f"{len(encounters)} encounters -> {len(windows)} audio windows")
    archive = audio_archive.open()

    arrays = WindowArrays([], attributes={"margin_s": config.margin_s})

    def read_windows() -> Iterator[WindowArray]:
        for window in windows:
            with failures_classified(NOT_RETRIED):  # read here, as the IO manager stores each window
                stored = _read_window(context, archive, window)
            if stored.record.reason is not None:  # no_audio, or part of the window missing
                arrays.incomplete = True  # the audio may still be published: retry next run
            yield stored
        context.log.info(f"read {archive.bytes_read:,} bytes from {audio_archive.source}")

    arrays.windows = read_windows()
    return arrays


def _read_window(context: AssetExecutionContext, archive, window: EncounterWindow) -> WindowArray:
    """The audio the archive has of the window: a missing day file (or digital silence) loses only its part."""
    record = WindowRecord(
        window.window_id,
        encounter_ids=window.encounter_ids,
        start_utc=window.start_utc,
        end_utc=window.end_utc,
        sample_rate=ARCHIVE_SAMPLE_RATE,
    )
    try:
        available = archive.available(window.start_utc, window.end_utc)
        if available.start_utc is None:
            raise AudioUnavailable("; ".join(available.missing) or "the archive has no sample of this window")
        audio = _read_audio(archive, available.start_utc, available.end_utc)
    except AudioUnavailable as missing:
        context.log.warning(f"window {window.window_id}: no audio ({missing})")
        return WindowArray(replace(record, status=WindowStatus.NO_AUDIO, reason=str(missing), audio_coverage=0.0))
    except CorruptWavHeader as corrupt:
        raise corrupt_archive_failure(corrupt) from corrupt
    partial = "; ".join(available.missing) or None
    if partial:
        context.log.warning(
            f"window {window.window_id}: kept {available.start_utc} .. {available.end_utc} of the window ({partial})"
        )
    record = replace(record, start_utc=available.start_utc, end_utc=available.end_utc, reason=partial)

    tally = SilenceTally()

    def covered(written: WindowRecord) -> WindowRecord:
        coverage = audio_coverage(available.requested_samples, available.n_samples, tally.silent)
        if coverage > 0.0:
            return replace(written, audio_coverage=coverage)
        # Only digital silence: the recorder recorded nothing here, so there is no audio to score.
        silent = "; ".join(filter(None, (partial, "the archive holds only digital silence here")))
        return replace(written, status=WindowStatus.NO_AUDIO, reason=silent, audio_coverage=0.0)

    if isinstance(audio, AudioPieces):
        streamed = StreamedArray(np.dtype(np.float32), audio.n_samples, tally.count(audio.pieces))
        return WindowArray(replace(record, n_samples=audio.n_samples), streamed, finished=covered)
    tally.silent = silent_samples(audio)
    return WindowArray(covered(replace(record, n_samples=int(audio.size))), audio)


def _read_audio(archive, start_utc: pd.Timestamp, end_utc: pd.Timestamp) -> np.ndarray | AudioPieces:
    """A short stretch as one array; a long one (hours) as pieces streamed into its file."""
    duration_s = (end_utc - start_utc).total_seconds()
    if duration_s * ARCHIVE_SAMPLE_RATE <= PIECE_SAMPLES:
        return archive.read(start_utc, end_utc)
    return archive.read_pieces(start_utc, end_utc, PIECE_SAMPLES)
