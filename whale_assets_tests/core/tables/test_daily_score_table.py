import numpy as np
import pandas as pd
import pytest

from whale_assets.core.tables.daily_scores import DAILY_SCORE_COLUMNS, daily_score_table
from whale_assets.core.utc import Day

PARTITION = Day(2023, 9, 14)
DAY = PARTITION.start


def test_windows_without_audio_get_no_row_and_the_rest_keep_their_times():
    times = DAY.to_datetime64() + np.arange(4) * np.timedelta64(990, "ms")
    table = daily_score_table(PARTITION, times, np.array([0.1, np.nan, 0.9, np.nan], np.float32), "energy")
    assert table["time_utc"].tolist() == [DAY, DAY + pd.Timedelta(seconds=1.98)]
    assert table["score"].tolist() == pytest.approx([0.1, 0.9])
    assert (table["date"] == DAY).all() and (table["model"] == "energy").all()


def test_an_empty_day_has_the_same_column_types_as_a_full_one():
    empty = daily_score_table(PARTITION, np.array([], "datetime64[ns]"), np.array([], np.float32), "energy")
    full = daily_score_table(PARTITION, np.array([DAY.to_datetime64()]), np.array([0.5], np.float32), "energy")
    assert len(empty) == 0
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()
    assert list(empty.columns) == list(DAILY_SCORE_COLUMNS)


def test_times_and_scores_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="window times for 3 scores"):
        daily_score_table(PARTITION, np.array([DAY.to_datetime64()]), np.zeros(3, np.float32), "energy")
