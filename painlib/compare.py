"""Comparing models over folds: what the bar charts of the CP paper cannot say (the training chapters).

Per scenario, the CP paper ranks ten CNNs by the height of bars averaged over five folds (or five repeated
trainings). A bar chart cannot tell which of those orders the data resolve. This module answers that, on the
long result tables of :func:`painlib.training.run_scenario` (one row per scenario, model and run):

* :func:`friedman` — is there any difference among the models? Friedman test with the runs as blocks, the
  Iman–Davenport F and the average ranks (Demšar 2006, section 3.2.2);
* :func:`nemenyi`, :func:`critical_difference`, :func:`cd_diagram` — which pairs differ, all pairs at once
  (Nemenyi test, its critical difference, and Demšar's critical-difference diagram);
* :func:`corrected_resampled_ttest`, :func:`bayesian_correlated_ttest`, :func:`best_against_others` — the best
  model against each other one on the same folds, with the variance corrected for overlapping training sets
  (Nadeau & Bengio 2003) and the Bayesian correlated t-test with a region of practical equivalence (Benavoli
  et al. 2017);
* :func:`resolvable` — for each neighbour pair of the paper-style ranking, whether the data resolve the order.

Caveat on blocks. Demšar's tests assume independent blocks (data sets). Folds of one data set share most of
their training data, so they are not independent; treating them as blocks makes Friedman and Nemenyi somewhat
liberal. The corrected t-tests account for the overlap (for k-fold cross-validation). In the cross-dataset
scenario every repeat trains on the same images and tests on the same images: runs differ only by seed, and the
tests answer "would another seed change the order on this test set?", not "on another test set?" — and
:func:`scenario_tests` compares them without the overlap correction, since no training set overlaps another.

Libraries. The Friedman statistic is computed here (with the tie correction of SciPy's ``friedmanchisquare``,
which the tests compare it with); SciPy gives ``studentized_range`` for the Nemenyi p-values and q_alpha, ``t``, ``chi2`` and ``f``), already a dependency.
scikit-posthocs (one new dependency; everything it needs — numpy, scipy, pandas, statsmodels, matplotlib,
seaborn — is already pinned) draws the critical-difference diagram from our ranks and p-values, and its
``posthoc_nemenyi_friedman`` is the second implementation the tests check ours against. Not chosen: baycomp
(source-only release, last in 2023; its ``CorrelatedTTest`` hard-codes the k-fold ratio n_test/n_train =
1/(k-1), which is wrong for the cross-dataset repeats, and the posterior it uses is a three-line Student-t that
SciPy gives directly); autorank (pulls in baycomp and jinja2, and picks its own tests from normality checks that
five folds cannot support).

References: Demšar, J. (2006) JMLR 7:1–30; Nadeau, C. & Bengio, Y. (2003) Machine Learning 52:239–281;
Benavoli, A., Corani, G., Demšar, J. & Zaffalon, M. (2017) JMLR 18(77):1–36.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from .manifest import require_columns

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

#: Verdicts of :func:`best_against_others`, in the order of their definition.
VERDICTS = ("better", "equivalent within rope", "cannot tell")


# ---------------------------------------------------------------------------------------------- the table


def score_table(
    results: pd.DataFrame,
    metric: str = "accuracy",
    blocks: str = "run",
    groups: str = "model",
    scenario: str | None = None,
) -> pd.DataFrame:
    """The complete blocks × groups table of one metric (rows: runs, columns: models), validated.

    ``results`` is a long table with one row per (group, block) — as :func:`painlib.training.run_scenario`
    returns, or several of them concatenated. With a ``scenario`` column holding more than one scenario, pass
    ``scenario`` to pick one. Raises ``ValueError`` naming what is wrong: a missing column, a duplicated
    (group, block) row, a group missing a block or with no value of ``metric`` in it, fewer than two groups or
    two blocks. Used by every function of this module (training chapters).
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame (one row per {groups} and {blocks}), got {type(results)}")
    require_columns(results, [groups, blocks, metric], "results", expected=f"one row per {groups} and {blocks}")
    if len({groups, blocks, metric}) < 3:
        raise ValueError(
            f"groups, blocks and metric must be three different columns, got {groups!r}, {blocks!r}, {metric!r}"
        )
    results = _one_scenario(results, scenario)
    values = pd.to_numeric(results[metric], errors="coerce")
    text = results[metric].notna() & values.isna()
    if text.any():
        raise ValueError(f"results column {metric!r} must be numeric; found {list(results.loc[text, metric][:5])}")
    keys = results[[groups, blocks]]
    dup = keys.duplicated(keep=False)
    if dup.any():
        pairs = sorted({(g, b) for g, b in keys[dup].itertuples(index=False)}, key=str)
        raise ValueError(f"results have more than one row for ({groups}, {blocks}) {pairs[:10]}; expected one each")
    table = values.set_axis(pd.MultiIndex.from_frame(keys)).unstack(groups)
    table = table.reindex(columns=pd.unique(results[groups]), index=pd.unique(results[blocks]))
    table.index.name, table.columns.name = blocks, groups
    problems = []
    for name in table.columns:
        present = set(results.loc[results[groups] == name, blocks])
        absent = [b for b in table.index if b not in present]
        empty = [b for b in table.index if b in present and pd.isna(table.at[b, name])]
        if absent:
            problems.append(f"{groups} {name!r} has no row for {blocks} {absent}")
        if empty:
            problems.append(f"{groups} {name!r} has no {metric} in {blocks} {empty}")
    if problems:
        raise ValueError(
            f"incomplete results: every {groups} needs a {metric} for every {blocks} "
            f"({list(table.index)}); " + "; ".join(problems[:10])
        )
    if table.shape[1] < 2 or table.shape[0] < 2:
        raise ValueError(
            f"a comparison needs at least 2 {groups}s and 2 {blocks}s; got {table.shape[1]} {groups}(s) "
            f"{list(table.columns)} and {table.shape[0]} {blocks}(s)"
        )
    return table.astype(float)


