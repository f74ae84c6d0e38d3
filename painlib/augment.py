"""Offline augmentation with face re-detection (the neonatal dissertation, section 3.3.3).

Each original face image gets ``copies`` random variants — rotation, shear, width and height shift, brightness,
zoom and horizontal flip, with the ranges of Keras's ``ImageDataGenerator`` that the dissertation names — and a
variant is kept only where a face detector still finds a face in it, so no training image has lost the face.
The rejects are counted per original.

The transform is written here with OpenCV rather than taken from Keras: ``ImageDataGenerator`` survives in
Keras 3 only as a private legacy module (``keras.src.legacy``) and applies its affine warp channel by channel
with SciPy, about ten times slower. The geometry is the same — the tests check it against that module.
Copies are written as PNG files under a folder keyed by the original's content, the ranges, the seed and the
detector, with one JSON record per original written last: an interrupted run resumes, a changed range starts anew.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from .faces import MIN_CONFIDENCE
from .images import read_rgb
from .progress import progress_bar
from .published import NEONATAL_PROTOCOL
from .result_store import code_digest
from .session import keyed_rng
from .storage import atomic_write_bytes, file_digest, write_png

log = logging.getLogger(__name__)

#: Bump when the way copies are drawn or checked changes in a way not visible in :class:`Ranges`.
AUGMENT_VERSION = 2


@dataclass(frozen=True)
class Ranges:
    """Random ranges of one copy, in ``ImageDataGenerator``'s terms (defaults: the dissertation's values).

    ``rotation_deg``: angle drawn from ±range, degrees; ``shear_deg``: shear angle from ±range, degrees (Keras
    reads ``shear_range`` as degrees, so 0.15 is a barely visible shear); ``shift``: translation from ±range,
    as a share of the side; ``brightness``: factor drawn from (low, high), 1 keeps the image; ``zoom``: factors
    drawn from (low, high) for each axis, above 1 shows more of the surroundings; ``horizontal_flip``: mirror
    with probability 1/2.
    """

    rotation_deg: float = NEONATAL_PROTOCOL["rotation_deg"]
    shear_deg: float = NEONATAL_PROTOCOL["shear_deg"]
    shift: float = NEONATAL_PROTOCOL["shift"]
    brightness: tuple[float, float] = NEONATAL_PROTOCOL["brightness"]
    zoom: tuple[float, float] = NEONATAL_PROTOCOL["zoom"]
    horizontal_flip: bool = NEONATAL_PROTOCOL["horizontal_flip"]


def draw_transform(rng: np.random.Generator, shape: tuple[int, ...], ranges: Ranges = Ranges()) -> dict:
    """One random transform for an image of ``shape`` (H, W, …): theta (degrees), tx, ty (pixels), shear
    (degrees), zx, zy, flip (bool) and brightness (factor)."""
    h, w = shape[:2]
    zx, zy = rng.uniform(*ranges.zoom, size=2)
    return {
        "theta": float(rng.uniform(-ranges.rotation_deg, ranges.rotation_deg)),
        "tx": float(rng.uniform(-ranges.shift, ranges.shift) * h),
        "ty": float(rng.uniform(-ranges.shift, ranges.shift) * w),
        "shear": float(rng.uniform(-ranges.shear_deg, ranges.shear_deg)),
        "zx": float(zx),
        "zy": float(zy),
        "flip": bool(ranges.horizontal_flip and rng.random() < 0.5),
        "brightness": float(rng.uniform(*ranges.brightness)),
    }


def affine_matrix(theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0, h: int = 1, w: int = 1) -> np.ndarray:
    """The 2 × 3 matrix taking output pixel coordinates (x, y) to input ones, composed as Keras's
    ``apply_affine_transform`` composes it: rotation · shift · shear · zoom about the image centre."""
    t = np.deg2rad(theta)
    s = np.deg2rad(shear)
    m = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    m = m @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    m = m @ np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    m = m @ np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    # Keras centres the matrix with its first coordinate on the rows and then applies it to (column, row)
    # coordinates; for the square faces of this book both centres are the same.
    o_a, o_b = h / 2 - 0.5, w / 2 - 0.5
    centred = np.array([[1, 0, o_a], [0, 1, o_b], [0, 0, 1]]) @ m @ np.array([[1, 0, -o_a], [0, 1, -o_b], [0, 0, 1]])
    return centred[:2]


def apply_transform(image: np.ndarray, transform: dict) -> np.ndarray:
    """``image`` (H, W, 3) uint8 warped by ``transform`` (from :func:`draw_transform`): bilinear, edges
    repeated outward, then flipped and scaled in brightness as ``ImageDataGenerator`` does."""
    h, w = image.shape[:2]
    geometry = {k: transform[k] for k in ("theta", "tx", "ty", "shear", "zx", "zy")}
    matrix = affine_matrix(**geometry, h=h, w=w)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    out = cv2.warpAffine(image.astype(np.float32), matrix, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    if transform["flip"]:
        out = out[:, ::-1]
    # PIL's ImageEnhance.Brightness (what Keras calls) blends with black: a multiplication, clipped to 0–255.
    return np.clip(np.rint(out * transform["brightness"]), 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------------ copies on disk


def _detects_face(image: np.ndarray, min_confidence: float) -> bool:
    from .faces import detect_faces

    return len(detect_faces(image, min_confidence)) > 0


def _folder_key(*, ranges: Ranges, copies: int, seed: int, min_confidence: float, detect=None) -> str:
    """Folder name for one set of settings: the ranges, copies, seed, threshold, the detector (MTCNN with its
    TensorFlow, or a custom check by name), OpenCV (warp, PNG) and this module's code
    (:func:`painlib.result_store.code_digest`)."""
    from .faces import PIPELINE_VERSION, _dist_version, _tensorflow_version

    detector = ["mtcnn", _dist_version("mtcnn"), _tensorflow_version(), PIPELINE_VERSION]
    if detect is not None:
        detector = [getattr(detect, "__module__", ""), getattr(detect, "__qualname__", repr(detect))]
    spec = {
        "ranges": asdict(ranges),
        "copies": copies,
        "seed": seed,
        "min_confidence": min_confidence,
        "detector": detector,
        "opencv": cv2.__version__,
        "source": code_digest(__file__),
        "version": AUGMENT_VERSION,
    }
    return hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]


def variants(
    path: str | os.PathLike,
    copies: int = 20,
    *,
    ranges: Ranges = Ranges(),
    seed: int = 0,
    min_confidence: float = MIN_CONFIDENCE,
    detect=None,
):
    """Yield ``(copy, face_found, transform)`` for the ``copies`` random variants of the image at ``path``:
    (H, W, 3) uint8 images, whether the detector (MTCNN at ``min_confidence``, or ``detect``) finds a face in
    each, and the drawn transform (see :func:`draw_transform`). The draws depend on ``seed`` and the image's
    content only: the same file gives the same copies anywhere."""
    image = read_rgb(path)
    rng = keyed_rng(seed, "augment", file_digest(path))
    detect = detect or (lambda im: _detects_face(im, min_confidence))
    for _ in range(copies):
        transform = draw_transform(rng, image.shape, ranges)
        copy = apply_transform(image, transform)
        yield copy, bool(detect(copy)), transform


def augment_one(path: str | os.PathLike, folder: str | os.PathLike, copies: int = 20, **options) -> dict:
    """Make ``copies`` variants of the image at ``path`` and keep those in which a face is found.

    Returns ``{"kept": [file, …], "rejected": n}``; kept files lie in ``folder``, named by the original's
    content digest and the copy's number. The random draws depend on ``seed`` and the content only. A record
    ``<digest>.json`` is written last; when it exists and its files do, nothing is recomputed. ``options``:
    ``ranges``, ``seed``, ``min_confidence`` and ``detect`` (image → bool, replacing the MTCNN check), as for
    :func:`variants`.
    """
    folder = Path(folder)
    digest = file_digest(path)
    record_path = folder / f"{digest}.json"
    if record_path.is_file():
        record = json.loads(record_path.read_text())
        if all((folder / f).is_file() for f in record["kept"]):
            return record
    kept, rejected = [], 0
    for k, (copy, found, _) in enumerate(variants(path, copies, **options)):
        if found:
            name = f"{digest}_{k:02d}.png"
            write_png(folder / name, cv2.cvtColor(copy, cv2.COLOR_RGB2BGR))  # write_png takes OpenCV's BGR
            kept.append(name)
        else:
            rejected += 1
    record = {"kept": kept, "rejected": rejected}
    atomic_write_bytes(record_path, json.dumps(record).encode())
    return record


def augment_manifest(
    originals: pd.DataFrame, folder: str | os.PathLike, copies: int = 20, *, progress: bool = True, **options
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Augment every image of ``originals`` (a manifest) with :func:`augment_one`.

    Returns ``(copies, per_original)``: the kept copies as manifest rows — the original's columns, ``path``
    replaced, ``original`` holding the original's path and ``copy`` the copy's number (1…) — and one row per
    original with ``made``, ``kept`` and ``rejected``. Copies live in ``folder/<key>``, the key made of the
    ranges, ``copies``, ``seed``, ``min_confidence`` and the detector, so other settings never mix. ``options``:
    as for :func:`variants`.
    """
    if copies < 0:
        raise ValueError(f"copies must be 0 or more, got {copies}")
    bound = inspect.signature(variants).bind(None, **options)
    bound.apply_defaults()  # the key holds every setting, defaults included
    settings = {k: bound.arguments[k] for k in ("ranges", "seed", "min_confidence", "detect")}
    out = Path(folder) / _folder_key(copies=copies, **settings)
    rows, counts = [], []
    rows_in = originals.itertuples(index=False)
    for row in progress_bar(rows_in, total=len(originals), desc="augment", unit="image", enabled=progress):
        original = row._asdict()
        record = augment_one(row.path, out, copies, **options)
        for name in record["kept"]:
            number = int(Path(name).stem.rsplit("_", 1)[1]) + 1
            rows.append({**original, "path": str(out / name), "original": row.path, "copy": number})
        counts.append(
            {
                "path": row.path,
                "dataset": original.get("dataset"),
                "subject": original.get("subject"),
                "made": copies,
                "kept": len(record["kept"]),
                "rejected": record["rejected"],
            }
        )
    columns = [*originals.columns, "original", "copy"]
    log.info("augmentation: %d copies kept of %d made", len(rows), copies * len(originals))
    return pd.DataFrame(rows, columns=columns), pd.DataFrame(counts)


