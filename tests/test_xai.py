"""LIME explanations, the common face frame and the faithfulness scores (painlib.xai, .alignment, .faithfulness)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skimage import data as sample_images
from skimage.transform import resize

from painlib import alignment, faithfulness, regions, xai
from painlib.models import ADULT_MODELS

SIZE = 64
#: The planted networks look at this box only (rows, cols): the lower middle of the face.
MOUTH = (slice(40, 56), slice(16, 48))


def _photo(size: int = SIZE) -> np.ndarray:
    """scikit-image's astronaut photograph, a real face, as (size, size, 3) uint8."""
    return (resize(sample_images.astronaut(), (size, size), anti_aliasing=True) * 255).astype(np.uint8)


def _mouth_region(size: int = SIZE) -> np.ndarray:
    region = np.zeros((size, size), bool)
    region[MOUTH] = True
    return region


def _planted_on(region: np.ndarray, reference: np.ndarray):
    """A 'network' whose p(pain) rises with the detail (colour spread) inside ``region`` and ignores every other
    pixel: hiding a segment there (LIME paints it in its mean colour) lowers it."""
    spread = reference[region].astype(float).std(axis=0).mean()

    def predict(images: np.ndarray) -> np.ndarray:
        detail = np.asarray(images, float)[:, region].std(axis=1).mean(axis=1) / spread
        p = 1 / (1 + np.exp(-8 * (detail - 0.6)))
        return np.stack([1 - p, p], axis=1)

    return predict


_planted = _planted_on(_mouth_region(), _photo())


def test_the_shared_explainer_gives_the_weights_of_a_plain_lime_call():
    from lime.lime_image import LimeImageExplainer

    image = _photo()
    segments = xai.slic_segments(image, 20)
    ours = xai.explain_image(image, {"planted": _planted}, n_samples=300, seed=5, segments=segments)["planted"]
    plain = LimeImageExplainer(random_state=5).explain_instance(
        image,
        _planted,
        labels=(1,),
        top_labels=None,
        num_samples=300,
        segmentation_fn=lambda _: segments,
        random_seed=5,
    )
    expected = np.zeros(segments.max() + 1)
    for feature, weight in plain.local_exp[1]:
        expected[feature] = weight
    np.testing.assert_allclose(ours.weights, expected, rtol=1e-10, atol=1e-12)
    assert ours.intercept == pytest.approx(plain.intercept[1]) and ours.score == pytest.approx(plain.score)


def test_segments_are_numbered_from_zero_so_lime_can_hide_each_one():
    segments = xai.slic_segments(_photo(), 25)
    assert segments.min() == 0 and np.array_equal(np.unique(segments), np.arange(segments.max() + 1))


def test_a_planted_network_is_explained_by_the_region_it_looks_at():
    image = _photo()
    segments = xai.slic_segments(image, 60)
    # the region: the segments mostly inside the mouth box, so that LIME's segments can outline it exactly
    inside = [s for s in np.unique(segments) if _mouth_region()[segments == s].mean() > 0.5]
    region = np.isin(segments, inside)
    planted = _planted_on(region, image)
    explanation = xai.explain_image(image, {"planted": planted}, n_samples=300, seed=0, segments=segments)["planted"]
    relevance = explanation.relevance()
    assert faithfulness.relevance_mass(relevance, region) > 0.8 > 4 * faithfulness.region_share(region)
    assert faithfulness.pointing_game(relevance, region) == 1.0
    assert explanation.mask().sum() < 0.5 * region.size and explanation.mask(1).sum() <= region.sum()
    # the no-pain class is explained by the opposite weights (its probability is one minus pain's)
    other = xai.explain_image(image, {"planted": planted}, n_samples=300, seed=0, segments=segments, class_index=0)
    np.testing.assert_allclose(other["planted"].weights, -explanation.weights, atol=1e-9)


def test_one_perturbation_set_serves_every_network_in_one_call_each():
    calls = []

    def counting(images):
        calls.append(len(images))
        return _planted(images)

    out = xai.explain_image(_photo(), {"a": counting, "b": _planted}, n_samples=120, seed=1)
    assert calls == [120] and set(out) == {"a", "b"}
    np.testing.assert_allclose(out["a"].weights, out["b"].weights)


