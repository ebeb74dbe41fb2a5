"""When run config is checked, and what a bad value does.

Dagster 1.13 checks a run's config against its run-config schema when the run is launched (the
launchpad, `dagster job launch`, `execute_in_process` all raise DagsterInvalidConfigError before
anything runs). That schema holds types, required keys, unknown keys and `Literal` choices
(enums), nothing more: pydantic bounds (`Field(ge=..., lt=...)`) and rules between fields
(`lowcut_hz < highcut_hz`) are checked only when a step builds its config object, which Dagster
does inside the step's retry boundary, so a step with a retry policy would retry a bad value 3
times over ~4 minutes. Hence:

- `CheckedConfig` turns pydantic's ValidationError into `InvalidRunConfig`, a Failure that is
  never retried and names the asset, the key and the rule;
- `reject_invalid_run_config(context)`, the first thing every asset does (`daily.daily_asset`),
  checks the config of every asset of the run (`ASSET_CONFIGS`), so its first step fails before
  anything is fetched, read or stored.
- a step whose own config is bad fails while Dagster builds that config, before its body runs:
  the failure then lists the other assets' problems too, so every bad value is named at once
  (pydantic checks cross-field rules only when every field is valid: they are run again
  without the bad fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, ClassVar

from dagster import AssetExecutionContext, Config, Failure, OpExecutionContext
from pydantic import ConfigDict, ValidationError

from whale_assets.core.scoring.classifier import Classifier, WindowGrid

# Settings of the run config that the chosen classifier does not use: name -> why (output metadata).
IGNORED_SETTINGS_KEY = "ignored_settings"
NOT_RETRIED = "fix the run config (launchpad, --config) and launch again; not retried"


class InvalidRunConfig(Failure):
    """A run config value out of its range: failing at once, since retrying cannot fix it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(description=f"invalid run config: {'; '.join(problems)} — {NOT_RETRIED}", allow_retries=False)
        self.problems = problems


def config_problems(asset: str, error: ValidationError) -> list[str]:
    """One line per pydantic error: `asset.key: rule (got value)`."""
    problems = []
    for item in error.errors():
        where = ".".join([asset, *map(str, item["loc"])])
        message = str(item["msg"]).removeprefix("Value error, ")
        got = "" if item["loc"] == () else f" (got {item.get('input')!r})"
        problems.append(f"{where}: {message}{got}")
    return problems


class CheckedConfig(Config):
    """Asset run config whose bounds and cross-field rules fail the step at once, never retried."""

    model_config = ConfigDict(allow_inf_nan=False)
    ASSET: ClassVar[str] = ""  # the asset this config belongs to (for messages), set by `register_asset_config`

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            problems = self._every_problem(values, error)
            raise InvalidRunConfig(_with_the_runs_other_problems(problems)) from None

    @classmethod
    def _every_problem(cls, values: dict[str, Any], error: ValidationError) -> list[str]:
        """The field errors and the cross-field ones, which pydantic checks only once every field is valid.

        The cross-field rules run again with the bad fields left out; a rule that then names a
        left-out field is dropped, as it would judge the default instead of the value given.
        """
        asset = cls.ASSET or cls.__name__
        problems = config_problems(asset, error)
        bad_fields = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        rest = {key: value for key, value in values.items() if key not in bad_fields}
        if not bad_fields or len(rest) == len(values):
            return problems
        try:
            cls(**rest)
        except InvalidRunConfig as invalid:
            problems += [
                problem
                for problem in invalid.problems
                if problem not in problems and not any(field in problem for field in bad_fields)
            ]
        return problems


_CHECKING_THE_RUN: ContextVar[bool] = ContextVar("checking_the_run", default=False)


def _with_the_runs_other_problems(problems: list[str]) -> list[str]:
    """`problems` plus those of the run's other assets: Dagster builds a step's config before the
    step body (and `reject_invalid_run_config`) runs, so a bad value there would hide the rest."""
    if _CHECKING_THE_RUN.get():
        return problems
    try:
        run_config = OpExecutionContext.get().run.run_config
    except Exception:  # built outside a run (tests, the launchpad's defaults): its own problems only
        return problems
    return list(dict.fromkeys([*problems, *run_config_problems(run_config)]))


# Each asset's config class by asset (op) name: filled as the assets are defined (`daily.daily_asset`),
# so the run-wide check knows every asset's config without importing the asset modules.
ASSET_CONFIGS: dict[str, type[CheckedConfig]] = {}


def register_asset_config(asset: str, config: type[CheckedConfig]) -> None:
    """Check `asset`'s run config with `config` in every run, and name the class after the asset."""
    if config.__dict__.get("ASSET", "") not in ("", asset) or ASSET_CONFIGS.get(asset, config) is not config:
        raise ValueError(f"{asset}: config class {config.__name__} is another asset's; give each asset its own")
    config.ASSET = asset
    ASSET_CONFIGS[asset] = config


def run_config_problems(run_config: Mapping[str, Any]) -> list[str]:
    """What is wrong with the assets' config in `run_config` (`{"ops": {asset: {"config": {...}}}}`)."""
    problems: list[str] = []
    classes = ASSET_CONFIGS
    checking = _CHECKING_THE_RUN.set(True)
    try:
        for asset, section in ((run_config or {}).get("ops") or {}).items():
            if asset in classes:
                try:
                    classes[asset](**((section or {}).get("config") or {}))
                except InvalidRunConfig as invalid:
                    problems.extend(invalid.problems)
    finally:
        _CHECKING_THE_RUN.reset(checking)
    return problems


def reject_invalid_run_config(context: AssetExecutionContext) -> None:
    """Fail the step at once, without retries, when any asset config of the run is out of range."""
    if problems := run_config_problems(context.run.run_config):
        raise InvalidRunConfig(problems)


def ignored_step(context_step_samples: int, classifier: Classifier) -> dict[str, str]:
    """`{"context_step_samples": why}` when the classifier scores on another grid than the one requested."""
    requested = WindowGrid.for_step(context_step_samples, sample_rate=classifier.grid.sample_rate)
    if requested.step_samples == classifier.grid.step_samples:
        return {}
    return {
        "context_step_samples": f"{context_step_samples} ignored: the {classifier.name} classifier scores on its own "
        f"fixed step of {classifier.grid.step_samples} samples ({classifier.grid.step_s:g} s)"
    }
