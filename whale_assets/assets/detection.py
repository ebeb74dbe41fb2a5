"""The detection rule's run config, declared once for every asset that detects song.

The keys stay `threshold` and `median_filter_windows`, as in run configs written before, and so
do the fingerprint parameters: stored partitions are reused.
"""

from pydantic import Field, field_validator

from whale_assets.assets.reuse import ReusableConfig
from whale_assets.core.scoring.pooling import DEFAULT_RULE, DetectionRule, check_kernel


class DetectionConfig(ReusableConfig):
    """A config with the detection rule's two settings; `rule` is them as the core takes them."""

    threshold: float = Field(
        DEFAULT_RULE.threshold, ge=0, le=1, description="Median-filtered score at or above this counts as song"
    )
    median_filter_windows: int = Field(
        DEFAULT_RULE.median_filter_windows, ge=1, le=999, description="Median filter length in model windows (odd)"
    )

    @field_validator("median_filter_windows")
    @classmethod
    def _odd(cls, windows: int) -> int:
        check_kernel(windows)  # the core's rule, named after the key here
        return windows

    @property
    def rule(self) -> DetectionRule:
        return DetectionRule(self.threshold, self.median_filter_windows)
