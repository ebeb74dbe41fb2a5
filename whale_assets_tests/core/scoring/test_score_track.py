import numpy as np
import pandas as pd

from whale_assets.core.scoring.track import score_track


def test_each_score_carries_the_utc_start_of_its_window_on_the_true_step():
    track = score_track(pd.Timestamp("2023-09-14 23:59:58", tz="UTC"), np.array([0.1, 0.2, 0.9], np.float32), 0.99)
    assert list(track["score"]) == [np.float32(0.1), np.float32(0.2), np.float32(0.9)]
    assert track["start_utc"][2] == np.datetime64("2023-09-14T23:59:59.980", "ns")
    assert track["start_utc"][1] - track["start_utc"][0] == np.timedelta64(990, "ms")


def test_an_empty_score_list_gives_an_empty_track():
    assert score_track(pd.Timestamp("2023-09-14"), np.array([], np.float32), 0.99).size == 0
