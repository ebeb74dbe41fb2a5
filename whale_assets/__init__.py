"""whale_assets: humpback song in the MBARI Pacific Sound archive around Happywhale encounters.

`core`, `io_rules` and `sources` are plain Python (no Dagster); `storage`'s IO managers, `assets`, `jobs`,
`automation`, `resources` and `definitions` are the Dagster shell around them.
"""

__version__ = "0.1.0"
