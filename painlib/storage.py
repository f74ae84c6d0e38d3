"""Atomic writes for every file the book produces: a temporary file in the same folder, then a rename.

An interrupted run therefore leaves either the old file or the new one, never half of one, and a stage can
resume by checking which outputs already exist.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pandas as pd


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_png(path: str | os.PathLike, image: np.ndarray, compression: int = 1) -> Path:
    """Encode ``image`` (H, W) or (H, W, 3) BGR uint8 as PNG and write it atomically."""
    ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise OSError(f"OpenCV could not encode an image of shape {image.shape} for {path}")
    return atomic_write_bytes(path, buf.tobytes())


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` as CSV (no index) atomically."""
    return atomic_write_bytes(path, df.to_csv(index=False).encode("utf-8"))
