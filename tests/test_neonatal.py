"""The neonatal chapter's machinery: augmentation with re-detection, leave-some-subjects-out folds, the two
networks' training and the tables in the dissertation's layout."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageEnhance

from painlib import augment, faces, neonatal, published, result_store, synth, training
from painlib.images import read_rgb
from painlib.storage import write_png

# ------------------------------------------------------------------------------------------ augmentation


def _smooth_image(seed=0, size=48):
    rng = np.random.default_rng(seed)
    import cv2

    return cv2.GaussianBlur((rng.random((size, size, 3)) * 255).astype(np.float32), (7, 7), 2)


IDENTITY = dict(theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0, flip=False, brightness=1.0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras's legacy module imports a SciPy alias
@pytest.mark.parametrize(
    "geometry",
    [
        dict(theta=20),
        dict(tx=5, ty=-3),
        dict(shear=12),
        dict(zx=1.3, zy=0.8),
        dict(theta=-25, tx=4, ty=7, shear=5, zx=0.8, zy=1.2),
    ],
)
def test_the_warp_is_keras_imagedatagenerator_geometry(geometry):
    """Second implementation: Keras's legacy apply_affine_transform (SciPy, channel by channel)."""
    import cv2
    from keras.src.legacy.preprocessing.image import apply_affine_transform

    image = _smooth_image()
    expected = apply_affine_transform(image, **geometry, row_axis=0, col_axis=1, channel_axis=2, order=1)
    matrix = augment.affine_matrix(**geometry, h=48, w=48)
    ours = cv2.warpAffine(
        image, matrix, (48, 48), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )
    np.testing.assert_allclose(ours, expected, atol=1e-3)


def test_brightness_is_pil_enhance_and_flip_mirrors():
    image = np.clip(_smooth_image(1), 0, 255).astype(np.uint8)
    darker = augment.apply_transform(image, {**IDENTITY, "brightness": 0.6})
    pil = np.asarray(ImageEnhance.Brightness(Image.fromarray(image)).enhance(0.6))
    assert np.abs(darker.astype(int) - pil.astype(int)).max() <= 1
    np.testing.assert_array_equal(augment.apply_transform(image, {**IDENTITY, "flip": True}), image[:, ::-1])
    np.testing.assert_array_equal(augment.apply_transform(image, IDENTITY), image)


def test_draws_stay_in_their_ranges():
    rng = np.random.default_rng(0)
    draws = pd.DataFrame([augment.draw_transform(rng, (100, 100, 3)) for _ in range(2000)])
    assert draws["theta"].abs().max() <= 30 and draws["shear"].abs().max() <= 0.15
    assert draws[["tx", "ty"]].abs().max().max() <= 20
    assert draws["zx"].between(0.7, 1.5).all() and draws["brightness"].between(0.5, 1.1).all()
    assert 0.45 < draws["flip"].mean() < 0.55


@pytest.fixture(scope="module")
def face_photo(tmp_path_factory):
    """The astronaut of scikit-image's sample photographs, cropped to her face as chapter 01 would."""
    from skimage import data

    photo = data.astronaut()
    found = faces.detect_faces(photo, 0.9)[0]
    crop = faces.resize(faces.crop_square(photo, faces.square_box(found["box"], 0.25)), 128)
    path = tmp_path_factory.mktemp("face") / "astronaut.png"
    write_png(path, crop[..., ::-1])  # write_png takes OpenCV's BGR
    return path, crop


def test_a_face_turned_upside_down_is_not_found_and_such_copies_are_rejected(face_photo, tmp_path):
    path, crop = face_photo
    assert faces.detect_faces(crop, 0.9), "the crop itself holds a face"
    assert not faces.detect_faces(augment.apply_transform(crop, {**IDENTITY, "theta": 180.0}), 0.9)
    # rotations drawn from ±180°: some copies lose the face for MTCNN; every copy kept still has one
    record = augment.augment_one(path, tmp_path, 12, ranges=augment.Ranges(rotation_deg=180), seed=3)
    assert record["rejected"] > 0 and len(record["kept"]) > 0 and len(record["kept"]) + record["rejected"] == 12
    # a kept copy reads back as the copy that was made (colours included)
    first = int(record["kept"][0].rsplit("_", 1)[1].split(".")[0])
    made = list(augment.variants(path, first + 1, ranges=augment.Ranges(rotation_deg=180), seed=3))[first][0]
    np.testing.assert_array_equal(read_rgb(tmp_path / record["kept"][0]), made)

    assert all(faces.detect_faces(read_rgb(tmp_path / name), faces.MIN_CONFIDENCE) for name in record["kept"])
    # the same draws as variants() reports them
    found = [ok for _, ok, _ in augment.variants(path, 12, ranges=augment.Ranges(rotation_deg=180), seed=3)]
    assert sum(not ok for ok in found) == record["rejected"]


