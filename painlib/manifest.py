"""The Manifest: one table, one row per image, shared by every stage of the book.

Required columns (see ``book/data.md``):

============  ======================================================================
path          image file (absolute once read; stored relative to the CSV's folder)
dataset       source: unbc, mint, delaware, cp, unifesp, icope (or a real-data name)
subject       person identifier, unique across datasets
label         0 no pain / 1 pain
level         ordinal pain level of the source, 0 = none (per dataset, below)
population    adult, cp or neonate group the image belongs to
============  ======================================================================

What ``level`` means depends on the dataset (the same for the real loaders of :mod:`painlib.datasets` and
the synthetic generator):

* ``unbc`` — five PSPI bins 0–4 (PSPI 0, 1, 2, 3–4, ≥ 5; :func:`painlib.facs.pspi_level`); the raw PSPI
  (0–16) is kept in ``pspi``;
* ``mint`` — the stimulation level 0–4 (MInt PAIN's ``Label<L>`` folder);
* ``delaware``, ``unifesp``, ``icope`` — 0 or 1, the same as ``label``;
* ``cp`` — 0 or 1, the same as ``label``, in real CP-PAIN frames and after
  :func:`painlib.datasets.assemble_cp_pain` with the raters' consensus; synthetic CP frames carry PSPI bins,
  as ``unbc``, before that.

Synthetic images add the AU intensities (``au4`` … ``au43``), ``pspi``, ``mask_path`` and nuisance columns.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .storage import write_csv

REQUIRED_COLUMNS: tuple[str, ...] = ("path", "dataset", "subject", "label", "level", "population")
PATH_COLUMNS: tuple[str, ...] = ("path", "mask_path")


def require_columns(table: pd.DataFrame, columns, what: str, expected: str = "") -> None:
    """Raise ``ValueError`` naming the ``columns`` that ``table`` lacks (at most ten), with a rename hint where a
    column differs only in case, spaces or hyphens (``'Wong-Baker'`` for ``'wong_baker'``)."""
    missing = [c for c in columns if c not in table.columns]
    if not missing:
        return
    normalised = {str(c).lower().strip().replace(" ", "_").replace("-", "_"): c for c in table.columns}
    hints = [f"{c!r} (found {normalised[c]!r} — rename it)" for c in missing if c in normalised]
    raise ValueError(
        f"{what} is missing column(s) {missing[:10]}{' …' if len(missing) > 10 else ''}"
        + (f"; expected {expected}" if expected else "")
        + (f". Hint: {'; '.join(hints)}" if hints else "")
    )


def validate_manifest(df: pd.DataFrame) -> pd.DataFrame:
    """Check the Manifest schema and return ``df`` unchanged; raise ``ValueError`` naming what is wrong."""
    require_columns(df, REQUIRED_COLUMNS, "manifest", expected=f"at least {list(REQUIRED_COLUMNS)}")
    bad = df.index[~df["label"].isin([0, 1])]
    if len(bad):
        raise ValueError(f"manifest column 'label' must be 0 or 1; rows {list(bad[:10])} are not")
    empty = df.index[df["subject"].isna() | (df["subject"].astype(str).str.len() == 0)]
    if len(empty):
        raise ValueError(f"manifest column 'subject' is empty in rows {list(empty[:10])}")
    return df


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Manifest CSV, validate it and make its file paths absolute."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no manifest at {path}")
    df = pd.read_csv(path, dtype={"subject": str})
    validate_manifest(df)
    for col in PATH_COLUMNS:
        if col in df.columns:
            df[col] = [str((path.parent / p).resolve()) if isinstance(p, str) else p for p in df[col]]
    return df


def write_manifest(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Validate ``df`` and write it atomically, with file paths relative to the CSV's folder."""
    validate_manifest(df)
    path = Path(path)
    out = df.copy()
    for col in PATH_COLUMNS:
        if col in out.columns:
            out[col] = [os.path.relpath(p, path.parent) if isinstance(p, str) else p for p in out[col]]
    return write_csv(out, path)


def for_display(df: pd.DataFrame, start: str | os.PathLike = ".") -> pd.DataFrame:
    """A copy of a Manifest with its file paths relative to ``start`` (the working directory: the repository,
    where the book's notebooks run), for showing on a page — a published page should not print the absolute
    paths of the machine that built it (chapter 00). Paths elsewhere on the machine stay absolute."""
    out = df.copy()
    base = Path(start).resolve()
    for col in PATH_COLUMNS:
        if col in out.columns:
            out[col] = [
                os.path.relpath(p, base) if isinstance(p, str) and Path(p).resolve().is_relative_to(base) else p
                for p in out[col]
            ]
    return out
