"""The MARS cabled hydrophone and the layout of its 16 kHz daily archive."""

from __future__ import annotations

import datetime as dt

MARS_LATITUDE = 36.7125
MARS_LONGITUDE = -122.1869
# The civil time zone at the hydrophone, which every encounter kept near it is in.
MARS_TIMEZONE = "America/Los_Angeles"
# The archive's first day; earlier days (and whole missing days later) have no audio file.
FIRST_RECORDING_DAY = dt.date(2015, 7, 28)
ARCHIVE_SAMPLE_RATE = 16_000
DAY_SECONDS = 86_400
PUBLIC_ARCHIVE = "s3://pacific-sound-16khz"


def day_file_key(day: dt.date) -> str:
    """Key of a UTC day's file relative to the archive root: `YYYY/MM/MARS-YYYYMMDDT000000Z-16kHz.wav`."""
    return f"{day:%Y/%m}/MARS-{day:%Y%m%d}T000000Z-16kHz.wav"