def test_augmentation_resumes_and_counts_rejects_per_original(tmp_path):
    originals = []
    for i in range(3):
        p = tmp_path / "in" / f"{i}.png"
        write_png(p, np.full((32, 32, 3), 40 * (i + 1), np.uint8))
        originals.append({"path": str(p), "dataset": "unifesp" if i else "icope", "subject": f"s{i}", "label": i % 2})
    originals = pd.DataFrame(originals)
    calls = []

    def every_other(image):
        calls.append(1)
        return len(calls) % 2 == 0

    copies, counts = augment.augment_manifest(originals, tmp_path / "out", 4, detect=every_other, progress=False)
    assert len(calls) == 12 and len(copies) == 6 and counts["rejected"].tolist() == [2, 2, 2]
    assert set(copies["original"]) == set(originals["path"]) and copies["copy"].between(1, 4).all()
    assert (copies["subject"] == copies["original"].map(dict(zip(originals["path"], originals["subject"])))).all()
    table = augment.rejection_table(counts)
    assert table.loc["unifesp", "originals"] == 2 and table.loc["unifesp", "rejected_share"] == 0.5
    again, _ = augment.augment_manifest(originals, tmp_path / "out", 4, detect=every_other, progress=False)
    assert len(calls) == 12  # nothing detected a second time
    pd.testing.assert_frame_equal(again, copies)


def test_no_copies_is_a_run_without_augmentation(tmp_path):
    """copies = 0 (chapter 05's first exercise): no copy, no share of rejects, and the tables keep their columns."""
    path = tmp_path / "0.png"
    write_png(path, np.full((32, 32, 3), 90, np.uint8))
    originals = pd.DataFrame([{"path": str(path), "dataset": "icope", "subject": "s0", "label": 1}])
    copies, counts = augment.augment_manifest(originals, tmp_path / "out", 0, detect=lambda image: True, progress=False)
    assert copies.empty and counts["made"].tolist() == [0]
    assert np.isnan(augment.rejection_table(counts).loc["icope", "rejected_share"])
    drawn = augment.transform_table([str(path)], 0, detect=lambda image: True)
    assert drawn.empty and {"theta", "zx", "brightness", "face_found"} <= set(drawn.columns)


# ------------------------------------------------------------------------------------------------- folds


def _uneven_manifest():
    """Uneven neonates per dataset (13 and 10) and images per neonate (1 to 5), with three copies of each
    image that follow it."""
    rows = []
    for dataset, n in (("unifesp", 13), ("icope", 10)):
        for s in range(n):
            for k in range(1 + s % 5):
                rows.append(
                    {"path": f"/{dataset}/{s}_{k}.png", "dataset": dataset, "subject": f"{dataset}-{s}", "label": k % 2}
                )
    originals = pd.DataFrame(rows)
    copies = pd.concat(
        [originals.assign(original=originals["path"], path=originals["path"] + f".copy{c}", copy=c) for c in (1, 2, 3)],
        ignore_index=True,
    )
    return originals, copies


def test_leave_subjects_out_holds_a_tenth_of_each_dataset_and_copies_follow():
    originals, copies = _uneven_manifest()
    splits = neonatal.neonatal_splits(originals, copies, folds=10, seed=4)
    assert len(splits) == 10
    tested = pd.concat([test for _, _, test in splits])
    assert tested["path"].is_unique and set(tested["path"]) == set(originals["path"])
    for _, train, test in splits:
        assert not set(train["subject"]) & set(test["subject"])
        assert not train["original"].isin(test["path"]).any()  # no copy of a test image trains
        assert set(test["path"]) <= set(originals["path"])  # only originals are tested, never a copy
        per = test.groupby("dataset")["subject"].nunique()
        assert per["unifesp"] in (1, 2) and per["icope"] == 1
        # every copy of every training original is there
        train_originals = train[train["original"].isna()]
        assert train["original"].dropna().value_counts().reindex(train_originals["path"]).eq(3).all()
    composition = neonatal.fold_composition(splits)
    assert composition[("unifesp", "neonates")].sum() == 13 and composition[("icope", "neonates")].sum() == 10


