"""Recorded-shape answers of the Happywhale API, for intercepting the happywhale package's requests."""

from __future__ import annotations

import responses

from whale_assets.core.encounters.geo import destination
from whale_assets.core.hydrophone import MARS_LATITUDE, MARS_LONGITUDE

PYPI = "https://pypi.org/pypi/happywhale/json"
API = "https://critterspot.happywhale.com/v1/cs"
CONFIG = f"{API}/encounter/config"
SEARCH = f"{API}/admin/encounter/search"
SPECIES_LIST = {
    "species": [
        {"name": "Blue Whale", "code": "blue_whale"},
        {"name": "Humpback Whale", "code": "humpback_whale"},
    ]
}


def hit(id: int, km: float, start_date: str, start_time: str, timezone: str, end_time: str | None = None) -> dict:
    """One search result, in the shape the search endpoint answers."""
    lat, lon = destination(MARS_LATITUDE, MARS_LONGITUDE, 45.0, km)
    return {
        "location": {"lat": lat, "lng": lon},
        "id": id,
        "dateRange": {
            "startDate": start_date,
            "startTime": start_time,
            "endDate": start_date,
            "endTime": end_time,
            "timezone": timezone,
        },
        "displayImage": {
            "id": id * 10,
            "thumbUrl": f"https://img.example/{id}_t.jpg",
            "type": "image",
            "url": f"https://img.example/{id}.jpg",
        },
        "individual": None,
        "approved": True,
        "attrs": ["fluke"],
        "maxCount": 2,
        "minCount": 1,
        "orgIds": [7],
        "public": True,
        "region": "Monterey Bay",
        "species": "humpback_whale",
    }


def full(id: int) -> dict:
    return {
        "encounter": {
            "id": id,
            "location": {"accuracy": "exact", "precisionSource": "gps"},
            "displayImage": {"licenseLevel": "cc-by-nc"},
        }
    }


def serve_hits(mock: responses.RequestsMock, hits: list[dict], failing_full: frozenset[int] = frozenset()) -> None:
    """Answer the species list, the search and one detail request per hit."""
    mock.get(CONFIG, json=SPECIES_LIST)
    mock.post(SEARCH, json=hits)
    for h in hits:
        if h["id"] in failing_full:
            mock.get(f"{API}/encounter/full/{h['id']}", status=502, body="Bad Gateway")
        else:
            mock.get(f"{API}/encounter/full/{h['id']}", json=full(h["id"]))
