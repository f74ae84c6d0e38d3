"""Exercise solutions whose numbers come from an executed run of the exercise's parameter change.

A notebook declares its exercises in its metadata, ``painlib.exercises``: a list of
``{"label": "ex-00-augment", "parameters": {"augment": true}}``, optionally with ``"pages": ["image_wise"]`` to
make the run for some of a notebook's variant pages only. Before it executes a page, the runner
(:mod:`painlib.run`) executes the same notebook once per exercise, with the page's parameters and the exercise's
change, into ``<executed>/solutions/<page>.<label>.ipynb``. The page's solution cell then calls
:func:`solution`, which reads what that run glued: its numbers, its sentences and the tables it kept with
:func:`painlib.report.keep`. Nothing in a solution is typed; a solution whose run is missing, or was made with
other parameters, says so instead of showing stale numbers.
"""

from __future__ import annotations

import ast
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: Folder, inside the executed pages' folder, of the exercises' runs (not pages of the book).
SOLUTIONS = "solutions"

#: Why a solution's run is not available (:attr:`Solution.reason`), where the page must say more than the reason.
ALREADY_CHANGED = "this page already runs with the exercise's change"
NOT_BY_RUNNER = "this page was not executed by `python -m painlib run`"
NOT_MADE = "this build did not make the exercise's run"


@dataclass(frozen=True)
class Exercise:
    """One exercise with a computed solution: its ``label``, the ``parameters`` it changes, and the variant
    pages (``pages``, names of :func:`painlib.run.notebook_variants`) it is run for; ``None``: every page."""

    label: str
    parameters: dict
    pages: tuple[str, ...] | None = None

    def applies_to(self, variant: str | None) -> bool:
        return self.pages is None or variant in self.pages

    def changes(self, parameters: dict) -> bool:
        """Whether a page run with ``parameters`` differs from the exercise's change (else it needs no run)."""
        return any(parameters.get(k) != v for k, v in self.parameters.items())


def declared_exercises(notebook: str | os.PathLike) -> list[Exercise]:
    """The exercises a notebook declares in its metadata ``painlib.exercises``, checked for shape."""
    import nbformat

    path = Path(notebook)
    items = nbformat.read(path, as_version=4).metadata.get("painlib", {}).get("exercises", [])
    problem = None
    if not isinstance(items, list):
        problem = "must be a list"
    else:
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("label"), str):
                problem = f"entry {item!r} has no text label"
            elif not isinstance(item.get("parameters"), dict) or not item["parameters"]:
                problem = f"exercise {item['label']!r} changes no parameters"
            elif set(item) - {"label", "parameters", "pages"}:
                problem = f"exercise {item['label']!r} has unknown keys {sorted(set(item) - {'label', 'parameters', 'pages'})}"
            elif "pages" in item and not (
                isinstance(item["pages"], list) and all(isinstance(p, str) for p in item["pages"])
            ):
                problem = f"exercise {item['label']!r}: pages must be a list of variant names"
            if problem:
                break
        labels = [item["label"] for item in items] if problem is None else []
        if problem is None and len(set(labels)) != len(labels):
            problem = f"labels repeat: {labels}"
    if problem:
        raise ValueError(f"{path.name}: metadata painlib.exercises {problem}")
    return [Exercise(i["label"], dict(i["parameters"]), tuple(i["pages"]) if "pages" in i else None) for i in items]


def solution_page(page: str, label: str) -> str:
    """Name of the executed run of exercise ``label`` for ``page``: ``<page>.<label>``."""
    return f"{page}.{label}"


def read_outputs(notebook: str | os.PathLike) -> tuple[dict[str, str], dict]:
    """What an executed notebook glued (:func:`painlib.reproduces.read_glue`) and the parameters papermill ran it
    with; ``({}, {})`` if it does not exist."""
    from .reproduces import read_glue

    path = Path(notebook)
    if not path.is_file():
        return {}, {}
    parameters = json.loads(path.read_text()).get("metadata", {}).get("papermill", {}).get("parameters", {})
    return read_glue(path), parameters or {}


