"""Check an instance dagster.yaml the way Dagster loads it, without connecting to anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from dagster._config import process_config, resolve_to_config_type
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes.config_class import ConfigurableClassData, class_from_code_pointer

CONFIGURABLE_SECTIONS = (
    "run_launcher",
    "run_coordinator",
    "compute_logs",
    "run_storage",
    "event_log_storage",
    "schedule_storage",
    "scheduler",
)


def section_config(section: dict[str, Any]) -> dict[str, Any]:
    """A `{module, class, config}` section's config as its class processes it (defaults filled, env read)."""
    # As the instance loads it: dagster.core.* names the private dagster._core.* modules.
    module = ConfigurableClassData(section["module"], section["class"], "{}").module_name
    klass = class_from_code_pointer(module, section["class"])
    result = process_config(resolve_to_config_type(klass.config_type()), section.get("config") or {})
    assert result.success, f"{section['class']}: " + "; ".join(error.message for error in result.errors)
    return result.value


def check_instance_yaml(config: dict[str, Any], home: Path) -> dict[str, dict[str, Any]]:
    """Load `config` as DAGSTER_HOME/dagster.yaml through Dagster's instance schema, then each
    configurable section through its own class's schema; returns the processed sections."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    loaded, _ = dagster_instance_config(str(home))
    sections = {name: section_config(loaded[name]) for name in CONFIGURABLE_SECTIONS if name in loaded}
    postgres = (loaded.get("storage") or {}).get("postgres")
    if postgres is not None:
        sections["storage"] = section_config(
            {"module": "dagster_postgres.storage", "class": "DagsterPostgresStorage", "config": postgres}
        )
    return sections


def env_references(config: Any) -> set[str]:
    """Every variable an instance config reads as `{env: NAME}`, anywhere in it."""
    if isinstance(config, dict):
        if set(config) == {"env"} and isinstance(config["env"], str):
            return {config["env"]}
        return {name for value in config.values() for name in env_references(value)}
    if isinstance(config, list):
        return {name for value in config for name in env_references(value)}
    return set()
