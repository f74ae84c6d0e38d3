"""Gaze heatmaps, post-processing, comparison metrics and tests (painlib.attention), the simulated recordings
(painlib.synth.gaze) and the choice of images and fold models (painlib.neonatal)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from painlib import attention, neonatal, published
from painlib.synth import gaze


def _records(**changes) -> pd.DataFrame:
    row = dict(participant="p1", group="experts", image="a", x=10.0, y=12.0, duration_ms=200.0, valid_share=0.9)
    return pd.DataFrame([row | changes])


def test_bad_fixation_records_are_counted_by_reason():
    records = pd.concat(
        [
            _records(),
            _records(x="not a number"),
            _records(participant="p2", valid_share=0.5),
            _records(duration_ms=40.0),
            _records(x=-3.0),
            _records(y=64.0),
            _records(group="parents"),
        ],
        ignore_index=True,
    )
    kept, dropped = attention.clean_fixations(records, width=64, height=64)
    assert len(kept) == 2
    assert dropped.loc["experts"].to_dict() == {
        "unreadable": 1,
        "participant_under_valid_share": 1,
        "shorter_than_minimum": 1,
        "off_image": 2,
        "kept": 1,
    }
    assert dropped.loc["parents", "kept"] == 1
    assert dropped.to_numpy().sum() == len(records)  # every record counted once


def test_missing_fixation_columns_are_named():
    with pytest.raises(ValueError, match="duration_ms"):
        attention.read_fixations(_records().rename(columns={"duration_ms": "Duration"}))


def test_a_single_fixation_makes_a_heatmap_peaking_at_it():
    maps = attention.gaze_heatmaps(_records(x=40.0, y=20.0), ["a", "b"], (48, 64), sigma_px=3)
    assert maps.shape == (2, 48, 64)
    assert np.unravel_index(maps[0].argmax(), maps[0].shape) == (20, 40)
    assert maps[0].max() == pytest.approx(1.0) and maps[1].max() == 0  # nobody looked at "b"


def test_postprocessing_keeps_the_bright_square_and_clusters_the_scores():
    heatmap = np.zeros((40, 40), np.float32)
    heatmap[10:20, 10:20] = 1.0
    heatmap += np.random.default_rng(0).uniform(0, 0.1, heatmap.shape)
    processed, mask = attention.postprocess(heatmap)
    assert mask[12:18, 12:18].all()  # the square's inside
    assert not mask[30:, 30:].any() and not mask[:5].any()  # far from it
    assert processed.shape == heatmap.shape
    # before the blur, k-means leaves at most five distinct values
    blurred_once = attention.postprocess(heatmap, kernel_px=1, sigma_px=0.1)[0]
    assert len(np.unique(blurred_once.round(6))) <= 5


def test_a_constant_map_points_nowhere():
    processed, mask = attention.postprocess(np.zeros((20, 20)))
    assert not mask.any()
    assert not attention.relevant(np.ones((5, 5)), 0.1).any()


def test_threshold_is_mean_plus_c_standard_deviations():
    grey = np.array([[0.0, 0.0, 0.0, 1.0]])  # mean 0.25, sd 0.433
    assert attention.relevant(grey, 0.5).tolist() == [[False, False, False, True]]
    assert attention.relevant(grey, -1.0).tolist() == [[True, True, True, True]]


def test_metrics_on_hand_computed_masks():
    a = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert attention.cosine(a, a) == pytest.approx(1.0)
    assert attention.overlap(a > 0, a > 0) == 1.0
    assert attention.cosine([1, 0], [1, 1]) == pytest.approx(1 / np.sqrt(2))
    assert attention.overlap(np.array([1, 1, 0, 0], bool), np.array([0, 1, 1, 0], bool)) == 0.5
    assert np.isnan(attention.cosine(a, np.zeros_like(a)))
    assert np.isnan(attention.overlap(a > 0, np.zeros(a.shape, bool)))  # an empty mask agrees with nothing
    assert np.isnan(attention.overlap(np.zeros(4, bool), np.zeros(4, bool)))
    x, y = np.array([1.0, 2, 3, 4, 5]), np.array([2.0, 1, 4, 3, 5])
    assert attention.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)
    assert attention.spearman(x, 10 * x**3) == pytest.approx(1.0)


def _scores(pain: list[float], rest: list[float], pair: str = "a – b", metric: str = "overlap") -> pd.DataFrame:
    rows = [dict(subject=f"n{i}", **{"class": "pain"}, value=v) for i, v in enumerate(pain)]
    rows += [dict(subject=f"n{i}", **{"class": "no_pain"}, value=v) for i, v in enumerate(rest)]
    return pd.DataFrame(rows).assign(pair=pair, metric=metric, first="a", second="b")


def test_the_test_follows_the_normality_result():
    rng = np.random.default_rng(3)
    pain, rest = rng.normal(0.7, 0.05, 10), rng.normal(0.6, 0.05, 10)
    table = attention.class_tests(_scores(list(pain), list(rest)))
    assert table.loc[0, "test"] == "Student's t"
    assert table.loc[0, "p"] == pytest.approx(stats.ttest_ind(pain, rest).pvalue)
    skewed = [0.1] * 8 + [0.9, 0.95]  # far from normal
    table = attention.class_tests(_scores(skewed, list(rest)))
    assert table.loc[0, "test"] == "Mann–Whitney U"
    assert table.loc[0, "p"] == pytest.approx(stats.mannwhitneyu(skewed, rest, alternative="two-sided").pvalue)


def test_no_difference_is_not_resolved_and_a_paired_shift_is():
    rng = np.random.default_rng(4)
    base = rng.normal(0.6, 0.1, 10)
    same = attention.class_tests(_scores(list(base), list(base)))
    assert same.loc[0, "p"] > 0.5 and same.loc[0, "paired_test"] == "no difference"
    # every neonate's pain image agrees a little more than its rest image: lost between neonates, found in pairs
    shifted = attention.class_tests(_scores(list(base + 0.02 + rng.normal(0, 0.002, 10)), list(base)))
    assert shifted.loc[0, "p"] > 0.05 and shifted.loc[0, "p_paired"] < 0.01


def test_pair_matrix_is_symmetric_with_ones_on_the_diagonal():
    scores = pd.concat([_scores([0.8, 0.6], [0.1, 0.1]), _scores([0.2, 0.4], [0, 0]).assign(second="c")])
    table = attention.pair_matrix(scores, "overlap", "pain", ["a", "b", "c"])
    assert table.loc["a", "b"] == table.loc["b", "a"] == pytest.approx(0.7)
    assert table.loc["a", "c"] == pytest.approx(0.3) and np.allclose(np.diag(table), 1)


def test_strength_bands():
    assert attention.strength("cosine", 0.75) == "strong"
    assert attention.strength("cosine", 0.5812) == "moderate"  # VGG-Face Grad-CAM – experts, in the dissertation
    assert attention.strength("spearman", 0.4) == "weak"
    assert attention.strength("spearman", -0.301) == "negative"  # not "weak": the ranks run the other way
    assert attention.strength("overlap", 0.8167) == "strong"


def test_the_dissertation_tables_are_symmetric():
    for key, table in published.ATTENTION_TABLES.items():
        values = table.to_numpy()
        assert np.allclose(values, values.T, equal_nan=True), key
    # values the dissertation's prose quotes (Section 4.2), beside its tables
    quoted = {
        ("pain", "cosine", "experts", "parents"): 0.7505,
        ("pain", "spearman", "experts", "parents"): 0.6161,
        ("pain", "overlap", "experts", "parents"): 0.8167,
        ("pain", "cosine", "experts", "gradcam_ncnn"): 0.3670,
        ("pain", "spearman", "gradcam_ncnn", "ig_ncnn"): 0.2494,
        ("pain", "overlap", "gradcam_ncnn", "ig_ncnn"): 0.8016,
        ("pain", "cosine", "experts", "gradcam_vggface"): 0.5812,
        ("pain", "spearman", "experts", "gradcam_vggface"): 0.4272,
        ("pain", "overlap", "gradcam_vggface", "gradcam_ncnn"): 0.7581,
        ("pain", "cosine", "ig_vggface", "parents"): 0.4202,
        ("pain", "overlap", "ig_vggface", "gradcam_ncnn"): 0.7229,
        ("no_pain", "cosine", "experts", "parents"): 0.7600,
        ("no_pain", "spearman", "experts", "parents"): 0.5888,
        ("no_pain", "overlap", "experts", "parents"): 0.7714,
        ("no_pain", "cosine", "experts", "gradcam_ncnn"): 0.2230,
        ("no_pain", "spearman", "gradcam_ncnn", "ig_ncnn"): -0.0249,
        ("no_pain", "overlap", "gradcam_ncnn", "ig_ncnn"): 0.6789,
        ("no_pain", "cosine", "experts", "gradcam_vggface"): 0.5784,
        ("no_pain", "overlap", "gradcam_vggface", "ig_vggface"): 0.7605,
    }
    for (klass, metric, a, b), value in quoted.items():
        assert published.ATTENTION_TABLES[(klass, metric)].loc[a, b] == value, (klass, metric, a, b)


def test_region_shares_of_a_mask():
    grey = np.zeros((1, 4, 4))
    grey[0, :2] = 1.0
    top = np.zeros((1, 4, 4), bool)
    top[0, 0] = True
    shares = attention.region_shares(grey, {"top": top, "all": np.ones((1, 4, 4), bool)})
    assert shares.loc[0, "top"] == pytest.approx(0.5) and shares.loc[0, "all"] == 1.0


def _regions(n: int = 2, size: int = 60) -> dict[str, np.ndarray]:
    masks = {au: np.zeros((n, size, size), bool) for au in ("au4", "au6", "au7", "au9", "au10", "au43", "face")}
    masks["face"][:, 5:55, 10:50] = True
    masks["au4"][:, 12:16, 15:45] = True
    masks["au7"][:, 18:22, 15:45] = masks["au43"][:, 18:22, 15:45] = True
    masks["au9"][:, 25:35, 25:35] = True
    masks["au10"][:, 38:48, 18:42] = True
    masks["au6"][:, 24:32, 12:20] = True
    return gaze.region_masks(masks)


def test_simulated_experts_look_at_the_regions_more_than_parents():
    regions = _regions()
    records = gaze.simulate_fixations(["a", "b"], regions, seed=1)
    assert records.equals(gaze.simulate_fixations(["a", "b"], regions, seed=1))
    assert list(records.columns) == list(attention.FIXATION_COLUMNS)
    kept, dropped = attention.clean_fixations(records, 60, 60)
    assert (dropped.drop(columns=["kept", "unreadable"]).sum() > 0).all()  # each criterion drops something
    core = regions["brow"] | regions["eyes"] | regions["mouth and nasolabial furrow"]
    x = np.clip(kept["x"].astype(int), 0, 59)
    y = np.clip(kept["y"].astype(int), 0, 59)
    on_core = pd.Series(core[0][y, x], index=kept.index).groupby(kept["group"]).mean()
    assert on_core["experts"] > on_core["parents"] + 0.05


def _originals() -> pd.DataFrame:
    rows = []
    for s in range(4):
        for label in (0, 1):
            for frame in (1, 0):
                rows.append(
                    dict(path=f"u{s}-{label}-{frame}", subject=f"u{s}", dataset="unifesp", label=label, frame=frame)
                )
    rows.append(dict(path="only-rest", subject="u9", dataset="unifesp", label=0, frame=0))
    rows.append(dict(path="icope", subject="i0", dataset="icope", label=1, frame=0))
    return pd.DataFrame(rows)


def test_eye_tracking_images_are_one_rest_and_one_pain_image_per_neonate():
    chosen = neonatal.eye_tracking_images(_originals(), n_neonates=3)
    assert list(chosen["path"]) == ["u0-0-0", "u0-1-0", "u1-0-0", "u1-1-0", "u2-0-0", "u2-1-0"]
    assert len(neonatal.eye_tracking_images(_originals(), n_neonates=10)) == 8  # u9 has no pain image


def test_each_image_is_explained_by_the_fold_that_tested_it(tmp_path, monkeypatch):
    from painlib.result_store import save_run

    monkeypatch.chdir(tmp_path)  # the store named relative to the working directory, as the pages name it

    originals = _originals().assign(path=lambda d: [str(tmp_path / "data" / p) for p in d["path"]])
    chosen = neonatal.eye_tracking_images(originals, n_neonates=2)
    kept = []
    for run, subjects in enumerate((["u0"], ["u1", "u2"])):
        tested = originals[originals["subject"].isin(subjects)].assign(prob_pain=0.5, pred=1)
        row = dict(key=f"k{run}", model="ncnn", run=run, threshold=0.5)
        save_run("store", pd.DataFrame(), row, {"predictions": tested, "history": pd.DataFrame()})
        kept.append(row)
    table = neonatal.test_fold_models(chosen, pd.DataFrame(kept), "store")
    runs = {Path(p).name: run for p, run in table.set_index("path")["run"].items()}
    assert runs == {"u0-0-0": 0, "u0-1-0": 0, "u1-0-0": 1, "u1-1-0": 1}
    # the data folder and the store moved together: the runs still find their images
    (tmp_path / "moved").mkdir()
    for name in ("data", "store"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name).rename(tmp_path / "moved" / name)
    moved = chosen.assign(path=[p.replace(str(tmp_path), str(tmp_path / "moved")) for p in chosen["path"]])
    assert len(neonatal.test_fold_models(moved, pd.DataFrame(kept), tmp_path / "moved" / "store")) == 4
    with pytest.raises(ValueError, match="2 images were tested by no kept ncnn run"):  # u1's, which run 1 tested
        neonatal.test_fold_models(moved, pd.DataFrame(kept[:1]), tmp_path / "moved" / "store")


def test_a_tobii_studio_export_becomes_fixation_records():
    export = pd.DataFrame(
        {
            "ParticipantName": ["P01", "P01", "P01", "P02"],
            "MediaName": ["a.png"] * 4,
            "FixationPointX (MCSpx)": [10, 10, None, 30],
            "FixationPointY (MCSpx)": [20, 20, None, 40],
            "GazeEventDuration": [150, 150, 40, 90],  # a fixation over two samples, a saccade, a fixation
            "GazeEventType": ["Fixation", "Fixation", "Saccade", "Fixation"],
            "FixationIndex": [1, 1, None, 1],
        }
    )
    records = attention.from_tobii_studio(export, {"P01": "experts", "P02": "parents"}, {"P01": 0.9, "P02": 0.8})
    assert list(records.columns) == list(attention.FIXATION_COLUMNS)
    assert records[["participant", "group", "x", "duration_ms"]].values.tolist() == [
        ["P01", "experts", 10, 150],
        ["P02", "parents", 30, 90],
    ]
    with pytest.raises(ValueError, match="P02"):
        attention.from_tobii_studio(export, {"P01": "experts"}, {"P01": 0.9})


def test_media_names_are_the_original_file_names():
    rows = pd.DataFrame({"path": ["/cache/ab/12.png"], "source_path": ["/data/unifesp/06-12348-145026.jpg"]})
    assert attention.media_names(rows) == ["06-12348-145026.jpg"]
    assert attention.media_names(rows.drop(columns="source_path")) == ["12.png"]


def test_recorded_fixations_move_into_the_face_crop():
    images = pd.DataFrame({"face_box": ["100 50 80 80"]})  # square of side 100 from (90, 40) with margin 0.25
    records = pd.concat([_records(image="a.jpg", x=90.0, y=40.0), _records(image="a.jpg", x=140.0, y=90.0)])
    moved = attention.to_face_crop(records, images, ["a.jpg"], 0.25, 50)
    assert moved[["x", "y"]].values.tolist() == [[0.0, 0.0], [25.0, 25.0]]
    with pytest.raises(ValueError, match="not among the images"):
        attention.to_face_crop(records.assign(image="b.jpg"), images, ["a.jpg"], 0.25, 50)
    with pytest.raises(ValueError, match="no fixation record"):
        attention.to_face_crop(records, pd.concat([images] * 2), ["a.jpg", "c.jpg"], 0.25, 50)


def test_gaze_regions_do_not_overlap():
    regions = _regions()
    stacked = np.stack(list(regions.values())).sum(axis=0)
    assert stacked.max() == 1  # every face pixel in exactly one region
    assert regions["eyes"].any() and regions["rest of face"].any()


def test_an_image_tested_twice_by_one_network_is_an_error(tmp_path):
    originals = _originals().assign(path=lambda d: [str(tmp_path / p) for p in d["path"]])  # absolute: older stores
    chosen = neonatal.eye_tracking_images(originals, n_neonates=1)
    (tmp_path / "predictions").mkdir()
    for key in ("a", "b"):
        originals.assign(prob_pain=0.5, pred=1).to_csv(tmp_path / "predictions" / f"{key}.csv", index=False)
    kept = pd.DataFrame([dict(key=k, model="ncnn", run=i, threshold=0.5) for i, k in enumerate("ab")])
    with pytest.raises(ValueError, match="two kept runs"):
        neonatal.test_fold_models(chosen, kept, tmp_path)
