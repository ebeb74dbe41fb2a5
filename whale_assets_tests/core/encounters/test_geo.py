import math

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.encounters.geo import EARTH_RADIUS_KM, circle_polygon, destination, great_circle_km
from whale_assets.core.hydrophone import MARS_LATITUDE, MARS_LONGITUDE

ONE_DEGREE_KM = math.pi * EARTH_RADIUS_KM / 180


def test_one_degree_of_latitude_is_a_180th_of_half_the_circumference():
    assert great_circle_km(36.0, -122.0, 37.0, -122.0) == pytest.approx(ONE_DEGREE_KM, rel=1e-12)


def test_quarter_of_the_equator_and_antipodes():
    assert great_circle_km(0.0, 0.0, 0.0, 90.0) == pytest.approx(90 * ONE_DEGREE_KM, rel=1e-12)
    # Haversine is ill-conditioned exactly at antipodes: a metre is the honest tolerance there.
    assert great_circle_km(10.0, 20.0, -10.0, -160.0) == pytest.approx(180 * ONE_DEGREE_KM, abs=1e-3)


def test_same_point_is_zero_km():
    assert great_circle_km(MARS_LATITUDE, MARS_LONGITUDE, MARS_LATITUDE, MARS_LONGITUDE) == 0.0


def test_vectorised_over_series_keeps_index_and_matches_scalar_calls():
    lats = pd.Series([36.7, 36.9, np.nan], index=[10, 20, 30])
    lons = pd.Series([-122.0, -122.5, -122.0], index=[10, 20, 30])
    out = great_circle_km(MARS_LATITUDE, MARS_LONGITUDE, lats, lons)
    assert isinstance(out, pd.Series) and list(out.index) == [10, 20, 30]
    for i in (10, 20):
        assert out[i] == pytest.approx(great_circle_km(MARS_LATITUDE, MARS_LONGITUDE, lats[i], lons[i]))
    assert np.isnan(out[30])  # missing positions stay missing, they are not 0 km away


def test_vectorised_over_numpy_arrays():
    lats = np.array([0.0, 0.0])
    lons = np.array([1.0, 2.0])
    assert great_circle_km(0.0, 0.0, lats, lons) == pytest.approx([ONE_DEGREE_KM, 2 * ONE_DEGREE_KM])


def test_destination_lands_at_the_requested_distance():
    lat, lon = destination(MARS_LATITUDE, MARS_LONGITUDE, 37.0, 20.0)
    assert great_circle_km(MARS_LATITUDE, MARS_LONGITUDE, lat, lon) == pytest.approx(20.0, rel=1e-9)


def test_circle_polygon_is_a_closed_lon_lat_ring_starting_due_north():
    ring = circle_polygon(MARS_LATITUDE, MARS_LONGITUDE, 20.0, n_points=64)
    assert len(ring) == 65 and ring[0] == ring[-1]
    lon0, lat0 = ring[0]
    assert lon0 == pytest.approx(MARS_LONGITUDE) and lat0 > MARS_LATITUDE


def test_circle_polygon_vertices_circumscribe_the_circle():
    n = 64
    ring = circle_polygon(MARS_LATITUDE, MARS_LONGITUDE, 20.0, n_points=n)
    distances = [great_circle_km(MARS_LATITUDE, MARS_LONGITUDE, lat, lon) for lon, lat in ring]
    assert distances == pytest.approx([20.0 / math.cos(math.pi / n)] * len(ring), rel=1e-9)


def test_circle_polygon_bounding_box_contains_every_point_of_the_circle():
    # Happywhale only sees this bounding box: an encounter on the circle's edge must be inside it.
    ring = circle_polygon(MARS_LATITUDE, MARS_LONGITUDE, 20.0)
    lons, lats = zip(*ring, strict=True)
    edge = [destination(MARS_LATITUDE, MARS_LONGITUDE, b / 10, 20.0) for b in range(3600)]
    assert all(min(lats) <= lat <= max(lats) and min(lons) <= lon <= max(lons) for lat, lon in edge)
    # ... and is not much larger than the circle's own extent.
    assert max(lats) - min(lats) == pytest.approx(40.0 / ONE_DEGREE_KM, rel=0.01)


def test_circle_polygon_is_counter_clockwise_as_geojson_wants():
    ring = circle_polygon(MARS_LATITUDE, MARS_LONGITUDE, 20.0)
    signed_area = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2
    assert signed_area > 0


@pytest.mark.parametrize(
    ("lat", "lon", "radius", "message"),
    [
        (0.0, 179.9, 50.0, "antimeridian"),
        (89.9, 0.0, 50.0, "pole"),
        (MARS_LATITUDE, MARS_LONGITUDE, 0.0, "radius_km"),
        (MARS_LATITUDE, MARS_LONGITUDE, float("nan"), "radius_km"),
        (91.0, 0.0, 10.0, "latitude"),
    ],
)
def test_circle_polygon_rejects_circles_a_bounding_box_cannot_describe(lat, lon, radius, message):
    with pytest.raises(ValueError, match=message):
        circle_polygon(lat, lon, radius)
