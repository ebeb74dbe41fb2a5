"""Happywhale exports (CSV or GeoJSON) saved in a directory: the offline stand-in for the live API.

A folder says "no encounters" only through files that say so: Happywhale's own no-hits file
(`geometry_search` writes a bare newline, or a FeatureCollection without features) or exports
whose rows all lie elsewhere. A zero-byte file (a failed copy, an interrupted download) or a
CSV header without rows (a truncated or hand-edited export) says nothing: it is an
`ExportProblem`. When every file is one, or there are no files at all (an empty mount point),
reading fails with `NoUsableExports`, so a day already stored is not replaced by 0 rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from os import PathLike
from pathlib import Path

import pandas as pd

from whale_assets.core.encounters.geojson_export import read_export_geojson
from whale_assets.core.encounters.table import empty_export, read_export_csv

# happywhale writes CSV or GeoJSON by the export file's extension; a folder may mix both.
EXPORT_READERS = {".csv": read_export_csv, ".geojson": read_export_geojson}


class ExportProblemKind(str, Enum):
    EMPTY_FILE = "empty file (0 bytes)"
    HEADER_ONLY = "header only, no rows"


@dataclass(frozen=True)
class ExportProblem:
    """An export file that says nothing about encounters; `file` is relative to the folder."""

    file: str
    kind: ExportProblemKind

    def __str__(self) -> str:
        return f"{self.file}: {self.kind.value}"


@dataclass(frozen=True)
class ExportFolder:
    """The folder's export rows (export columns, as text), how many files, and the empty ones."""

    table: pd.DataFrame
    files: int
    problems: tuple[ExportProblem, ...]


class NoUsableExports(ValueError):
    """The folder has no export files, or only empty ones: it cannot say which encounters there were."""


def read_export_folder(directory: str | PathLike[str]) -> ExportFolder:
    """Every `*.csv` and `*.geojson` under `directory` (recursively, in sorted path order), concatenated.

    Overlapping exports may repeat an encounter; `select_encounters` counts and drops the
    duplicates (keeping the fullest copy, else the first in this order), so none are dropped here.
    A malformed file raises ValueError naming it; see the module docstring for empty ones.
    """
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(
            f"Happywhale export directory {root} does not exist (or is not a directory); "
            "create it and put the CSV or GeoJSON exports in it, or point the encounter source elsewhere."
        )
    files = _export_files(root)
    if not files:
        raise NoUsableExports(
            f"{root} holds no Happywhale export files (*.csv, *.geojson): is the folder unmounted or "
            "not yet filled? The encounters already stored are left as they were."
        )
    tables, problems = [], []
    for path in files:
        name = path.relative_to(root).as_posix()
        if path.stat().st_size == 0:
            problems.append(ExportProblem(name, ExportProblemKind.EMPTY_FILE))
            continue
        table = read_export(path)
        if not len(table) and path.suffix == ".csv" and path.read_bytes().strip():
            problems.append(ExportProblem(name, ExportProblemKind.HEADER_ONLY))
        tables.append(table)
    if len(problems) == len(files):
        raise NoUsableExports(
            f"every Happywhale export in {root} is empty: {'; '.join(map(str, problems))}. "
            "The encounters already stored are left as they were."
        )
    non_empty = [t for t in tables if len(t)]
    table = pd.concat(non_empty, ignore_index=True) if non_empty else empty_export()
    return ExportFolder(table=table, files=len(files), problems=tuple(problems))


def read_export_dir(directory: str | PathLike[str]) -> pd.DataFrame:
    """The rows of `read_export_folder(directory)` alone."""
    return read_export_folder(directory).table


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
