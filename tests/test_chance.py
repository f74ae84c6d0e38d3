"""The learned criterion (painlib.chance): permutation tests of held-out predictions against chance."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from painlib import chance


def _predictions(score, label, runs=3, threshold=0.5):
    score, label = np.asarray(score, float), np.asarray(label, int)
    return pd.DataFrame(
        {
            "model": "m",
            "run": np.arange(len(label)) % runs,
            "label": label,
            "prob_pain": score,
            "pred": (score >= threshold).astype(int),
        }
    )


def _labels(n=300, seed=0):
    return np.random.default_rng(seed).permutation(np.arange(n) % 2)


def test_pooled_statistics_are_sklearn_auc_and_balanced_accuracy():
    rng = np.random.default_rng(1)
    label = _labels()
    score = np.clip(0.5 + 0.2 * (label - 0.5) + rng.normal(0, 0.2, len(label)), 0, 1)
    pred = (score >= 0.5).astype(int)
    out = chance.permutation_test(label, score, pred, np.arange(len(label)) % 3, n_permutations=99)
    assert out["auc"] == pytest.approx(roc_auc_score(label, score))
    assert out["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(label, pred))


def test_one_block_auc_p_value_agrees_with_mann_whitney():
    """A second library's answer: with one block the AUC test is the one-sided Mann–Whitney U test."""
    rng = np.random.default_rng(2)
    label = _labels(120, seed=2)
    score = rng.normal(0.15 * label, 1.0)
    ours = chance.permutation_test(label, score, score > 0, np.zeros(len(label)), n_permutations=20000, seed=3)
    theirs = stats.mannwhitneyu(score[label == 1], score[label == 0], alternative="greater", method="exact").pvalue
    assert ours["p_auc"] == pytest.approx(theirs, abs=0.01)


def test_constant_predictor_has_not_learned():
    label = _labels()
    table = chance.learning_table(_predictions(np.full(len(label), 0.7), label))
    row = table.iloc[0]
    assert row["auc"] == pytest.approx(0.5) and row["balanced_accuracy"] == pytest.approx(0.5)
    assert row["p_auc"] == 1.0 and not row["both_classes"] and not row["learned"]


def test_random_predictions_have_not_learned():
    label = _labels()
    learned = [
        chance.learning_table(_predictions(np.random.default_rng(s).random(len(label)), label), seed=s).iloc[0]
        for s in range(20)
    ]
    assert sum(r["learned"] for r in learned) <= 2  # α = 0.05: about one in twenty by chance
    assert np.mean([r["p_auc"] for r in learned]) == pytest.approx(0.5, abs=0.2)


def test_perfect_predictions_have_learned():
    label = _labels()
    row = chance.learning_table(_predictions(label * 0.8 + 0.1, label)).iloc[0]
    assert row["auc"] == 1.0 and row["balanced_accuracy"] == 1.0
    assert row["p_value"] == pytest.approx(1 / 5000) and row["learned"]


def test_ranking_without_deciding_is_not_learning():
    """Scores that rank well but never cross the threshold: AUC high, one class predicted, not learned."""
    label = _labels()
    row = chance.learning_table(_predictions(0.1 + 0.3 * label, label)).iloc[0]
    assert row["auc"] == 1.0 and row["p_auc"] < 0.001
    assert not row["both_classes"] and not row["learned"]


def test_labels_are_permuted_within_runs_only():
    """A run whose test set is all pain keeps all pain in every permutation: its share cannot move."""
    label = np.array([1] * 50 + [0, 1] * 50)
    block = np.array([0] * 50 + [1] * 100)
    score = np.linspace(0, 1, len(label))
    out = chance.permutation_test(label, score, score > 0.5, block, n_permutations=200)
    assert 0 <= out["p_auc"] <= 1