def transform_table(paths, copies: int = 20, **options) -> pd.DataFrame:
    """The drawn transform of every copy of the images at ``paths`` and whether the face was found in it: one
    row per copy with path, copy (1…), theta (degrees), tx, ty (px), shear (degrees), zx, zy, flip, brightness
    and face_found. ``options`` as for :func:`variants`; nothing is written."""
    rows = []
    for path in paths:
        for k, (_, found, transform) in enumerate(variants(path, copies, **options), start=1):
            rows.append({"path": path, "copy": k, **transform, "face_found": found})
    columns = ["path", "copy", *draw_transform(np.random.default_rng(0), (1, 1)), "face_found"]
    return pd.DataFrame(rows, columns=columns)  # the columns even when no copy is drawn (copies = 0)


def rejection_table(per_original: pd.DataFrame, by: str = "dataset") -> pd.DataFrame:
    """Per ``by`` group: originals, copies made, kept and rejected, the share rejected, and the most copies any
    one original lost."""
    g = per_original.groupby(by)
    table = g[["made", "kept", "rejected"]].sum()
    table.insert(0, "originals", g.size())
    table["rejected_share"] = (table["rejected"] / table["made"].where(table["made"] > 0)).round(3)
    table["most_rejected_per_original"] = g["rejected"].max()
    return table
