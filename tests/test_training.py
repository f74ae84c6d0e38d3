"""Splits, metrics and the resumable scenario runner."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from painlib import synth, training
from painlib.metrics import classification_metrics


def _toy(n_subjects=10, per=6):
    rows = [
        {"path": f"{s}_{i}", "subject": f"p{s:02d}", "label": int(i % 2 == 0 or s % 3 == 0)}
        for s in range(n_subjects)
        for i in range(per)
    ]
    return pd.DataFrame(rows)


def test_subject_kfold_keeps_people_apart_and_covers_everyone():
    df = _toy()
    folds = training.subject_kfold(df, k=5, seed=1)
    tested = np.concatenate([te for _, te in folds])
    assert sorted(tested) == list(range(len(df)))
    for tr, te in folds:
        assert not set(df.iloc[tr]["subject"]) & set(df.iloc[te]["subject"])


def test_folds_do_not_depend_on_row_order():
    df = _toy()
    shuffled = df.sample(frac=1, random_state=3).reset_index(drop=True)
    a = [frozenset(df.iloc[te]["subject"]) for _, te in training.subject_kfold(df, 5, seed=0)]
    b = [frozenset(shuffled.iloc[te]["subject"]) for _, te in training.subject_kfold(shuffled, 5, seed=0)]
    assert sorted(map(sorted, a)) == sorted(map(sorted, b))


def test_image_kfold_is_stratified():
    df = _toy()
    for _, te in training.image_kfold(df, 5, seed=0):
        assert abs(df.iloc[te]["label"].mean() - df["label"].mean()) < 0.1


def test_overlap_and_too_few_are_reported():
    df = _toy()
    with pytest.raises(ValueError, match=r"1 subject\(s\) appear in both train and test: \['p00'\]"):
        training.check_subject_disjoint(df[df.subject <= "p01"], df[df.subject == "p00"])
    with pytest.raises(ValueError, match="needs at least 5 subjects"):
        training.subject_kfold(_toy(n_subjects=3), 5)
    with pytest.raises(ValueError, match="class counts"):
        training.image_kfold(df.assign(label=1), 5)


def test_metrics_agree_with_a_hand_count():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    p = np.array([1, 1, 0, 0, 0, 1, 0, 1])
    m = classification_metrics(y, p, y_score=p * 0.8 + 0.1)
    # TP=3, FN=1, FP=1, TN=3
    assert m["accuracy"] == 6 / 8 and m["precision_pain"] == 3 / 4 and m["recall_pain"] == 3 / 4
    assert m["recall_no_pain"] == 3 / 4 and m["f1"] == pytest.approx(0.75)
    assert m["auc"] == pytest.approx(skm.roc_auc_score(y, p))


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("db")
    return synth.make_datasets({"delaware": 12}, root, seed=0, image_size_px=64, progress=False)


def test_same_seed_same_results_and_resume(tiny_db, tmp_path):
    store = tmp_path / "results.csv"
    kw = dict(folds=2, input_size_px=32, epochs=1, batch_size=16, seed=5, progress=False)
    a = training.run_scenario("subject_wise", tiny_db, **kw)
    b = training.run_scenario("subject_wise", tiny_db, store=store, **kw)
    pd.testing.assert_frame_equal(a.drop(columns=["config"]), b.drop(columns=["config"]))
    # a second call reads the finished runs from the store instead of training again
    stored = pd.read_csv(store)
    stored.loc[:, "accuracy"] = -1.0
    stored.to_csv(store, index=False)
    c = training.run_scenario("subject_wise", tiny_db, store=store, **kw)
    assert (c["accuracy"] == -1.0).all()
    # a changed parameter is not a stale hit
    d = training.run_scenario("subject_wise", tiny_db, store=store, **{**kw, "epochs": 2})
    assert (d["accuracy"] >= 0).all()


def test_unknown_scenario_and_model(tiny_db):
    with pytest.raises(ValueError, match="unknown scenario"):
        training.run_scenario("leave_one_out", tiny_db)
    from painlib import models

    with pytest.raises(ValueError, match="unknown model 'alexnet2'"):
        models.build("alexnet2")
