"""Pure synthesis of MARS-like hydrophone audio: ambient noise, ships, baleen calls, earthquakes, song.

Used by the demo, the benchmarks, the tests and the int8 calibration; numpy/scipy only.
"""
