"""`encounter_clips` on a stored song day: one archival and one listening clip per audio window."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from whale_assets_tests.support.pipeline import DAY, deliver_clips, query, run_day
from whale_assets_tests.support.world import export_row

TARGET_DBFS = -1.0


def build_shared_window_day(world) -> None:
    """Two encounters close enough to share one audio window, with song between them."""
    world.encounters(
        export_row("hw-a", "2023-09-14 16:00:00", "2023-09-14 16:01:00"),
        export_row("hw-b", "2023-09-14 16:00:40", "2023-09-14 16:02:00"),
    )
    world.audio("2023-09-14 15:58:00", 6 * 60, song_at_s=(150, 210))
    world.write_archive()


def test_encounters_sharing_a_window_share_one_archival_and_one_listening_clip(world, instance):
    build_shared_window_day(world)
    settings = world.settings()
    run_day(settings, instance)
    assert deliver_clips(settings, instance).success

    clips = query(settings, "select * from encounter_clips order by encounter_id")
    assert list(clips["encounter_id"]) == ["hw-a", "hw-b"]
    assert clips["window_id"].nunique() == 1
    assert clips["clip_path"].nunique() == 1 and clips["listening_path"].nunique() == 1
    files = {str(p) for p in (settings.data_dir / "clips" / DAY).iterdir()}
    assert files == {clips["clip_path"][0], clips["listening_path"][0]}
    assert clips["listening_path"][0] == clips["clip_path"][0].removesuffix(".flac") + ".listen.flac"
    assert (settings.data_dir / "clips" / DAY).joinpath(clips["clip_path"][0]).name.startswith("hw-a_hw-b_2023")
    with sf.SoundFile(clips["clip_path"][0]) as archival:
        assert archival.subtype == "PCM_24" and archival.title == "encounters hw-a, hw-b"


def test_the_listening_copy_peaks_within_1_db_of_its_target_with_no_dc_while_the_archival_keeps_it(world, instance):
    build_shared_window_day(world)
    settings = world.settings()
    run_day(settings, instance)
    assert deliver_clips(settings, instance, listening_peak_dbfs=TARGET_DBFS).success

    [row] = query(
        settings, "select distinct clip_path, listening_path, listening_peak_dbfs from encounter_clips"
    ).to_dict("records")
    archival, _ = sf.read(row["clip_path"], dtype="float64")
    heard, _ = sf.read(row["listening_path"], dtype="float64")
    assert archival.size == heard.size == 30 * 16_000
    assert abs(np.mean(archival) + 0.0034) < 5e-4  # the archive's DC offset, kept
    peak_db = 20 * np.log10(np.max(np.abs(heard)))
    assert row["listening_peak_dbfs"] == TARGET_DBFS and abs(peak_db - TARGET_DBFS) < 1.0
    assert abs(np.mean(heard)) < 1e-3  # DC removed
    # Audible: the listening copy is ~60 dB louder than the archive's signal around its offset.
    assert np.std(heard) > 100 * np.std(archival)


def test_a_table_stored_before_listening_copies_keeps_its_old_rows_and_gains_the_new_columns(world, instance):
    import duckdb

    build_shared_window_day(world)
    settings = world.settings()
    run_day(settings, instance)
    with duckdb.connect(str(settings.database)) as connection:  # the table as earlier versions wrote it
        connection.execute(
            "create table encounter_clips (date timestamp, encounter_id varchar, window_id varchar, clip_path varchar, "
            "clip_start_utc timestamp, clip_seconds double, peak_score_utc timestamp, pooled_score double)"
        )
        connection.execute(
            "insert into encounter_clips values ('2023-09-13', 'old', 'w', 'old.flac', '2023-09-13 10:00', 30, null, 0.1)"
        )
    assert deliver_clips(settings, instance).success

    rows = query(settings, "select encounter_id, clip_path, listening_path from encounter_clips order by encounter_id")
    assert list(rows["encounter_id"]) == ["hw-a", "hw-b", "old"]
    old = rows.set_index("encounter_id").loc["old"]
    assert old["clip_path"] == "old.flac" and old.isna()["listening_path"]
    assert rows["listening_path"][:2].str.endswith(".listen.flac").all()
