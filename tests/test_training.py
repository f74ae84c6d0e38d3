"""Splits, metrics and the resumable scenario runner."""

from pathlib import Path

import cv2
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


KW = dict(folds=2, input_size_px=32, epochs=1, batch_size=16, seed=5, progress=False)


def _stable(df):
    return df.drop(columns=["train_seconds"]).reset_index(drop=True)


def test_same_seed_same_results_and_resume(tiny_db, tmp_path, caplog):
    store = tmp_path / "store"
    a = training.run_scenario("subject_wise", tiny_db, **KW)
    b = training.run_scenario("subject_wise", tiny_db, store=store, **KW)
    pd.testing.assert_frame_equal(_stable(a), _stable(b))
    assert {"predictions", "history", "runs.csv"} <= {p.name for p in store.iterdir()}
    # a second call reads the finished runs from the store instead of training again
    stored = pd.read_csv(store / "runs.csv")
    stored.loc[:, "accuracy"] = -1.0
    stored.to_csv(store / "runs.csv", index=False)
    with caplog.at_level("INFO", logger="painlib.training"):
        c = training.run_scenario("subject_wise", tiny_db, store=store, **KW)
    assert (c["accuracy"] == -1.0).all() and "2 of 2 runs from the store" in caplog.text
    # a changed parameter is not a stale hit
    d = training.run_scenario("subject_wise", tiny_db, store=store, **{**KW, "epochs": 2})
    assert (d["accuracy"] >= 0).all() and len(pd.read_csv(store / "runs.csv")) == 4
    preds = training.read_predictions(store, d["key"][0])
    assert len(preds) == d["n_test"][0] and preds["prob_pain"].between(0, 1).all()
    assert training.read_history(store, d["key"][0])["epoch"].tolist() == [1, 2]


def test_the_key_follows_contents_not_locations(tiny_db, tmp_path):
    moved = tmp_path / "moved"
    copies = []
    for i, path in enumerate(tiny_db["path"]):
        copies.append(str(moved / f"{i:03d}.png"))
        Path(copies[-1]).parent.mkdir(parents=True, exist_ok=True)
        Path(copies[-1]).write_bytes(Path(path).read_bytes())
    splits = training.scenario_splits("subject_wise", tiny_db, folds=2, seed=0)
    moved_splits = training.scenario_splits("subject_wise", tiny_db.assign(path=copies), folds=2, seed=0)
    for (_, tr, te), (_, tr2, te2) in zip(splits, moved_splits):
        assert training._fingerprint(tr) == training._fingerprint(tr2)
        assert training._fingerprint(te) == training._fingerprint(te2)
    # one changed pixel, or one changed label, is another data set
    img = cv2.imread(copies[0])
    img[0, 0] = 255 - img[0, 0]
    cv2.imwrite(copies[0], img)
    changed = tiny_db.assign(path=copies)
    assert training._fingerprint(changed) != training._fingerprint(tiny_db)
    assert training._fingerprint(tiny_db.assign(label=1 - tiny_db["label"])) != training._fingerprint(tiny_db)


def test_the_key_covers_defaults_and_library_versions(tiny_db, tmp_path, monkeypatch):
    store = tmp_path / "store"
    first = training.run_scenario("cross_dataset", tiny_db, test_df=tiny_db, repeats=1, store=store, **KW)
    monkeypatch.setitem(training.train_predict.__kwdefaults__, "batch_size", 8)
    kw = {k: v for k, v in KW.items() if k != "batch_size"}
    other_default = training.run_scenario("cross_dataset", tiny_db, test_df=tiny_db, repeats=1, store=store, **kw)
    assert other_default["key"][0] != first["key"][0] and other_default["batch_size"][0] == 8
    monkeypatch.undo()
    versions = {**training._library_versions(), "tensorflow": "0.0"}
    monkeypatch.setattr(training, "_library_versions", lambda: versions)
    other_tf = training.run_scenario("cross_dataset", tiny_db, test_df=tiny_db, repeats=1, store=store, **KW)
    assert other_tf["key"][0] not in (first["key"][0], other_default["key"][0])


