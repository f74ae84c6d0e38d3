"""Face preprocessing (chapter 01): detect → square crop → background to white → resize, cached on disk.

The CP paper crops a square around the face found by MTCNN (Zhang et al. 2016), replaces the background with
white using U2-Net's human-segmentation weights, and resizes to each network's input. MTCNN ships its weights
with the ``mtcnn`` package. U2-Net's do not: pass ``u2net_weights`` (an ONNX export of ``u2net_human_seg``,
run by OpenCV's DNN module) to use it; without it the background is removed with OpenCV's GrabCut, seeded
from the face box (outside the crop's border: background; the face centre: foreground), which needs no
weights. Each result records which method ran.

Every outcome — a face image, or the reason there is none ("unreadable", "no face") — is cached under a key
made of the image file's bytes and the parameters, written atomically, so a second run reads the cache and an
interrupted run resumes.

MTCNN sees one image at a time. Its batched mode gives an image results that depend on the rest of the batch
(see :func:`detect_faces_batch`). Since which images are still uncached decides what would be batched
together, batching would make the cache depend on a run's history.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from .facs import unpack_masks
from .images import UnreadableImageError, read_rgb
from .progress import progress_bar
from .session import quiet_stderr, worker_count
from .storage import atomic_write_bytes, file_digest, write_png

log = logging.getLogger(__name__)

#: Bump when the pipeline's output changes, so old cache entries are not reused.
#: 2: detection one image at a time (batched MTCNN could give an image another image's face).
#: 3: MTCNN's networks run as compiled graphs (same boxes on every image tried; not guaranteed bit for bit).
PIPELINE_VERSION = 3
BACKGROUNDS = ("grabcut", "u2net", "none")
WHITE = 255


#: The book's MTCNN score below which a detection does not count as a face: chapter 01's faces and chapter 05's
#: augmented copies (neither paper states one; the dissertation's detector is RetinaFace).
MIN_CONFIDENCE = 0.80


@dataclass(frozen=True)
class FaceParams:
    """Parameters of the pipeline; together with the file's bytes they key the cache."""

    size_px: int = 224  #: side of the output image
    margin: float = 0.25  #: extra space around the detected face box, as a share of its larger side
    min_confidence: float = MIN_CONFIDENCE  #: MTCNN score below which a detection does not count as a face
    background: str = "grabcut"  #: "grabcut", "u2net" (needs ``u2net_weights``) or "none"
    u2net_weights: str = ""  #: path to the U2-Net human-segmentation ONNX file (only for "u2net")
    grabcut_iterations: int = 4

    def __post_init__(self):
        if self.background not in BACKGROUNDS:
            raise ValueError(f"background must be one of {BACKGROUNDS}, not {self.background!r}")
        if self.size_px < 16:
            raise ValueError(f"size_px must be at least 16, got {self.size_px}")

    def key(self) -> str:
        """Cache key: what can change the output, and nothing else.

        Includes the versions of the software that computes it. MTCNN's networks run on TensorFlow (through
        Keras), so those versions can move boxes and scores; OpenCV's can move GrabCut's cut. U2-Net is
        keyed on the digest of its weights file, not on its path, and only when it runs. GrabCut's
        settings count only when GrabCut runs.
        """
        params = asdict(self) | {
            "version": PIPELINE_VERSION,
            "mtcnn": _version("mtcnn"),
            "tensorflow": _tensorflow_version(),
            "keras": _dist_version("keras"),
            "opencv": cv2.__version__,
        }
        params["u2net_weights"] = ""
        if self.background == "u2net" and self.u2net_weights:
            params["u2net_weights"] = file_digest(self.u2net_weights)
        if self.background != "grabcut":
            params["grabcut_iterations"] = None
        return hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]


def _dist_version(*names: str) -> str:
    """Version of the first of the installed distributions ``names`` ("" if none is), from the package
    metadata, without importing the package."""
    for name in names:
        try:
            return _version(name)
        except PackageNotFoundError:
            continue
    return ""


