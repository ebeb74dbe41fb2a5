"""Happywhale exports (CSV or GeoJSON) saved in a directory: the offline stand-in for the live API."""

from __future__ import annotations

import hashlib
from os import PathLike
from pathlib import Path

import pandas as pd

from whale_assets.core.encounters.geojson_export import read_export_geojson
from whale_assets.core.encounters.table import empty_export, read_export_csv

# happywhale writes CSV or GeoJSON by the export file's extension; a folder may mix both.
EXPORT_READERS = {".csv": read_export_csv, ".geojson": read_export_geojson}


def read_export_dir(directory: str | PathLike[str]) -> pd.DataFrame:
    """Every `*.csv` and `*.geojson` under `directory` (recursively, in sorted path order), concatenated.

    Overlapping exports may repeat an encounter; `select_encounters` counts and drops the
    duplicates (keeping the fullest copy, else the first in this order), so none are dropped here.
    """
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(
            f"Happywhale export directory {root} does not exist (or is not a directory); "
            "create it and put the CSV or GeoJSON exports in it, or point the encounter source elsewhere."
        )
    tables = [read_export(path) for path in _export_files(root)]
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


def read_export(path: str | PathLike[str]) -> pd.DataFrame:
    """One export file, read by its extension (`.csv` or `.geojson`), every column as text."""
    suffix = Path(path).suffix
    if suffix not in EXPORT_READERS:
        raise ValueError(f"{path}: not a Happywhale export (expected {' or '.join(EXPORT_READERS)})")
    return EXPORT_READERS[suffix](path)


def _export_files(root: Path) -> list[Path]:
    files = (p for p in root.rglob("*") if p.suffix in EXPORT_READERS and p.is_file())
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())
