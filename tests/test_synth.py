"""The synthetic generator: determinism, schema, ground truth, populations."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from painlib import synth
from painlib.facs import AUS, pspi, unpack_masks
from painlib.manifest import REQUIRED_COLUMNS
from painlib.synth.populations import pain_aus


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.png"))
    }


@pytest.fixture(scope="module")
def cp_set(tmp_path_factory):
    return synth.make_dataset("cp", 6, tmp_path_factory.mktemp("cp"), seed=7, image_size_px=96, progress=False)


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    a = synth.make_dataset("unbc", 3, tmp_path / "a", seed=3, image_size_px=64, images_per_subject=6, progress=False)
    b = synth.make_dataset(
        "unbc", 3, tmp_path / "b", seed=3, image_size_px=64, images_per_subject=6, n_jobs=2, progress=False
    )
    da, db = _digest(Path(a["path"][0]).parents[2]), _digest(Path(b["path"][0]).parents[2])
    assert len(da) == 2 * len(a) and da == db


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


def test_pain_always_shows_some_au():
    rng = np.random.default_rng(0)
    for _ in range(200):
        assert pspi(pain_aus(rng, float(rng.uniform(0.01, 1)), atypical=bool(rng.random() < 0.5))) > 0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown population 'adults'"):
        synth.make_dataset("adults", 2, "/tmp/never")
    with pytest.raises(ValueError, match="n_subjects"):
        synth.make_dataset("cp", 0, "/tmp/never")