def test_folds_do_not_depend_on_row_order():
    originals, copies = _uneven_manifest()
    a = neonatal.leave_subjects_out(originals, 5, seed=1)
    b = neonatal.leave_subjects_out(originals.sample(frac=1, random_state=0), 5, seed=1)
    assert a == b


def test_bad_inputs_are_named():
    originals, copies = _uneven_manifest()
    with pytest.raises(ValueError, match="icope.*10 subject.*fewer than the 11 folds"):
        neonatal.leave_subjects_out(originals, 11)
    stray = copies.head(1).assign(original="/elsewhere.png")
    with pytest.raises(ValueError, match="name an original that is not in the set"):
        neonatal.neonatal_splits(originals, stray, 5)
    moved = copies.head(1).assign(subject="icope-0")
    with pytest.raises(ValueError, match="another subject than its original"):
        neonatal.neonatal_splits(originals, moved, 5)


def test_validation_neonates_are_held_out_with_their_copies():
    originals, copies = _uneven_manifest()
    train = pd.concat([originals, copies], ignore_index=True)
    fit, validation = training.validation_split(train, 0.1, seed=2)
    assert not set(fit["subject"]) & set(validation["subject"])
    assert validation["original"].isna().all()
    assert validation.groupby("dataset")["subject"].nunique().to_dict() == {"icope": 1, "unifesp": 1}
    one_each = originals[originals["subject"].isin(["icope-1", "unifesp-1"])]
    fit, validation = training.validation_split(one_each, 0.1)
    assert validation["subject"].nunique() == 1 and fit["subject"].nunique() == 1
    with pytest.raises(ValueError, match="one person only"):
        training.validation_split(originals[originals["subject"] == "icope-1"], 0.1)


# -------------------------------------------------------------------------------------- tables and models


@pytest.mark.parametrize("model", ["vggface", "ncnn"])
def test_printed_averages_follow_from_the_printed_folds(model):
    """Transcription check: the per-fold values give the printed mean (to 0.1 %) and standard deviation (to the
    printed whole per cent) with the population formula (ddof 0)."""
    folds = published.NEONATAL_TABLES[model]
    for metric, (mean, std) in published.NEONATAL_TABLE_AVERAGES[model].items():
        assert folds.loc[metric].mean() == pytest.approx(mean, abs=0.0006)
        assert round(folds.loc[metric].std(ddof=0), 2) == pytest.approx(std, abs=1e-9)


@pytest.mark.parametrize("model", ["vggface", "ncnn"])
def test_the_dissertations_auc_is_that_of_the_predicted_labels(model):
    """From accuracy a, precision p and sensitivity s of a fold, the share of pain q = (1 - a) / (1 + s/p - 2s)
    and the specificity (a - s q) / (1 - q) follow; (s + specificity) / 2, the AUC of hard labels, is the
    printed AUC in every fold (to the printed precision)."""
    t = published.NEONATAL_TABLES[model]
    a, p, s = t.loc["accuracy"], t.loc["precision"], t.loc["sensitivity"]
    q = (1 - a) / (1 + s / p - 2 * s)
    specificity = (a - s * q) / (1 - q)
    np.testing.assert_allclose((s + specificity) / 2, t.loc["auc"], atol=0.0016)


def test_auc_of_labels_is_balanced_accuracy():
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    from painlib.metrics import classification_metrics

    y, pred, score = [0, 0, 0, 1, 1, 1, 1], [0, 1, 0, 1, 1, 0, 1], [0.1, 0.9, 0.2, 0.8, 0.7, 0.3, 0.6]
    m = classification_metrics(y, pred, score)
    assert m["auc_labels"] == pytest.approx(balanced_accuracy_score(y, pred))
    assert m["auc"] == pytest.approx(roc_auc_score(y, score)) and m["auc"] != m["auc_labels"]


def test_fold_table_has_the_dissertations_layout():
    results = pd.DataFrame(
        {
            "run": [1, 0],
            "accuracy": [0.5, 1.0],
            "precision_pain": [0.5, 1.0],
            "recall_pain": [1.0, 1.0],
            "f1_pain": [2 / 3, 1.0],
            "auc_labels": [0.5, 1.0],
            "auc": [0.6, 1.0],
        }
    )
    table = neonatal.fold_table(results)
    assert list(table.index) == [*published.NEONATAL_TABLES["ncnn"].index, "auc (probabilities)"]
    assert list(table.columns) == ["1", "2", "mean", "std"]
    assert table.loc["accuracy", "1"] == 1.0 and table.loc["accuracy", "std"] == 0.25


