"""Build the reference pages from the code at `mkdocs build` time (mkdocs-gen-files), so they cannot drift.

- reference/assets.md: every asset with its group, inputs, description and run config (the Config
  classes: field, type, default, bounds, description);
- reference/tables.md: every stored table with its columns (the core's column descriptions);
- reference/environment.md: every `WHALE_*` variable (`whale_assets.environment`);
- reference/cli.md: `whale-assets --help` and each command's help (the argparse parser).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import typing

import mkdocs_gen_files
from dagster import AssetsDefinition, Config

from whale_assets.assets import ALL_ASSETS
from whale_assets.assets.table_metadata import COLUMN_DESCRIPTIONS
from whale_assets.cli import main as cli_main
from whale_assets.environment import ENVIRONMENT_VARIABLES


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def config_class(asset: AssetsDefinition) -> type[Config] | None:
    # Dagster infers an asset's run config from its `config` parameter's annotation.
    function = asset.op.compute_fn.decorated_fn  # type: ignore[union-attr]
    hints = typing.get_type_hints(function)
    found = hints.get("config")
    return found if inspect.isclass(found) and issubclass(found, Config) else None


def bounds(field: typing.Any) -> str:
    rules = []
    for rule in field.metadata:
        for name, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if (value := getattr(rule, name, None)) is not None:
                rules.append(f"{symbol} {value}")
    return ", ".join(rules)


def type_name(annotation: typing.Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return " or ".join(f"`{value}`" for value in typing.get_args(annotation))
    if typing.get_origin(annotation) is not None:
        return str(annotation).replace("typing.", "")
    return getattr(annotation, "__name__", str(annotation))


def config_table(cls: type[Config]) -> list[str]:
    lines = ["| key | type | default | bounds | meaning |", "|---|---|---|---|---|"]
    for name, field in cls.model_fields.items():
        default = "required" if field.is_required() else f"`{field.default!r}`"
        lines.append(
            f"| `{name}` | {cell(type_name(field.annotation))} | {cell(default)} | {cell(bounds(field))} "
            f"| {cell(field.description or '')} |"
        )
    return lines


def assets_page() -> str:
    lines = [
        "# Assets and their run config",
        "",
        "Generated from the code. Every asset is partitioned by UTC day. The run config of an asset is set",
        "in the launchpad (`ops: {asset: {config: {...}}}`) or with `--config`; a value out of bounds fails",
        "the run's first step at once, naming the asset and key.",
        "",
    ]
    for asset in ALL_ASSETS:
        key = asset.key.to_user_string()
        group = asset.group_names_by_key.get(asset.key, "")
        deps = sorted(dep.to_user_string() for dep in asset.asset_deps.get(asset.key, ()))
        lines += [
            f"## `{key}`",
            "",
            f"**Group** `{group}` · **reads** {', '.join(f'`{d}`' for d in deps) or 'nothing'}",
        ]
        lines += ["", cell(asset.descriptions_by_key.get(asset.key) or ""), ""]
        cls = config_class(asset)
        if cls is not None and cls.model_fields:
            lines += [f"Run config (`{cls.__name__}`):", "", *config_table(cls), ""]
    return "\n".join(lines) + "\n"


def tables_page() -> str:
    lines = [
        "# Tables and columns",
        "",
        "Generated from the code. Every table lives in `whale.duckdb` (schema `main`) with local storage, or as",
        "Parquet objects under the results prefix with S3 storage; `whale-assets sql` queries either.",
        "",
    ]
    for table, columns in COLUMN_DESCRIPTIONS.items():
        lines += [f"## `{table}`", "", "| column | meaning |", "|---|---|"]
        lines += [f"| `{name}` | {cell(meaning)} |" for name, meaning in columns.items()]
        lines.append("")
    return "\n".join(lines)


def environment_page() -> str:
    lines = [
        "# Environment variables",
        "",
        "Generated from `whale_assets/environment.py`. An unknown or out-of-range value fails with the valid",
        "values in the message, when the variable is read.",
        "",
        "| variable | default | read | meaning |",
        "|---|---|---|---|",
    ]
    for variable in ENVIRONMENT_VARIABLES:
        default = "unset" if variable.default is None else f"`{variable.default}`"
        lines.append(f"| `{variable.name}` | {default} | {variable.read.value} | {cell(variable.meaning)} |")
    return "\n".join(lines) + "\n"


def help_text(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        cli_main(argv)
    return out.getvalue()


def cli_page() -> str:
    lines = ["# The `whale-assets` command", "", "Generated from the command's own help.", ""]
    lines += ["```text", help_text(["--help"]).rstrip(), "```", ""]
    for command in ("sql", "export", "review-sample", "demo", "deploy-init"):
        lines += [f"## `whale-assets {command}`", "", "```text", help_text([command, "--help"]).rstrip(), "```", ""]
    return "\n".join(lines)


PAGES = {
    "reference/assets.md": assets_page,
    "reference/tables.md": tables_page,
    "reference/environment.md": environment_page,
    "reference/cli.md": cli_page,
}

for path, build in PAGES.items():
    with mkdocs_gen_files.open(path, "w") as page:
        page.write(build())