def _tensorflow_version() -> str:
    """TensorFlow's version, read without importing TensorFlow (which takes seconds)."""
    found = _dist_version("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos", "tf-nightly")
    if found:
        return found
    try:  # an unusual build without package metadata
        import tensorflow as tf
    except ImportError:
        return "not installed"
    return tf.__version__


# ------------------------------------------------------------------------------------------------ steps

_DETECTOR = None


def detector():
    """The process's MTCNN detector (built once; its weights ship with the ``mtcnn`` package)."""
    global _DETECTOR
    if _DETECTOR is None:
        with quiet_stderr():
            import tensorflow as tf
            from mtcnn import MTCNN

            _DETECTOR = MTCNN()
            # Each stage's network runs as a compiled TensorFlow graph instead of layer by layer: about 4× faster
            # per image on a CPU (60 → 15 ms at 128 px), where eager per-layer overhead dominates. An image is
            # still detected alone, so its result depends on nothing else; the mtcnn, TensorFlow and pipeline
            # versions key the cache.
            for stage in _DETECTOR.stages:
                stage._model = tf.function(stage._model, reduce_retracing=True)
    return _DETECTOR


#: MTCNN's smallest input side (its first stage scans 12 × 12 windows).
MIN_SIDE_PX = 12


def check_rgb8(rgb) -> None:
    """Raise ``ValueError`` unless ``rgb`` is an (H, W, 3) uint8 array with both sides at least
    :data:`MIN_SIDE_PX`, naming what it got and how to convert (files: :func:`painlib.images.read_rgb`)."""
    arr = rgb if isinstance(rgb, np.ndarray) else None
    shape = getattr(arr, "shape", None)
    ok = arr is not None and arr.dtype == np.uint8 and arr.ndim == 3 and shape[2] == 3
    if ok and min(shape[:2]) >= MIN_SIDE_PX:
        return
    got = f"{arr.dtype} array of shape {shape}" if arr is not None else type(rgb).__name__
    raise ValueError(
        f"face detection needs an (H, W, 3) uint8 RGB image of at least {MIN_SIDE_PX} px a side, got a {got}; "
        "read files with painlib.images.read_rgb, which converts grey, RGBA, 16-bit and float images"
    )


def detect_faces(rgb: np.ndarray, min_confidence: float = 0.0) -> list[dict]:
    """MTCNN faces in an (H, W, 3) uint8 RGB image, best first: dicts with ``box`` (x, y, w, h px),
    ``confidence`` and ``keypoints``; those scoring below ``min_confidence`` are left out. Any other array (float,
    16-bit, grey, RGBA, too small) is an error naming what is needed: MTCNN finds no face in a float image in
    [0, 1] and fails deep inside on a 2-D one."""
    check_rgb8(rgb)
    with quiet_stderr():  # TensorFlow logs an aborted stage when MTCNN finds no candidate
        found = detector().detect_faces([rgb])[0]
    found = [f for f in found if f["confidence"] >= min_confidence and f["box"][2] > 0 and f["box"][3] > 0]
    return sorted(found, key=lambda f: (f["confidence"], f["box"][2] * f["box"][3]), reverse=True)


def detect_faces_batch(rgbs: list[np.ndarray], min_confidence: float = 0.0) -> list[list[dict]]:
    """:func:`detect_faces` for many images, one image at a time, so each result is what that image gets alone.

    MTCNN's batched mode (``mtcnn`` 1.0) is not used because its result for an image depends on the rest of the
    batch, in two ways:

    * Candidate boxes are sorted by score over the whole batch with ``np.argsort``, which is not stable
      (``mtcnn/utils/bboxes.py``, ``sort_by_scores``). Non-maximum suppression then keeps the first of two
      overlapping boxes. Boxes whose scores tie (PNet's softmax often saturates at exactly 1.0) therefore
      come out in an order set by the other images' boxes, and a different box survives. Two 96 px frames of
      one synthetic subject swapped their boxes this way.
    * RNet and ONet score all candidates of the batch in one call. Their float32 results depend on how many
      rows are computed together (about 1e-5 apart), enough to move a rounded box by a pixel or to cross a
      threshold.

    Neither is a mix-up of image indices that could be undone afterwards, so no batching is provably equal
    to one-by-one detection. To use several cores, run :func:`preprocess_faces` with ``n_jobs`` workers.
    """
    return [detect_faces(rgb, min_confidence) for rgb in rgbs]