def test_the_frozen_front_and_the_trainable_back_compose_to_the_network():
    import keras

    from painlib import models

    keras.utils.set_random_seed(0)
    net = models.build("vggface", 2, 32, pretrained=False)
    x = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 3)).astype("float32")
    for layer in ("flatten", "pool3"):
        front, back = training.split_chain(net, layer)
        composed = keras.ops.convert_to_numpy(back(front(x)))
        np.testing.assert_allclose(composed, keras.ops.convert_to_numpy(net(x)), rtol=1e-5, atol=1e-6)
        assert back.get_layer("head") is net.get_layer("head")  # the same weights, not a copy
    with pytest.raises(ValueError, match="is not a chain"):
        training.split_chain(models.build("ncnn", 2, 40), "merge")


@pytest.fixture(scope="module")
def tiny_neonates(tmp_path_factory):
    root = tmp_path_factory.mktemp("neonates")
    return synth.make_datasets({"neonate": 8}, root, seed=0, image_size_px=64, progress=False)


def test_both_networks_train_resume_and_keep_their_models(tiny_neonates, tmp_path, caplog):
    originals = tiny_neonates
    copies, _ = augment.augment_manifest(originals, tmp_path / "aug", 1, detect=lambda im: True, progress=False)
    store = tmp_path / "store"
    kw = dict(folds=2, seed=1, store=store, progress=False, max_epochs=1)
    vgg = neonatal.run_neonatal(originals, copies, "vggface", input_size_px=32, max_fine_tune_epochs=1, **kw)
    ncnn = neonatal.run_neonatal(originals, copies, "ncnn", input_size_px=30, **kw)
    for rows in (vgg, ncnn):
        assert len(rows) == 2 and rows["n_test"].sum() == len(originals)
        assert rows["scenario"].eq("leave_subjects_out").all() and rows["auc"].between(0, 1).all()
    history = result_store.read_history(store, vgg["key"][0])
    assert history["stage"].tolist() == [1, 2]  # VGG-Face's two stages, one epoch each here
    # the saved network gives the stored predictions
    saved = result_store.load_model(store, ncnn["key"][0])
    predictions = result_store.read_predictions(store, ncnn["key"][0])
    from painlib.images import load_images

    prob = saved.predict(load_images(list(predictions["path"]), 30), verbose=0)[:, 1]
    np.testing.assert_allclose(prob, predictions["prob_pain"], atol=1e-5)
    # a second call reads every run back, and the same seed gives the same rows without a store
    with caplog.at_level("INFO", logger="painlib.training"):
        again = neonatal.run_neonatal(originals, copies, "ncnn", input_size_px=30, **kw)
    assert "2 of 2 runs from the store" in caplog.text
    fresh = neonatal.run_neonatal(originals, copies, "ncnn", input_size_px=30, **{**kw, "store": None})
    columns = ["key", "run", "accuracy", "auc", "f1"]
    pd.testing.assert_frame_equal(fresh[columns], again[columns])


def test_a_process_pool_gives_the_same_rows_and_keeps_the_models(tiny_neonates, tmp_path):
    kw = dict(folds=2, seed=2, progress=False, max_epochs=1, input_size_px=24)
    here = neonatal.run_neonatal(tiny_neonates, None, "ncnn", **kw)
    with training.worker_pool(2) as pool:
        there = neonatal.run_neonatal(tiny_neonates, None, "ncnn", store=tmp_path, executor=pool, **kw)
    columns = ["key", "run", "accuracy", "auc", "f1"]
    pd.testing.assert_frame_equal(here[columns], there[columns])
    assert all((tmp_path / "models" / f"{key}.keras").is_file() for key in there["key"])


