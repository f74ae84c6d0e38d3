"""Prose that follows the run: sentences chosen by a computed check and numbers glued from the run.

A page's sentence whose truth depends on the data ("subject-wise accuracy is below image-wise") is never typed
as fact: the notebook computes the check and :func:`claim` glues the sentence that is true of this run, which the
page shows with ``{glue:md}`name```. Identifiers in glued text are written as names (``silnet`` → SilNet, see
:func:`painlib.display.words`). Used by every chapter.
"""

from __future__ import annotations

import math
import numbers as _numbers

import numpy as np
import pandas as pd

from .display import listing, words
from .display import name as display_name


def _glue(name: str, value) -> None:
    from myst_nb import glue

    glue(name, value, display=False)


def claim(name: str, holds: bool, if_true: str, if_false: str) -> bool:
    """Glue under ``name`` the Markdown sentence that is true of this run — ``if_true`` when the computed check
    ``holds``, else ``if_false`` — and return the check."""
    from IPython.display import Markdown

    _glue(name, Markdown(words(if_true if holds else if_false)))
    return bool(holds)


def say(name: str, text: str) -> None:
    """Glue under ``name`` a Markdown sentence put together from computed parts (use :func:`claim` where the page
    chooses between two sentences by one check)."""
    from IPython.display import Markdown

    _glue(name, Markdown(words(text)))


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
        elif isinstance(value, str):
            value = words(value)
        _glue(prefix + name, value)


def checks(results: dict[str, bool], name: str = "checks") -> pd.DataFrame:
    """The page's computed checks as a one-column table of booleans (``holds``), glued under ``name`` too."""
    table = pd.Series({k: bool(v) for k, v in results.items()}, name="holds").to_frame()
    _glue(name, table)
    return table


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


def learning_change(table: pd.DataFrame, first: str, second: str) -> str:
    """A sentence per network of :func:`painlib.chance.learning_by_run`'s ``table``: whether it learned in run
    ``first`` and in run ``second``, with its pooled AUC in each (chapter 04's exercise)."""
    said = []
    for model, row in table.iterrows():
        a, b = bool(row[(first, "learned")]), bool(row[(second, "learned")])
        auc = f"pooled AUC {row[(first, 'auc')]:.2f} in {first}, {row[(second, 'auc')]:.2f} in {second}"
        if a == b:
            said.append(f"`{model}` {'learned in both' if a else 'learned in neither'} ({auc}).")
        else:
            said.append(f"`{model}` learned in {first if a else second} only ({auc}).")
    return " ".join(said) if said else "The two runs share no network."


def scenario_order_sentence(order: pd.DataFrame, runs_found: pd.Series) -> str:
    """What :func:`painlib.chance.scenario_order`'s table says of the paper's ordering, in a sentence or two;
    ``runs_found`` counts the stored runs per scenario (a scenario without runs is named, with what to do)."""
    missing = [s for s, n in runs_found.items() if n == 0]
    if missing:
        return (
            "The result store holds no runs of "
            + listing(display_name(s) for s in missing)
            + " with this page's settings, so the ordering cannot be checked: run those pages first."
        )
    said = []
    for row in order.itertuples(index=False):
        step = f"from {display_name(row[0])} to {display_name(row[1])}"
        apart = int(row[order.columns.get_loc("trained differently")]) if "trained differently" in order.columns else 0
        alike = " with the same settings" if apart else ""
        if apart:
            said.append(
                f"{apart} network{'s' if apart != 1 else ''} that learned in both but trained with other settings "
                f"{step} {'are' if apart != 1 else 'is'} left out of that step, whose fall would mix the two."
            )
        if row.verdict == "falls":
            said.append(
                f"AUC falls {step} for {row[5]} of the {row.networks} networks that learned in both{alike} "
                f"(Wilcoxon p = {row.p_value:.3f}): this step of the paper's ordering is reproduced."
            )
        elif row.verdict == "too few networks":
            how_many = (
                f"Only {row.networks} network{'s' if row.networks != 1 else ''}" if row.networks else "No network"
            )
            said.append(
                f"{how_many} learned in both scenarios{alike} {step}: too few for the test to resolve anything (it needs "
                "five), so this step of the paper's ordering is not resolved."
            )
        else:
            p = f"p = {row.p_value:.3f}" if np.isfinite(row.p_value) else "no difference at all"
            said.append(
                f"AUC falls {step} for {row[5]} of the {row.networks} networks that learned in both{alike}, which the test "
                f"cannot tell from chance ({p}): this step of the paper's ordering is not resolved."
            )
    return " ".join(said)