def square_box(box, margin: float = 0.25) -> tuple[int, int, int]:
    """Square ``(x, y, side)`` centred on a face box ``(x, y, w, h)``, its side the larger of w, h plus margin."""
    x, y, w, h = (float(v) for v in box)
    side = max(w, h) * (1 + margin)
    cx, cy = x + w / 2, y + h / 2
    return int(round(cx - side / 2)), int(round(cy - side / 2)), max(1, int(round(side)))


def crop_square(rgb: np.ndarray, square: tuple[int, int, int], fill: int = WHITE) -> np.ndarray:
    """Crop ``(x, y, side)`` from the image (or any (H, W[, C]) array); parts outside it are filled with
    ``fill`` (white)."""
    x, y, side = square
    out = np.full((side, side, *rgb.shape[2:]), fill, rgb.dtype)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + side, w), min(y + side, h)
    if x1 > x0 and y1 > y0:
        out[y0 - y : y1 - y, x0 - x : x1 - x] = rgb[y0:y1, x0:x1]
    return out


def crop_like_face(image: np.ndarray, face_box, size_px: int, margin: float = 0.25) -> np.ndarray:
    """Cut an (H, W) map of a source photograph (an AU mask image, a label image) as :func:`process_image` cut
    the face found in ``face_box`` (x, y, w, h): the same square with ``margin``, resized to ``size_px`` by
    nearest neighbour so labels stay labels; outside the photograph, 0."""
    crop = crop_square(np.asarray(image), square_box(face_box, margin), fill=0)
    return cv2.resize(crop, (size_px, size_px), interpolation=cv2.INTER_NEAREST)


