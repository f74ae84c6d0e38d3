"""The embedded default: seeded synthetic faces with FACS ground truth (chapter 00).

>>> manifest = make_dataset("cp", n_subjects=4, out_dir="data/synthetic/demo", seed=0)  # doctest: +SKIP

Every subject is planned from its own random stream, keyed by ``(seed, "subject", population, subject)``,
and every image drawn from ``(seed, "render", population, subject, image_index)`` (named keys, see
:func:`painlib.session.keyed_rng`, so no two streams coincide), so the same seed gives the same bytes whatever
the number of worker processes, and a dataset interrupted half way is finished by running the same call again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..facs import AUS
from ..manifest import read_manifest, write_manifest
from ..progress import progress_bar
from ..session import keyed_rng, worker_count
from ..storage import write_png
from .populations import IMAGES_PER_SUBJECT, POPULATIONS, plan_subject
from .render import Identity, Scene, render_face

__all__ = [
    "au_sweep",
    "IMAGES_PER_SUBJECT",
    "POPULATIONS",
    "Identity",
    "Scene",
    "make_dataset",
    "make_datasets",
    "make_sources",
    "overview",
    "ground_truth_checks",
    "render_face",
    "render_subject",
]

log = logging.getLogger(__name__)

#: Bump when the drawing changes, so cached datasets from an older generator are not reused.
GENERATOR_VERSION = 5

NUISANCE_COLUMNS = ("roll_deg", "yaw", "mouth_open", "tongue", "pacifier", "occluder")


def render_subject(population: str, subject: int, seed: int = 0, n_images: int | None = None, size_px: int = 224):
    """Draw all images of one subject in memory.

    Returns a list of ``(image, packed_masks, row)``: image (size, size, 3) BGR uint8, packed masks (size, size)
    uint8 (see :func:`painlib.facs.unpack_masks`) and the manifest fields of that image.
    """
    n = IMAGES_PER_SUBJECT[population] if n_images is None else int(n_images)
    out = []
    for plan in plan_subject(population, subject, seed, n, size_px):
        rng = keyed_rng(seed, "render", population, subject, plan["image_index"])
        image, masks = render_face(plan["identity"], plan["render_aus"], plan["scene"], rng)
        out.append((image, masks, _row(plan)))
    return out


def _row(plan: dict) -> dict:
    scene = plan["scene"]
    row = {
        k: plan[k]
        for k in (
            "dataset",
            "subject",
            "label",
            "level",
            "population",
            "pspi",
            "stimulus",
            "video",
            "frame",
            "occluded",
        )
    }
    row.update({au: plan["aus"][au] for au in AUS})
    row.update(
        roll_deg=round(scene.roll_deg, 3),
        yaw=round(scene.yaw, 3),
        mouth_open=round(scene.mouth_open, 3),
        tongue=scene.tongue,
        pacifier=scene.pacifier,
        occluder=scene.occluder,
        image_index=plan["image_index"],
    )
    return row


def _write_subject(args) -> list[dict]:
    population, subject, seed, n_images, size_px, out_dir = args
    rows = []
    for image, masks, row in render_subject(population, subject, seed, n_images, size_px):
        stem = f"{row['subject']}_{row['image_index']:03d}"
        img_path = Path(out_dir) / "images" / row["dataset"] / f"{stem}.png"
        mask_path = Path(out_dir) / "masks" / row["dataset"] / f"{stem}_au.png"
        if not (img_path.exists() and mask_path.exists()):  # resume: files are deterministic
            write_png(img_path, image)
            write_png(mask_path, masks)
        rows.append({"path": str(img_path), "mask_path": str(mask_path), **row, "synthetic": True})
    return rows


def make_dataset(
    population: str,
    n_subjects: int,
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    image_size_px: int = 224,
    images_per_subject: int | None = None,
    n_jobs: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """Generate (or load from cache) a synthetic dataset of one population and return its Manifest.

    Parameters
    ----------
    population : one of :data:`POPULATIONS`.
    n_subjects : number of synthetic people.
    out_dir : parent folder; the dataset goes to ``out_dir/<population>-<key>/`` where ``key`` hashes the
        arguments, so a second call with the same arguments is a cache hit.
    seed : master seed.
    image_size_px : side of the square images, in pixels.
    images_per_subject : defaults to :data:`IMAGES_PER_SUBJECT` of the population.
    n_jobs : worker processes (``-1`` = all cores).

    Returns
    -------
    Manifest DataFrame with the required columns plus AU intensities, ``pspi``, ``mask_path``,
    ``stimulus``, ``video``, ``frame``, ``occluded`` and the nuisance columns; ``synthetic`` is True.
    """
    if population not in POPULATIONS:
        raise ValueError(f"unknown population {population!r}; expected one of {POPULATIONS}")
    if n_subjects < 1:
        raise ValueError(f"n_subjects must be at least 1, got {n_subjects}")
    if image_size_px < 48:
        raise ValueError(f"image_size_px must be at least 48 (faces get too small to draw), got {image_size_px}")
    n_img = IMAGES_PER_SUBJECT[population] if images_per_subject is None else int(images_per_subject)
    params = dict(
        v=GENERATOR_VERSION, population=population, n_subjects=n_subjects, seed=seed, size=image_size_px, n=n_img
    )
    key = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    folder = Path(out_dir) / f"{population}-{key}"
    manifest_path = folder / "manifest.csv"
    if manifest_path.exists():
        log.info("synthetic %s: cache hit at %s", population, folder)
        return read_manifest(manifest_path)

    jobs = [(population, s, seed, n_img, image_size_px, str(folder)) for s in range(n_subjects)]
    n_jobs = worker_count(n_jobs)
    bar = dict(total=len(jobs), desc=f"synthetic {population}", unit="subject", enabled=progress)
    if n_jobs == 1 or len(jobs) < 4:
        rows = [r for job in progress_bar(jobs, **bar) for r in _write_subject(job)]
    else:
        # "spawn" so that worker processes never inherit a half-initialised TensorFlow from the notebook.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(n_jobs, mp_context=ctx) as pool:
            rows = [r for chunk in progress_bar(pool.map(_write_subject, jobs), **bar) for r in chunk]
    df = pd.DataFrame(rows)
    write_manifest(df, manifest_path)
    (folder / "params.json").write_text(json.dumps(params, indent=2))
    return read_manifest(manifest_path)


def make_datasets(
    subjects: dict[str, int],
    out_dir: str | os.PathLike,
    **kwargs,
) -> pd.DataFrame:
    """Several populations at once: ``subjects`` maps population → number of subjects.

    Keyword arguments go to :func:`make_dataset`. Returns the concatenated Manifest.
    """
    frames = [make_dataset(pop, n, out_dir, **kwargs) for pop, n in subjects.items() if n > 0]
    return pd.concat(frames, ignore_index=True)


def au_sweep(population: str = "delaware", subject: int = 0, seed: int = 0, size_px: int = 160, levels=range(6)):
    """Draw one person with each AU alone at each intensity, everything else fixed.

    Returns ``(images, masks)``: images (n_AUs, n_levels, size, size, 3) BGR uint8, and the packed masks of
    the neutral face (size, size). Chapter 00 shows it to make each AU's drawing visible.
    """
    plan = plan_subject(population, subject, seed, 2, size_px)[0]
    scene = replace(plan["scene"], mouth_open=0.0, tongue=False, pacifier=False, occluder="none")
    levels = list(levels)
    images = np.empty((len(AUS), len(levels), size_px, size_px, 3), np.uint8)
    masks = None
    for i, au in enumerate(AUS):
        for j, level in enumerate(levels):
            rng = keyed_rng(seed, "au_sweep", population, subject)  # the same noise at every level
            img, packed = render_face(plan["identity"], {au: float(level)}, scene, rng)
            images[i, j] = img
            masks = packed if masks is None else masks
    return images, masks


def overview(manifest: pd.DataFrame) -> pd.DataFrame:
    """One row per population of a generated ``manifest``: people, images, share of pain images, mean PSPI of the
    pain images, number of levels and of occluded images (chapter 00's table, shaped like the CP paper's)."""
    return manifest.groupby("dataset", sort=False).agg(
        subjects=("subject", "nunique"),
        images=("path", "size"),
        pain_share=("label", "mean"),
        mean_pspi_when_pain=("pspi", lambda s: s[s > 0].mean()),
        levels=("level", "nunique"),
        occluded=("occluded", "sum"),
    )


def ground_truth_checks(manifest: pd.DataFrame, sample: int = 50, seed: int = 0) -> dict[str, bool]:
    """The generator's two promises, checked on a manifest it wrote: the label is pain exactly when PSPI is above
    zero (every image), and every AU's region lies inside the face oval (``sample`` images drawn with ``seed``)."""
    import cv2

    from ..facs import unpack_masks

    drawn = manifest.sample(min(sample, len(manifest)), random_state=seed)
    masks = (unpack_masks(cv2.imread(p, cv2.IMREAD_UNCHANGED)) for p in drawn["mask_path"])
    inside = all(not (m[au] & ~m["face"]).any() for m in masks for au in AUS)
    return {
        f"label is pain exactly when PSPI > 0 (all {len(manifest)} images)": bool(
            (manifest["label"] == (manifest["pspi"] > 0)).all()
        ),
        f"every AU region inside the face ({len(drawn)} images drawn)": inside,
    }


