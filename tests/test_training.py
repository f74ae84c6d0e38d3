"""Splits, metrics and the resumable scenario runner."""

import warnings
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from painlib import result_store, synth, training
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
    assert {"predictions", "history", "runs"} <= {p.name for p in store.iterdir()}
    # a second call reads the finished runs from the store instead of training again
    for path in (store / "runs").glob("*.csv"):
        stored = pd.read_csv(path)
        stored.loc[:, "accuracy"] = -1.0
        stored.to_csv(path, index=False)
    with caplog.at_level("INFO", logger="painlib.training"):
        c = training.run_scenario("subject_wise", tiny_db, store=store, **KW)
    assert (c["accuracy"] == -1.0).all() and "2 of 2 runs from the store" in caplog.text
    # a changed parameter is not a stale hit
    d = training.run_scenario("subject_wise", tiny_db, store=store, **{**KW, "epochs": 2})
    assert (d["accuracy"] >= 0).all() and len(result_store.read_store(store)) == 4
    preds = result_store.read_predictions(store, d["key"][0])
    assert len(preds) == d["n_test"][0] and preds["prob_pain"].between(0, 1).all()
    assert result_store.read_history(store, d["key"][0])["epoch"].tolist() == [1, 2]


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
        assert result_store.fingerprint(tr) == result_store.fingerprint(tr2)
        assert result_store.fingerprint(te) == result_store.fingerprint(te2)
    # one changed pixel, or one changed label, is another data set
    img = cv2.imread(copies[0])
    img[0, 0] = 255 - img[0, 0]
    cv2.imwrite(copies[0], img)
    changed = tiny_db.assign(path=copies)
    assert result_store.fingerprint(changed) != result_store.fingerprint(tiny_db)
    assert result_store.fingerprint(tiny_db.assign(label=1 - tiny_db["label"])) != result_store.fingerprint(tiny_db)


def test_the_key_covers_defaults_and_library_versions(tiny_db, tmp_path, monkeypatch):
    store = tmp_path / "store"
    first = training.run_scenario("cross_dataset", tiny_db, test_df=tiny_db, repeats=1, store=store, **KW)
    monkeypatch.setitem(training.train_predict.__kwdefaults__, "batch_size", 8)
    kw = {k: v for k, v in KW.items() if k != "batch_size"}
    other_default = training.run_scenario("cross_dataset", tiny_db, test_df=tiny_db, repeats=1, store=store, **kw)
    assert other_default["key"][0] != first["key"][0] and other_default["batch_size"][0] == 8
    monkeypatch.undo()
    versions = {**result_store.library_versions(), "tensorflow": "0.0"}
    monkeypatch.setattr(training, "library_versions", lambda: versions)  # the name run_splits calls
    other_tf = training.run_scenario("cross_dataset", tiny_db, test_df=tiny_db, repeats=1, store=store, **KW)
    assert other_tf["key"][0] not in (first["key"][0], other_default["key"][0])


def test_the_code_digest_ignores_prose_and_layout_but_not_code(tmp_path):
    module = """\"\"\"A module.\"\"\"

def build(size=48):
    \"\"\"Build it.\"\"\"
    label = "pain"  # a string the code uses
    return size * 2
"""
    variants = {
        "same": module,
        "docstrings": module.replace("A module.", "A module, described again.").replace("Build it.", "Builds."),
        "comment and layout": module.replace("  # a string the code uses", "").replace("(size=48)", "( size = 48 )"),
        "constant": module.replace("size * 2", "size * 3"),
        "string in code": module.replace('"pain"', '"no pain"'),
        "docstring removed": module.replace('    """Build it."""\n', ""),
    }
    digests = {}
    for i, (name, text) in enumerate(variants.items()):
        (tmp_path / f"v{i}.py").write_text(text)
        digests[name] = result_store.code_digest(tmp_path / f"v{i}.py")
    same = digests["same"]
    assert digests["docstrings"] == digests["comment and layout"] == digests["docstring removed"] == same
    assert digests["constant"] != same and digests["string in code"] != same


