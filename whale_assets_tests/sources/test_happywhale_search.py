"""The happywhale package's own code, run for real with its HTTP calls intercepted.

The package calls PyPI when it is first imported; whether that happens in this test or an
earlier one, the PyPI answer is registered but not required, so test order does not matter.
"""

import datetime as dt
import json
import logging
import sys

import pytest
import responses

from whale_assets.core.encounters.geo import circle_polygon
from whale_assets.core.encounters.table import EXPORT_COLUMNS, select_encounters
from whale_assets.core.hydrophone import MARS_LATITUDE, MARS_LONGITUDE
from whale_assets.sources.happywhale import HappywhaleError, search_happywhale
from whale_assets_tests.support.happywhale_api import API, CONFIG, PYPI, SEARCH, SPECIES_LIST, hit, serve_hits

DAY = dt.date(2023, 6, 1)


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(PYPI, json={"info": {"version": "0.0.3"}})  # only fetched on first import
        yield mock


def calls_to(mock: responses.RequestsMock, url: str) -> list:
    return [call for call in mock.calls if call.request.url == url]


def serve_day(mock: responses.RequestsMock, failing_full: frozenset[int] = frozenset()) -> None:
    hits = [
        hit(1, 5.0, "2023-05-31", "20:15:30", "-07:00", "21:00:00"),  # previous local day, 03:15:30 UTC
        hit(2, 12.0, "2023-06-01", "10:00:05", "America/Los_Angeles", "11:00:00"),  # 17:00:05 UTC
        hit(3, 8.0, "2023-06-01", "18:30:00", "-07:00"),  # 01:30 UTC on 2 June: next day
        hit(4, 25.0, "2023-06-01", "09:00:00", "-07:00"),  # in the bounding box, outside the circle
        hit(5, 3.0, "2023-06-01", "08:00:00", "-07:00"),  # its detail request fails
    ]
    serve_hits(mock, hits, frozenset(failing_full))


def test_search_sends_the_circle_bounding_box_and_local_dates_covering_the_utc_day(api):
    serve_day(api)
    search_happywhale(DAY, 20.0)
    (search,) = calls_to(api, SEARCH)
    body = json.loads(search.request.body)
    ring = circle_polygon(MARS_LATITUDE, MARS_LONGITUDE, 20.0)
    lons, lats = zip(*ring, strict=True)
    bounds = body["encounter"]["locsearch"]["mapBounds"]
    assert bounds["southWest"] == pytest.approx({"lat": min(lats), "lng": min(lons)})
    assert bounds["northEast"] == pytest.approx({"lat": max(lats), "lng": max(lons)})
    assert bounds["southWest"]["lat"] < MARS_LATITUDE < bounds["northEast"]["lat"]
    assert bounds["southWest"]["lng"] < MARS_LONGITUDE < bounds["northEast"]["lng"]
    assert body["encounter"]["species"] == "humpback_whale"
    assert body["encounter"]["datesearch"] == {"type": 3, "startdate": "2023-05-31", "enddate": "2023-06-03"}


def test_search_result_feeds_select_encounters_end_to_end(api):
    serve_day(api)
    result = search_happywhale(DAY, 20.0)
    assert list(result.table.columns) == EXPORT_COLUMNS
    assert result.row_errors == []
    assert len(calls_to(api, f"{API}/encounter/full/3")) == 1  # one detail request per hit
    selection = select_encounters(result.table, DAY, radius_km=20.0)
    table = selection.table
    assert list(table["encounter_id"]) == ["1", "5", "2"]
    assert [str(t) for t in table["start_utc"]] == ["2023-06-01 03:15:30", "2023-06-01 15:00:00", "2023-06-01 17:00:05"]
    assert str(table["end_utc"][0]) == "2023-06-01 04:00:00"
    assert table["encounter_img_url"][0] == "https://img.example/1.jpg"
    assert selection.counts["outside_day"] == 1 and selection.counts["outside_radius"] == 1
    assert selection.counts["read"] == 5 and selection.counts["kept"] == 3


def test_a_failed_encounter_detail_is_reported_in_row_errors_not_dropped_silently(api):
    serve_day(api, failing_full={5})
    result = search_happywhale(DAY, 20.0)
    assert sorted(result.table["id"]) == ["1", "2", "3", "4"]
    assert len(result.row_errors) == 1
    assert "feature 4" in result.row_errors[0] and "502" in result.row_errors[0]


def test_unknown_species_raises_instead_of_exiting(api):
    api.get(CONFIG, json={"species": [{"name": "Blue Whale", "code": "blue_whale"}]})
    with pytest.raises(HappywhaleError, match="does not know species 'humpback_whale'.*blue_whale") as error:
        search_happywhale(DAY, 20.0)
    assert error.value.transient is False
    assert calls_to(api, SEARCH) == []


@pytest.mark.parametrize(("status", "transient"), [(503, True), (429, True), (400, False)])
def test_failed_search_raises_naming_the_dates_and_saying_to_retry(api, status, transient):
    api.get(CONFIG, json=SPECIES_LIST)
    api.post(SEARCH, status=status, json={"message": "upstream unavailable"})
    with pytest.raises(HappywhaleError) as error:
        search_happywhale(DAY, 20.0)
    message = str(error.value)
    assert "2023-05-31..2023-06-03" in message and "Retry later" in message
    assert f"status code {status}" in message and "upstream unavailable" in message
    assert error.value.transient is transient


def test_failed_search_with_a_non_json_body_is_transient(api):
    api.get(CONFIG, json=SPECIES_LIST)
    api.post(SEARCH, status=504, body="<html>Gateway Timeout</html>")
    with pytest.raises(HappywhaleError, match="2023-05-31..2023-06-03.*retry later") as error:
        search_happywhale(DAY, 20.0)
    assert error.value.transient is True


def test_failed_species_list_is_a_transient_error(api):
    api.get(CONFIG, status=500, json={"message": "oops"})
    with pytest.raises(HappywhaleError, match="species list") as error:
        search_happywhale(DAY, 20.0)
    assert error.value.transient is True and calls_to(api, SEARCH) == []


def test_unreachable_service_is_a_transient_error(api):
    # Nothing registered for the API: responses refuses the connection.
    with pytest.raises(HappywhaleError, match="network") as error:
        search_happywhale(DAY, 20.0)
    assert error.value.transient is True


def test_import_without_pypi_access_raises_a_clear_error(monkeypatch):
    monkeypatch.delitem(sys.modules, "happywhale.happywhale", raising=False)  # force a fresh import
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # PyPI unreachable
        with pytest.raises(HappywhaleError, match="PyPI") as error:
            search_happywhale(DAY, 20.0)
    assert error.value.transient is True


def test_import_and_search_leave_the_root_logger_and_sys_path_as_they_were(api, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # so the package's basicConfig would take effect
    monkeypatch.setattr(root, "level", logging.CRITICAL)  # and its error logs would be dropped
    monkeypatch.delitem(sys.modules, "happywhale.happywhale", raising=False)
    path_before = list(sys.path)
    serve_day(api, failing_full={5})
    result = search_happywhale(DAY, 20.0)
    assert len(result.row_errors) == 1  # captured despite the CRITICAL root level
    assert root.handlers == [] and root.level == logging.CRITICAL
    assert sys.path == path_before