def _one_scenario(results: pd.DataFrame, scenario: str | None) -> pd.DataFrame:
    if scenario is not None:
        if "scenario" not in results.columns:
            raise ValueError(f"scenario={scenario!r} given, but results have no 'scenario' column")
        picked = results[results["scenario"] == scenario]
        if picked.empty:
            raise ValueError(f"no results for scenario {scenario!r}; found {sorted(results['scenario'].unique())}")
        return picked
    if "scenario" in results.columns and results["scenario"].nunique() > 1:
        raise ValueError(
            f"results hold several scenarios {sorted(results['scenario'].unique())}; pass scenario= to compare "
            "models within one"
        )
    return results


def _average_ranks(table: pd.DataFrame) -> pd.Series:
    """Average rank of each group over the blocks: highest score = rank 1, ties share the mean rank."""
    ranks = stats.rankdata(-table.to_numpy(), axis=1, method="average")
    return pd.Series(ranks.mean(axis=0), index=table.columns, name="average_rank")


# --------------------------------------------------------------------------------------------- Friedman


def friedman(
    results: pd.DataFrame,
    metric: str = "accuracy",
    blocks: str = "run",
    groups: str = "model",
    *,
    scenario: str | None = None,
    tie_correction: bool = True,
) -> dict:
    """Friedman test of "all models are equally good", with the runs (folds or repeats) as blocks.

    Within each block the models are ranked (highest ``metric`` = rank 1; ties share their mean rank). Returns
    a dict: ``statistic`` (Friedman chi², k-1 degrees of freedom), ``p_value``, ``iman_davenport`` (F_F, the
    less conservative statistic Demšar recommends) and ``iman_davenport_p_value`` (F with k-1 and (k-1)(N-1)
    degrees of freedom), ``n_blocks`` (N), ``n_groups`` (k), and ``average_ranks`` (a Series over models,
    best first). With ``tie_correction`` (default) the statistic is SciPy's ``friedmanchisquare``; without,
    it is Demšar's formula 12N/(k(k+1)) [Σ R_j² − k(k+1)²/4]. See :func:`score_table` for the input and its
    errors. Used by the training chapters.
    """
    table = score_table(results, metric, blocks, groups, scenario)
    n, k = table.shape
    ranks = _average_ranks(table)
    chi2 = 12 * n / (k * (k + 1)) * (np.sum(ranks.to_numpy() ** 2) - k * (k + 1) ** 2 / 4)
    if tie_correction:
        tied = sum(np.sum(c**3 - c) for c in (np.unique(row, return_counts=True)[1] for row in table.to_numpy()))
        c = 1 - tied / (n * k * (k**2 - 1))
        chi2 = chi2 / c if c > 0 else 0.0  # c = 0: every block all tied, no evidence of any difference
    chi2 = max(float(chi2), 0.0)
    denominator = n * (k - 1) - chi2
    ff = (n - 1) * chi2 / denominator if denominator > 0 else np.inf
    return {
        "statistic": chi2,
        "p_value": float(stats.chi2.sf(chi2, k - 1)),
        "iman_davenport": float(ff),
        "iman_davenport_p_value": float(stats.f.sf(ff, k - 1, (k - 1) * (n - 1))),
        "n_blocks": n,
        "n_groups": k,
        "average_ranks": ranks.sort_values(kind="stable"),
    }