def test_keys_are_read_back_as_text_and_an_older_index_still_counts(tmp_path):
    row = {"key": "0123456789012345", "scenario": "image_wise", "model": "small_cnn", "accuracy": 0.5}
    (tmp_path / "s").mkdir()
    pd.DataFrame([row]).to_csv(tmp_path / "s" / "runs.csv", index=False)  # the index of earlier versions
    assert list(result_store.read_store(tmp_path / "s").index) == ["0123456789012345"]
    _fake_runs(tmp_path / "s", ["0123456789012345", "0000000000000009"], accuracy=0.9)  # its own file wins
    store = result_store.read_store(tmp_path / "s")
    assert sorted(store.index) == ["0000000000000009", "0123456789012345"] and (store["accuracy"] == 0.9).all()


def _fake_runs(store, keys, accuracy: float = 0.5) -> None:
    """Save finished runs as run_splits does, one after another, each reading the store first."""
    for key in keys:
        row = {"key": key, "scenario": "image_wise", "model": "small_cnn", "accuracy": accuracy}
        result = {"predictions": pd.DataFrame({"path": ["a"], "prob_pain": [0.5]}), "history": pd.DataFrame()}
        result_store.save_run(store, result_store.read_store(store), row, result)


def test_two_processes_sharing_a_store_keep_every_run(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    keys = [[f"{w}{i:015d}" for i in range(30)] for w in (1, 2)]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_fake_runs, [tmp_path] * 2, keys))
    assert sorted(result_store.read_store(tmp_path).index) == sorted(keys[0] + keys[1])


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
    import distributed  # a test dependency (pyproject's dev extra): a broken install fails instead of skipping

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


