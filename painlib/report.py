"""Prose that follows the run: sentences chosen by a computed check and numbers glued from the run.

A page's sentence whose truth depends on the data ("subject-wise accuracy is below image-wise") is never typed
as fact: the notebook computes the check and :func:`claim` glues the sentence that is true of this run, which the
page shows with ``{glue:md}`name```. Used by every chapter.
"""

from __future__ import annotations

import math
import numbers as _numbers

import numpy as np
import pandas as pd


def _glue(name: str, value) -> None:
    from myst_nb import glue

    glue(name, value, display=False)


def claim(name: str, holds: bool, if_true: str, if_false: str) -> bool:
    """Glue under ``name`` the Markdown sentence that is true of this run — ``if_true`` when the computed check
    ``holds``, else ``if_false`` — and return the check."""
    from IPython.display import Markdown

    _glue(name, Markdown(if_true if holds else if_false))
    return bool(holds)


def say(name: str, text: str) -> None:
    """Glue under ``name`` a Markdown sentence put together from computed parts (use :func:`claim` where the page
    chooses between two sentences by one check)."""
    from IPython.display import Markdown

    _glue(name, Markdown(text))


def numbers(prefix: str = "", **values) -> None:
    """Glue each value under ``prefix + name`` (floats as plain Python floats), e.g. ``numbers("acc_", cp=0.61)``.
    A value that is not finite is an error: a page must not print ``nan`` as a finding."""
    for name, value in values.items():
        if isinstance(value, np.bool_ | bool):
            value = bool(value)
        elif isinstance(value, _numbers.Real):  # NumPy scalars too, whose repr ("np.int64(3)") must not be pasted
            if not math.isfinite(float(value)):
                raise ValueError(f"glued number {prefix + name!r} is {value!r}; nothing finite to report")
            value = int(value) if isinstance(value, _numbers.Integral) else float(value)
        _glue(prefix + name, value)


def checks(results: dict[str, bool], name: str = "checks") -> pd.DataFrame:
    """The page's computed checks as a one-column table of booleans (``holds``), glued under ``name`` too."""
    table = pd.Series({k: bool(v) for k, v in results.items()}, name="holds").to_frame()
    _glue(name, table)
    return table


def keep(name: str, table: pd.DataFrame) -> None:
    """Glue ``table`` under ``name`` without showing it, so that a page reading this executed notebook can get it
    back (:meth:`painlib.exercises.Solution.table`); as JSON, index and columns kept."""
    _glue(name, table.to_json(orient="split"))


def paper_protocol() -> None:
    """Glue the CP paper's training protocol for the prose (``paper_folds``, ``paper_repeats``, ``paper_epochs``,
    ``paper_lr``, ``paper_frames``, ``paper_sweep_epochs``, ``paper_rates``), from :mod:`painlib.published`."""
    from .published import CP_TRAINING, PAIN_DB_FRAMES_PER_CLASS

    numbers(
        "paper_",
        folds=CP_TRAINING["folds"],
        repeats=CP_TRAINING["repeats"],
        epochs=CP_TRAINING["epochs"],
        lr=CP_TRAINING["learning_rate"],
        frames=PAIN_DB_FRAMES_PER_CLASS,
        sweep_epochs=CP_TRAINING["sweep_epochs"],
        rates=", ".join(f"{r:g}" for r in CP_TRAINING["sweep_learning_rates"]),
    )