#: What the generator drew that could make a face hard to detect: manifest column → how a reader says it.
DRAWN_CONDITIONS = {
    "yaw": "turned (|yaw|, 0 frontal to 1 sideways)",
    "roll_deg": "tilted (|roll|, degrees)",
    "occluded": "partly hidden by a hand, mask or pacifier (share)",
    "mouth_open": "mouth open (0–1)",
}


def detection_misses(assembled: pd.DataFrame, excluded: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """How the faces the detector missed (``excluded`` rows with status "no face") differ from those it found, in
    what the generator drew (:data:`DRAWN_CONDITIONS`; absolute yaw and roll): per condition the mean of each
    group, a two-sided Mann–Whitney test (SciPy) and Holm over the conditions (``differs``: Holm p below
    ``alpha``). Empty when nothing was missed or ``assembled`` lacks the generator's columns (real data)."""
    from scipy import stats

    from ..chance import holm_where

    columns = [c for c in DRAWN_CONDITIONS if c in assembled]
    missed = assembled["path"].isin(excluded.loc[excluded["status"] == "no face", "path"])
    if not columns or not missed.any() or missed.all():
        return pd.DataFrame(columns=["condition", "found", "missed", "p", "p_holm", "differs"]).set_index("condition")
    drawn = assembled[columns].astype(float).abs()
    rows = [
        {
            "condition": DRAWN_CONDITIONS[c],
            "found": drawn.loc[~missed, c].mean(),
            "missed": drawn.loc[missed, c].mean(),
            "p": stats.mannwhitneyu(drawn.loc[missed, c], drawn.loc[~missed, c]).pvalue,
        }
        for c in columns
    ]
    table = pd.DataFrame(rows).set_index("condition")
    table["p_holm"] = holm_where(table["p"].fillna(1.0))
    table["differs"] = table["p_holm"] < alpha
    return table


def make_sources(
    subjects: dict[str, int], out_dir: str | os.PathLike, seed: int = 0, image_size_px: int = 224, n_jobs: int = -1
) -> dict[str, pd.DataFrame]:
    """:func:`make_datasets`, returned as one manifest per population (``{"unbc": …, "cp": …}``), the shape in
    which chapter 01 reads the real sources (:func:`painlib.datasets.load_real`)."""
    generated = make_datasets(subjects, out_dir, seed=seed, image_size_px=image_size_px, n_jobs=n_jobs)
    return {name: rows.reset_index(drop=True) for name, rows in generated.groupby("dataset")}