def test_keys_are_read_back_as_text(tmp_path):
    row = {"key": "0123456789012345", "scenario": "image_wise", "model": "small_cnn", "accuracy": 0.5}
    (tmp_path / "s").mkdir()
    pd.DataFrame([row]).to_csv(tmp_path / "s" / "runs.csv", index=False)
    assert list(training.read_store(tmp_path / "s").index) == ["0123456789012345"]


def test_one_class_test_set_reports_auc_missing_and_means_count_runs(tiny_db):
    pain_only = tiny_db[tiny_db["label"] == 1]
    results = training.run_scenario("cross_dataset", tiny_db, test_df=pain_only, repeats=2, **KW)
    assert results["auc"].isna().all() and results["accuracy"].notna().all()
    both = pd.concat([results, results.assign(scenario="other", auc=[0.7, np.nan])])
    summary = training.summarise(both).set_index("scenario")
    assert summary.loc["cross_dataset", "auc_n"] == 0 and summary.loc["cross_dataset", "accuracy_n"] == 2
    assert summary.loc["other", "auc_n"] == 1 and summary.loc["other", "auc_mean"] == pytest.approx(0.7)


def test_an_executor_gives_the_same_rows(tiny_db, tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    serial = training.run_scenario("image_wise", tiny_db, **KW)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        parallel = training.run_scenario("image_wise", tiny_db, executor=pool, store=tmp_path / "s", **KW)
    pd.testing.assert_frame_equal(_stable(serial), _stable(parallel))


def test_unknown_scenario_and_model(tiny_db):
    with pytest.raises(ValueError, match="unknown scenario"):
        training.run_scenario("leave_one_out", tiny_db)
    from painlib import models

    with pytest.raises(ValueError, match="unknown model 'alexnet2'"):
        models.build("alexnet2")


def test_a_dask_cluster_gives_the_same_rows(tiny_db, tmp_path):
    distributed = pytest.importorskip("distributed")

    serial = training.run_scenario("subject_wise", tiny_db, **KW)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            on_dask = training.run_scenario("subject_wise", tiny_db, executor=client.get_executor(), **KW)
    pd.testing.assert_frame_equal(_stable(serial), _stable(on_dask))


def test_no_subject_on_both_sides_of_an_unbalanced_manifest():
    """People with very different numbers of images (and classes) still land on one side of every split."""
    rng = np.random.default_rng(3)
    rows = []
    for s in range(23):
        n = int(rng.choice([1, 2, 5, 40, 120]))
        pain_share = rng.uniform(0, 1)
        rows += [
            {"path": f"p{s}_{i}", "subject": f"s{s:02d}", "label": int(rng.random() < pain_share)} for i in range(n)
        ]
    df = pd.DataFrame(rows).sample(frac=1, random_state=0).reset_index(drop=True)
    for seed in range(3):
        for _, train, test in training.scenario_splits("subject_wise", df, folds=5, seed=seed):
            assert not set(train["subject"]) & set(test["subject"])
            assert len(train) + len(test) == len(df)
    with pytest.raises(ValueError, match="appear in both train and test"):
        training.check_subject_disjoint(df.iloc[:50], df.iloc[40:])


def test_loss_drop_is_the_share_the_loss_fell_per_group():
    histories = pd.DataFrame(
        {
            "model": ["a"] * 4 + ["b"],
            "key": ["k1", "k1", "k2", "k2", "k3"],
            "epoch": [1, 0, 0, 1, 0],  # out of order on purpose
            "loss": [0.8, 1.0, 2.0, 1.2, 0.7],
        }
    )
    drop = training.loss_drop(histories)
    assert drop["a"] == pytest.approx((0.2 + 0.4) / 2)  # mean over the two runs of `a`
    assert np.isnan(drop["b"])  # one epoch: nothing to compare
    diverged = pd.DataFrame({"model": "c", "key": "k4", "epoch": [0, 1, 2], "loss": [1.0, 0.5, np.nan]})
    assert np.isnan(training.loss_drop(diverged)["c"])  # not the 0.5 a NaN-skipping last() would give