# ----------------------------------------------------------------------------------------------- Nemenyi


def critical_difference(n_models: int, n_blocks: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of average ranks (Demšar 2006, section 3.2.2), in ranks.

    CD = q_alpha · sqrt(k(k+1) / (6N)) with q_alpha the upper-alpha quantile of the Studentized range of k
    means with infinite degrees of freedom, divided by sqrt(2) (Demšar's Table 5a: 2.569 for k = 4, 3.164 for
    k = 10 at alpha = 0.05). Two models whose average ranks differ by at least CD differ at level ``alpha``.
    ``n_models`` is k, ``n_blocks`` N (folds or repeats). Used by :func:`cd_diagram` (training chapters).
    """
    _check_count(n_models, "n_models", 2)
    _check_count(n_blocks, "n_blocks", 2)
    _check_alpha(alpha)
    q = stats.studentized_range.ppf(1 - alpha, n_models, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(n_models * (n_models + 1) / (6 * n_blocks)))


def pairs_resolvable_at_best(n_models: int, n_blocks: int, alpha: float = 0.05) -> int:
    """How many of the ``n_models`` (``n_models`` − 1) / 2 pairs the Nemenyi test could resolve if every one of
    the ``n_blocks`` runs ranked the models in the same order (average ranks exactly 1 … k): the pairs whose
    positions lie at least the :func:`critical_difference` apart. It bounds what a design can show whatever the
    data: ten models over three runs (CD 7.8) could separate at most 3 of 45 pairs, and never two neighbours of
    a ranking (that needs CD ≤ 1)."""
    cd = critical_difference(n_models, n_blocks, alpha)
    return sum(n_models - gap for gap in range(1, n_models) if gap >= cd)


def nemenyi(
    results: pd.DataFrame,
    metric: str = "accuracy",
    blocks: str = "run",
    groups: str = "model",
    *,
    scenario: str | None = None,
) -> pd.DataFrame:
    """Pairwise Nemenyi p-values: a square DataFrame models × models (best average rank first, diagonal 1).

    p = P(Q ≥ |R_i − R_j| / sqrt(k(k+1)/(6N)) · sqrt(2)) with Q Studentized-range distributed (k means,
    infinite degrees of freedom); the test controls the family-wise error over all k(k−1)/2 pairs, so a
    p-value below alpha is exactly an average-rank gap of at least :func:`critical_difference`. Inputs as in
    :func:`score_table`. Used by :func:`cd_diagram` and :func:`resolvable` (training chapters).
    """
    table = score_table(results, metric, blocks, groups, scenario)
    n, k = table.shape
    ranks = _average_ranks(table).sort_values(kind="stable")
    gap = np.abs(ranks.to_numpy()[:, None] - ranks.to_numpy()[None, :])
    p = stats.studentized_range.sf(gap / np.sqrt(k * (k + 1) / (6 * n)) * np.sqrt(2), k, np.inf)
    p = np.clip(p, 0.0, 1.0)
    np.fill_diagonal(p, 1.0)
    return pd.DataFrame(p, index=ranks.index, columns=ranks.index)


def cd_diagram(
    results: pd.DataFrame,
    metric: str = "accuracy",
    ax: Axes | None = None,
    alpha: float = 0.05,
    *,
    blocks: str = "run",
    groups: str = "model",
    scenario: str | None = None,
    title: str | None = None,
) -> Figure:
    """Critical-difference diagram (Demšar 2006, Figure 1a): models on the average-rank axis (rank 1 = best,
    at the left), a bar joining each largest group of models no pair of which differs by the Nemenyi test at
    ``alpha``, and the critical difference drawn above the axis. Drawn by scikit-posthocs'
    ``critical_difference_diagram`` on ``ax`` (a new figure when None). Returns the matplotlib figure.
    Inputs as in :func:`score_table`. Used by the training chapters, one diagram per scenario.
    """
    import matplotlib.pyplot as plt
    import scikit_posthocs
    from matplotlib.transforms import offset_copy

    _check_alpha(alpha)
    table = score_table(results, metric, blocks, groups, scenario)
    n, k = table.shape
    ranks = _average_ranks(table)
    pvalues = nemenyi(results, metric, blocks, groups, scenario=scenario)
    cd = critical_difference(k, n, alpha)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 1.6 + 0.3 * k))
    from .display import name

    scikit_posthocs.critical_difference_diagram(  # the models drawn by their names (AlexNet, not alexnet)
        ranks.rename(index=name),
        pvalues.rename(index=name, columns=name),
        alpha=alpha,
        ax=ax,
        label_fmt_left="{label} ({rank:.2f})",
        label_fmt_right="({rank:.2f}) {label}",
    )
    # the whole rank scale 1…k, so the CD bar is drawn to the same scale as the gaps between models
    ax.set_xlim(1 - 0.05 * k, k + 0.05 * k)
    ax.set_xticks(range(1, k + 1))
    # the CD as a bar above the tick labels (scikit-posthocs draws it at half a row, onto the labels)
    above = offset_copy(ax.transData, fig=ax.figure, y=22, units="points")
    start = 1.0
    ax.plot([start, start + cd], [0, 0], color="k", linewidth=1.5, transform=above, clip_on=False)
    ax.text(start + cd / 2, 0, f"CD = {cd:.2f}", ha="center", va="bottom", transform=above, fontsize=9)
    where = f"{name(scenario)}: " if scenario else ""
    ax.set_title(title or f"{where}average rank of {metric} over {n} {blocks}s (Nemenyi, α = {alpha:g})", pad=36)
    return ax.figure


# ------------------------------------------------------------------------------------- two models, k folds


def corrected_resampled_ttest(a: ArrayLike, b: ArrayLike, n_train: ArrayLike, n_test: ArrayLike) -> dict:
    """Nadeau & Bengio (2003) corrected resampled t-test of two models scored on the same k folds.

    ``a``, ``b``: (k,) scores of the two models, fold i of one paired with fold i of the other (same units as
    the metric, e.g. accuracy 0–1). ``n_train``, ``n_test``: images in the training and test part of a fold —
    numbers, or (k,) per-fold counts whose means are used. The paired differences d have variance estimate
    s² (ddof=1), inflated for the overlap of training sets from s²/k to (1/k + n_test/n_train) s²; then
    t = mean(d) / sqrt((1/k + n_test/n_train) s²) with k − 1 degrees of freedom, p two-sided. When every
    difference is equal, t is 0 (p = 1) if they are 0 and ±inf (p = 0) otherwise.

    Returns a dict: ``mean_difference`` (mean of a − b), ``t``, ``p_value``, ``df``, ``n_folds``. Used by
    :func:`best_against_others` (training chapters).
    """
    d, ratio = _paired_differences(a, b, n_train, n_test)
    k = len(d)
    mean = float(d.mean())
    scale = float(np.sqrt((1 / k + ratio) * d.var(ddof=1)))
    if scale > 0:
        t = mean / scale
        p = float(2 * stats.t.sf(abs(t), k - 1))
    else:
        t, p = (0.0, 1.0) if mean == 0 else (float(np.copysign(np.inf, mean)), 0.0)
    return {"mean_difference": mean, "t": float(t), "p_value": p, "df": k - 1, "n_folds": k}


def bayesian_correlated_ttest(
    a: ArrayLike, b: ArrayLike, n_train: ArrayLike, n_test: ArrayLike, rope: float = 0.01
) -> dict:
    """Bayesian correlated t-test (Corani & Benavoli 2015; Benavoli et al. 2017) of two models on the same k folds.

    The posterior of the mean difference μ of a − b is Student-t with k − 1 degrees of freedom, location
    mean(d) and scale sqrt((1/k + ρ/(1−ρ)) s²), ρ = n_test/(n_train + n_test) the correlation between folds
    (so ρ/(1−ρ) = n_test/n_train, the Nadeau–Bengio factor). ``rope`` (in metric units, default 0.01 = one
    point of accuracy) is the region of practical equivalence |μ| ≤ rope. Inputs as in
    :func:`corrected_resampled_ttest`. Returns a dict of ``p_a_better`` = P(μ > rope), ``p_rope``,
    ``p_b_better`` = P(μ < −rope) (summing to 1), ``mean_difference`` and ``scale``. With all differences
    equal the posterior is a point mass at their value. Used by :func:`best_against_others`.
    """
    if not (np.isfinite(rope) and rope >= 0):
        raise ValueError(f"rope must be a number ≥ 0 in the metric's units (e.g. 0.01 accuracy), got {rope!r}")
    d, ratio = _paired_differences(a, b, n_train, n_test)
    k = len(d)
    mean = float(d.mean())
    scale = float(np.sqrt((1 / k + ratio) * d.var(ddof=1)))
    if scale > 0:
        posterior = stats.t(k - 1, loc=mean, scale=scale)
        p_a, p_b = float(posterior.sf(rope)), float(posterior.cdf(-rope))
    else:
        p_a, p_b = float(mean > rope), float(mean < -rope)
    return {
        "p_a_better": p_a,
        "p_rope": max(0.0, 1.0 - p_a - p_b),
        "p_b_better": p_b,
        "mean_difference": mean,
        "scale": scale,
    }


def _paired_differences(a: ArrayLike, b: ArrayLike, n_train: ArrayLike, n_test: ArrayLike) -> tuple[np.ndarray, float]:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim != 1 or b.ndim != 1 or len(a) != len(b):
        raise ValueError(
            f"a and b must be 1-D scores of the same folds, one per fold; got shapes {a.shape} and {b.shape}"
        )
    if len(a) < 2:
        raise ValueError(f"a paired test needs scores of at least 2 folds, got {len(a)}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError(f"scores must be finite; a has {np.sum(~np.isfinite(a))}, b {np.sum(~np.isfinite(b))} not")
    sizes = {}
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        v = np.asarray(value, dtype=float)
        low_ok = np.all(v > 0) if name == "n_train" else np.all(v >= 0)  # n_test 0: no overlap to correct for
        if v.size == 0 or not np.all(np.isfinite(v)) or not low_ok or v.ndim > 1 or v.size not in (1, len(a)):
            raise ValueError(f"{name} must be a positive count, or one per fold ({len(a)}), got {value!r}")
        sizes[name] = float(v.mean())
    return a - b, sizes["n_test"] / sizes["n_train"]


# ---------------------------------------------------------------------------------------- summary tables


def best_against_others(
    results: pd.DataFrame,
    metric: str = "accuracy",
    rope: float = 0.01,
    *,
    credibility: float = 0.95,
    blocks: str = "run",
    groups: str = "model",
    scenario: str | None = None,
) -> pd.DataFrame:
    """The model with the highest mean ``metric`` against each other model, on the same runs.

    One row per other model (by mean, best first): ``best``, ``other``, ``mean_best``, ``mean_other``,
    ``mean_difference`` (best − other, metric units), ``t``, ``p_value`` (:func:`corrected_resampled_ttest`,
    two-sided), ``p_best_better``, ``p_rope``, ``p_other_better`` (:func:`bayesian_correlated_ttest` with
    ``rope``) and ``verdict``:

    * ``"better"`` — P(best − other > rope) ≥ ``credibility``;
    * ``"equivalent within rope"`` — P(|best − other| ≤ rope) ≥ ``credibility``;
    * ``"cannot tell"`` — neither (the data leave a credible chance of each).

    ``results`` needs the columns ``n_train`` and ``n_test`` besides those of :func:`score_table`; their
    means over the two models' rows give the correction. With ``rope=0`` and credibility 0.95, "better" is
    the corrected t-test's one-sided p ≤ 0.05. Used by the training chapters.
    """
    if not 0.5 < credibility < 1:
        raise ValueError(f"credibility must lie between 0.5 and 1 (e.g. 0.95), got {credibility!r}")
    table = score_table(results, metric, blocks, groups, scenario)
    rows = _one_scenario(results, scenario)
    require_columns(rows, ["n_train", "n_test"], "results", expected="the training and test sizes of each run")
    means = _mean_order(table)
    best = means.index[0]
    out = []
    for other in means.index[1:]:
        pair = rows[rows[groups].isin([best, other])]
        n_train, n_test = pair["n_train"].astype(float).mean(), pair["n_test"].astype(float).mean()
        freq = corrected_resampled_ttest(table[best], table[other], n_train, n_test)
        bayes = bayesian_correlated_ttest(table[best], table[other], n_train, n_test, rope)
        if bayes["p_a_better"] >= credibility:
            verdict = VERDICTS[0]
        elif bayes["p_rope"] >= credibility:
            verdict = VERDICTS[1]
        else:
            verdict = VERDICTS[2]
        out.append(
            {
                "best": best,
                "other": other,
                "mean_best": means[best],
                "mean_other": means[other],
                "mean_difference": freq["mean_difference"],
                "t": freq["t"],
                "p_value": freq["p_value"],
                "p_best_better": bayes["p_a_better"],
                "p_rope": bayes["p_rope"],
                "p_other_better": bayes["p_b_better"],
                "verdict": verdict,
            }
        )
    return pd.DataFrame(out)


def resolvable(
    results: pd.DataFrame,
    metric: str = "accuracy",
    alpha: float = 0.05,
    *,
    blocks: str = "run",
    groups: str = "model",
    scenario: str | None = None,
) -> pd.DataFrame:
    """Which steps of the mean-based ranking (the paper's bar order) the data resolve.

    One row per neighbour pair in the order of mean ``metric`` (best first): ``position`` (1 = first vs
    second), ``higher``, ``lower``, ``mean_higher``, ``mean_lower``, ``mean_difference``, ``rank_higher``,
    ``rank_lower`` (average Friedman ranks), ``rank_gap`` (lower's rank − higher's), ``critical_difference``,
    ``nemenyi_p`` and ``resolved`` — True when ``nemenyi_p`` < ``alpha``, i.e. the rank gap is at least the
    critical difference (a gap in the wrong direction, where means and ranks disagree, is never resolved).
    Inputs as in :func:`score_table`. Used by the training chapters to say which rankings the data support.
    """
    _check_alpha(alpha)
    table = score_table(results, metric, blocks, groups, scenario)
    n, k = table.shape
    means = _mean_order(table)
    ranks = _average_ranks(table)
    pvalues = nemenyi(results, metric, blocks, groups, scenario=scenario)
    cd = critical_difference(k, n, alpha)
    out = []
    for i, (hi, lo) in enumerate(zip(means.index[:-1], means.index[1:]), start=1):
        gap = ranks[lo] - ranks[hi]
        p = float(pvalues.at[hi, lo])
        out.append(
            {
                "position": i,
                "higher": hi,
                "lower": lo,
                "mean_higher": means[hi],
                "mean_lower": means[lo],
                "mean_difference": means[hi] - means[lo],
                "rank_higher": ranks[hi],
                "rank_lower": ranks[lo],
                "rank_gap": gap,
                "critical_difference": cd,
                "nemenyi_p": p,
                "resolved": bool(gap > 0 and p < alpha),
            }
        )
    return pd.DataFrame(out)


def _mean_order(table: pd.DataFrame) -> pd.Series:
    """Mean score per group, highest first (ties by better average rank, then by name)."""
    frame = pd.DataFrame({"mean": table.mean(axis=0), "rank": _average_ranks(table)})
    frame["name"] = frame.index.astype(str)
    frame = frame.sort_values(["mean", "rank", "name"], ascending=[False, True, True], kind="stable")
    return frame["mean"]


def _check_count(value: int, name: str, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} must be a whole number ≥ {least}, got {value!r}")


def _check_alpha(alpha: float) -> None:
    if not (isinstance(alpha, (float, int)) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a significance level between 0 and 1 (e.g. 0.05), got {alpha!r}")


def scenario_tests(results: pd.DataFrame, metric: str = "accuracy", alpha: float = 0.05, rope: float = 0.01) -> dict:
    """Everything chapter 04 reports for one scenario: ``friedman`` (:func:`friedman`), ``best_against_others``
    and ``resolvable`` tables, and ``n_resolved`` of ``n_pairs`` neighbouring pairs of the ranking that the data
    resolve."""
    table = resolvable(results, metric, alpha)
    pairwise = results
    if set(results.get("scenario", [])) == {"cross_dataset"}:
        # Repeats of PAIN-DB → CP-PAIN train and test on the same sets and differ only by seed: no training set
        # overlaps another, so Nadeau and Bengio's correction (n_test / n_train) does not apply.
        pairwise = results.assign(n_test=0)
    return {
        "friedman": friedman(results, metric),
        "best_against_others": best_against_others(pairwise, metric, rope),
        "resolvable": table,
        "n_resolved": int(table["resolved"].sum()),
        "n_pairs": len(table),
    }
