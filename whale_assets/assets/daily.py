"""One way to write a daily asset: `@daily_asset`, the asset's preamble written once.

    @daily_asset(DERIVED_TABLE, group_name="full_day")
    def hourly_presence(context: AssetExecutionContext, config: HourlyPresenceConfig, day: Day,
                        daily_scores: pd.DataFrame) -> pd.DataFrame:
        return presence_by_hour(day, ...)

Before the body runs, the decorator
- registers the asset's config class for the run-wide pre-check (`run_config.ASSET_CONFIGS`), so
  no asset can be left out of it, and names the class after the asset (`ASSET`, for messages);
- fails the step when any asset config of the run is invalid (`reject_invalid_run_config`);
- fingerprints the partition from its config and the fingerprints of the asset's own inputs and
  `deps` (`check_reuse`), and returns the stored partition's placeholder when it is reused: the
  body then never runs.

The body may take `day` (the partition's UTC `core.utc.Day`, built once here), and need not take the `fingerprints` resource.
What an asset adds to its fingerprint or checks before reusing comes from hooks, called with the
asset's arguments they name (`context`, `config`, `day`, inputs, resources):
- `fingerprint_extra`: settings outside the config (the model, the archive, a table layout);
- `more_upstream`: upstream partitions of other days (`reuse.Upstream`);
- `missing_files`: files a stored partition names that are gone (then it is recomputed);
- `prepare`: what runs before the reuse decision whether or not the partition is reused.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition, Output, asset

from whale_assets.assets.automation import FOLLOWS_UPSTREAM_DAYS
from whale_assets.assets.partitions import DAILY_TABLE, partition_day
from whale_assets.assets.policies import DUCKDB_WRITERS, failures_classified
from whale_assets.assets.reuse import ReusableConfig, Reuse, check_reuse
from whale_assets.assets.run_config import register_asset_config, reject_invalid_run_config
from whale_assets.resources import FingerprintStore

Hook = Callable[..., Any]
# A daily table of pandas rows written through DuckDB's one writer (the `duckdb_writers` pool).
DUCKDB_TABLE = {**DAILY_TABLE, "kinds": {"duckdb", "pandas"}, "pool": DUCKDB_WRITERS}
# Such a table derived from stored days, brought up to date when an upstream day is re-materialized.
DERIVED_TABLE = {**DUCKDB_TABLE, "automation_condition": FOLLOWS_UPSTREAM_DAYS}
# The arguments the decorator gives the body and the hooks beyond the asset's own.
DAY_ARGUMENT = "day"
FINGERPRINTS_ARGUMENT = "fingerprints"


def daily_asset(
    storage: Mapping[str, Any],
    *,
    fingerprint_extra: Hook | None = None,
    more_upstream: Hook | None = None,
    missing_files: Hook | None = None,
    prepare: Hook | None = None,
    what_to_do: str | None = None,
    **asset_arguments: Any,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """`@asset(**storage, **asset_arguments)` with the config pre-check and the reuse decision.

    `storage` is `partitions.DAILY_TABLE` or `DAILY_ARRAYS`, or `DUCKDB_TABLE` or `DERIVED_TABLE`; `what_to_do` makes every error but a
    transient one fail at once saying it (`policies.failures_classified`), the preamble's included.
    """

    def decorate(body: Callable[..., Any]) -> AssetsDefinition:
        signature = inspect.signature(body, eval_str=True)
        name = asset_arguments.get("name", body.__name__)
        config_class = signature.parameters["config"].annotation
        if not (isinstance(config_class, type) and issubclass(config_class, ReusableConfig)):
            raise TypeError(f"{name}: annotate `config` with a ReusableConfig subclass of its own")
        register_asset_config(name, config_class)
        upstream: list[str] = []  # the asset's inputs and deps, known once the asset is defined
        takes = set(signature.parameters)

        def decide(context: AssetExecutionContext, arguments: dict[str, Any]) -> tuple[Reuse, dict[str, Any]]:
            reject_invalid_run_config(context)
            named = {**arguments, "context": context, DAY_ARGUMENT: partition_day(context)}
            if prepare is not None:
                _call(prepare, named)
            reuse = check_reuse(
                context,
                named[FINGERPRINTS_ARGUMENT],
                named["config"],
                [*upstream, *(_call(more_upstream, named) if more_upstream else [])],
                extra=_call(fingerprint_extra, named) if fingerprint_extra else None,
                missing_files=functools.partial(_call, missing_files, named) if missing_files else None,
            )
            return reuse, {key: value for key, value in named.items() if key in takes and key != "context"}

        if inspect.isgeneratorfunction(body):

            def daily_step(context: AssetExecutionContext, **arguments: Any) -> Any:
                reuse, body_arguments = decide(context, arguments)
                if reuse.reused:
                    yield Output(reuse.placeholder)
                    return
                yield from body(context, **body_arguments)

        else:

            def daily_step(context: AssetExecutionContext, **arguments: Any) -> Any:
                reuse, body_arguments = decide(context, arguments)
                return reuse.placeholder if reuse.reused else body(context, **body_arguments)

        functools.update_wrapper(daily_step, body)
        step = failures_classified(what_to_do)(daily_step) if what_to_do else daily_step
        # Dagster reads inputs, config and resources from this signature: `day` is no input, and
        # the reuse decision needs the fingerprints resource whether or not the body does.
        parameters = [p for p in signature.parameters.values() if p.name != DAY_ARGUMENT]
        if FINGERPRINTS_ARGUMENT not in takes:
            parameters.append(
                inspect.Parameter(FINGERPRINTS_ARGUMENT, inspect.Parameter.KEYWORD_ONLY, annotation=FingerprintStore)
            )
        step.__signature__ = signature.replace(parameters=parameters)  # type: ignore[union-attr]
        definition = asset(**storage, **asset_arguments)(step)
        upstream.extend(sorted(dep.asset_key.to_user_string() for spec in definition.specs for dep in spec.deps))
        return definition

    return decorate


def _call(hook: Hook, named: Mapping[str, Any]) -> Any:
    """`hook` called with the arguments it names."""
    return hook(**{parameter: named[parameter] for parameter in inspect.signature(hook).parameters})
