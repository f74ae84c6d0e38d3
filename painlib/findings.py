"""The numbers a chapter reports that the papers also state, kept as data for the "findings at a glance" page.

A chapter records them with :func:`record` beside the result store (``data_dir/results/findings/<page>.json``);
the back matter's page reads them with :func:`read` and sets them beside :mod:`painlib.published`
(:mod:`painlib.reproduces`). Pages show numbers through glue; this file is what another page reads, so no page
reads numbers back out of another executed notebook.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from pathlib import Path

from .storage import atomic_write_bytes

#: Where, under a data folder, the findings files are.
FOLDER = Path("results") / "findings"


def record(data_dir: str | os.PathLike, page: str, **values: float) -> None:
    """Write ``values`` (finite numbers) as everything ``page`` found, to ``data_dir/results/findings/<page>.json``,
    atomically; what an earlier execution of the page recorded is replaced, so no value outlives the run that
    made it. A page records once, with all its values.

    A value that is not a finite number is an error: a finding of ``nan`` is no finding (leave it out)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise ValueError(f"finding {name!r} of {page} is {value!r}; a finite number is needed")
    path = Path(data_dir) / FOLDER / f"{page}.json"
    found = {name: float(value) for name, value in values.items()}
    atomic_write_bytes(path, json.dumps(found, indent=1, sort_keys=True).encode())


def read(data_dir: str | os.PathLike) -> dict[str, dict[str, float]]:
    """Every page's recorded findings: ``{page: {name: value}}`` (empty when none was recorded)."""
    folder = Path(data_dir) / FOLDER
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}
