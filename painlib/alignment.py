"""A common face frame: maps computed on different faces, warped onto one template and averaged.

Manresa-Yee et al. (2023), whose LIME method the CP paper follows, warp each local mask into a common face
template by a piecewise-affine transform between facial landmarks, then sum the masks and normalise them to
[0, 1]. Here the landmarks are MTCNN's five keypoints (eyes, nose tip, mouth corners; chapter 01's detector),
the template their mean over the faces explained (or any five points given), and the image's corners are pinned to
the template's corners so that the whole frame, not only the landmarks' hull, is carried over. The transform is
scikit-image's :class:`~skimage.transform.PiecewiseAffineTransform` (a Delaunay triangulation of the points).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: MTCNN's keypoints, in the order the landmark arrays of this module use.
KEYPOINTS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


def keypoints_array(keypoints: dict) -> np.ndarray:
    """(5, 2) (x, y) pixel array of an MTCNN ``keypoints`` dict, in :data:`KEYPOINTS` order."""
    missing = [k for k in KEYPOINTS if k not in keypoints]
    if missing:
        raise ValueError(f"keypoints lack {missing}; expected {KEYPOINTS}")
    return np.array([keypoints[k] for k in KEYPOINTS], dtype=float)


def detect_landmarks(images: np.ndarray, min_confidence: float = 0.0) -> np.ndarray:
    """(N, 5, 2) MTCNN keypoints (x, y, pixels) of the most confident face in each (N, H, W, 3) RGB image; NaN
    rows where no face is found (chapter 01's detector, :func:`painlib.faces.detect_faces`)."""
    from .faces import detect_faces

    out = np.full((len(images), len(KEYPOINTS), 2), np.nan)
    for i, image in enumerate(images):
        found = detect_faces(np.asarray(image), min_confidence)
        if found:
            out[i] = keypoints_array(found[0]["keypoints"])
    return out


def landmarks_of_files(paths, size_px: int) -> np.ndarray:
    """(N, 5, 2) keypoints of the face in each image file, detected at the file's own size and scaled to images
    resized to ``size_px`` (small images lose the detector); NaN rows where no face is found."""
    from .images import read_rgb

    out = np.full((len(paths), len(KEYPOINTS), 2), np.nan)
    for i, path in enumerate(paths):
        image = read_rgb(path)
        found = detect_landmarks(image[None])[0]
        out[i] = found * np.array([size_px / image.shape[1], size_px / image.shape[0]])
    return out


def align(stack: np.ndarray, landmarks: np.ndarray, template: np.ndarray, template_shape: tuple[int, int]):
    """:func:`to_template` for each of a stack of maps or images (N, H, W[, C]) with its (N, 5, 2) landmarks."""
    if len(stack) == 0:
        return np.zeros((0, *template_shape, *np.shape(stack)[3:]), np.float32)
    return np.stack([to_template(x, lm, template, template_shape) for x, lm in zip(stack, landmarks)])


def _with_corners(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    corners = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], float)
    return np.vstack([np.asarray(points, float), corners])


def face_transform(landmarks: np.ndarray, image_shape: tuple[int, int], template: np.ndarray, template_shape):
    """The piecewise-affine map from template pixels (x, y) to image pixels: ``landmarks`` (k, 2) of an image of
    ``image_shape`` (H, W) go to ``template`` (k, 2) of a frame of ``template_shape``, corners to corners."""
    from skimage.transform import PiecewiseAffineTransform

    landmarks, template = np.asarray(landmarks, float), np.asarray(template, float)
    if landmarks.shape != template.shape or landmarks.ndim != 2 or landmarks.shape[1] != 2:
        raise ValueError(f"landmarks {landmarks.shape} and template {template.shape} must both be (k, 2)")
    src = _with_corners(template, template_shape)
    dst = _with_corners(landmarks, image_shape)
    try:
        transform = PiecewiseAffineTransform.from_estimate(src, dst)
    except RuntimeError as err:  # Qhull's error for points that span no triangle
        raise ValueError(f"the landmarks cannot be triangulated (repeated or collinear points): {err}") from None
    if not transform:
        raise ValueError("the landmarks cannot be triangulated (repeated or collinear points)")
    return transform


def to_template(
    image: np.ndarray, landmarks: np.ndarray, template: np.ndarray, template_shape: tuple[int, int], order: int = 1
) -> np.ndarray:
    """Warp a map or an image (H, W[, C]) whose face has ``landmarks`` (k, 2, pixels) onto the template frame
    (``template_shape``), bilinear by default; values keep their scale (no rescaling to [0, 1])."""
    from skimage.transform import warp

    image = np.asarray(image)
    transform = face_transform(landmarks, image.shape[:2], template, template_shape)
    out = warp(image.astype(float), transform, output_shape=template_shape, order=order, preserve_range=True)
    return out.astype(np.float32)


def mean_template(landmarks: np.ndarray, image_shape: tuple[int, int], template_shape: tuple[int, int]) -> np.ndarray:
    """(k, 2) template: the mean of ``landmarks`` (N, k, 2) of images of ``image_shape``, scaled to the frame."""
    landmarks = np.asarray(landmarks, float)
    if len(landmarks) == 0:
        raise ValueError("no landmarks to average: the face detector found no face in any of the images")
    scale = np.array([template_shape[1] / image_shape[1], template_shape[0] / image_shape[0]])
    return landmarks.mean(axis=0) * scale


def normalise(heatmap: np.ndarray) -> np.ndarray:
    """Scale a non-negative map to [0, 1] by its maximum (an all-zero map stays zero)."""
    heatmap = np.asarray(heatmap, np.float32)
    top = float(heatmap.max(initial=0.0))
    return heatmap / top if top > 0 else heatmap


def global_maps(
    table: pd.DataFrame, maps: np.ndarray, by=("model", "class", "dataset")
) -> tuple[pd.DataFrame, np.ndarray]:
    """Average aligned maps per group: the CP paper's global heatmap per model × class × dataset.

    ``maps`` (N, H, W) are aligned local maps, row ``i`` described by ``table.iloc[i]``. Each local map counts
    once (summed, then the sum normalised to [0, 1], as Manresa-Yee et al. do). Returns one row per group with
    ``n_images`` and the (groups, H, W) maps in that order; ``binary`` maps come from :func:`otsu_binary`.
    """
    if len(table) != len(maps):
        raise ValueError(f"{len(table)} rows describe {len(maps)} maps")
    by = list(by)
    groups = table.reset_index(drop=True).groupby(by, sort=True).indices
    rows, out = [], []
    for key, index in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        rows.append(dict(zip(by, key)) | {"n_images": len(index)})
        out.append(normalise(np.asarray(maps)[index].sum(axis=0)))
    shape = np.asarray(maps).shape[1:]
    return pd.DataFrame(rows), np.stack(out) if out else np.zeros((0, *shape), np.float32)


def otsu_binary(heatmap: np.ndarray) -> np.ndarray:
    """The binary version of a global map: pixels above Otsu's threshold (scikit-image)."""
    from skimage.filters import threshold_otsu

    heatmap = np.asarray(heatmap)
    if np.ptp(heatmap) == 0:
        return np.zeros(heatmap.shape, bool)
    return heatmap > threshold_otsu(heatmap)