def test_the_settings_table_names_each_cut_from_the_protocol(monkeypatch):
    from painlib import models

    monkeypatch.setattr(models, "expected_initialisation", lambda name: models.SPECS[name].pretrained or "random")
    paper = {
        "vggface": dict(input_size_px=224, max_epochs=100, max_fine_tune_epochs=100),
        "ncnn": dict(input_size_px=120, max_epochs=100),
    }
    as_published = neonatal.protocol_settings(paper, folds=10, copies=20, batch_size=16)
    assert neonatal.protocol_cuts(as_published) == []
    cpu = {
        "vggface": dict(input_size_px=64, max_epochs=40, max_fine_tune_epochs=0, tune_threshold=True),
        "ncnn": dict(input_size_px=60, max_epochs=12, patience=4, tune_threshold=True),
    }
    assert neonatal.what_is_compared(as_published).startswith("transfer learning from faces")
    monkeypatch.setattr(models, "expected_initialisation", lambda name: "random")  # no weights file
    cpu_settings = neonatal.protocol_settings(cpu, folds=5, copies=4, batch_size=16)
    cuts = neonatal.protocol_cuts(cpu_settings)
    assert cuts == [
        "`vggface` starts from random weights (paper: VGG-Face)",
        "`vggface` input 64 px (paper 224)",
        "`ncnn` input 60 px (paper 120)",
        "folds 5 (paper 10)",
        "copies 4 (paper 20)",
        "VGG-Face's fine-tuning stage skipped",
        "`ncnn` patience 4 epochs",
        "the decision threshold chosen on the validation neonates",
    ]
    assert neonatal.what_is_compared(cpu_settings).startswith("a dense head trained on the features")
    fine_tuned = neonatal.protocol_settings(
        {**cpu, "vggface": {**cpu["vggface"], "max_fine_tune_epochs": 5}}, folds=5, copies=4, batch_size=16
    )
    assert neonatal.what_is_compared(fine_tuned).startswith("two architectures trained from random starts")


def test_one_class_folds():
    predictions = pd.DataFrame(
        {
            "model": ["a"] * 4 + ["b"] * 4,
            "run": [0, 0, 1, 1] * 2,
            "prob_pain": [0.6, 0.7, 0.2, 0.9, 0.1, 0.4, 0.3, 0.2],
            "pred": [1, 1, 0, 1, 0, 0, 0, 0],  # b calls "no pain" throughout
        }
    )
    one_class = neonatal.one_class_folds(predictions)
    assert one_class.to_dict() == {"a": 1, "b": 2}  # a's fold 0 is all pain (0.6, 0.7); fold 1 has both


def test_early_stopping_watches_the_data_loss_and_thresholds_come_from_validation(tiny_neonates, tmp_path):
    store = tmp_path / "store"
    kw = dict(folds=2, seed=1, store=store, progress=False, max_epochs=2, input_size_px=30)
    rows = neonatal.run_neonatal(tiny_neonates, None, "ncnn", tune_threshold=True, **kw)
    history = result_store.read_history(store, rows["key"][0])
    assert {"val_data_loss", "val_loss"} <= set(history.columns)
    assert (history["val_data_loss"] < history["val_loss"]).all()  # the L2 penalty is left out of what is watched
    assert rows["threshold"].between(0, 1).all()
    predictions = result_store.read_predictions(store, rows["key"][0])
    threshold = rows["threshold"][0]
    assert (predictions["pred"] == (predictions["prob_pain"] >= threshold).astype(int)).all()


def test_the_split_seed_draws_the_folds_and_nothing_else(tiny_neonates, tmp_path):
    kw = dict(folds=2, seed=1, store=tmp_path, progress=False, max_epochs=1, input_size_px=30)
    held_out = {}
    for split_seed in (None, 1, 3):
        rows = neonatal.run_neonatal(tiny_neonates, None, "ncnn", split_seed=split_seed, **kw)
        assert rows["seed"].tolist() == [1, 2]  # the starting seeds follow `seed` whatever the folds
        tested = [result_store.read_predictions(tmp_path, key)["path"] for key in rows["key"]]
        held_out[split_seed] = {frozenset(paths) for paths in tested}
    assert held_out[None] == held_out[1]  # None: the folds of `seed`
    expected = {frozenset(t["path"]) for _, _, t in neonatal.neonatal_splits(tiny_neonates, None, 2, 3)}
    assert held_out[3] == expected != held_out[1]


def test_vggface_folds_share_the_start_of_their_convolutions(tiny_neonates, tmp_path):
    from painlib import models

    kw = dict(folds=2, seed=1, store=tmp_path, progress=False, max_epochs=1, max_fine_tune_epochs=0)
    rows = neonatal.run_neonatal(tiny_neonates, None, "vggface", input_size_px=32, start_seed=7, **kw)
    nets = [result_store.load_model(tmp_path, key) for key in rows["key"]]
    first, second = (training.split_chain(n, "flatten")[0].get_weights() for n in nets)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))  # stage 1 leaves the convolutions at the start
    drawn = models.build("vggface", 2, 32, pretrained=False)
    start = training.shared_start(drawn, lambda m: training.split_chain(m, "flatten")[0], seed=0, start_seed=7)
    assert start == 7 and np.array_equal(training.split_chain(drawn, "flatten")[0].get_weights()[0], first[0])
