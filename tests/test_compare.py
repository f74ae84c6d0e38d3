"""painlib.compare against independent truth: Demšar (2006)'s worked example, SciPy, scikit-posthocs, and hand
computations written out below."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from painlib import compare  # noqa: E402

# Demšar (2006), JMLR 7, Table 6: AUC of four C4.5 variants on 14 UCI data sets (5-fold CV averages).
DEMSAR_MODELS = ["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"]
DEMSAR_DATASETS = [
    "adult (sample)",
    "breast cancer",
    "breast cancer wisconsin",
    "cmc",
    "ionosphere",
    "iris",
    "liver disorders",
    "lung cancer",
    "lymphography",
    "mushroom",
    "primary tumor",
    "rheum",
    "voting",
    "wine",
]
DEMSAR_AUC = [
    [0.763, 0.768, 0.771, 0.798],
    [0.599, 0.591, 0.590, 0.569],
    [0.954, 0.971, 0.968, 0.967],
    [0.628, 0.661, 0.654, 0.657],
    [0.882, 0.888, 0.886, 0.898],
    [0.936, 0.931, 0.916, 0.931],
    [0.661, 0.668, 0.609, 0.685],
    [0.583, 0.583, 0.563, 0.625],
    [0.775, 0.838, 0.866, 0.875],
    [1.000, 1.000, 1.000, 1.000],
    [0.940, 0.962, 0.965, 0.962],
    [0.619, 0.666, 0.614, 0.669],
    [0.972, 0.981, 0.975, 0.975],  # printed tied; the paper ranks them 2 and 3 (from unrounded AUCs)
    [0.957, 0.978, 0.946, 0.970],
]
DEMSAR_RANKS = {"C4.5": 3.143, "C4.5+m": 2.000, "C4.5+cf": 2.893, "C4.5+m+cf": 1.964}


def demsar_table(break_voting_tie: bool = True) -> pd.DataFrame:
    """Table 6 as a long results table (model, dataset, auc). The voting row prints C4.5+cf and C4.5+m+cf
    both as 0.975 but ranks them 2 and 3; 0.9751 reproduces the paper's ranks."""
    auc = np.array(DEMSAR_AUC)
    if break_voting_tie:
        auc[DEMSAR_DATASETS.index("voting"), 2] = 0.9751
    wide = pd.DataFrame(auc, index=pd.Index(DEMSAR_DATASETS, name="dataset"), columns=DEMSAR_MODELS)
    return wide.reset_index().melt(id_vars="dataset", var_name="model", value_name="auc")


