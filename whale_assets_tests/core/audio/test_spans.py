from whale_assets.core.audio.sift import widen


def test_a_long_enough_span_is_kept():
    assert widen((100, 900), 500, 1000) == (100, 900)


def test_a_short_span_grows_about_its_centre():
    assert widen((500, 510), 100, 10_000) == (455, 555)


def test_widening_stays_inside_the_audio():
    assert widen((0, 10), 100, 1000) == (0, 100)
    assert widen((990, 1000), 100, 1000) == (900, 1000)


def test_audio_shorter_than_the_minimum_is_kept_whole():
    assert widen((10, 20), 100, 50) == (0, 50)