@dataclass
class Solution:
    """The run behind one exercise's solution: ``available`` when it was made for this page with the page's
    parameters and the exercise's change; else ``reason`` says why not (as a sentence for the page)."""

    label: str
    parameters: dict
    available: bool
    reason: str = ""
    values: dict[str, str] = field(default_factory=dict)

    def number(self, name: str) -> float:
        """A number the run glued under ``name``."""
        return float(self._get(name))

    def table(self, name: str) -> pd.DataFrame:
        """A table the run kept with :func:`painlib.report.keep`."""
        return pd.read_json(io.StringIO(ast.literal_eval(self._get(name))), orient="split")

    def _get(self, name: str) -> str:
        if not self.available:
            raise LookupError(f"the run of {self.label} is not available: {self.reason}")
        if name not in self.values:
            raise KeyError(f"the run of {self.label} glued no {name!r}; it glued {sorted(self.values)}")
        return self.values[name]


def is_solution_run() -> bool:
    """Whether the running notebook is itself an exercise's run (its own solution cells then have nothing to
    read)."""
    return bool(os.environ.get("PAINLIB_SOLUTION_OF"))


def solution(label: str) -> Solution:
    """The executed run of exercise ``label`` for the page being executed (the runner names the page, its notebook,
    its parameters and the executed folder in ``PAINLIB_PAGE``, ``PAINLIB_NOTEBOOK``, ``PAINLIB_PARAMETERS`` and
    ``PAINLIB_EXECUTED_DIR``).

    The run is used only if its parameters are the page's with the exercise's change; otherwise, or when it is
    missing, the :class:`Solution` is not ``available`` and its ``reason`` says why.
    """
    from .reproduces import executed_dir

    page = os.environ.get("PAINLIB_PAGE", "")
    if not page:  # e.g. "Run all" in Jupyter: no runner, so no exercise runs beside the page
        return Solution(label, {}, False, NOT_BY_RUNNER)
    from .run import variant_of

    notebook = Path(os.environ["PAINLIB_NOTEBOOK"])  # set by the runner with the page
    exercise = next((e for e in declared_exercises(notebook) if e.label == label), None)
    if exercise is None:
        raise KeyError(f"page {page!r} declares no exercise {label!r} in its metadata painlib.exercises")
    if is_solution_run():
        return Solution(label, exercise.parameters, False, "this run is itself an exercise's run")
    if not exercise.applies_to(variant_of(notebook, page)):
        names = ", ".join(f"`{p}`" for p in exercise.pages)
        return Solution(label, exercise.parameters, False, f"this exercise's run is made for the {names} page only")
    own = json.loads(os.environ.get("PAINLIB_PARAMETERS", "{}"))
    if not exercise.changes(own):
        return Solution(label, exercise.parameters, False, ALREADY_CHANGED)
    expected = {**own, **exercise.parameters}
    path = executed_dir() / SOLUTIONS / f"{solution_page(page, label)}.ipynb"
    values, ran_with = read_outputs(path)
    if not values:
        reason = NOT_MADE
    elif ran_with != expected:
        differ = sorted(k for k in set(ran_with) | set(expected) if ran_with.get(k) != expected.get(k))
        reason = f"the exercise's run on disk was made with other values of {differ}"
    else:
        return Solution(label, exercise.parameters, True, values=values)
    return Solution(label, exercise.parameters, False, reason)


def unavailable(solution: Solution) -> str:
    """The sentence a page shows in place of a solution whose run is not available, saying why and what to do."""
    page = os.environ.get("PAINLIB_PAGE", "")
    profile = json.loads(os.environ.get("PAINLIB_PARAMETERS", "{}")).get("profile")
    rerun = f"`python -m painlib run{f' --profile {profile}' if profile else ''} --only {page}`"
    if solution.reason == ALREADY_CHANGED:
        return (
            "This page already runs with the exercise's change, so it has nothing to compare the change with; "
            "the page made with the profile's own value shows this solution."
        )
    if solution.reason == NOT_BY_RUNNER:
        return (
            "This solution is computed from a run of this page with the exercise's change, which "
            "`python -m painlib run` makes before the page; this page was executed without it."
        )
    return (
        f"This solution is computed from a run of this page with the exercise's change, and {solution.reason}. "
        f"{rerun}, with the `-p` settings this page was made with, makes it along with the page."
    )