def test_holm_over_a_larger_family_is_conservative():
    """Padding the unseen members of a family with p = 1 never adjusts below the full family's Holm values."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(4)
    for _ in range(200):
        full = rng.uniform(0, 0.02, 9)
        seen = rng.choice(9, 3, replace=False)
        truth = multipletests(full, method="holm")[1][seen]
        assert np.all(chance.holm(full[seen], family_size=9) >= truth - 1e-12)
    with pytest.raises(ValueError, match="smaller"):
        chance.holm(np.array([0.1, 0.2]), family_size=1)


def test_choose_threshold_maximises_balanced_accuracy():
    label = np.array([0, 0, 0, 1, 1, 1])
    score = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.9])
    t = chance.choose_threshold(label, score)
    assert balanced_accuracy_score(label, score >= t) == 1.0 and 0.3 < t <= 0.35
    assert chance.choose_threshold(np.zeros(4), np.arange(4)) == 0.5  # one class: keep the usual threshold


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="pred"):
        chance.learning_table(pd.DataFrame({"model": [], "run": [], "label": [], "prob_pain": []}))


def test_repeats_on_one_test_set_are_not_independent_evidence():
    """Three repeats predicting the same weakly informative scores: the image-level permutation gives the p-value
    of one repeat, where permuting rows independently per repeat would triple the evidence."""
    rng = np.random.default_rng(5)
    label = _labels(120, seed=5)
    score = rng.normal(0.35 * label, 1.0)
    one = chance.permutation_test(label, score, score > 0, np.zeros(120), 4000, image=np.arange(120))
    triple = dict(label=np.tile(label, 3), score=np.tile(score, 3), predicted=np.tile(score > 0, 3))
    block = np.repeat([0, 1, 2], 120)
    shared = chance.permutation_test(**triple, block=block, n_permutations=4000, image=np.tile(np.arange(120), 3))
    rows = chance.permutation_test(**triple, block=block, n_permutations=4000)
    assert shared["p_auc"] == pytest.approx(one["p_auc"], abs=0.02)
    assert 0.005 < shared["p_auc"] < 0.2 and rows["p_auc"] < shared["p_auc"] / 3
    with pytest.raises(ValueError, match="different labels"):
        chance.permutation_test(
            np.array([0, 1]), np.array([0.1, 0.2]), np.array([0, 1]), np.array([0, 1]), 9, image=np.array([7, 7])
        )


def _learning(values: dict[str, list[float]], learned=True) -> pd.DataFrame:
    """A learning table indexed by (scenario, model) with the given AUC per network in each scenario."""
    rows = [
        {"scenario": s, "model": f"m{i}", "auc": a, "learned": learned}
        for s, aucs in values.items()
        for i, a in enumerate(aucs)
    ]
    return pd.DataFrame(rows).set_index(["scenario", "model"])


def test_scenario_order_resolves_a_consistent_fall_and_only_that():
    from painlib import report

    falling = _learning(
        {
            "image_wise": [0.9, 0.85, 0.8, 0.82, 0.88, 0.9],
            "subject_wise": [0.7, 0.72, 0.66, 0.7, 0.71, 0.69],
            "cross_dataset": [0.71, 0.69, 0.67, 0.72, 0.7, 0.68],
        }
    )
    order = chance.scenario_order(falling)
    assert list(order["verdict"]) == ["falls", "not resolved"]
    assert order["networks"].tolist() == [6, 6] and order.loc[0, "p_value"] == pytest.approx(1 / 64)
    said = report.scenario_order_sentence(order, pd.Series({"image_wise": 3, "subject_wise": 3, "cross_dataset": 1}))
    assert "reproduced" in said and "not resolved" in said
    flat = _learning({"image_wise": [0.7] * 6, "subject_wise": [0.7] * 6, "cross_dataset": [0.7] * 6})
    assert set(chance.scenario_order(flat)["verdict"]) == {"not resolved"}  # no difference at all
    few = _learning({"image_wise": [0.9] * 3, "subject_wise": [0.6] * 3, "cross_dataset": [0.5] * 3})
    assert set(chance.scenario_order(few)["verdict"]) == {"too few networks"}
    unlearned = _learning({"image_wise": [0.9] * 6, "subject_wise": [0.6] * 6, "cross_dataset": [0.5] * 6}, False)
    assert chance.scenario_order(unlearned)["networks"].tolist() == [0, 0]
    missing = pd.Series({"image_wise": 0, "subject_wise": 3, "cross_dataset": 1})
    assert "run those pages first" in report.scenario_order_sentence(order, missing)


def test_scenario_order_leaves_out_a_network_trained_differently_in_the_two_scenarios():
    from painlib import report

    falling = _learning(
        {
            "image_wise": [0.9, 0.85, 0.8, 0.82, 0.88, 0.9],
            "subject_wise": [0.7, 0.72, 0.66, 0.7, 0.71, 0.69],
            "cross_dataset": [0.6] * 6,
        }
    )
    epochs = pd.Series(12, index=falling.index)
    epochs[("cross_dataset", "m0")] = 24  # m0 trained twice as long on PAIN-DB → CP-PAIN
    order = chance.scenario_order(falling, trained_as=epochs)
    assert order["networks"].tolist() == [6, 5] and order["trained differently"].tolist() == [0, 1]
    assert order["verdict"].tolist() == ["falls", "falls"]  # 5 networks, all fell: 1/32
    said = report.scenario_order_sentence(order, pd.Series({"image_wise": 3, "subject_wise": 3, "cross_dataset": 1}))
    assert "1 network that learned in both but trained with other settings" in said
    assert "5 networks that learned in both with the same settings" in said
    assert chance.scenario_order(falling)["trained differently"].tolist() == [0, 0]


def test_best_rate_against_the_rest_on_the_same_images():
    rng = np.random.default_rng(6)
    label = _labels(200, seed=6)
    good, poor = rng.normal(1.5 * label, 1.0), rng.normal(0.0, 1.0, 200)
    rows = [
        pd.DataFrame({"path": np.arange(200), "label": label, "prob_pain": s, "model": "m", "learning_rate": r})
        for s, r in ((good, 0.001), (poor, 0.01), (good + rng.normal(0, 0.05, 200), 0.0001))
    ]
    table = chance.best_against_rest(pd.concat(rows), n_boot=300).set_index("other learning_rate")
    assert (table["best learning_rate"] != 0.01).all()
    assert table.loc[0.01, "resolved"] and table.loc[0.01, "low"] > 0
    other = 0.0001 if 0.0001 in table.index else 0.001
    assert not table.loc[other, "resolved"]  # nearly the same scores: the difference is not resolved


def test_the_auc_difference_resamples_people_when_it_knows_them():
    # one image per person, then every image copied ten times (ten identical frames of each person): copies add
    # no evidence, so the interval over people stays as wide, while an interval over images narrows by about √10
    rng = np.random.default_rng(3)
    label = _labels(120, seed=3)
    a, b = rng.normal(0.8 * label, 1.0), rng.normal(0.4 * label, 1.0)
    people = np.arange(120)
    once = chance.paired_auc_difference(label, a, b, n_boot=1500, seed=1, group=people)
    copies = [np.repeat(v, 10) for v in (label, a, b, people)]
    by_people = chance.paired_auc_difference(*copies[:3], n_boot=1500, seed=1, group=copies[3])
    by_images = chance.paired_auc_difference(*copies[:3], n_boot=1500, seed=1)
    width = {k: r["high"] - r["low"] for k, r in (("once", once), ("people", by_people), ("images", by_images))}
    assert by_people["difference"] == pytest.approx(once["difference"])
    assert width["people"] == pytest.approx(width["once"], rel=0.15)
    assert width["images"] < 0.5 * width["people"]
    # the sweep's table uses people when the predictions name them
    rows = pd.DataFrame({"path": np.arange(1200), "subject": copies[3], "label": copies[0]})
    sweep = pd.concat(
        [rows.assign(prob_pain=s, model="m", learning_rate=r) for s, r in ((copies[1], 0.001), (copies[2], 0.01))]
    )
    table = chance.best_against_rest(sweep, n_boot=1500, seed=1).iloc[0]
    assert table["high"] - table["low"] == pytest.approx(width["people"], rel=0.15)


def test_the_papers_values_are_said_where_it_states_them():
    from painlib import report

    accuracy = pd.Series({"songnet": 0.61, "resnet50": 0.66})
    assert "InceptionV3's accuracy and F1" in report.paper_values_sentence("cross_dataset", accuracy)
    unseen = report.paper_values_sentence("subject_wise", accuracy)
    assert "at most 70%" in unseen and "ResNet50's 66.0%" in unseen
    assert "states no value" in report.paper_values_sentence("image_wise", accuracy)


def test_sentences_follow_the_tables():
    from painlib import report

    table = pd.DataFrame(
        {
            ("here", "auc"): [0.7, 0.55],
            ("here", "learned"): [True, False],
            ("there", "auc"): [0.52, 0.56],
            ("there", "learned"): [False, False],
        },
        index=["songnet", "weinet"],
    )
    said = report.learning_change(table, "here", "there")
    assert "`songnet` learned in here only" in said and "`weinet` learned in neither" in said
    assert "cannot test" in report.ordering_finding(["accuracy", "f1", "auc"], ["ncnn"])
    assert "reproduces" in report.ordering_finding(["accuracy", "f1", "auc"], [])
    assert "none of" in report.ordering_finding([], [])
    named = report.ordering_finding(["f1"], [], {"accuracy": "accuracy", "f1": "F1", "auc": "AUC of labels"})
    assert "ahead of N-CNN in F1 of accuracy, F1 and AUC of labels" in named


def test_learning_table_is_indexed_by_the_groups():
    label = _labels()
    one = chance.learning_table(_predictions(label * 0.8 + 0.1, label), n_permutations=99)
    assert list(one.index) == ["m"] and one.index.name == "model"
    two = _predictions(label * 0.8 + 0.1, label).assign(scenario="s")
    both = chance.learning_table(two, by=("scenario", "model"), n_permutations=99)
    assert list(both.index) == [("s", "m")] and both.index.names == ["scenario", "model"]


def test_scenario_order_without_a_scenario_says_too_few():
    only_one = _learning({"subject_wise": [0.7] * 6})
    assert chance.scenario_order(only_one)["networks"].tolist() == [0, 0]


def test_the_auc_alone_can_decide():
    """Scores that rank well at a threshold that calls everything pain in half the runs: the AUC test alone
    passes, both tests together do not."""
    label = _labels()
    predictions = _predictions(0.1 + 0.3 * label, label)
    predictions["pred"] = 1 - (predictions["run"] == 0).astype(int) * (1 - predictions["label"])
    both = chance.learning_table(predictions).iloc[0]
    auc_only = chance.learning_table(predictions, tests=("auc",)).iloc[0]
    assert auc_only["p_value"] == auc_only["p_auc"] and auc_only["learned"]
    assert both["p_value"] >= both["p_balanced_accuracy"]
    with pytest.raises(ValueError, match="tests must name"):
        chance.learning_table(predictions, tests=("f1",))


def test_row_aucs_match_sklearn():
    rng = np.random.default_rng(8)
    scores = rng.normal(size=(5, 30)).round(1)  # ties on purpose
    labels = np.r_[np.ones(12), np.zeros(18)]
    ours = chance._auc_by_row(scores, 12)
    assert np.allclose(ours, [roc_auc_score(labels, row) for row in scores])


def _scenario(name, people, label, score):
    return pd.DataFrame({"scenario": name, "subject": people, "label": label, "prob_pain": score})


def test_scenario_gaps_resolve_a_fall_and_not_noise():
    rng = np.random.default_rng(3)
    label = np.tile([0, 1], 60)
    sharp = label * 0.6 + rng.random(120) * 0.5  # AUC near 0.97
    noise = rng.random(120)
    people = np.repeat(np.arange(40), 3)  # three images per person
    cp = [f"cp{i}" for i in range(120)]
    falling = pd.concat(
        [_scenario("image_wise", people, label, sharp), _scenario("subject_wise", people, label, sharp),
         _scenario("cross_dataset", cp, label, noise)]
    )  # fmt: skip
    gaps = chance.scenario_gaps(falling).set_index("to")
    assert gaps.loc["subject_wise", "paired"] and not gaps.loc["cross_dataset", "paired"]
    assert not gaps.loc["subject_wise", "resolved"] and gaps.loc["subject_wise", "difference"] == 0  # the same
    assert gaps.loc["cross_dataset", "resolved"] and gaps.loc["cross_dataset", "low"] > 0.2
    with pytest.raises(ValueError, match="no predictions of"):
        chance.scenario_gaps(falling[falling["scenario"] != "cross_dataset"])


def test_scenario_gaps_resample_people_not_images():
    """Twelve identical frames of each of 10 people carry the information of 10 images, not 120: the interval of
    a fall must be wider than for 120 people with one image each, with the same pooled AUCs."""
    rng = np.random.default_rng(0)
    label, score = np.tile([0, 1], 5), rng.random(10) + np.tile([0, 0.4], 5)
    flat = np.zeros(120)  # an AUC of 0.5 to fall to
    wide = {}
    for name, people in (("clustered", np.repeat(np.arange(10), 12)), ("independent", np.arange(120))):
        rows = pd.concat(
            [_scenario("a", people, np.repeat(label, 12), np.repeat(score, 12)),
             _scenario("b", [f"b{i}" for i in range(120)], np.tile([0, 1], 60), flat)]
        )  # fmt: skip
        gap = chance.scenario_gaps(rows, order=("a", "b"), n_boot=1000).iloc[0]
        wide[name] = gap["high"] - gap["low"]
    assert wide["clustered"] > 2 * wide["independent"]


def test_weighted_auc_matches_scikit_learns():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    rows = _scenario("a", rng.integers(0, 8, 50), rng.integers(0, 2, 50), rng.integers(0, 5, 50) / 4)  # many ties
    weight = rng.integers(0, 4, 50).astype(float)
    ordered = chance._SortedScores(rows)
    order = rows["prob_pain"].argsort(kind="mergesort").to_numpy()
    expected = roc_auc_score(rows["label"], rows["prob_pain"], sample_weight=weight)
    assert ordered.auc(weight[order]) == pytest.approx(expected)


def test_paper_ordering_needs_each_step_resolved_and_falling():
    above = pd.DataFrame({"learned": [True, True, False]}, index=["image_wise", "subject_wise", "cross_dataset"])
    gaps = pd.DataFrame(
        {
            "from": ["image_wise", "subject_wise"],
            "to": ["subject_wise", "cross_dataset"],
            "difference": [0.1, -0.05],
            "resolved": [True, True],
        }
    )
    held = chance.paper_ordering(above, gaps)
    assert list(held.values()) == [True, True, False, False]  # CP rose (resolved, but the wrong way), at chance


def test_the_ranking_sentence_says_why_there_is_nothing_to_rank():
    from painlib import report

    assert report.ranking_sentence(None, 10, 1).startswith("This page trains each network once")
    assert report.ranking_sentence(None, 0, 3).startswith("No network learned with every run")
    assert report.ranking_sentence(None, 2, 3).startswith("Only 2 networks learned with every run")
