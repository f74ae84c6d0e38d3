"""Did a network learn? Tests of held-out predictions against chance (chapters 03–05).

A network has learned to tell pain from no pain when, on people or images it did not train on, it both *ranks*
pain above no pain more often than chance (AUC above 0.5) and *decides* better than always naming one class
(balanced accuracy above 0.5, the balanced accuracy of any constant predictor). Each claim is tested with a
permutation test on the pooled out-of-fold predictions of all its runs: the labels are shuffled *within* each
run's test set — the only exchange that "no learning" allows, since each run has its own network and threshold —
and the pooled AUC and balanced accuracy recomputed. The pooled AUC of the permuted labels only needs the ranks of
the scores, so thousands of permutations are one matrix product. A network learned when the larger of its two
p-values (an intersection–union test: both must hold) stays below α after Holm's correction over every network
and scenario tested together.

Written here rather than taken from a library: scikit-learn's ``permutation_test_score`` refits the model for
each permutation (thousands of trainings), and SciPy's ``permutation_test`` permutes one sample, not labels within
blocks; a single run's AUC test agrees with SciPy's Mann–Whitney U test (tested).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from .manifest import require_columns

#: Columns of :func:`learning_table`, in order.
LEARNING_COLUMNS = (
    "auc",
    "balanced_accuracy",
    "share_pain_predicted",
    "p_auc",
    "p_balanced_accuracy",
    "p_value",
    "p_holm",
    "both_classes",
    "learned",
)


def permutation_test(
    label: np.ndarray,
    score: np.ndarray,
    predicted: np.ndarray,
    block: np.ndarray,
    n_permutations: int = 4999,
    seed: int = 0,
    image: np.ndarray | None = None,
) -> dict[str, float]:
    """One-sided permutation test of pooled AUC and balanced accuracy against chance, labels permuted within blocks.

    Parameters
    ----------
    label : (N,) true labels 0 / 1; the pool must hold both classes.
    score : (N,) the predicted probability of pain (ties allowed).
    predicted : (N,) the predicted labels 0 / 1 (the run's threshold applied).
    block : (N,) the run each prediction comes from; labels are exchanged only within a block.
    image : (N,) optional image ids. An image tested in several runs (repeats on one test set) keeps one label
        in every permutation: labels are permuted over images, within the set of runs that tested them, so
        that repeated predictions of one image are not counted as independent evidence.

    Returns ``auc``, ``balanced_accuracy`` (pooled), ``p_auc`` and ``p_balanced_accuracy``: the share of
    permutations at least as high, counting the observed labelling as one of them (never 0).
    """
    label, score, predicted, block = (np.asarray(a) for a in (label, score, predicted, block))
    if not (len(label) == len(score) == len(predicted) == len(block)):
        raise ValueError("label, score, predicted and block must have the same length")
    label = label.astype(int)
    n_pos = int(label.sum())
    n_neg = len(label) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("the pooled predictions hold one class only: neither AUC nor balanced accuracy is defined")
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be at least 1, got {n_permutations}")
    # Units that carry one label each: rows, or images (with the runs that tested them as their stratum).
    if image is None:
        unit, stratum = np.arange(len(label)), block.astype(str)
    else:
        codes, unit = np.unique(np.asarray(image).astype(str), return_inverse=True)
        runs_of = pd.Series(block.astype(str)).groupby(unit).agg(lambda b: "|".join(sorted(set(b))))
        stratum = runs_of.reindex(range(len(codes))).to_numpy()
        first = pd.Series(label).groupby(unit).agg(["min", "max"])
        if (first["min"] != first["max"]).any():
            raise ValueError("an image carries different labels in different runs")
    unit_label = np.zeros(unit.max() + 1, int)
    unit_label[unit] = label
    rng = np.random.default_rng(seed)
    permuted_units = np.empty((n_permutations + 1, len(unit_label)), np.float64)
    permuted_units[0] = unit_label
    for s in np.unique(stratum):  # the same permutation scheme draws every row, stratum by stratum
        idx = np.flatnonzero(stratum == s)
        permuted_units[1:, idx] = rng.permuted(np.broadcast_to(unit_label[idx], (n_permutations, len(idx))), axis=1)
    permuted = permuted_units[:, unit]
    ranks = stats.rankdata(np.asarray(score, float))  # average ranks: ties count half, as in the AUC
    auc = (permuted @ ranks - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    predicted = predicted.astype(float)
    true_pos = permuted @ predicted
    true_neg = (1 - permuted) @ (1 - predicted)
    balanced = (true_pos / n_pos + true_neg / n_neg) / 2
    tol = 1e-12  # the observed value counts as reached by a permutation that equals it up to rounding
    return {
        "auc": float(auc[0]),
        "balanced_accuracy": float(balanced[0]),
        "p_auc": float(np.mean(auc >= auc[0] - tol)),
        "p_balanced_accuracy": float(np.mean(balanced >= balanced[0] - tol)),
    }


def learning_table(
    predictions: pd.DataFrame,
    by=("model",),
    *,
    alpha: float = 0.05,
    family_size: int | None = None,
    n_permutations: int = 4999,
    seed: int = 0,
    tests=("auc", "balanced_accuracy"),
) -> pd.DataFrame:
    """Per ``by`` group (a network, or a network in a scenario): did it learn? One row per group.

    ``predictions`` is a long table of held-out predictions with the columns ``label``, ``prob_pain``, ``pred``
    (the predicted label) and ``run`` (plus the ``by`` columns, and ``path``, which keeps one label per image
    across repeats: see :func:`permutation_test`), as :func:`painlib.result_store.run_details` gives.
    Columns: :data:`LEARNING_COLUMNS` — pooled ``auc`` and ``balanced_accuracy``, the share of images called
    pain, their permutation p-values, ``p_value`` (the largest p-value of ``tests``: both by default, the AUC
    alone for chapter 05's folds of a few dozen images, as its criterion says), ``p_holm`` (Holm-adjusted over
    ``family_size`` tests: the groups here, or more when other pages test other scenarios of the same family;
    see :func:`holm`), ``both_classes`` (some image of
    each class was predicted) and ``learned`` (``p_holm`` < ``alpha`` and both classes predicted).
    """
    require_columns(predictions, ["label", "prob_pain", "pred", "run", *by], "predictions")
    unknown = sorted(set(tests) - {"auc", "balanced_accuracy"})
    if unknown or not tests:
        raise ValueError(f"tests must name some of 'auc' and 'balanced_accuracy', got {tests!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    rows = {}
    for key, group in predictions.groupby(list(by), sort=False):
        test = permutation_test(
            group["label"].to_numpy(),
            group["prob_pain"].to_numpy(),
            group["pred"].to_numpy(),
            group["run"].to_numpy(),
            n_permutations,
            seed,
            image=group["path"].to_numpy() if "path" in group.columns else None,
        )
        share = float(group["pred"].mean())
        rows[key] = {
            **test,
            "share_pain_predicted": share,
            "p_value": max(test[f"p_{name}"] for name in tests),
            "both_classes": 0 < share < 1,
        }
    table = pd.DataFrame(list(rows.values()))
    keys = list(rows)
    table.index = (
        pd.MultiIndex.from_tuples(keys, names=list(by)) if len(by) > 1 else pd.Index([k[0] for k in keys], name=by[0])
    )
    table["p_holm"] = holm(table["p_value"].to_numpy(), family_size)
    table["learned"] = (table["p_holm"] < alpha) & table["both_classes"]
    return table[list(LEARNING_COLUMNS)]


def holm(p_values: np.ndarray, family_size: int | None = None) -> np.ndarray:
    """Holm-adjusted p-values of ``p_values`` as members of a family of ``family_size`` tests (default: just
    these), the other members unseen. Padding the family with p-values of 1 gives adjusted values at least as
    large as Holm's procedure would give them in the full family, whatever the unseen p-values are (each of ours
    gets a rank no later than its true one, and an unseen smaller p-value is bounded by one of ours after it), so
    a page that tests one scenario of three can correct over all three on its own (statsmodels adjusts)."""
    p = np.asarray(p_values, float)
    m = len(p) if family_size is None else int(family_size)
    if m < len(p):
        raise ValueError(f"family_size {m} is smaller than the {len(p)} p-values given")
    padded = np.concatenate([p, np.ones(m - len(p))])
    return multipletests(padded, method="holm")[1][: len(p)]


def holm_where(p_values: pd.Series, tested=None) -> pd.Series:
    """:func:`holm` over the rows of ``p_values`` that were ``tested`` (a boolean mask; default: every row with a
    p-value), as one family; NaN for the other rows, which neither enter the family nor get an adjusted value."""
    p = pd.Series(p_values, dtype=float)
    chosen = p.notna() if tested is None else pd.Series(np.asarray(tested, bool), index=p.index) & p.notna()
    adjusted = pd.Series(np.nan, index=p.index)
    if chosen.any():
        adjusted[chosen] = holm(p[chosen].to_numpy())
    return adjusted


def choose_threshold(label: np.ndarray, score: np.ndarray) -> float:
    """The decision threshold on ``score`` that maximises balanced accuracy (Youden's J) on validation
    predictions; 0.5 when the validation set holds one class. Ties between thresholds go to the one nearest
    0.5, so that a network whose scores carry no information keeps the usual threshold (chapters 04–05)."""
    label = np.asarray(label).astype(int)
    score = np.asarray(score, float)
    if len(np.unique(label)) < 2:
        return 0.5
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(label, score)
    finite = np.isfinite(thresholds)
    j = (tpr - fpr)[finite]
    candidates = thresholds[finite][np.isclose(j, j.max())]
    return float(candidates[np.argmin(np.abs(candidates - 0.5))])


def scenario_order(
    learning: pd.DataFrame,
    order=("image_wise", "subject_wise", "cross_dataset"),
    metric: str = "auc",
    alpha: float = 0.05,
    trained_as: pd.Series | None = None,
) -> pd.DataFrame:
    """Does ``metric`` fall from each scenario of ``order`` to the next, over the networks that learned in both?

    ``learning`` is :func:`learning_table` indexed by (scenario, model). One row per neighbouring pair: the
    networks compared (learned in both scenarios), the mean ``metric`` in each, how many networks fell, the
    one-sided Wilcoxon signed-rank p-value over networks (SciPy; exact for small counts) and a verdict — "falls"
    (p < ``alpha``), "not resolved", or "too few networks" (fewer than 5 pairs: the smallest exact one-sided
    p-value, 1/2⁴ = 0.0625 with four, cannot fall below 0.05). ``trained_as`` (indexed like ``learning``) describes
    how each network trained in each scenario, e.g. its epochs and learning rate: a network whose description
    differs between the two scenarios of a pair is left out of that pair (counted in ``trained differently``),
    since its fall would mix the scenario's effect with the setting's. Chapter 04 states the paper's ordering
    with it.
    """
    rows = []
    for first, second in zip(order[:-1], order[1:]):
        both = (
            _scenario(learning, first).add_suffix("_a").join(_scenario(learning, second).add_suffix("_b"), how="inner")
        )
        both = both[both["learned_a"] & both["learned_b"]]
        differently = pd.Series(False, index=both.index)
        if trained_as is not None:
            how = pd.Series(trained_as).rename("how").to_frame()
            a, b = _scenario(how, first)["how"], _scenario(how, second)["how"]
            differently = pd.Series([a.get(m) != b.get(m) for m in both.index], index=both.index, dtype=bool)
        both = both[~differently]
        diff = both[f"{metric}_a"] - both[f"{metric}_b"]
        n = len(diff)
        p = float(stats.wilcoxon(diff, alternative="greater").pvalue) if n >= 1 and (diff != 0).any() else np.nan
        verdict = "too few networks" if n < 5 else ("falls" if p < alpha else "not resolved")
        rows.append(
            {
                "from": first,
                "to": second,
                "networks": n,
                f"mean {metric}, from": both[f"{metric}_a"].mean() if n else np.nan,
                f"mean {metric}, to": both[f"{metric}_b"].mean() if n else np.nan,
                "networks that fell": int((diff > 0).sum()),
                "trained differently": int(differently.sum()),
                "p_value": p,
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


def _scenario(learning: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The rows of one scenario of a table indexed by (scenario, model), indexed by model (none: empty)."""
    if scenario in learning.index.get_level_values(0):
        return learning.xs(scenario, level=0)
    return learning.iloc[:0].droplevel(0)


def paired_auc_difference(
    label: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    group: np.ndarray | None = None,
) -> dict[str, float]:
    """AUC of ``score_a`` minus AUC of ``score_b`` on the same images, with a percentile bootstrap interval (both
    scores resampled together, so the pairing is kept); ``resolved`` when the interval excludes 0. Chapter 03
    tells learning rates apart with it.

    ``group`` (N,) names the person each image shows: then *people* are resampled with all their images (a
    cluster bootstrap), because images of one person are not independent evidence — ten frames of one face
    would otherwise count as ten people and narrow the interval. Without it images are resampled within each
    class."""
    from sklearn.metrics import roc_auc_score

    label = np.asarray(label).astype(int)
    a, b = np.asarray(score_a, float), np.asarray(score_b, float)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(label == 1), np.flatnonzero(label == 0)
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("both classes are needed to compare AUCs")
    if group is None:
        # every bootstrap sample at once: the first len(pos) columns are positives, the rest negatives
        idx = np.concatenate([rng.choice(pos, (n_boot, len(pos))), rng.choice(neg, (n_boot, len(neg)))], axis=1)
        diffs = _auc_by_row(a[idx], len(pos)) - _auc_by_row(b[idx], len(pos))
    else:
        rows = pd.DataFrame({"label": label, "subject": np.asarray(group).astype(str)})
        first, second = _SortedScores(rows.assign(prob_pain=a)), _SortedScores(rows.assign(prob_pain=b))
        n = len(first.people)
        counts = rng.multinomial(n, np.full(n, 1 / n), size=n_boot)  # how often each person is drawn
        diffs = np.array([first.auc(first.weights(c)) - second.auc(second.weights(c)) for c in counts])
        diffs = diffs[np.isfinite(diffs)]  # a draw of people of one class only has no AUC
    low, high = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    diff = roc_auc_score(label, a) - roc_auc_score(label, b)
    return {"difference": float(diff), "low": float(low), "high": float(high), "resolved": bool(low > 0 or high < 0)}


class _SortedScores:
    """One scenario's pooled predictions sorted by score once, so that the AUC of any reweighting of its rows
    (a bootstrap of people) costs a few sums: :meth:`auc` counts each row ``weight`` times, ties half."""

    def __init__(self, rows: pd.DataFrame):
        rows = rows.sort_values("prob_pain", kind="mergesort")
        score = rows["prob_pain"].to_numpy(float)
        self.pos = rows["label"].to_numpy(int) == 1
        self.starts = np.flatnonzero(np.r_[True, score[1:] != score[:-1]])  # first row of each tied score
        self.people, self.codes = np.unique(rows["subject"].astype(str).to_numpy(), return_inverse=True)

    def auc(self, weight: np.ndarray) -> float:
        pos = np.add.reduceat(weight * self.pos, self.starts)
        neg = np.add.reduceat(weight * ~self.pos, self.starts)
        below = np.cumsum(neg) - neg
        total = pos.sum() * neg.sum()
        return float((pos * (below + neg / 2)).sum() / total) if total > 0 else float("nan")

    def weights(self, counts: np.ndarray) -> np.ndarray:
        """Row weights when person i is drawn ``counts[i]`` times."""
        return counts[self.codes].astype(float)


def scenario_gaps(
    predictions: pd.DataFrame,
    order=("image_wise", "subject_wise", "cross_dataset"),
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """For one network, the fall in pooled AUC from each scenario of ``order`` to the next, with a bootstrap
    interval that resamples *people*, not images: a person's frames are near-duplicates, so images are not
    independent. Where both scenarios tested the same people (the image-wise and subject-wise folds of one set)
    the same draw of people serves both (paired); otherwise each set's people are drawn on their own.
    ``predictions`` has the columns scenario, subject, label, prob_pain; repeated tests of an image are pooled as
    the AUC pools them. One row per neighbouring pair: the two pooled AUCs, ``difference`` (first minus second),
    ``low``, ``high`` (the central ``level`` of the bootstrap differences), ``paired`` and ``resolved`` (the
    interval excludes 0). Chapter 00's probe."""
    require_columns(predictions, ["scenario", "subject", "label", "prob_pain"], "predictions")
    rng = np.random.default_rng(seed)
    sets = {name: _SortedScores(rows) for name, rows in predictions.groupby("scenario")}
    missing = [name for name in order if name not in sets]
    if missing:
        raise ValueError(f"no predictions of {missing}")
    rows = []
    for first, second in zip(order[:-1], order[1:]):
        a, b = sets[first], sets[second]
        paired = np.array_equal(a.people, b.people)
        diffs = np.empty(n_boot)
        for i in range(n_boot):
            counts_a = np.bincount(rng.integers(0, len(a.people), len(a.people)), minlength=len(a.people))
            counts_b = (
                counts_a
                if paired
                else np.bincount(rng.integers(0, len(b.people), len(b.people)), minlength=len(b.people))
            )
            diffs[i] = a.auc(a.weights(counts_a)) - b.auc(b.weights(counts_b))
        low, high = np.nanquantile(diffs, [(1 - level) / 2, (1 + level) / 2])
        auc_a, auc_b = a.auc(np.ones(len(a.codes))), b.auc(np.ones(len(b.codes)))
        rows.append(
            {
                "from": first,
                "to": second,
                "auc_from": auc_a,
                "auc_to": auc_b,
                "difference": auc_a - auc_b,
                "low": float(low),
                "high": float(high),
                "paired": paired,
                "resolved": bool(low > 0 or high < 0),
            }
        )
    return pd.DataFrame(rows)


def paper_ordering(above_chance: pd.DataFrame, gaps: pd.DataFrame) -> dict[str, bool]:
    """The CP paper's effects for one network, each decided by its test: above chance image-wise and on CP
    (:func:`learning_table` by scenario), and a resolved fall of AUC image-wise → subject-wise → PAIN-DB → CP
    (:func:`scenario_gaps`, in that order). Chapter 00's checks."""
    falls = {(row["from"], row["to"]): bool(row["resolved"] and row["difference"] > 0) for _, row in gaps.iterrows()}
    return {
        "image-wise above chance (permutation test)": bool(above_chance.loc["image_wise", "learned"]),
        "subject-wise below image-wise (95 % interval of the AUC difference)": falls[("image_wise", "subject_wise")],
        "PAIN-DB → CP below subject-wise (95 % interval of the AUC difference)": falls[
            ("subject_wise", "cross_dataset")
        ],
        "PAIN-DB → CP above chance (permutation test)": bool(above_chance.loc["cross_dataset", "learned"]),
    }


def learning_by_run(runs: dict[str, pd.DataFrame], **kwargs) -> pd.DataFrame:
    """:func:`learning_table` of several runs of a page side by side (an exercise's run beside the page's):
    ``runs`` maps a run's name to its predictions; columns (run, auc / balanced_accuracy / p_holm / learned), one
    row per network that every run trained. ``kwargs`` go to :func:`learning_table`."""
    tables = {
        name: learning_table(p, **kwargs)[["auc", "balanced_accuracy", "p_holm", "learned"]] for name, p in runs.items()
    }
    shared = sorted(set.intersection(*(set(t.index) for t in tables.values()))) if tables else []
    return pd.concat({name: t.loc[shared] for name, t in tables.items()}, axis=1)


def best_against_rest(
    predictions: pd.DataFrame, within: str = "model", across: str = "learning_rate", n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """For each ``within`` group (a network), the ``across`` setting (learning rate) with the highest AUC against
    each other one, on the same validation images: one row per pair with both AUCs, their difference and its 95 %
    bootstrap interval (:func:`paired_auc_difference`, over people when ``predictions`` has a ``subject``
    column) and ``resolved``. ``predictions`` has the columns path, label, prob_pain, ``within`` and ``across``
    (chapter 03's sweep)."""
    rows = []
    index = ["path", "label"] + (["subject"] if "subject" in predictions.columns else [])
    for group, part in predictions.groupby(within, sort=False):
        wide = part.pivot_table(index=index, columns=across, values="prob_pain").dropna()
        label = wide.index.get_level_values("label").to_numpy(int)
        people = wide.index.get_level_values("subject").to_numpy() if "subject" in index else None
        aucs = {s: _auc(label, wide[s].to_numpy()) for s in wide.columns}
        best = max(aucs, key=aucs.get)
        for other in wide.columns:
            if other == best:
                continue
            diff = paired_auc_difference(
                label, wide[best].to_numpy(), wide[other].to_numpy(), n_boot, seed, group=people
            )
            rows.append(
                {
                    within: group,
                    f"best {across}": best,
                    f"other {across}": other,
                    "auc, best": aucs[best],
                    "auc, other": aucs[other],
                    **diff,
                }
            )
    return pd.DataFrame(rows)


def _auc_by_row(scores: np.ndarray, n_pos: int) -> np.ndarray:
    """AUC of each row of ``scores`` (B, N) whose first ``n_pos`` columns are the positives (Mann–Whitney, ties
    counting half): (sum of the positives' ranks − n_pos (n_pos + 1) / 2) / (n_pos · n_neg)."""
    ranks = stats.rankdata(scores, axis=1)
    n_neg = scores.shape[1] - n_pos
    return (ranks[:, :n_pos].sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _auc(label: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(label, score))
