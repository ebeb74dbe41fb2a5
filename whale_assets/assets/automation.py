"""How the derived tables and deliverables follow their upstream days (Dagster declarative automation).

`FOLLOWS_UPSTREAM_DAYS` requests a day of an asset once any of its upstream assets' same day has
been materialized since the asset last was (or was requested), when none of those upstream days
is missing and no run is still writing one. Unlike `AutomationCondition.eager()`, which looks
only at the newest partition, it applies to every day, so re-materializing an old day (a
backfill with another band, a fixed bug) brings that day's deliverables up to date as well. The
first evaluation after the sensor starts requests nothing: stored history is not redone.
"""

from dagster import AutomationCondition

FOLLOWS_UPSTREAM_DAYS = (
    AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_missing()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("follows its upstream days")

# detector_performance: one table over every reviewed day, recomputed once any day's verdicts changed
# (its upstream is daily, so "no upstream day missing" would never hold: most days have no reviews).
FOLLOWS_REVIEWED_DAYS = (
    AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("follows the reviewed days")
