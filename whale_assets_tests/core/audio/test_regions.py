"""Sample ranges: padding for the classifier's context, merging, totals."""

from __future__ import annotations

import numpy as np
import pytest

from whale_assets.core.audio.regions import kept_seconds, merge_regions, pad_regions


def test_each_region_grows_by_the_pad_on_both_sides() -> None:
    assert pad_regions([(1_000, 2_000), (10_000, 10_500)], 100, 20_000) == [(900, 2_100), (9_900, 10_600)]


def test_padding_is_clipped_to_the_audio() -> None:
    assert pad_regions([(50, 200), (19_900, 20_000)], 100, 20_000) == [(0, 300), (19_800, 20_000)]


def test_regions_whose_padding_overlaps_or_touches_become_one() -> None:
    overlapping = pad_regions([(1_000, 2_000), (2_150, 3_000)], 100, 20_000)
    touching = pad_regions([(1_000, 2_000), (2_200, 3_000)], 100, 20_000)
    apart = pad_regions([(1_000, 2_000), (2_201, 3_000)], 100, 20_000)

    assert overlapping == [(900, 3_100)]
    assert touching == [(900, 3_100)]
    assert apart == [(900, 2_100), (2_101, 3_100)]


def test_padded_regions_cover_every_input_sample_once_and_only_within_the_pad() -> None:
    rng = np.random.default_rng(11)
    n, pad = 200_000, 3_000
    starts = np.sort(rng.choice(n, 40, replace=False))
    regions = [(int(s), int(min(n, s + rng.integers(1, 5_000)))) for s in starts]

    padded = pad_regions(regions, pad, n)

    covered = np.zeros(n, np.int32)
    for start, end in padded:
        covered[start:end] += 1
    wanted = np.zeros(n, bool)
    for start, end in regions:
        wanted[max(0, start - pad) : end + pad] = True
    assert covered.max() == 1  # nothing scored twice
    assert np.array_equal(covered.astype(bool), wanted)  # exactly the regions and their padding
    assert all(a[1] < b[0] for a, b in zip(padded, padded[1:], strict=False))  # sorted, separate


def test_unsorted_input_and_zero_pad_give_sorted_merged_regions() -> None:
    assert pad_regions([(500, 600), (100, 200), (150, 300)], 0, 1_000) == [(100, 300), (500, 600)]


def test_no_regions_pad_to_none_and_a_negative_pad_is_refused() -> None:
    assert pad_regions([], 39_124, 1_000_000) == []
    with pytest.raises(ValueError, match="pad_samples=-1"):
        pad_regions([(0, 10)], -1, 100)


def test_merge_regions_joins_gaps_up_to_the_limit() -> None:
    assert merge_regions([(0, 10), (15, 20), (26, 30)], max_gap=5) == [(0, 20), (26, 30)]


def test_kept_seconds_totals_the_regions() -> None:
    assert kept_seconds([(0, 16_000), (32_000, 40_000)], 16_000) == pytest.approx(1.5)
    assert kept_seconds([], 16_000) == 0.0
