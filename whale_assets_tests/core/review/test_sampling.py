import numpy as np
import pandas as pd
import pytest

from whale_assets.core.review.sampling import stratified_sample


def detections(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    scores = np.concatenate([rng.uniform(0.5, 0.6, n - 12), rng.uniform(0.9, 1.0, 12)])
    return pd.DataFrame({"selection": np.arange(n), "confidence": scores})


def test_the_same_seed_gives_the_same_sample_and_another_seed_another():
    table = detections()
    first = stratified_sample(table, per_bin=5, seed=11)
    assert first.equals(stratified_sample(table, per_bin=5, seed=11))
    assert not first["selection"].tolist() == stratified_sample(table, per_bin=5, seed=12)["selection"].tolist()


def test_every_non_empty_bin_is_sampled_and_no_bin_more_than_asked():
    table = detections()
    sample = stratified_sample(table, per_bin=5, seed=1, edges=(0.0, 0.5, 0.6, 0.9, 1.0))
    by_bin = sample.groupby("score_bin_low").size().to_dict()
    assert by_bin == {0.5: 5, 0.9: 5}  # the 0-0.5 and 0.6-0.9 bins are empty
    assert set(sample.loc[sample.score_bin_low == 0.9, "bin_detections"]) == {12}
    assert sample["selection"].is_unique


def test_a_bin_smaller_than_the_quota_is_taken_whole():
    sample = stratified_sample(detections(), per_bin=50, seed=1, edges=(0.0, 0.9, 1.0))
    assert (sample.score_bin_low == 0.9).sum() == 12


def test_an_empty_quota_is_refused():
    with pytest.raises(ValueError, match="per_bin=0"):
        stratified_sample(detections(), per_bin=0, seed=1)


def test_a_sampled_selections_clip_holds_it_with_context_and_stays_inside_its_day_file():
    import datetime as dt

    from whale_assets.core.review.sampling import sample_clip

    day = dt.date(2023, 9, 14)
    middle = sample_clip(day, 3, 36000.25, 6.0)
    assert middle.name == "MARS-20230914T000000Z-16kHz.sel003.100000.250Z.wav"
    assert (middle.start_utc, middle.n_samples, middle.selection_offset_s) == (
        pd.Timestamp("2023-09-14 09:59:58.25"),
        10 * 16_000,
        2.0,
    )
    first = sample_clip(day, 1, 0.5, 3.0)  # 2 s before it would be the previous day's file
    assert (first.start_utc, first.selection_offset_s) == (pd.Timestamp("2023-09-14"), 0.5)
    last = sample_clip(day, 9, 86_397.0, 3.0)
    assert last.start_utc + pd.Timedelta(seconds=last.n_samples / 16_000) == pd.Timestamp("2023-09-15")
    assert last.selection_offset_s == pytest.approx(4.0)
