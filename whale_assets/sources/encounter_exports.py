"""Happywhale CSV exports saved in a directory: the offline stand-in for the live API."""

from __future__ import annotations

import hashlib
from os import PathLike
from pathlib import Path

import pandas as pd

from whale_assets.core.encounters.table import empty_export, read_export_csv


def read_export_dir(directory: str | PathLike[str]) -> pd.DataFrame:
    """Every `*.csv` under `directory` (recursively, in sorted path order), concatenated.

    Overlapping exports may repeat an encounter; `select_encounters` counts and drops the
    duplicates, so nothing is deduplicated here.
    """
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(
            f"Happywhale export directory {root} does not exist (or is not a directory); "
            "create it and put the CSV exports in it, or point the encounter source elsewhere."
        )
    tables = [read_export_csv(path) for path in _export_files(root)]
    non_empty = [t for t in tables if len(t)]
    if not non_empty:
        return empty_export()
    return pd.concat(non_empty, ignore_index=True)


def export_dir_signature(directory: str | PathLike[str]) -> str:
    """A digest of the exports' names, sizes and modification times: changes when any file does."""
    root = Path(directory)
    digest = hashlib.sha256()
    for path in _export_files(root) if root.is_dir() else []:
        stat = path.stat()
        digest.update(f"{path.relative_to(root).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _export_files(root: Path) -> list[Path]:
    return sorted((p for p in root.rglob("*.csv") if p.is_file()), key=lambda p: p.relative_to(root).as_posix())
