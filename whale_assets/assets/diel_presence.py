"""`diel_presence`: minutes of song per UTC hour, and one heatmap of every stored day."""

import base64

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue

from whale_assets.assets.daily import DERIVED_TABLE, daily_asset
from whale_assets.assets.reuse import ReusableConfig
from whale_assets.assets.table_metadata import table_metadata
from whale_assets.core.reports.diel import diel_grid, render_diel_png, song_minutes
from whale_assets.core.reports.window_figure import preview_png
from whale_assets.resources import FileStore, StoredTables

DIEL_PNG = "diel_presence.png"
FIGURE_KEY = "figure"
FIGURE_PREVIEW_KEY = "figure_preview"  # the heatmap inline, as whale_results shows its best spectrogram


class DielPresenceConfig(ReusableConfig):
    """No settings of its own: only `force`."""


@daily_asset(DERIVED_TABLE, group_name="deliverables")
def diel_presence(
    context: AssetExecutionContext,
    config: DielPresenceConfig,
    hourly_presence: pd.DataFrame,
    reports: FileStore,
    stored_tables: StoredTables,
) -> pd.DataFrame:
    """The day's 24 rows of song minutes; and `<root>/reports/diel_presence.png` redrawn from every
    day of `hourly_presence` stored so far (read through `stored_tables`), so it grows as days arrive.

    Daily-partitioned rather than one unpartitioned asset: it runs in the same run as each day's
    `hourly_presence` (full_day_scoring job), and no automation sensor has to be switched on.
    """
    day_table = song_minutes(hourly_presence)
    stored = stored_tables.read_all("hourly_presence")
    every_day = song_minutes(stored) if stored is not None else day_table
    grid = diel_grid(every_day)
    png = render_diel_png(grid)
    path = reports.write(DIEL_PNG, png)
    context.add_output_metadata(
        {
            "days_in_figure": len(grid),
            "song_minutes_today": float(day_table["song_minutes"].sum()),
            FIGURE_KEY: MetadataValue.path(path),
            FIGURE_PREVIEW_KEY: _inline(png, len(grid)),
            **table_metadata("diel_presence", day_table),
        }
    )
    return day_table


def _inline(png: bytes, days: int) -> MetadataValue:
    """The heatmap as a markdown data-URI image, downscaled to stay small (`preview_png`)."""
    image = base64.b64encode(preview_png(png)).decode("ascii")
    caption = f"song minutes per UTC hour, {days} day{'' if days == 1 else 's'}"
    return MetadataValue.md(f"{caption}\n\n![diel presence](data:image/png;base64,{image})")
