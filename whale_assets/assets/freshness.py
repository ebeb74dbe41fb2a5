"""How late a day of the daily pipeline may be: a time-partition freshness check on `whale_results`.

Dagster 1.13 offers two mechanisms. A `FreshnessPolicy` (time window or cron) judges an asset by
its latest materialization of *any* partition, so backfilling an old day would make a pipeline
that stopped processing new days look fresh; it is also evaluated only by the freshness daemon,
which the instance must enable. `build_time_partition_freshness_checks` asks exactly the
question here: is the newest day that has ended materialized by the deadline? So that one is
used, although 1.13 marks it superseded by `FreshnessPolicy` (it is public and supported; the
SupersessionWarning is silenced knowingly, like the BetaWarnings elsewhere). Its checks are evaluated by `freshness_checks_sensor` (automation/__init__.py, on by
default), and a failure shows as a WARN on the asset and its checks tab: stale, not broken
(the archive misses whole days, which then stay unprocessed on purpose).
"""

import warnings

from dagster import AssetCheckSeverity, SupersessionWarning, build_time_partition_freshness_checks

from whale_assets.assets.whale_results import whale_results

# 06:00 UTC: the day that ended at midnight has had the 02:00 schedule, the hourly sensor's
# ticks and time for a run (minutes) or its retries; later than that it is late.
DEADLINE_CRON = "0 6 * * *"

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SupersessionWarning)
    FRESHNESS_CHECKS = build_time_partition_freshness_checks(
        assets=[whale_results], deadline_cron=DEADLINE_CRON, timezone="UTC", severity=AssetCheckSeverity.WARN
    )