def grabcut_foreground(crop: np.ndarray, face_box_in_crop, iterations: int = 4, work_px: int = 160) -> np.ndarray:
    """Boolean (H, W) person mask of a square face crop by GrabCut, seeded from the face box.

    Seeds: a border strip of the crop is background; an ellipse inside the face box is surely foreground; the
    rest starts as "probably background" except the face box and the hair above it ("probably foreground").
    Runs at ``work_px`` for speed and scales the mask back.
    """
    side = crop.shape[0]
    scale = min(1.0, work_px / side)
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else crop
    n = small.shape[0]
    x, y, w, h = (float(v) * scale for v in face_box_in_crop)
    mask = np.full((n, n), cv2.GC_PR_BGD, np.uint8)
    cv2.rectangle(
        mask, (int(x - 0.15 * w), int(y - 0.35 * h)), (int(x + 1.15 * w), int(y + 1.1 * h)), cv2.GC_PR_FGD, -1
    )
    cv2.ellipse(
        mask,
        (int(x + w / 2), int(y + h * 0.55)),
        (max(1, int(w * 0.3)), max(1, int(h * 0.35))),
        0,
        0,
        360,
        cv2.GC_FGD,
        -1,
    )
    border = max(2, n // 40)
    mask[:border], mask[-border:], mask[:, :border], mask[:, -border:] = (cv2.GC_BGD,) * 4
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut's GMM initialisation is random: same input, same mask
    cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    fg = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    fg = _largest_component(fg)
    if scale < 1:
        fg = cv2.resize(fg, (side, side), interpolation=cv2.INTER_NEAREST)
    return fg.astype(bool)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep the largest connected blob of a 0/1 mask and fill its holes (eyes, open mouth)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    if n <= 1:
        return mask
    keep = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    contours, _ = cv2.findContours(keep, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return cv2.drawContours(np.zeros_like(keep), contours, -1, 1, thickness=-1)


_U2NET = {}


def u2net_foreground(crop: np.ndarray, weights: str | os.PathLike, threshold: float = 0.5) -> np.ndarray:
    """Boolean (H, W) person mask from U2-Net human segmentation (ONNX, 320×320 input, run by OpenCV DNN)."""
    weights = os.fspath(weights)
    if weights not in _U2NET:
        if not os.path.isfile(weights):
            raise FileNotFoundError(f"U2-Net weights not found: {weights}")
        _U2NET[weights] = cv2.dnn.readNetFromONNX(weights)
    net = _U2NET[weights]
    x = cv2.resize(crop, (320, 320), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    x = x / max(float(x.max()), 1e-8) - np.array([0.485, 0.456, 0.406], np.float32)  # U2-Net's input scaling
    x = x / np.array([0.229, 0.224, 0.225], np.float32)
    net.setInput(x.transpose(2, 0, 1)[None])
    out = np.asarray(net.forward()).reshape(320, 320)  # the first output (d0), saliency in [0, 1]
    out = (out - out.min()) / max(float(out.max() - out.min()), 1e-8)
    return cv2.resize(out, crop.shape[1::-1], interpolation=cv2.INTER_LINEAR) >= threshold


def whiten_background(crop: np.ndarray, foreground: np.ndarray) -> np.ndarray:
    """Copy of ``crop`` with every pixel outside ``foreground`` set to white."""
    out = crop.copy()
    out[~foreground] = WHITE
    return out


def resize(rgb: np.ndarray, size_px: int) -> np.ndarray:
    """Resize to (size_px, size_px, 3) with area interpolation (shrinking) or bicubic (enlarging)."""
    interp = cv2.INTER_AREA if rgb.shape[0] >= size_px else cv2.INTER_CUBIC
    return cv2.resize(rgb, (size_px, size_px), interpolation=interp)


def process_image(rgb: np.ndarray, params: FaceParams | None = None, faces: list[dict] | None = None) -> dict:
    """Run the pipeline on one (H, W, 3) uint8 RGB image.

    Returns a dict: ``status`` ("ok" or "no face"), and when ok ``image`` (size_px, size_px, 3) uint8,
    ``box`` (x, y, w, h in the input), ``square`` (x, y, side of the crop), ``confidence``, ``n_faces``, ``background`` (the method that ran) and
    the intermediate ``crop`` and ``foreground`` mask (for figures; not cached). ``faces`` passes detections
    made already (by :func:`detect_faces`), best first.
    """
    params = params or FaceParams()
    if faces is None:
        faces = detect_faces(rgb, params.min_confidence)
    if not faces:
        return {"status": "no face", "n_faces": 0}
    face = faces[0]
    square = square_box(face["box"], params.margin)
    crop = crop_square(rgb, square)
    box_in_crop = (face["box"][0] - square[0], face["box"][1] - square[1], face["box"][2], face["box"][3])
    method = params.background
    if method == "u2net":
        foreground = u2net_foreground(crop, params.u2net_weights)
    elif method == "grabcut":
        foreground = grabcut_foreground(crop, box_in_crop, params.grabcut_iterations)
    else:
        foreground = np.ones(crop.shape[:2], bool)
    image = resize(whiten_background(crop, foreground), params.size_px)
    return {
        "status": "ok",
        "image": image,
        "box": [int(v) for v in face["box"]],
        "square": [int(v) for v in square],
        "confidence": float(face["confidence"]),
        "n_faces": len(faces),
        "background": method,
        "crop": crop,
        "foreground": foreground,
    }


def first_face(paths, params: FaceParams | None = None, tries: int = 20) -> tuple[np.ndarray, dict]:
    """The first of ``paths`` (up to ``tries``) in which a face is found: ``(rgb, process_image result)``.

    For figures that show the pipeline on an example; if none has a face, the last one tried is returned.
    """
    rgb, result = None, {"status": "no face"}
    for path in list(paths)[:tries]:
        rgb = read_rgb(path)
        result = process_image(rgb, params)
        if result["status"] == "ok":
            break
    if rgb is None:
        raise ValueError("first_face needs at least one path")
    return rgb, result


# ------------------------------------------------------------------------------------------- whole table


def _process_files(paths: list[str], params: FaceParams, cache: Path) -> list[dict]:
    """Process files through the cache; returns one cache record (status, reason, face_file, …) per path."""
    records: list[dict | None] = [None] * len(paths)
    for i, path in enumerate(paths):
        try:
            digest = file_digest(path)
        except OSError as err:
            records[i] = {"status": "unreadable", "reason": f"cannot read file: {err}", "cached": False}
            continue
        record_path = cache / digest[:2] / f"{digest}.json"
        if record_path.is_file():
            record = json.loads(record_path.read_text())
            if record["status"] != "ok" or (cache / record["face_file"]).is_file():
                records[i] = record | {"cached": True}
                continue
        try:
            rgb = read_rgb(path)
        except UnreadableImageError as err:
            records[i] = _store(cache, digest, {"status": "unreadable", "reason": str(err)})
            continue
        try:
            result = process_image(rgb, params)
        except (cv2.error, ValueError) as err:  # e.g. a degenerate crop; one image must not stop the run
            records[i] = _store(cache, digest, {"status": "failed", "reason": f"preprocessing failed: {err}"})
            continue
        record = {k: v for k, v in result.items() if k not in ("image", "crop", "foreground")}
        record |= {"width": int(rgb.shape[1]), "height": int(rgb.shape[0])}
        if result["status"] == "ok":
            record["face_file"] = f"{digest[:2]}/{digest}.png"
            write_png(cache / record["face_file"], cv2.cvtColor(result["image"], cv2.COLOR_RGB2BGR))
        else:
            record["reason"] = f"MTCNN found no face scoring ≥ {params.min_confidence}"
        records[i] = _store(cache, digest, record)
    return records


def _store(cache: Path, digest: str, record: dict) -> dict:
    """Write a cache record atomically (after its image, so a record never points at a missing file)."""
    atomic_write_bytes(cache / digest[:2] / f"{digest}.json", json.dumps(record).encode())
    return record | {"cached": False}


def _worker_init(single_thread: bool) -> None:
    if single_thread:  # two processes × all cores each would only fight over the CPU
        os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = "1"
        cv2.setNumThreads(1)


def _process_chunk(args) -> list[dict]:
    paths, params, cache = args
    return _process_files(paths, params, Path(cache))


def preprocess_faces(
    manifest: pd.DataFrame,
    cache_dir: str | os.PathLike,
    params: FaceParams | None = None,
    n_jobs: int = 1,
    progress: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the pipeline on every image of a Manifest; return ``(faces, excluded)``.

    ``faces`` is the Manifest of the images with a face: ``path`` points at the processed image (``size_px``
    square, white background) and ``source_path`` at the original; columns ``face_confidence``, ``n_faces``,
    ``face_box`` and ``background`` say what was found and done. ``excluded`` lists every other image with its
    ``status`` ("no face", "unreadable" or "failed") and ``reason``; nothing is dropped silently. Results are cached in
    ``cache_dir/<parameter key>/`` by file content, so a second call is a cache hit. ``n_jobs`` worker
    processes (-1: all cores) share the work; each loads its own MTCNN.
    """
    params = params or FaceParams()
    if params.background == "u2net" and not (params.u2net_weights and os.path.isfile(params.u2net_weights)):
        log.warning(
            "U2-Net weights not found at %r; removing the background with GrabCut instead", params.u2net_weights
        )
        params = FaceParams(**(asdict(params) | {"background": "grabcut", "u2net_weights": ""}))
    cache = Path(cache_dir) / params.key()
    cache.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(cache / "params.json", json.dumps(asdict(params), indent=1).encode())
    paths = [os.fspath(p) for p in manifest["path"]]
    n_jobs = worker_count(n_jobs)
    bar = progress_bar(total=len(paths), desc="faces", unit="img", enabled=progress)
    records: list[dict] = []
    size = 32 if n_jobs == 1 else max(1, min(32, len(paths) // (4 * n_jobs)))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    if n_jobs == 1 or len(paths) < 8:
        for chunk in chunks:
            records.extend(_process_files(chunk, params, cache))
            bar.update(len(chunk))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(n_jobs, mp_context=ctx, initializer=_worker_init, initargs=(True,)) as pool:
            for chunk_records in pool.map(_process_chunk, [(c, params, str(cache)) for c in chunks]):
                records.extend(chunk_records)
                bar.update(len(chunk_records))
    bar.close()
    return _split_records(manifest, records, cache)


def _split_records(manifest: pd.DataFrame, records: list[dict], cache: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    status = pd.Series([r["status"] for r in records], index=manifest.index)
    ok = status == "ok"
    faces = manifest[ok].copy()
    faces.insert(0, "source_path", faces["path"])
    faces["path"] = [str(cache / r["face_file"]) for r, k in zip(records, ok) if k]
    kept = [r for r, k in zip(records, ok) if k]
    faces["face_confidence"] = [r["confidence"] for r in kept]
    faces["n_faces"] = [r["n_faces"] for r in kept]
    faces["face_box"] = [" ".join(map(str, r["box"])) for r in kept]
    faces["background"] = [r["background"] for r in kept]
    excluded = manifest.loc[~ok].copy()
    excluded["reason"] = [r.get("reason", r["status"]) for r, k in zip(records, ok) if not k]
    excluded["status"] = status[~ok]
    hits = sum(bool(r.get("cached")) for r in records)
    log.info(
        "faces: %d kept, %d excluded (%s); %d of %d from the cache",
        len(faces),
        len(excluded),
        excluded["status"].value_counts().to_dict(),
        hits,
        len(records),
    )
    faces.attrs["cache_hits"] = excluded.attrs["cache_hits"] = hits
    return faces.reset_index(drop=True), excluded.reset_index(drop=True)


def score_background(manifest: pd.DataFrame, params: FaceParams | None = None) -> pd.DataFrame:
    """How well background removal separates face from background, against synthetic ground truth.

    For each image with a ``mask_path`` (synthetic data): the share of true face pixels kept
    (``face_kept``) and of non-face pixels turned white (``background_removed``) inside the square crop.
    Hair and neck count as background here, so ``background_removed`` below 1 is expected of a person mask.
    """
    if "mask_path" not in manifest:
        raise ValueError("score_background needs ground-truth masks (column mask_path): synthetic data only")
    params = params or FaceParams()
    rows = []
    for row in manifest.itertuples():
        result = process_image(read_rgb(row.path), params)
        if result["status"] != "ok":
            continue
        face = unpack_masks(cv2.imread(row.mask_path, cv2.IMREAD_UNCHANGED))["face"].astype(np.uint8)
        truth = crop_square(np.dstack([face] * 3), square_box(result["box"], params.margin), fill=0)[..., 0] > 0
        fg = result["foreground"]
        rows.append(
            dict(
                dataset=row.dataset, path=row.path, face_kept=fg[truth].mean(), background_removed=(~fg[~truth]).mean()
            )
        )
    return pd.DataFrame(rows)


def exclusion_table(assembled: pd.DataFrame, excluded: pd.DataFrame, by: str = "dataset") -> pd.DataFrame:
    """Per ``by`` group: images, exclusions per status (no face, unreadable, failed), kept, and the share of
    images MTCNN searched in which it found a face (``face_found``; unreadable and failed images left out), from :func:`preprocess_faces`'s ``excluded`` (chapter 01)."""
    table = pd.crosstab(assembled[by], "images").rename_axis(columns=None)
    if len(excluded):
        table = table.join(pd.crosstab(excluded[by], excluded["status"]).rename_axis(columns=None))
    table = table.fillna(0).astype(int)
    statuses = [c for c in table.columns if c != "images"]
    table["kept"] = table["images"] - table[statuses].sum(axis=1)
    no_face = table["no face"] if "no face" in table else 0
    searched = table["images"] - table[[c for c in ("unreadable", "failed") if c in table]].sum(axis=1)
    table["face_found"] = (1 - no_face / searched.where(searched > 0)).round(3)  # of the images MTCNN searched
    return table
