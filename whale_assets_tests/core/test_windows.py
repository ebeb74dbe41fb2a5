import json

import pandas as pd
import pytest

from whale_assets.core.windows import (
    ArrayFile,
    WindowRecord,
    WindowStatus,
    window_entry,
    window_record,
)

# index.json entries exactly as written before WindowRecord existed (one per asset and status).
OLD_RAW_OK = {
    "window_id": "20230914T155900Z",
    "start_utc": "2023-09-14T15:59:00+00:00",
    "end_utc": "2023-09-14T16:03:00+00:00",
    "sample_rate": 16000,
    "encounter_ids": ["sing"],
    "status": "ok",
    "n_samples": 3840000,
    "file": "20230914T155900Z.68da8f7e6a.npy",
    "dtype": "float32",
    "shape": [3840000],
    "nbytes": 15360000,
}
OLD_RAW_NO_AUDIO = {
    "window_id": "20230915T235900Z",
    "start_utc": "2023-09-15T23:59:00+00:00",
    "end_utc": "2023-09-16T00:03:00+00:00",
    "sample_rate": 16000,
    "encounter_ids": ["late"],
    "status": "no_audio",
    "reason": "no day file for 2023-09-16 in the archive",
    "file": None,
}
OLD_SIFTED_OK = {
    "window_id": "20230914T155900Z",
    "encounter_ids": ["sing"],
    "sample_rate": 16000,
    "status": "ok",
    "n_samples": 3829760,
    "start_utc": "2023-09-14T15:59:00.320000+00:00",
    "end_utc": "2023-09-14T16:02:59.680000+00:00",
    "regions_utc": [
        ["2023-09-14T15:59:00.320000+00:00", "2023-09-14T15:59:00.352000+00:00"],
        ["2023-09-14T16:00:08.703999999+00:00", "2023-09-14T16:00:08.736000+00:00"],
    ],
    "kept_fraction": 0.9973,
    "file": "20230914T155900Z.1b2c3d4e5f.npy",
    "dtype": "float32",
    "shape": [3829760],
    "nbytes": 15319040,
}
OLD_SIFTED_NO_SIGNAL = {
    "window_id": "20230914T195900Z",
    "encounter_ids": ["b"],
    "sample_rate": 16000,
    "status": "no_signal",
    "file": None,
}
OLD_CLASSIFIED_EMPTY = {
    "window_id": "20230914T155900Z",
    "encounter_ids": ["sing"],
    "status": "ok",
    "score_source": "model",
    "model": "energy",
    "start_utc": "2023-09-14T15:59:00.320000+00:00",
    "step_s": 0.99,
    "context_s": 3.9124,
    "n_scores": 0,
    "max_score": None,
    "file": "20230914T155900Z.9a8b7c6d5e.npy",
    "dtype": "[('start_utc', '<M8[ns]'), ('score', '<f4')]",
    "shape": [0],
    "nbytes": 0,
}
OLD_ENTRIES = [OLD_RAW_OK, OLD_RAW_NO_AUDIO, OLD_SIFTED_OK, OLD_SIFTED_NO_SIGNAL, OLD_CLASSIFIED_EMPTY]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize("entry", OLD_ENTRIES, ids=lambda e: f"{e['status']}-{e.get('file') is not None}")
def test_an_old_index_entry_is_read_and_written_back_unchanged(entry):
    assert json.loads(json.dumps(window_entry(window_record(entry)))) == entry


def test_an_old_sifted_entry_reads_as_typed_utc_times_regions_and_its_array_file():
    record = window_record(OLD_SIFTED_OK)
    assert record.status is WindowStatus.OK and record.ok
    assert record.encounter_ids == ("sing",)
    assert record.start_utc == utc("2023-09-14 15:59:00.32") and str(record.start_utc.tz) == "UTC"
    assert record.regions_utc[1] == (utc("2023-09-14 16:00:08.703999999"), utc("2023-09-14 16:00:08.736"))
    assert record.array == ArrayFile("20230914T155900Z.1b2c3d4e5f.npy", "float32", (3829760,), 15319040)
    assert record.extra == {}


def test_a_record_round_trips_through_its_index_entry():
    record = WindowRecord(
        "20230914T155900Z",
        WindowStatus.OK,
        encounter_ids=("a", "b"),
        start_utc=utc("2023-09-14 15:59:00.320"),
        end_utc=utc("2023-09-14 16:02:59.680"),
        sample_rate=16000,
        n_samples=3829760,
        regions_utc=((utc("2023-09-14 15:59:00.320"), utc("2023-09-14 16:00:08.703999999")),),
        kept_fraction=0.9973,
        array=ArrayFile("w.npy", "float32", (3829760,), 15319040),
    )
    entry = json.loads(json.dumps(window_entry(record)))
    assert window_record(entry) == record


def test_times_given_in_another_zone_are_stored_as_utc():
    record = WindowRecord("w", start_utc=pd.Timestamp("2023-09-14 08:59:00", tz="America/Los_Angeles"))
    assert window_entry(record)["start_utc"] == "2023-09-14T15:59:00+00:00"


def test_a_window_without_status_is_ok_and_unknown_keys_are_kept_for_the_next_write():
    record = window_record({"window_id": "w", "file": None, "gain_db": 3.5})
    assert record.status is WindowStatus.OK
    assert record.extra == {"gain_db": 3.5}
    assert window_entry(record)["gain_db"] == 3.5


def test_an_unknown_status_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="'clipped' is not a valid WindowStatus"):
        window_record({"window_id": "w", "status": "clipped", "file": None})


def test_statuses_compare_equal_to_the_strings_stored_in_tables():
    assert [s.value for s in WindowStatus] == ["ok", "no_audio", "no_signal"]
    assert WindowStatus.NO_SIGNAL == "no_signal"