def test_explaining_a_stack_matches_one_image_at_a_time_and_keeps_the_order():
    images = np.stack([_photo(), np.flip(_photo(), axis=1)])
    explained = xai.explain_set(images, {"planted": _planted}, n_samples=100, seed=3, progress=False)
    table, maps = explained.table, explained.maps(1)
    assert table["image"].tolist() == [0, 1] and maps.shape == (2, SIZE, SIZE)
    second = xai.explain_image(images[1], {"planted": _planted}, n_samples=100, seed=4)["planted"]
    np.testing.assert_allclose(maps[1], second.relevance())


def test_keras_predict_gives_the_models_probabilities_in_batches():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")]
    )
    x = np.random.default_rng(0).integers(0, 256, (37, 8, 8, 3)).astype(np.uint8)
    np.testing.assert_allclose(xai.keras_predict(model, batch_size=10)(x), model.predict(x, verbose=0), rtol=1e-5)
    # a larger explanation image is resized to the model's input as training resizes image files
    big = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)
    np.testing.assert_allclose(xai.keras_predict(model)(big), model.predict(x, verbose=0), rtol=1e-5)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="H, W, 3"):
        xai.explain_image(np.zeros((8, 8)), {"planted": _planted})
    with pytest.raises(ValueError, match="probabilities"):
        xai.explain_image(_photo(), {"bad": lambda x: np.ones(len(x))}, n_samples=10)


# ------------------------------------------------------------------------------------------ alignment


def test_the_landmarks_land_exactly_on_the_template():
    landmarks = np.array([[11.0, 13.0], [22.5, 12.0], [17.0, 19.0], [12.0, 25.0], [23.0, 24.5]])
    template = np.array([[20.0, 24.0], [44.0, 24.0], [32.0, 36.0], [22.0, 48.0], [42.0, 48.0]])
    transform = alignment.face_transform(landmarks, (32, 32), template, (64, 64))
    np.testing.assert_allclose(transform(template), landmarks, atol=1e-9)  # template pixel → image pixel
    np.testing.assert_allclose(transform(np.array([[0.0, 0.0], [63.0, 63.0]])), [[0, 0], [31, 31]], atol=1e-9)
    # a dot on the image's nose lands on the template's nose
    dot = np.zeros((32, 32))
    dot[19, 17] = 1.0
    warped = alignment.to_template(dot, landmarks, template, (64, 64))
    row, col = np.unravel_index(np.argmax(warped), warped.shape)
    assert abs(row - 36) <= 1 and abs(col - 32) <= 1


def test_a_face_already_in_the_template_frame_is_left_as_it_is():
    landmarks = np.array([[10.0, 12.0], [21.0, 12.0], [16.0, 18.0], [11.0, 24.0], [21.0, 24.0]])
    image = np.random.default_rng(0).random((SIZE, SIZE))
    np.testing.assert_allclose(alignment.to_template(image, landmarks, landmarks, (SIZE, SIZE)), image, atol=1e-6)


def test_mtcnn_keypoints_become_a_landmark_array_and_bad_ones_are_named():
    keypoints = {k: (i, 2 * i) for i, k in enumerate(alignment.KEYPOINTS)}
    assert alignment.keypoints_array(keypoints).tolist() == [[i, 2 * i] for i in range(5)]
    with pytest.raises(ValueError, match="nose"):
        alignment.keypoints_array({"left_eye": (0, 0)})
    with pytest.raises(ValueError, match=r"\(k, 2\)"):
        alignment.face_transform(np.zeros((5, 2)), (SIZE, SIZE), np.zeros((4, 2)), (SIZE, SIZE))


def test_global_maps_count_each_image_once_and_are_normalised():
    maps = np.zeros((3, 2, 2))
    maps[0, 0, 0], maps[1, 0, 0], maps[1, 1, 1], maps[2, 1, 0] = 2.0, 1.0, 1.0, 5.0
    table = pd.DataFrame({"model": ["a", "a", "b"], "class": ["pain"] * 3, "dataset": ["x"] * 3})
    groups, out = alignment.global_maps(table, maps)
    assert groups["n_images"].tolist() == [2, 1]
    np.testing.assert_allclose(out[0], [[1.0, 0.0], [0.0, 1 / 3]])  # (2 + 1, 1) summed, over its maximum 3
    np.testing.assert_allclose(out[1], [[0.0, 0.0], [1.0, 0.0]])
    assert alignment.otsu_binary(out[0]).tolist() == [[True, False], [False, False]]
    with pytest.raises(ValueError, match="describe"):
        alignment.global_maps(table.head(2), maps)


