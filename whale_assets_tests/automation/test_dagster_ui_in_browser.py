"""What a person sees in the Dagster UI after one day ran, read in a real (headless) Chromium.

`dagster dev` starts as `make dev` starts it (support/dagster_dev.py) over an offline world with
song at one encounter (`build_song_day`, energy classifier); the day is launched through the
GraphQL API the UI's "Materialize" uses. Chromium then opens, as a person would, the global
asset lineage (every asset, groups expanded), the `whale_results` partition page (its metadata,
and the inline spectrogram preview where the materialization carries one) and the checks tab
(each check's result). Screenshots go to pytest's tmp dir and to `test-artifacts/ui/`.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from whale_assets.assets import ALL_ASSETS, REVIEW_ASSETS
from whale_assets.assets.checks import ALL_CHECKS
from whale_assets.assets.freshness import FRESHNESS_CHECKS
from whale_assets_tests.support.browser import Page, chromium_path, headless_chromium
from whale_assets_tests.support.dagster_dev import FINISHED_RUN, LOCATION, DagsterDev, running_dagster_dev
from whale_assets_tests.support.instance import PROJECT_ROOT
from whale_assets_tests.support.pipeline import DAY, TEST_MARGIN_S, build_song_day
from whale_assets_tests.support.world import World

pytestmark = [
    pytest.mark.slow,  # a real dagster dev, one day's run and a browser
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (Debian: apt-get install chromium)"),
]

# encounters .. whale_results, daily_scores, hourly_presence, raven_selections, encounter_clips, diel_presence
# The review group (reviewed_detections, detector_performance) stands apart at the graph's edge,
# where the fitted zoom draws it too small for its labels: the day's own groups are checked.
ASSETS = [asset.key.to_user_string() for asset in ALL_ASSETS if asset not in REVIEW_ASSETS]


def checks_of(asset: str) -> list[str]:
    """The names of the asset checks defined on `asset`, as the UI lists them."""
    return sorted(
        key.name for checks in ALL_CHECKS for key in checks.check_keys if key.asset_key.to_user_string() == asset
    )


WHALE_RESULTS_CHECKS = checks_of("whale_results")
# Listed beside them: the freshness check (about the newest day, run by its sensor, not by the day's run).
WHALE_RESULTS_FRESHNESS = [key.name for checks in FRESHNESS_CHECKS for key in checks.check_keys]
ENCOUNTERS_CHECKS = checks_of("encounters")
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "ui"
RUN_TIMEOUT_S = 240

LAUNCH_RUN = """
mutation($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""

RUN_STATUS = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""

MATERIALIZATION_METADATA = """
query($partition: String!, $asset: String!) {
  assetOrError(assetKey: {path: [$asset]}) {
    ... on Asset { assetMaterializations(partitions: [$partition], limit: 1) {
      metadataEntries { label ... on MarkdownMetadataEntry { mdStr } }
    } }
  }
}"""


def launch_day(server: DagsterDev, day: str, job: str = "whale_pipeline") -> None:
    """`job` (assets and their checks) for `day`, as the UI launches it; waits for success."""
    run_config = {"ops": {"raw_audio": {"config": {"margin_s": TEST_MARGIN_S}}}} if job == "whale_pipeline" else {}
    params = {
        "selector": {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "jobName": job},
        "runConfigData": run_config,
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": day}]},
        "mode": "default",
    }
    launched = server.graphql(LAUNCH_RUN, {"executionParams": params})["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while (status := server.graphql(RUN_STATUS, {"id": run_id})["runOrError"]["status"]) not in FINISHED_RUN:
        assert time.monotonic() < deadline, f"run {run_id} not finished within {RUN_TIMEOUT_S} s\n{server.tail()}"
        time.sleep(2)
    assert status == "SUCCESS", server.tail()


def inline_images(server: DagsterDev, day: str, asset_name: str = "whale_results") -> list[str]:
    """Labels of the day's `asset_name` metadata entries that carry an inline PNG (markdown data URI)."""
    asset = server.graphql(MATERIALIZATION_METADATA, {"partition": day, "asset": asset_name})["assetOrError"]
    [materialization] = asset["assetMaterializations"]
    return [
        entry["label"]
        for entry in materialization["metadataEntries"]
        if "data:image/png;base64," in (entry.get("mdStr") or "")
    ]


def open_page(page: Page, url: str, *needles: str) -> str:
    """Load `url`, dismiss the first-visit community dialog if it shows, wait for `needles`."""
    page.goto(url)
    text = page.wait_for_text(*needles)
    if "Join the Dagster community" in text:
        page.click_text("Skip")
        text = page.wait_for_text(*needles)
    return text


def show_markdown(page: Page, label: str) -> None:
    """Open a long markdown metadata entry: the table shows `[Show Markdown]`, a dialog renders it."""
    opened = page.evaluate(
        "(() => { const row = Array.from(document.querySelectorAll('tr')).find(r => r.cells.length > 1 && "
        f"r.cells[0].innerText.trim() === {json.dumps(label)}); const link = row && row.querySelector('a'); "
        "if (link) link.click(); return !!link; })()"
    )
    assert opened, f"no metadata entry {label} with a link to its markdown"
    page.wait_for_text("Close")
    time.sleep(1)  # the dialog fades in; a screenshot taken sooner shows it half transparent


def keep_screenshot(page: Page, tmp_path, name: str) -> None:
    shot = page.screenshot(tmp_path / "screenshots" / f"{name}.png")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)


def shows_check_result(text: str, check: str, result: str) -> bool:
    """The checks list shows `check` (its name, maybe twice for the tooltip) followed by `result`."""
    return re.search(rf"^{check}\n(?:{check}\n)?{result}$", text, re.MULTILINE) is not None


def test_the_ui_shows_every_asset_a_days_metadata_and_its_checks_in_a_browser(tmp_path):
    world = World(tmp_path / "world")
    build_song_day(world)
    with running_dagster_dev(world, tmp_path) as server:
        launch_day(server, DAY)
        # The UI's "Join the Dagster community" dialog (shown on localhost until seen) would cover
        # the screenshots: mark it seen, as its Dismiss button does.
        assert server.graphql("mutation { setNuxSeen }")["setNuxSeen"] is True
        base = f"http://127.0.0.1:{server.port}"
        with headless_chromium(tmp_path / "chromium-profile", tmp_path / "chromium.log") as page:
            # (1) Global asset lineage: three groups, collapsed at first; expand them (the graph
            # menu's "Expand all groups", shortcut Alt+E) and every asset is drawn.
            open_page(page, f"{base}/asset-groups", "Global asset lineage")
            page.wait_until(
                lambda text: re.search(r"^whale_pipeline\n\d+$", text, re.MULTILINE) is not None,
                "the collapsed whale_pipeline group drawn with its asset count",
            )
            page.press("KeyE", "e", alt=True)
            page.wait_for_text(*ASSETS)
            # Loaded again, the graph keeps the groups open and is zoomed to fit them all.
            graph = open_page(page, f"{base}/asset-groups", *ASSETS)
            keep_screenshot(page, tmp_path, "asset-graph")
            assert all(name in graph for name in ASSETS)

            # (2) The day's whale_results partition: its materialization metadata as a table.
            images = inline_images(server, DAY)
            # The day has a detection ('sing'), so whale_results emits the best spectrogram inline.
            assert images, "whale_results carried no inline spectrogram preview for a day with a detection"
            open_page(
                page,
                f"{base}/assets/whale_results?view=partitions&partition={DAY}",
                "Latest materialization",
                "Metadata",
                "preview",
                *images,
            )
            # `detected` and the `preview` table (rendered from markdown, a moment later): song at
            # 'sing' with its pooled score and peak time, nothing in band at 'quiet'.
            partition_shows = [
                r"^detected\n\s*\n?1$",
                r"^sing\tok\t0\.\d+\tTrue\t2023-09-14 16:0",
                r"^quiet\tno_signal\tnan\tFalse\tNaT",
            ]
            page.wait_until(
                lambda text: all(re.search(p, text, re.MULTILINE) for p in partition_shows),
                f"the metadata {partition_shows}",
            )
            keep_screenshot(page, tmp_path, "whale_results-partition")
            for label in images:  # the spectrogram preview (markdown data URI)
                show_markdown(page, label)
                shown = [i for i in page.loaded_images() if i["src"].startswith("data:image/png")]
                keep_screenshot(page, tmp_path, f"whale_results-{label}")
                assert shown and all(i["width"] > 0 and i["height"] > 0 for i in shown), page.images()
                print(f"{label}: inline PNG shown at {[(i['width'], i['height']) for i in shown]} px")

            # (3) The checks tab: each check of the day with its result, and the details of one.
            open_page(
                page,
                f"{base}/assets/whale_results?view=checks",
                f"Checks ({len(WHALE_RESULTS_CHECKS) + len(WHALE_RESULTS_FRESHNESS)})",
                *WHALE_RESULTS_FRESHNESS,
            )
            page.wait_until(
                lambda text: all(shows_check_result(text, c, "Succeeded") for c in WHALE_RESULTS_CHECKS),
                f"{WHALE_RESULTS_CHECKS} succeeded",
            )
            page.click_text("whale_results_rows_valid", selector="a, button, [role=button], div")
            details = page.wait_for_text(
                "This is a blocking asset check", "Latest execution", "Passed", DAY, "kept_encounters"
            )
            keep_screenshot(page, tmp_path, "whale_results-checks")
            assert "One row per kept encounter" in details

            open_page(page, f"{base}/assets/encounters?view=checks", f"Checks ({len(ENCOUNTERS_CHECKS)})")
            page.wait_until(
                lambda text: all(shows_check_result(text, c, "Succeeded") for c in ENCOUNTERS_CHECKS),
                f"{ENCOUNTERS_CHECKS} succeeded",
            )

            # (4) The diel heatmap, drawn by the day's full_day_scoring run, shown inline (not only a path).
            launch_day(server, DAY, "full_day_scoring")
            diel_images = inline_images(server, DAY, "diel_presence")
            assert diel_images == ["figure_preview"], diel_images
            open_page(
                page,
                f"{base}/assets/diel_presence?view=partitions&partition={DAY}",
                "Latest materialization",
                "Metadata",
                "figure_preview",
                "days_in_figure",
            )
            keep_screenshot(page, tmp_path, "diel_presence-partition")
            show_markdown(page, "figure_preview")
            shown = [i for i in page.loaded_images() if i["src"].startswith("data:image/png")]
            keep_screenshot(page, tmp_path, "diel_presence-figure_preview")
            assert shown and all(i["width"] > 0 and i["height"] > 0 for i in shown), page.images()
            print(f"diel figure_preview: inline PNG shown at {[(i['width'], i['height']) for i in shown]} px")
