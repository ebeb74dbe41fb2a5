"""Distances on the Earth and the search circle around the hydrophone.

A sphere of mean radius is accurate to ~0.5 % against the ellipsoid: plenty for a
"within 20 km of MARS" filter, and it keeps everything vectorised and dependency-free.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius

Coordinate = TypeVar("Coordinate", float, np.ndarray, pd.Series)


def great_circle_km(lat1: Coordinate, lon1: Coordinate, lat2: Coordinate, lon2: Coordinate) -> Coordinate:
    """Haversine distance in km between points given in degrees; broadcasts over arrays and Series.

    NaN in any input gives NaN in the output (callers count and drop such rows themselves).
    """
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    # Rounding can push h a hair outside [0, 1] for identical or antipodal points.
    h = np.clip(h, 0.0, 1.0)
    return 2 * EARTH_RADIUS_KM * np.arctan2(np.sqrt(h), np.sqrt(1.0 - h))


def destination(lat: float, lon: float, bearing_deg: float, distance_km: float) -> tuple[float, float]:
    """(lat, lon) reached from (lat, lon) along a great circle at the given initial bearing."""
    delta = distance_km / EARTH_RADIUS_KM
    phi1, lmb1, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    sin_phi2 = math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    phi2 = math.asin(max(-1.0, min(1.0, sin_phi2)))
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * sin_phi2,
    )
    # Longitude is left unwrapped on purpose so circle_polygon can detect antimeridian crossings.
    return math.degrees(phi2), math.degrees(lmb2)


def circle_polygon(lat: float, lon: float, radius_km: float, n_points: int = 64) -> list[tuple[float, float]]:
    """Closed (lon, lat) ring of `n_points` vertices that encloses the circle of `radius_km`.

    Vertices sit at radius / cos(pi / n) so the polygon circumscribes the circle rather than
    being inscribed in it: Happywhale searches the polygon's bounding box, which must not cut
    off the edge of the circle. The first vertex is due north and the ring is counter-clockwise
    in (lon, lat) (GeoJSON's exterior-ring convention), repeated at the end to close it.

    Raises ValueError for a circle that reaches a pole or crosses the antimeridian: a single
    lon/lat bounding box cannot describe it.
    """
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"centre ({lat}, {lon}) is not a valid latitude/longitude in degrees")
    if not (radius_km > 0 and math.isfinite(radius_km)):
        raise ValueError(f"radius_km must be a positive finite number, got {radius_km!r}")
    if n_points < 4:
        raise ValueError(f"n_points must be at least 4, got {n_points}")
    vertex_km = radius_km / math.cos(math.pi / n_points)
    pole_km = math.radians(90.0 - abs(lat)) * EARTH_RADIUS_KM
    if vertex_km >= pole_km:
        raise ValueError(f"a {radius_km} km circle around ({lat}, {lon}) reaches a pole")
    ring: list[tuple[float, float]] = []
    for k in range(n_points):
        # Negative bearings walk north -> west -> south -> east: counter-clockwise on a map.
        v_lat, v_lon = destination(lat, lon, -360.0 * k / n_points, vertex_km)
        if not -180.0 <= v_lon <= 180.0:
            raise ValueError(f"a {radius_km} km circle around ({lat}, {lon}) crosses the antimeridian")
        ring.append((v_lon, v_lat))
    ring.append(ring[0])
    return ring