def paper_values_sentence(scenario: str, accuracy: pd.Series) -> str:
    """What chapter 04's Figure 4 can set beside the paper in ``scenario``: the values its text states (drawn as
    ticks), its one stated bound (the best accuracy on unseen people, subject-wise) against this run's best of
    ``accuracy`` (mean accuracy per network), or nothing (its Figure 4 gives bars only)."""
    from .published import CP_BEST_ACCURACY, CP_STATED_METRICS

    bars = "its Figure 4 gives the rest as bars only, so they cannot be quoted here"
    if scenario in CP_STATED_METRICS:
        stated = CP_STATED_METRICS[scenario]
        metrics = " and ".join({"f1": "F1"}.get(c, c) for c in stated.columns)
        named = listing(f"{display_name(m)}'s {metrics}" for m in stated.index)
        return f"Red ticks are the paper's values where its text states them ({named}); {bars}."
    if scenario in CP_BEST_ACCURACY:
        best = accuracy.idxmax()
        return (
            f"The paper's text states one number for this scenario, a best accuracy of at most "
            f"{CP_BEST_ACCURACY[scenario]:.0%} on people unseen in training (no tick: it names no network); the best "
            f"here is {display_name(best)}'s {accuracy[best]:.1%}. Otherwise {bars}."
        )
    return f"The paper's text states no value for this scenario: {bars}, and no tick is drawn."


def ordering_finding(wins: list[str], untrained: list[str], metrics: dict[str, str] | None = None) -> str:
    """Chapter 05's finding on the dissertation's ordering (VGG-Face ahead of N-CNN), as a sentence fragment after
    "This run": reproduced only when VGG-Face leads in every one of ``metrics`` (column → name in the sentence;
    ``wins`` holds columns) *and* no network is in ``untrained`` (networks that did not learn in most folds,
    whose numbers compare nothing)."""
    metrics = metrics or {"accuracy": "accuracy", "f1": "F1", "auc": "AUC"}
    if untrained:
        return (
            "**cannot test the dissertation's ordering**: "
            + listing(f"`{m}`" for m in untrained)
            + " did not learn in most folds, so its means are not those of a trained network"
        )
    if len(wins) == len(metrics):
        return f"**reproduces the dissertation's ordering**: VGG-Face is ahead of N-CNN in mean {listing(metrics.values())}"
    return (
        "**does not reproduce the dissertation's ordering** in full: VGG-Face is ahead of N-CNN in "
        + (listing(metrics[m] for m in wins) if wins else "none")
        + f" of {listing(metrics.values())}"
    )


def ranking_sentence(stats: dict | None, n_ranked: int, n_runs: int, alpha: float = 0.05) -> str:
    """What chapter 04's comparison of the networks that learned says: the Friedman verdict, how many neighbouring
    pairs of the ranking the Nemenyi test resolves, and how many pairs the design could resolve at best
    (:func:`painlib.compare.pairs_resolvable_at_best`); ``stats`` is :func:`painlib.compare.scenario_tests`' result,
    or None when fewer than three networks (or fewer than two runs) were there to rank."""
    from .compare import critical_difference, pairs_resolvable_at_best

    if not stats:
        if n_runs < 2:
            return "This page trains each network once, so there is nothing to rank: a ranking needs two runs or more."
        learned = {0: "No network", 1: "Only one network"}.get(n_ranked, f"Only {n_ranked} networks")
        return f"{learned} learned with every run, so there is nothing to rank: a ranking needs three."
    p = stats["friedman"]["p_value"]
    cd = critical_difference(n_ranked, n_runs, alpha)
    verdict = "rejects" if p < alpha else "does **not** reject"
    pairs = n_ranked * (n_ranked - 1) // 2
    return (
        f"The Friedman test {verdict} the hypothesis that they rank alike by AUC (p = {p:.3f}). Of the "
        f"{stats['n_pairs']} neighbouring pairs of their ranking by mean AUC the data resolve {stats['n_resolved']} "
        f"(Nemenyi test at α = {alpha:g}; last table). With {n_ranked} networks and {n_runs} runs two networks must "
        f"differ by {cd:.2f} in average rank to be told apart: even if every "
        f"run ranked them in the same order, at most {pairs_resolvable_at_best(n_ranked, n_runs, alpha)} of their "
        f"{pairs} pairs could be resolved"
        + (
            "; in such an order neighbours differ by exactly 1 in average rank, less than that critical "
            "difference, so no two neighbours could be told apart."
            if cd > 1
            else "."
        )
    )