def cnn_results(n_models: int = 10, n_folds: int = 5, seed: int = 0, scenario: str = "image_wise") -> pd.DataFrame:
    """A results table shaped like run_scenario's: ten CNNs, five folds, fold difficulty shared by all."""
    rng = np.random.default_rng(seed)
    skill = np.linspace(0.90, 0.78, n_models)
    fold = rng.normal(0, 0.02, n_folds)
    rows = []
    for m in range(n_models):
        for r in range(n_folds):
            acc = float(np.clip(skill[m] + fold[r] + rng.normal(0, 0.01), 0, 1))
            rows.append(
                {"scenario": scenario, "model": f"cnn{m}", "run": r, "accuracy": acc, "f1": acc - 0.02}
                | {"auc": acc + 0.03, "n_train": 800 + (r == 0), "n_test": 200 - (r == 0)}
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------- Demšar's worked example


def test_demsar_average_ranks_friedman_and_iman_davenport():
    out = compare.friedman(demsar_table(), "auc", blocks="dataset", tie_correction=False)
    assert out["n_blocks"] == 14 and out["n_groups"] == 4
    assert out["average_ranks"].round(3).to_dict() == DEMSAR_RANKS
    assert list(out["average_ranks"].index) == ["C4.5+m+cf", "C4.5+m", "C4.5+cf", "C4.5"]  # best first
    assert out["statistic"] == pytest.approx(9.28, abs=0.005)  # chi²_F in section 3.2.2
    assert out["iman_davenport"] == pytest.approx(3.69, abs=0.005)  # F_F
    assert out["iman_davenport"] > 2.85  # "the critical value of F(3, 39) for α = 0.05 is 2.85, so we reject"


def test_demsar_formula_from_published_ranks_against_scipy():
    # Demšar's formula on the published average ranks, by hand: 12·14/(4·5) [Σ R² − 4·5²/4] = 9.28.
    ranks = np.array(list(DEMSAR_RANKS.values()))
    chi2 = 12 * 14 / (4 * 5) * (np.sum(ranks**2) - 4 * 5**2 / 4)
    assert chi2 == pytest.approx(9.28, abs=0.01)
    # SciPy corrects for ties; Table 6 ties two AUCs on iris, lung cancer and primary tumor and all four on
    # mushroom: Σ(t³ − t) = 6 + 6 + 6 + 60 = 78 over N·k(k² − 1) = 14·4·15 = 840.
    auc = np.array(DEMSAR_AUC)
    auc[DEMSAR_DATASETS.index("voting"), 2] = 0.9751
    scipy_chi2 = stats.friedmanchisquare(*auc.T).statistic
    assert scipy_chi2 == pytest.approx(chi2 / (1 - 78 / 840), abs=0.01)
    assert compare.friedman(demsar_table(), "auc", blocks="dataset")["statistic"] == pytest.approx(scipy_chi2)


def test_critical_difference_and_q_values_of_demsar_table_5():
    assert compare.critical_difference(4, 14) == pytest.approx(1.25, abs=0.01)
    assert compare.critical_difference(4, 14, alpha=0.10) == pytest.approx(1.12, abs=0.01)
    for k, alpha, q in ((4, 0.05, 2.569), (10, 0.05, 3.164), (4, 0.10, 2.291), (10, 0.10, 2.920)):
        n = 5
        assert compare.critical_difference(k, n, alpha) / np.sqrt(k * (k + 1) / (6 * n)) == pytest.approx(q, abs=1e-3)


def test_nemenyi_on_demsar_finds_the_papers_groups():
    p = compare.nemenyi(demsar_table(), "auc", blocks="dataset")
    assert list(p.index) == list(p.columns) == ["C4.5+m+cf", "C4.5+m", "C4.5+cf", "C4.5"]
    np.testing.assert_allclose(p.to_numpy(), p.to_numpy().T)
    assert np.all(np.diag(p) == 1)
    # α = 0.05: "even the difference between the best and the worst … is smaller [than CD]".
    assert (p.to_numpy() >= 0.05).all()
    # α = 0.10: pure C4.5 is worse than C4.5+m and C4.5+m+cf; nothing can be said of C4.5+cf.
    significant = {frozenset((a, b)) for a in p.index for b in p.columns if p.at[a, b] < 0.10}
    assert significant == {frozenset(("C4.5", "C4.5+m")), frozenset(("C4.5", "C4.5+m+cf"))}


def test_resolvable_on_demsar_example():
    table = compare.resolvable(demsar_table(), "auc", alpha=0.10, blocks="dataset")
    assert list(table["higher"]) == ["C4.5+m+cf", "C4.5+m", "C4.5+cf"]  # mean AUC order
    assert list(table["lower"]) == ["C4.5+m", "C4.5+cf", "C4.5"]
    assert not table["resolved"].any()  # neighbours never differ by CD = 1.12; only C4.5 vs the m variants do
    assert table["critical_difference"].iloc[0] == pytest.approx(1.12, abs=0.01)


# ------------------------------------------------------------------------------------ second libraries


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_friedman_agrees_with_scipy_on_random_data(seed):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.uniform(0.6, 0.9, size=(5, 10)), 2)  # two decimals: ties happen
    long = pd.DataFrame(scores).rename_axis("run").reset_index().melt(id_vars="run", var_name="model")
    long = long.rename(columns={"value": "accuracy"})
    out = compare.friedman(long)
    ref = stats.friedmanchisquare(*scores.T)
    assert out["statistic"] == pytest.approx(ref.statistic, rel=1e-12)
    assert out["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert out["n_blocks"] == 5 and out["n_groups"] == 10


def test_nemenyi_agrees_with_scikit_posthocs():
    import scikit_posthocs as sp  # a dependency: a broken install must fail, not skip

    results = cnn_results(seed=3)
    ours = compare.nemenyi(results)
    wide = results.pivot(index="run", columns="model", values="accuracy")
    theirs = sp.posthoc_nemenyi_friedman(wide.to_numpy())  # ranks ascending; the gaps, and so p, are the same
    theirs.index = theirs.columns = wide.columns
    pd.testing.assert_frame_equal(ours, theirs.loc[ours.index, ours.columns], check_names=False, atol=1e-9)


def test_higher_score_is_rank_one():
    results = cnn_results()
    out = compare.friedman(results)
    assert out["average_ranks"].index[0] == "cnn0" and out["average_ranks"].iloc[0] < 2
    assert out["average_ranks"].is_monotonic_increasing


# ------------------------------------------------------------------------------- corrected and Bayesian t


A = [0.80, 0.82, 0.78, 0.81, 0.79]
B = [0.78, 0.79, 0.77, 0.80, 0.76]


def test_corrected_resampled_ttest_by_hand():
    # d = a − b = [0.02, 0.03, 0.01, 0.01, 0.03]: mean 0.02; deviations 0, ±0.01 → s² = 4·0.0001/4 = 0.0001.
    # k = 5 folds, n_test/n_train = 100/400 = 0.25: variance (1/5 + 0.25)·0.0001 = 0.000045,
    # t = 0.02 / sqrt(0.000045) = 2.98142, 4 degrees of freedom, two-sided p = 0.04068.
    out = compare.corrected_resampled_ttest(A, B, n_train=400, n_test=100)
    assert out["mean_difference"] == pytest.approx(0.02)
    assert out["t"] == pytest.approx(2.98142, abs=1e-4)
    assert out["df"] == 4 and out["n_folds"] == 5
    assert out["p_value"] == pytest.approx(2 * stats.t.sf(2.98142, 4), abs=1e-5)
    assert out["p_value"] == pytest.approx(0.0407, abs=1e-4)
    # per-fold sizes are averaged: the same answer
    same = compare.corrected_resampled_ttest(A, B, [399, 401, 400, 400, 400], [101, 99, 100, 100, 100])
    assert same["p_value"] == pytest.approx(out["p_value"])


def test_correction_makes_p_larger_than_the_naive_paired_test():
    naive = stats.ttest_rel(A, B)  # t = 0.02 / sqrt(0.0001/5) = 4.4721
    assert naive.statistic == pytest.approx(4.4721, abs=1e-4)
    corrected = compare.corrected_resampled_ttest(A, B, n_train=400, n_test=100)
    assert corrected["p_value"] > naive.pvalue
    assert abs(corrected["t"]) < abs(naive.statistic)
    # the correction vanishes as n_test/n_train → 0: back to the naive test
    tiny = compare.corrected_resampled_ttest(A, B, n_train=1e12, n_test=1)
    assert tiny["p_value"] == pytest.approx(naive.pvalue, rel=1e-6)


def test_bayesian_correlated_ttest_by_hand():
    # Posterior of μ: Student t, 4 df, location 0.02, scale sqrt(0.000045) = 0.0067082 (as above).
    out = compare.bayesian_correlated_ttest(A, B, 400, 100, rope=0.01)
    scale = np.sqrt(0.000045)
    assert out["scale"] == pytest.approx(scale)
    assert out["p_a_better"] == pytest.approx(stats.t.sf((0.01 - 0.02) / scale, 4))  # P(μ > 0.01)
    assert out["p_b_better"] == pytest.approx(stats.t.cdf((-0.01 - 0.02) / scale, 4))  # P(μ < −0.01)
    assert out["p_a_better"] + out["p_rope"] + out["p_b_better"] == pytest.approx(1)
    # without a rope, P(b better) is the corrected t-test's one-sided p
    no_rope = compare.bayesian_correlated_ttest(A, B, 400, 100, rope=0)
    p = compare.corrected_resampled_ttest(A, B, 400, 100)["p_value"]
    assert no_rope["p_b_better"] == pytest.approx(p / 2)
    # equal differences in every fold: a point mass
    assert compare.bayesian_correlated_ttest([0.9, 0.8], [0.85, 0.75], 4, 1)["p_a_better"] == 1.0
    assert compare.corrected_resampled_ttest([0.9, 0.8], [0.9, 0.8], 4, 1)["p_value"] == 1.0


def test_best_against_others_verdicts():
    rng = np.random.default_rng(7)
    fold = rng.normal(0, 0.02, 10)
    means = {"best": 0.90, "twin": 0.8995, "weak": 0.80, "noisy": 0.885}
    noise = {"best": 0.001, "twin": 0.001, "weak": 0.001, "noisy": 0.03}
    rows = [
        {"model": m, "run": r, "accuracy": means[m] + fold[r] + rng.normal(0, noise[m]), "n_train": 900, "n_test": 100}
        for m in means
        for r in range(10)
    ]
    out = compare.best_against_others(pd.DataFrame(rows), rope=0.01).set_index("other")
    assert set(out["best"]) == {"best"} and list(out.index) == ["twin", "noisy", "weak"]  # by mean
    assert out.at["weak", "verdict"] == "better"
    assert out.at["twin", "verdict"] == "equivalent within rope"
    assert out.at["noisy", "verdict"] == "cannot tell"
    # the verdict is exactly the stated rule on the columns
    rule = np.where(
        out["p_best_better"] >= 0.95, "better", np.where(out["p_rope"] >= 0.95, "equivalent within rope", "cannot tell")
    )
    assert list(out["verdict"]) == list(rule)
    assert (out["mean_difference"] > 0).all() and out["p_value"].between(0, 1).all()


def test_resolvable_matches_nemenyi_and_critical_difference():
    results = cnn_results()
    table = compare.resolvable(results, alpha=0.05)
    assert len(table) == 9 and list(table["position"]) == list(range(1, 10))
    cd = compare.critical_difference(10, 5)
    assert table["critical_difference"].eq(cd).all()
    assert list(table["resolved"]) == list((table["rank_gap"] >= cd) & (table["rank_gap"] > 0))
    assert list(table["resolved"]) == list((table["nemenyi_p"] < 0.05) & (table["rank_gap"] > 0))
    # ten models on five folds: CD = 6.06 ranks, no neighbour pair can be resolved
    assert cd == pytest.approx(3.164 * np.sqrt(10 * 11 / 30), abs=1e-3) and not table["resolved"].any()
    # with two models and many blocks of a consistent winner, the order is resolved
    two = cnn_results(n_models=2, n_folds=30)
    assert compare.resolvable(two)["resolved"].all()


# ------------------------------------------------------------------------------------------ bad input


def test_incomplete_table_names_what_is_missing():
    results = cnn_results()
    gap = results.drop(results.index[(results["model"] == "cnn3") & (results["run"] == 2)])
    with pytest.raises(ValueError, match=r"incomplete results.*model 'cnn3' has no row for run \[2\]"):
        compare.friedman(gap)
    nan = results.copy()
    nan.loc[(nan["model"] == "cnn5") & (nan["run"].isin([0, 4])), "auc"] = np.nan
    with pytest.raises(ValueError, match=r"model 'cnn5' has no auc in run \[0, 4\]"):
        compare.nemenyi(nan, "auc")
    compare.nemenyi(nan, "accuracy")  # other metrics are complete


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[d["model"] == "cnn0"], r"at least 2 models and 2 runs; got 1 model"),
        (lambda d: d[d["run"] == 0], r"at least 2 models and 2 runs; got 10 model\(s\) .* and 1 run"),
        (lambda d: pd.concat([d, d.iloc[[0]]]), r"more than one row for \(model, run\) \[\('cnn0', 0\)\]"),
        (lambda d: d.drop(columns="run"), r"missing column\(s\) \['run'\]"),
        (lambda d: d.assign(accuracy="high"), r"'accuracy' must be numeric"),
        (lambda d: pd.concat([d, d.assign(scenario="subject_wise")]), r"several scenarios.*pass scenario="),
    ],
)
def test_bad_tables_raise(mutate, message):
    with pytest.raises(ValueError, match=message):
        compare.friedman(mutate(cnn_results()))


