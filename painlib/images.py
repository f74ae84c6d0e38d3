"""Reading images of any depth and channel layout into 8-bit RGB, with errors that name the file."""

from __future__ import annotations

import os

import cv2
import numpy as np


class UnreadableImageError(ValueError):
    """The file is missing, corrupt or not an image."""


def to_rgb8(image: np.ndarray, *, background: int = 255) -> np.ndarray:
    """Convert an OpenCV-decoded array (gray, BGR, BGRA; 8/16-bit or float) to (H, W, 3) uint8 RGB.

    Alpha is composited over a white ``background`` (the book's backgrounds are white after preprocessing).
    """
    img = np.asarray(image)
    if img.dtype == np.uint16:
        img = (img.astype(np.float32) / 257.0).round().astype(np.uint8)
    elif img.dtype.kind == "f":
        scale = 255.0 if float(np.nanmax(img, initial=0)) <= 1.0 else 1.0
        img = np.clip(np.nan_to_num(img) * scale, 0, 255).round().astype(np.uint8)
    elif img.dtype != np.uint8:
        raise UnreadableImageError(f"unsupported pixel type {img.dtype}")
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.ndim == 3 and img.shape[2] == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2RGB)
    if img.ndim == 3 and img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        rgb = img[:, :, :3].astype(np.float32) * alpha + background * (1 - alpha)
        return cv2.cvtColor(rgb.round().astype(np.uint8), cv2.COLOR_BGR2RGB)
    if img.ndim == 3 and img.shape[2] == 3:
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    raise UnreadableImageError(f"unsupported image shape {img.shape}")


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB; raise :class:`UnreadableImageError` naming the file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise UnreadableImageError(f"image file not found: {path}")
    data = np.fromfile(path, np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise UnreadableImageError(f"cannot decode image (corrupt or not an image): {path}")
    try:
        return to_rgb8(img)
    except UnreadableImageError as err:
        raise UnreadableImageError(f"{path}: {err}") from None


def load_images(paths, size_px: int) -> np.ndarray:
    """Read and resize images to a (N, size_px, size_px, 3) uint8 RGB array (area interpolation)."""
    out = np.empty((len(paths), size_px, size_px, 3), np.uint8)
    for i, p in enumerate(paths):
        img = read_rgb(p)
        out[i] = cv2.resize(img, (size_px, size_px), interpolation=cv2.INTER_AREA)
    return out