def test_a_planted_networks_global_map_on_the_average_face_sits_on_its_region():
    rng = np.random.default_rng(0)
    base = _photo()
    gains = np.array([0.8, 0.9, 1.0, 1.1])[:, None, None, None]  # four exposures of the face, a little noise
    images = np.clip(base[None] * gains + rng.normal(0, 3, (4, SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
    explained = xai.explain_set(images, {"planted": _planted}, n_segments=60, n_samples=300, progress=False)
    table, maps = explained.table, explained.maps(1)
    landmarks = np.array([[20.0, 24.0], [42.0, 24.0], [32.0, 36.0], [22.0, 48.0], [42.0, 48.0]])
    aligned = np.stack([alignment.to_template(m, landmarks, landmarks * 2, (128, 128)) for m in maps])
    groups, global_map = alignment.global_maps(table.assign(**{"class": "pain", "dataset": "x"}), aligned)
    region = resize(_mouth_region(), (128, 128), order=0).astype(bool)
    assert groups["n_images"].tolist() == [4]
    # LIME's segments spill over the box's edges, so the mass is bounded by their shape, not 1
    assert faithfulness.relevance_mass(global_map[0], region) > 3 * faithfulness.region_share(region)
    assert faithfulness.pointing_game(global_map[0], region) == 1.0


# ------------------------------------------------------------------------------------------ faithfulness


def test_relevance_mass_and_pointing_game_follow_their_definitions():
    region = np.array([[True, False], [False, False]])
    heatmaps = np.array([[[3.0, 1.0], [0.0, -5.0]], [[0.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [0.0, 0.0]]])
    regions = np.broadcast_to(region, heatmaps.shape)
    mass = faithfulness.relevance_mass(heatmaps, regions)
    np.testing.assert_allclose(mass, [0.75, np.nan, 1 / 3])  # negative relevance left out; no relevance: NaN
    np.testing.assert_array_equal(faithfulness.pointing_game(heatmaps, regions), [1.0, np.nan, 0.0])
    assert np.isnan(faithfulness.relevance_mass(heatmaps[0], np.zeros((2, 2), bool)))  # empty region
    assert faithfulness.region_share(region) == 0.25
    with pytest.raises(ValueError, match="one shape"):
        faithfulness.relevance_mass(heatmaps, region[:1])


def test_hiding_the_explained_segments_first_lowers_the_probability_faster_than_random():
    image = _photo()
    e = xai.explain_image(image, {"planted": _planted}, n_samples=300, seed=2)["planted"]
    fill = xai.mean_fill(image, e.segments)
    ranked = faithfulness.deletion_curve(_planted, image, fill, e.segments, np.argsort(-e.weights))
    shuffled = np.random.default_rng(0).permutation(len(e.weights))
    random = faithfulness.deletion_curve(_planted, image, fill, e.segments, shuffled)
    assert len(ranked) == len(e.weights) + 1 and ranked[0] == pytest.approx(e.prob)
    assert ranked[-1] == pytest.approx(random[-1])  # everything hidden: the same image either way
    assert faithfulness.curve_area(ranked) < faithfulness.curve_area(random)
    assert faithfulness.curve_area(np.ones(5)) == pytest.approx(1.0)


def test_a_network_that_returns_nan_is_named():
    with pytest.raises(ValueError, match="broken: .* not finite"):
        xai.explain_image(_photo(), {"broken": lambda x: np.full((len(x), 2), np.nan)}, n_samples=10)


# ------------------------------------------------------------------------------------------ a set of images


def test_an_explained_set_resumes_from_its_cache_and_gives_both_classes_maps(tmp_path):
    images = np.stack([_photo(), np.flip(_photo(), axis=1)])
    calls = []

    def counting(x):
        calls.append(len(x))
        return _planted(x)

    first = xai.explain_set(images, {"planted": counting}, n_samples=60, seed=2, cache=tmp_path, progress=False)
    again = xai.explain_set(images, {"planted": counting}, n_samples=60, seed=2, cache=tmp_path, progress=False)
    assert calls == [60, 60] and len(list(tmp_path.glob("*.npz"))) == 2  # the second call read both back
    np.testing.assert_array_equal(first.weights, again.weights)
    direct = xai.explain_image(images[1], {"planted": _planted}, n_samples=60, seed=3)["planted"]
    np.testing.assert_allclose(first.maps(1)[1], direct.relevance())
    np.testing.assert_allclose(first.maps(0)[1], np.clip(-direct.weights, 0, None)[direct.segments])
    other = xai.explain_set(images, {"planted": _planted}, n_samples=60, seed=5, cache=tmp_path, progress=False)
    assert len(list(tmp_path.glob("*.npz"))) == 4 and not np.array_equal(other.weights, first.weights)


def test_landmarks_of_a_real_face_come_in_keypoint_order():
    face = (resize(sample_images.astronaut()[:256, 96:352], (160, 160), anti_aliasing=True) * 255).astype(np.uint8)
    found = alignment.detect_landmarks(np.stack([face, np.full_like(face, 255)]))
    left, right, nose, mouth_left, mouth_right = found[0]
    assert left[0] < right[0] and mouth_left[0] < mouth_right[0]
    assert max(left[1], right[1]) < nose[1] < min(mouth_left[1], mouth_right[1])
    assert np.isnan(found[1]).all()  # a blank image has no face


# ------------------------------------------------------------------------------------------ regions


def test_template_regions_sit_where_their_names_say():
    template = np.array([[40.0, 50.0], [88.0, 50.0], [64.0, 75.0], [46.0, 96.0], [82.0, 96.0]])
    r = regions.template_regions(template, (128, 128))
    assert r["eyes"][50, 40] and r["eyes"][50, 88] and not r["eyes"][75, 64]
    assert r["forehead"][20, 64] and not r["forehead"][50, 64]
    assert r["mouth"][96, 64] and r["lower_face"][110, 64] and not r["lower_face"][50, 64]
    assert r["nose"][75, 64] and not (r["forehead"] & r["mouth"]).any()
    shares = regions.region_shares(r)
    assert shares["lower_face"] == pytest.approx((128 - 76) / 128)


def test_region_mass_shares_and_tests_answer_both_ways():
    r = {"top": np.zeros((4, 4), bool), "all": np.ones((4, 4), bool)}
    r["top"][0] = True
    maps = np.zeros((3, 4, 4))
    maps[0, 0, 0] = 1.0
    maps[1] = 1.0
    table = regions.region_mass(maps, r)
    np.testing.assert_allclose(table["top"], [1.0, 0.25, np.nan])
    assert table["all"].iloc[0] == 1.0
    assert regions.above_share(np.full(8, 0.9) + np.arange(8) * 0.01, 0.25) < 0.01
    assert regions.above_share(np.full(8, 0.25), 0.25) == 1.0  # no difference: not resolved
    assert regions.above_share([0.9], 0.25) == 1.0  # one map cannot resolve anything
    assert regions.paired_greater(np.arange(8) + 1.0, np.arange(8)) < 0.01
    assert regions.paired_greater(np.arange(8), np.arange(8) + 1.0) > 0.99


def test_two_groups_recover_networks_that_look_at_two_different_places():
    rng = np.random.default_rng(0)
    up, down = np.zeros((8, 8)), np.zeros((8, 8))
    up[:3], down[5:] = 1.0, 1.0
    maps = {f"a{i}": up + rng.random((8, 8)) * 0.3 for i in range(3)}
    maps |= {f"b{i}": down + rng.random((8, 8)) * 0.3 for i in range(4)}
    found = regions.two_groups(maps)
    truth = {name: name[0] for name in maps}
    assert regions.same_partition(found, truth)
    assert not regions.same_partition(found, {**truth, "a0": "b"})


# ------------------------------------------------------------------------------------------ ground truth


def test_pain_regions_are_the_drawn_aus_cut_like_the_face(tmp_path):
    from painlib import faces, synth
    from painlib.facs import AUS, unpack_masks

    manifest = synth.make_datasets({"delaware": 3}, tmp_path, seed=0, image_size_px=96, progress=False)
    pain = manifest[manifest["label"] == 1].head(2).reset_index(drop=True)
    boxes = ["10 12 60 70", "0 0 96 96"]
    rows = pain.assign(face_box=boxes)
    out = faithfulness.pain_regions(rows, 48, margin=0.25)
    assert out.shape == (2, 48, 48) and out.any(axis=(1, 2)).all()
    import cv2

    packed = cv2.imread(str(rows["mask_path"][1]), cv2.IMREAD_UNCHANGED)
    drawn = np.zeros(packed.shape, bool)
    for au, mask in unpack_masks(packed).items():
        if au in AUS and rows[au][1] > 0:
            drawn |= mask
    square = faces.square_box([0, 0, 96, 96], 0.25)
    expected = cv2.resize(faces.crop_square(drawn.astype(np.uint8), square, fill=0), (48, 48), interpolation=0) > 0
    np.testing.assert_array_equal(out[1], expected)
    with pytest.raises(ValueError, match="face_box"):
        faithfulness.pain_regions(pain.drop(columns=["face_box"], errors="ignore"), 48)


def test_the_scores_of_a_planted_network_beat_an_even_map_and_a_random_order():
    gains = np.array([0.9, 1.0, 1.1])[:, None, None, None]
    images = np.clip(_photo()[None] * gains, 0, 255).astype(np.uint8)
    explained = xai.explain_set(images, {"planted": _planted}, n_segments=60, n_samples=200, progress=False)
    chosen = pd.DataFrame({"set": "x", "label": [1, 1, 0]})
    rows = xai.outcomes(explained.table, chosen, {"planted": 0.5})
    assert rows["outcome"].tolist() == ["TP", "TP", "FP"] and rows["class"].tolist() == ["pain"] * 3
    truth = np.stack([_mouth_region()] * 3)
    table, curves = faithfulness.score_explanations(explained, rows, images, truth, {"planted": _planted})
    row = table.loc["planted"]
    assert row["n_images"] == 2 and row["relevance_mass"] > 2 * row["region_share"]
    assert row["deletion_area"] < row["random_area"] and row["pointing_game"] == 1.0
    assert row["area_gap"] == pytest.approx(row["random_area"] - row["deletion_area"])
    assert set(curves["order"]) == {"map", "random"} and curves["hidden"].between(0, 1).all()
    # an empty region (a no-pain face) is left out, not scored as a miss
    empty = faithfulness.score_explanations(explained, rows, images, truth & False, {"planted": _planted})[0]
    assert empty.loc["planted", "n_images"] == 0 and empty.loc["planted", "p_mass"] == 1.0


def test_a_consistent_but_tiny_deletion_gap_is_not_called_faithful():
    scores = pd.DataFrame(
        {"p_deletion_holm": [0.008, 0.008, 0.2], "area_gap": [0.295, 0.004, 0.3]},
        index=["learned", "flat_output", "untested"],
    )
    assert faithfulness.faithful_networks(scores, 0.05) == ["learned"]
    assert faithfulness.faithful_networks(scores, 0.05, min_gap=0.0) == ["learned", "flat_output"]


def _mass_table(forehead, lower, mouth_pain, eyes_no_pain, n=8):
    rows = []
    for model in ADULT_MODELS:
        for cls in ("pain", "no_pain"):
            for i in range(n):
                jitter = 0.01 * (i - (n - 1) / 2)  # around the value, as noise would scatter it
                rows.append(
                    {
                        "model": model,
                        "set": "CP-PAIN",
                        "class": cls,
                        "forehead": (forehead if cls == "no_pain" else 0.1) + jitter,
                        "lower_face": lower + jitter,
                        "mouth": (mouth_pain if cls == "pain" else 0.1) + jitter,
                        "eyes": (eyes_no_pain if cls == "no_pain" else 0.1) + jitter,
                    }
                )
    return pd.DataFrame(rows)


def test_the_papers_observations_hold_on_maps_made_to_show_them_and_not_on_even_maps():
    shares = pd.Series({"forehead": 0.1, "lower_face": 0.3, "mouth": 0.1, "eyes": 0.1})
    groups = pd.Series({m: 1 if m in regions.FROM_SCRATCH else 2 for m in ADULT_MODELS})
    shown = regions.paper_observations(_mass_table(0.5, 0.7, 0.4, 0.4), shares, groups)
    assert (shown["verdict"] == "holds").sum() == 4 and shown["verdict"].iloc[0] == "holds (descriptive)"
    even = regions.paper_observations(_mass_table(0.1, 0.3, 0.1, 0.1), shares, groups.replace({2: 1, 1: 2}))
    assert set(even["verdict"].iloc[1:]) == {"not resolved"}
    mixed = groups.copy()
    mixed["resnet50"] = 1
    assert regions.paper_observations(_mass_table(0.5, 0.7, 0.4, 0.4), shares, mixed)["verdict"].iloc[0] == (
        "does not hold (descriptive)"
    )
    few = regions.paper_observations(_mass_table(0.5, 0.7, 0.4, 0.4, n=1), shares, groups)
    # one map per network and class: nothing to test per network, but ten networks still compare the classes
    assert few["verdict"].iloc[1:].tolist() == ["not testable", "not resolved", "holds", "holds"]


def test_the_grouping_cannot_be_tested_without_networks_of_both_kinds():
    shares = pd.Series({"forehead": 0.1, "lower_face": 0.3, "mouth": 0.1, "eyes": 0.1})
    only_scratch = pd.Series({"silnet": 1, "weinet": 2, "songnet": 1})
    table = regions.paper_observations(_mass_table(0.5, 0.7, 0.4, 0.4), shares, only_scratch)
    assert table["verdict"].iloc[0] == "not testable"
    empty = regions.paper_observations(_mass_table(0.5, 0.7, 0.4, 0.4), shares, pd.Series(dtype=int))
    assert empty["verdict"].iloc[0] == "not testable"
    groups = pd.Series({m: 1 if m in regions.FROM_SCRATCH else 2 for m in ADULT_MODELS})
    random_starts = regions.paper_observations(_mass_table(0.5, 0.7, 0.4, 0.4), shares, groups, imagenet_started=[])
    assert random_starts["verdict"].iloc[0].startswith("not applicable")
    said = random_starts["measured"].iloc[0]  # the groups found, not a comparison with starts that do not exist
    assert "not those two" not in said and "do not exist here" in said


def test_two_seeds_of_a_clear_signal_agree_and_of_pure_noise_do_not():
    image = _photo()
    first = xai.explain_set(image[None], {"planted": _planted}, n_segments=60, n_samples=300, progress=False)
    second = xai.explain_image(image, {"planted": _planted}, n_segments=60, n_samples=300, seed=99)
    agree = xai.weight_agreement(first, 0, second)
    assert agree.loc["planted", "pearson"] > 0.9 and agree.loc["planted", "top_5_jaccard"] >= 0.5

    rng = np.random.default_rng(0)

    def noise(x):
        p = rng.random(len(x))
        return np.stack([1 - p, p], axis=1)

    first = xai.explain_set(image[None], {"noise": noise}, n_segments=60, n_samples=300, progress=False)
    second = xai.explain_image(image, {"noise": noise}, n_segments=60, n_samples=300, seed=99)
    noisy = xai.weight_agreement(first, 0, second).loc["noise"]
    assert abs(noisy["pearson"]) < 0.5 and noisy["top_5_jaccard"] < 0.5


def test_maps_of_any_method_are_scored_against_the_drawn_regions():
    regions = np.zeros((6, 8, 8), bool)
    regions[:, 2:4, 2:4] = True
    regions[5] = False  # no AU drawn: not scored
    on_target = regions.astype(float) + 0.001
    even = np.ones((6, 8, 8))
    blank = even.copy()
    blank[0] = 0  # one map with no relevance at all
    table = faithfulness.score_maps({"on": on_target, "even": even, "blank": blank}, regions)
    assert table.loc["on", "n_images"] == 5 and table.loc["on", "pointing_game"] == 1.0
    assert table.loc["on", "relevance_mass"] > 0.9 and table.loc["on", "p_mass_holm"] < 0.1
    assert table.loc["even", "relevance_mass"] == pytest.approx(table.loc["even", "region_share"])
    assert table.loc["even", "p_mass"] == 1.0  # an evenly spread map is not above chance
    assert table.loc["blank", "n_empty"] == 1 and table.loc["blank", "n_images"] == 4
    assert np.isnan(table.loc["blank", "p_mass_holm"])  # fewer than five images: not tested
