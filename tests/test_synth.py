"""The synthetic generator: determinism, schema, ground truth, populations."""

import hashlib
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from painlib import synth
from painlib.facs import AUS, pspi, unpack_masks
from painlib.manifest import REQUIRED_COLUMNS
from painlib.synth.populations import pain_aus, plan_subject


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.png"))
    }


@pytest.fixture(scope="module")
def cp_set(tmp_path_factory):
    return synth.make_dataset("cp", 6, tmp_path_factory.mktemp("cp"), seed=7, image_size_px=96, progress=False)


def test_same_seed_same_bytes_whatever_the_workers(tmp_path, monkeypatch):
    """One process and a pool of two give the same files; four subjects, so that the pool really runs."""
    pools = []

    class RecordingPool(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(synth, "ProcessPoolExecutor", RecordingPool)
    kw = dict(seed=3, image_size_px=64, images_per_subject=6, progress=False)
    a = synth.make_dataset("unbc", 4, tmp_path / "a", n_jobs=1, **kw)
    assert not pools
    b = synth.make_dataset("unbc", 4, tmp_path / "b", n_jobs=2, **kw)
    assert len(pools) == 1 and pools[0][0] == 2  # the second set came from two worker processes
    da, db = _digest(Path(a["path"][0]).parents[2]), _digest(Path(b["path"][0]).parents[2])
    assert len(da) == 2 * len(a) == 2 * 4 * 6 and da == db
    pd.testing.assert_frame_equal(a.drop(columns=["path", "mask_path"]), b.drop(columns=["path", "mask_path"]))


def test_random_streams_never_coincide(monkeypatch):
    """No two purposes share a random stream (a subject's plan, a UNBC episode, a MInt level, an image's
    noise, a video's clutter): a stream shared by two call sites would tie draws that should be independent."""
    real = np.random.default_rng
    sites: dict[tuple, set] = {}

    def recording(*args, **kwargs):
        gen = real(*args, **kwargs)
        frame = sys._getframe(1)
        while frame.f_code.co_filename.endswith("session.py"):  # keyed_rng: count its caller
            frame = frame.f_back
        state = gen.bit_generator.state["state"]
        sites.setdefault((state["state"], state["inc"]), set()).add((frame.f_code.co_filename, frame.f_lineno))
        return gen

    monkeypatch.setattr(np.random, "default_rng", recording)
    n_images = sum(len(synth.render_subject(pop, s, seed=0, size_px=48)) for pop in synth.POPULATIONS for s in range(3))
    shared = {state: where for state, where in sites.items() if len(where) > 1}
    assert not shared, f"streams drawn at several places: {sorted(shared.values())}"
    # one stream per image, none shared between images
    render = [state for state, where in sites.items() if any(f.endswith("synth/__init__.py") for f, _ in where)]
    assert len(render) == n_images
    assert len(sites) > n_images + 5 * 3  # subjects, episodes, levels and clutter were recorded too


def test_different_seed_different_faces(tmp_path):
    a = synth.render_subject("delaware", 0, seed=1, size_px=64)
    b = synth.render_subject("delaware", 0, seed=2, size_px=64)
    assert not np.array_equal(a[0][0], b[0][0])


def test_cache_hit_and_resume(tmp_path):
    df = synth.make_dataset("delaware", 2, tmp_path, seed=0, image_size_px=64, progress=False)
    first = Path(df["path"][0])
    mtime = first.stat().st_mtime_ns
    again = synth.make_dataset("delaware", 2, tmp_path, seed=0, image_size_px=64, progress=False)
    pd.testing.assert_frame_equal(df, again)
    assert first.stat().st_mtime_ns == mtime  # read from the manifest, not redrawn
    # An interrupted run: the manifest and one image are missing; the same call finishes the job.
    (first.parents[2] / "manifest.csv").unlink()
    first.unlink()
    resumed = synth.make_dataset("delaware", 2, tmp_path, seed=0, image_size_px=64, progress=False)
    assert first.exists() and len(resumed) == len(df)


def test_schema(cp_set):
    for col in (*REQUIRED_COLUMNS, *AUS, "pspi", "mask_path", "stimulus", "video", "occluded", "synthetic"):
        assert col in cp_set.columns, col
    assert cp_set["synthetic"].all()
    assert set(cp_set["stimulus"]) <= {"injection", "stretching", "other"}
    assert cp_set["subject"].str.startswith("cp-").all()
    for au in AUS:
        assert cp_set[au].between(0, 5).all()


def test_labels_follow_the_aus(cp_set):
    recomputed = cp_set[list(AUS)].apply(lambda r: pspi(r.to_dict()), axis=1)
    np.testing.assert_allclose(recomputed, cp_set["pspi"])
    assert (cp_set["label"] == (cp_set["pspi"] > 0)).all()
    # CP videos give one pain and one rest frame each
    per_video = cp_set.groupby(["subject", "video"])["label"].agg(["sum", "size"])
    assert (per_video["sum"] == 1).all() and (per_video["size"] == 2).all()


def test_masks_inside_the_face_and_where_the_au_is(cp_set):
    import cv2

    for p in cp_set["mask_path"]:
        m = unpack_masks(cv2.imread(p, cv2.IMREAD_UNCHANGED))
        assert m["face"].sum() > 500
        for au in AUS:
            assert m[au].any(), au
            assert not (m[au] & ~m["face"]).any(), au
    # brow region (AU4) lies above the lip region (AU10) on an upright face
    _, masks, _ = synth.render_subject("delaware", 0, seed=0, size_px=128)[0]
    m = unpack_masks(masks)
    assert np.nonzero(m["au4"])[0].mean() < np.nonzero(m["au10"])[0].mean()


def test_an_au_changes_pixels_only_near_its_region():
    """Drawing AU4 alone alters the image mostly inside the AU4 mask (the masks tell the truth)."""
    images, packed = synth.au_sweep("delaware", subject=1, seed=0, size_px=128, levels=[0, 5])
    region = unpack_masks(packed)["au4"]
    diff = np.abs(images[0, 1].astype(int) - images[0, 0].astype(int)).sum(axis=2) > 30
    assert diff.sum() > 20
    assert (diff & region).sum() / diff.sum() > 0.8


@pytest.mark.parametrize("population", synth.POPULATIONS)
def test_every_population_draws(population):
    items = synth.render_subject(population, 0, seed=0, size_px=64)
    assert len(items) == synth.IMAGES_PER_SUBJECT[population]
    image, masks, row = items[0]
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8 and masks.shape == (64, 64)
    assert row["population"] == population


def test_neonate_sources_and_stimuli():
    rows = [r for s in range(4) for _, _, r in synth.render_subject("neonate", s, seed=0, size_px=64)]
    df = pd.DataFrame(rows)
    assert set(df["dataset"]) == {"unifesp", "icope"}
    assert set(df.loc[df["dataset"] == "icope", "stimulus"]) <= {"rest", "cry", "air", "friction", "pain"}
    assert (df["label"] == (df["stimulus"] == "pain")).all()


def test_unbc_eye_closure_is_binary_and_pspi_at_most_16():
    df = pd.DataFrame([r for s in range(6) for _, _, r in synth.render_subject("unbc", s, seed=0, size_px=64)])
    assert set(df["au43"]) <= {0.0, 1.0}
    assert df["pspi"].max() <= 16


def test_unbc_present_au43_is_drawn_as_closed_eyes():
    """UNBC codes AU43 present/absent; present means closed eyes, so the picture shows them closed (as
    intensity 5 draws them) while the manifest says 1 and PSPI counts 1."""
    size = 128
    for subject in range(30):
        items = synth.render_subject("unbc", subject, seed=0, size_px=size)
        hits = [item for item in items if item[2]["au43"] == 1]
        if hits:
            break
    else:
        pytest.fail("no UNBC frame with AU43 present in 30 subjects")
    image, packed, row = hits[0]
    plan = plan_subject("unbc", subject, 0, synth.IMAGES_PER_SUBJECT["unbc"], size)[row["image_index"]]
    assert plan["aus"]["au43"] == 1
    # PSPI of the manifest's own AU columns, AU43 counted as 1
    expected = row["au4"] + max(row["au6"], row["au7"]) + max(row["au9"], row["au10"]) + 1
    assert row["pspi"] == expected == pspi({au: row[au] for au in AUS})

    # The manifest's image shows the eyes as intensity 5 draws them (closed), not as 1 (a fifth of a closure).
    eyes = unpack_masks(packed)["au43"]

    def draw(au43):  # the same frame with AU43 drawn at another intensity (other noise than the image's)
        aus = {**plan["aus"], "au43": float(au43)}
        return synth.render_face(plan["identity"], aus, plan["scene"], np.random.default_rng(0))[0]

    def distance(a, b):  # mean grey-level difference over the eye region
        return float(np.abs(a.astype(int) - b.astype(int))[eyes].mean())

    eyes_open, fifth, closed = draw(0), draw(1), draw(5)
    assert distance(closed, eyes_open) > 2 * distance(fifth, eyes_open)  # the two drawings differ visibly
    to_closed, to_fifth = distance(image, closed), distance(image, fifth)
    assert to_closed < 0.5 * to_fifth, f"eye region {to_closed:.1f} from closed eyes, {to_fifth:.1f} from a fifth"
    # the render input: AU43 at 5, every other AU as coded
    assert plan["render_aus"] == {**{au: row[au] for au in AUS}, "au43": 5.0}


#: (AU4, AU6, AU7, AU9, AU10, AU43) → PSPI worked by hand: AU4 + max(AU6, AU7) + max(AU9, AU10) + AU43.
PSPI_BY_HAND = [
    ((2, 1, 3, 0, 4, 1), 10),  # 2 + 3 + 4 + 1
    ((0, 0, 0, 0, 0, 0), 0),
    ((5, 5, 5, 5, 5, 5), 20),
    ((0, 4, 1, 3, 2, 0), 7),  # 0 + 4 + 3 + 0
    ((1, 0, 0, 0, 0, 1), 2),
    ((3, 2, 2, 5, 0, 0), 10),  # 3 + 2 + 5 + 0
    ((0, 0, 5, 0, 0, 1), 6),  # UNBC-style binary AU43
]


@pytest.mark.parametrize(("aus", "expected"), PSPI_BY_HAND)
def test_pspi_matches_hand_worked_values(aus, expected):
    as_dict = dict(zip(AUS, map(float, aus)))
    assert pspi(as_dict) == expected
    table = pd.DataFrame([as_dict, as_dict])
    assert pspi(table).tolist() == [expected, expected]


def test_manifest_pspi_labels_and_levels_by_hand(cp_set):
    """PSPI, label and level of every generated row, recomputed here without painlib.facs."""
    rows = pd.DataFrame(
        [r for pop in ("unbc", "cp") for s in range(3) for _, _, r in synth.render_subject(pop, s, seed=5, size_px=48)]
    )
    for df in (rows, cp_set):
        by_hand = df["au4"] + np.maximum(df["au6"], df["au7"]) + np.maximum(df["au9"], df["au10"]) + df["au43"]
        np.testing.assert_array_equal(df["pspi"].to_numpy(float), by_hand.to_numpy(float))
        assert (df["label"] == (by_hand > 0)).all()
        # PAIN-DB levels: PSPI 0, 1, 2, 3–4, ≥ 5 → 0 … 4
        level = np.select([by_hand == 0, by_hand == 1, by_hand == 2, by_hand <= 4], [0, 1, 2, 3], 4)
        np.testing.assert_array_equal(df["level"].to_numpy(int), level)
    assert rows["pspi"].gt(4).any() and rows["pspi"].eq(0).any()  # the levels were really exercised


@pytest.mark.parametrize(("population", "subject"), [("delaware", 1), ("cp", 0), ("neonate", 0), ("unbc", 2)])
def test_every_au_changes_pixels_in_its_region_and_nowhere_far(population, subject):
    """Raising one AU from 0 to 5 alters pixels inside that AU's mask, and nothing far from the face."""
    size = 128
    images, packed = synth.au_sweep(population, subject=subject, seed=0, size_px=size, levels=[0, 5])
    masks = unpack_masks(packed)
    near_face = cv2.dilate(masks["face"].astype(np.uint8), np.ones((17, 17), np.uint8)) > 0
    corners = [np.s_[:16, :16], np.s_[:16, -16:], np.s_[-16:, :16], np.s_[-16:, -16:]]
    for i, au in enumerate(AUS):
        diff = np.abs(images[i, 1].astype(int) - images[i, 0].astype(int)).max(axis=2)
        assert (diff[masks[au]] > 8).sum() >= 10, f"{au}: its region hardly changes"
        assert diff[~near_face].max() == 0, f"{au}: pixels far from the face change"
        for corner in corners:
            assert np.array_equal(images[i, 1][corner], images[i, 0][corner]), au


def test_pain_always_shows_some_au():
    rng = np.random.default_rng(0)
    for _ in range(200):
        assert pspi(pain_aus(rng, float(rng.uniform(0.01, 1)), atypical=bool(rng.random() < 0.5))) > 0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown population 'adults'"):
        synth.make_dataset("adults", 2, "/tmp/never")
    with pytest.raises(ValueError, match="n_subjects"):
        synth.make_dataset("cp", 0, "/tmp/never")


def test_ground_truth_checks_catch_a_wrong_label_and_a_mask_off_the_face(cp_set, tmp_path):
    assert all(synth.ground_truth_checks(cp_set, sample=10).values())
    wrong = cp_set.copy()
    wrong.loc[wrong.index[0], "label"] = 1 - wrong.loc[wrong.index[0], "label"]
    assert list(synth.ground_truth_checks(wrong, sample=10).values()) == [False, True]
    packed = cv2.imread(cp_set["mask_path"].iloc[0], cv2.IMREAD_UNCHANGED)
    off = packed.copy()
    assert not unpack_masks(packed)["face"][0, 0]  # the corner is background
    off[0, 0] |= 1  # the first AU's bit in the corner, outside the face
    cv2.imwrite(str(tmp_path / "off.png"), off)
    moved = cp_set.head(1).assign(mask_path=str(tmp_path / "off.png"))
    assert list(synth.ground_truth_checks(moved, sample=1).values()) == [True, False]


def test_overview_counts_people_images_and_pain(cp_set):
    table = synth.overview(cp_set)
    assert table.loc["cp", "subjects"] == cp_set["subject"].nunique() and table.loc["cp", "images"] == len(cp_set)
    assert table.loc["cp", "pain_share"] == pytest.approx(cp_set["label"].mean())


def test_detection_misses_find_the_condition_that_hides_faces_and_not_the_others():
    rng = np.random.default_rng(0)
    n = 200
    assembled = pd.DataFrame(
        {
            "path": [f"f{i}.png" for i in range(n)],
            "yaw": rng.normal(0, 0.3, n),
            "roll_deg": rng.normal(0, 5, n),
            "occluded": rng.random(n) < 0.1,
            "mouth_open": rng.random(n),
        }
    )
    assembled.loc[:19, "yaw"] = rng.choice([-0.8, 0.8], 20)  # the 20 missed faces are turned far
    excluded = assembled.head(20).assign(status="no face")
    table = synth.detection_misses(assembled, excluded)
    assert table["differs"].tolist() == [True, False, False, False]
    assert table["missed"].iloc[0] == pytest.approx(0.8) and table["found"].iloc[0] < 0.4
    from scipy import stats

    p = stats.mannwhitneyu(assembled["yaw"].abs()[:20], assembled["yaw"].abs()[20:]).pvalue
    assert table["p"].iloc[0] == p and table["p_holm"].iloc[0] == pytest.approx(
        min(1.0, 4 * p)
    )  # Holm: smallest times 4
    assert synth.detection_misses(assembled[["path"]], excluded).empty  # real data: no drawn conditions
    assert synth.detection_misses(assembled, excluded.iloc[:0]).empty  # nothing missed