# ------------------------------------------------------------------------------ learning: planted signal


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Synthetic faces where pain is a visible mark (a dark square in the top-left corner) or, in a copy of the
    same set, a mark placed at random regardless of the label."""
    root = tmp_path_factory.mktemp("planted")
    faces = synth.make_datasets({"delaware": 30}, root / "synthetic", seed=1, image_size_px=64, progress=False)
    rng = np.random.default_rng(0)
    sets = {}
    for name in ("marked", "random"):
        rows = []
        for i, row in enumerate(faces.itertuples(index=False)):
            img = cv2.imread(row.path)
            if (row.label == 1) if name == "marked" else (rng.random() < 0.5):
                img[4:20, 4:20] = 0
            path = root / name / f"{i:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), img)
            rows.append({"path": str(path), "subject": row.subject, "label": row.label, "dataset": row.dataset})
        sets[name] = pd.DataFrame(rows)
    return sets


PLANTED = dict(folds=2, input_size_px=32, epochs=10, batch_size=8, seed=0, augment=False, progress=False)


def test_the_training_path_learns_a_planted_signal_and_not_a_random_one(planted, tmp_path):
    """Fails if the training path never leaves its random start (the `cpu` chapters before this test existed)."""
    from painlib import chance

    verdicts = {}
    for name, df in planted.items():
        store = tmp_path / name
        results = training.run_scenario(
            "subject_wise", df, model_name="songnet", store=store, validation_share=0.2, **PLANTED
        )
        _, predictions = result_store.run_details(store, results)
        verdicts[name] = chance.learning_table(predictions).iloc[0]
    assert verdicts["marked"]["learned"] and verdicts["marked"]["auc"] > 0.9
    assert not verdicts["random"]["learned"]


def test_a_threshold_chosen_on_validation_people_is_used_for_the_labels(planted, tmp_path):
    store = tmp_path / "s"
    kw = {**PLANTED, "epochs": 1}
    results = training.run_scenario(
        "subject_wise", planted["marked"], model_name="songnet", store=store, validation_share=0.25, **kw
    )
    assert results["threshold"].between(0, 1).all() and (results["threshold"] != 0.5).any()
    _, predictions = result_store.run_details(store, results)
    merged = predictions.merge(results[["key", "threshold"]], on="key")
    assert (merged["pred"] == (merged["prob_pain"] >= merged["threshold"]).astype(int)).all()
    plain = training.run_scenario("subject_wise", planted["marked"], model_name="songnet", **kw)
    assert (plain["threshold"] == 0.5).all()  # validation_share 0: the paper's argmax


# ------------------------------------------------------------------- frozen fronts and shared starts


def test_top_training_freezes_the_front_and_caches_its_features(tiny_db, tmp_path):
    import keras

    from painlib import models

    store = tmp_path / "store"
    kw = dict(folds=2, input_size_px=32, epochs=1, batch_size=16, seed=3, progress=False, store=store)
    kw |= dict(fine_tune="top", start_seed=3, augment=True)
    first = training.run_scenario("image_wise", tiny_db, model_name="resnet50", **kw)
    cached = list((store / "features").rglob("*.npy"))
    assert len(cached) == len(tiny_db)  # every image once, whatever the folds
    assert first["augment"].all()  # recorded as asked, though a frozen front cannot augment (the settings table says)
    # both runs started their front from the same weights (start_seed), and training left the front untouched
    net = models.build("resnet50", 2, 32)
    start = training.shared_start(net, lambda m: models.split_top(m)[0], seed=99, start_seed=3)
    front, top = models.split_top(net)
    before = [w.copy() for w in front.get_weights()]
    x = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3)).astype("uint8")
    features = front.predict(x, verbose=0)
    models.compile_model(top, 1e-3)
    top.fit(features, np.arange(8) % 2, epochs=1, verbose=0)
    assert start == 3 and all(np.array_equal(a, b) for a, b in zip(before, front.get_weights()))
    np.testing.assert_allclose(top(features), net(x), atol=1e-4)  # front and top compose to the network
    keras.backend.clear_session()


def test_kept_networks_give_their_stored_predictions_and_are_found_by_name(tiny_db, tmp_path):
    from painlib.images import load_images

    kw = dict(input_size_px=32, epochs=1, batch_size=16, seed=3, progress=False, store=tmp_path, keep_models=True)
    frozen = training.run_scenario("image_wise", tiny_db, model_name="vgg16", folds=2, fine_tune="top", **kw)
    whole = training.run_scenario("image_wise", tiny_db, model_name="songnet", folds=2, augment=False, **kw)
    for rows in (frozen, whole):
        key = rows["key"][0]
        saved = result_store.load_model(tmp_path, key)  # the whole network, images in (a frozen front included)
        assert getattr(saved, "optimizer", None) is None  # kept for predictions: no training state on disk
        stored = result_store.read_predictions(tmp_path, key)
        with warnings.catch_warnings(record=True) as caught:  # called as it was built: one image tensor, no list
            warnings.simplefilter("always")
            images = load_images(list(stored["path"]), 32)
            prob = saved.predict(images, verbose=0)[:, 1]
            np.testing.assert_allclose(
                np.asarray(saved(images[:2]))[:, 1], prob[:2], atol=1e-5
            )  # as chapter 07 calls it
        assert not [w for w in caught if "structure" in str(w.message)]
        np.testing.assert_allclose(prob, stored["prob_pain"], atol=1e-5)
    result_store.write_kept(tmp_path, "both", pd.concat([frozen, whole]))
    kept = result_store.read_kept(tmp_path, "both")
    assert kept["key"].tolist() == [*frozen["key"], *whole["key"]] and "threshold" in kept
    with pytest.raises(FileNotFoundError, match="cross_dataset"):
        result_store.read_kept(tmp_path, "other")
    unsaved = training.run_scenario(
        "image_wise", tiny_db, model_name="songnet", folds=2, **{**kw, "epochs": 2, "keep_models": False}
    )
    with pytest.raises(ValueError, match="no model"):
        result_store.write_kept(tmp_path, "bad", unsaved)


def test_recalibrated_batch_norm_holds_the_average_batch_statistics():
    import keras

    inputs = keras.Input((3,))
    bn = keras.layers.BatchNormalization(momentum=0.99)
    model = keras.Model(inputs, bn(inputs))
    x = np.random.default_rng(0).normal(5.0, 2.0, (64, 3)).astype("float32")
    assert training.recalibrate_batch_norm(model, x, batches=4, batch_size=64) == 1
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(axis=0), rtol=1e-3)
    assert bn.momentum == 0.99
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert training.recalibrate_batch_norm(plain, x) == 0


def test_network_settings_override_and_are_checked():
    shared = {"epochs": 4, "learning_rate": 1e-3}
    own = training.network_settings("alexnet", shared, {"alexnet": {"learning_rate": 1e-4, "runs": 1}})
    assert own == {"epochs": 4, "learning_rate": 1e-4, "runs": 1}
    assert training.network_settings("songnet", shared, {"alexnet": {"runs": 1}}) == shared
    with pytest.raises(ValueError, match="may set"):
        training.network_settings("alexnet", shared, {"alexnet": {"momentum": 0.9}})
    with pytest.raises(ValueError, match="whole number"):
        training.network_settings("alexnet", shared, {"alexnet": {"runs": 0}})


def test_a_scenario_entry_overrides_a_network_setting_in_that_scenario_only():
    shared = {"epochs": 4, "learning_rate": 1e-3}
    settings = {"songnet": {"epochs": 12, "cross_dataset": {"epochs": 24, "runs": 1}}}
    assert training.network_settings("songnet", shared, settings, "cross_dataset") == {
        "epochs": 24,
        "learning_rate": 1e-3,
        "runs": 1,
    }
    for scenario in ("image_wise", "subject_wise", None):
        assert training.network_settings("songnet", shared, settings, scenario) == {"epochs": 12, "learning_rate": 1e-3}
    with pytest.raises(ValueError, match="songnet, cross_dataset sets"):
        training.network_settings("songnet", shared, {"songnet": {"cross_dataset": {"momentum": 0.9}}})
    with pytest.raises(ValueError, match="whole number"):
        training.network_settings("songnet", shared, {"songnet": {"subject_wise": {"epochs": 0.5}}}, "image_wise")
    with pytest.raises(ValueError, match="unknown scenario"):
        training.network_settings("songnet", shared, settings, "crossdataset")
    table = training.scenario_settings(
        ["songnet"],
        48,
        epochs=4,
        learning_rate=1e-3,
        batch_size=32,
        folds=3,
        images=100,
        model_settings=settings,
        scenario="cross_dataset",
    )
    assert table.loc["songnet", "epochs"] == 24 and table.loc["songnet", "runs"] == 1


def test_the_settings_table_says_what_each_network_trains_and_how_often():
    from painlib import models

    shared = dict(input_size_px=48, epochs=4, learning_rate=1e-3, batch_size=32, folds=3, images=100)
    table = training.scenario_settings(
        ["vgg16", "alexnet"], **shared, fine_tune="top", model_settings={"alexnet": {"runs": 1, "epochs": 6}}
    )
    assert models.SPECS["vgg16"].top is not None and models.SPECS["alexnet"].top is None
    assert table.loc["vgg16", "layers trained"] == "last block, head"  # the front frozen
    assert table.loc["alexnet", "layers trained"] == "all"  # trained from scratch: nothing to freeze
    assert table.loc["vgg16", "augmentation"] == "none"  # a frozen front's features are computed once
    assert table["runs"].to_dict() == {"vgg16": 3, "alexnet": 1}
    assert table.loc["alexnet", "epochs"] == 6
    every = training.scenario_settings(["vgg16"], **shared, fine_tune="all")
    assert every.loc["vgg16", "layers trained"] == "all" and every.loc["vgg16", "augmentation"] != "none"


def test_frozen_features_are_reused_and_keyed_by_what_they_depend_on(tiny_db, tmp_path):
    from painlib import models

    identity = training.front_identity("resnet50", 32, 3)
    assert identity == training.front_identity("resnet50", 32, 3)
    others = {training.front_identity("resnet50", 40, 3), training.front_identity("resnet50", 32, 4)}
    others.add(training.front_identity("xception", 32, 3))
    assert identity not in others and len(others) == 3
    net = models.build("resnet50", 2, 32, pretrained=False)
    front, _ = models.split_top(net)
    paths = tiny_db["path"].tolist()[:6]
    x = training.stack_images(paths, 32, None)
    identity = "this-test's-own-random-front"  # not the start-3 front another test may have cached
    first = training.frozen_features(front, identity, paths, x, tmp_path)
    np.testing.assert_allclose(first, front.predict(x, verbose=0), atol=1e-6)
    calls = []
    real_predict = front.predict
    front.predict = lambda *a, **k: calls.append(1) or real_predict(*a, **k)
    training._FEATURES.clear()  # a new process: only the disk cache is left
    again = training.frozen_features(front, identity, paths, x, tmp_path)
    np.testing.assert_array_equal(first, again)
    assert not calls and len(list((tmp_path / identity).glob("*.npy"))) == 6