def test_scenario_selection():
    both = pd.concat([cnn_results(), cnn_results(seed=1, scenario="subject_wise")])
    assert compare.friedman(both, scenario="subject_wise")["n_blocks"] == 5
    with pytest.raises(ValueError, match=r"no results for scenario 'cross_dataset'; found"):
        compare.friedman(both, scenario="cross_dataset")
    with pytest.raises(ValueError, match="n_train"):
        compare.best_against_others(cnn_results().drop(columns="n_train"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: compare.critical_difference(1, 5), "n_models must be a whole number ≥ 2"),
        (lambda: compare.critical_difference(4, 2.5), "n_blocks must be a whole number"),
        (lambda: compare.critical_difference(4, 14, alpha=5), "alpha must be a significance level"),
        (lambda: compare.corrected_resampled_ttest(A, B[:4], 400, 100), r"same folds.*\(5,\) and \(4,\)"),
        (lambda: compare.corrected_resampled_ttest([0.8], [0.7], 400, 100), "at least 2 folds"),
        (lambda: compare.corrected_resampled_ttest(A, B, 0, 100), "n_train must be a positive count"),
        (lambda: compare.corrected_resampled_ttest(A, B, 400, [100, 100]), "n_test must be a positive count"),
        (lambda: compare.corrected_resampled_ttest(A, [np.nan] * 5, 400, 100), "scores must be finite"),
        (lambda: compare.bayesian_correlated_ttest(A, B, 400, 100, rope=-0.1), "rope must be a number ≥ 0"),
    ],
)
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------------------------- figure


def test_cd_diagram_ten_models_five_folds():
    fig = compare.cd_diagram(cnn_results(), scenario="image_wise")
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    assert len(ax.texts) >= 10  # a label per model (and the CD)
    assert ax.get_title().startswith("image-wise: ")  # the scenario and the models by their names
    named = compare.cd_diagram(cnn_results().replace({"model": {"cnn0": "alexnet", "cnn1": "resnet101v2"}}))
    labels = " ".join(t.get_text() for t in named.axes[0].texts)
    assert "AlexNet" in labels and "ResNet101V2" in labels and "alexnet" not in labels
    plt.close(named)
    plt.close(fig)
    fig2, ax2 = plt.subplots()
    assert compare.cd_diagram(demsar_table(), "auc", ax=ax2, alpha=0.10, blocks="dataset") is fig2
    plt.close(fig2)
