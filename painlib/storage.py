"""Atomic writes for every file the book produces: a temporary file in the same folder, then a rename.

An interrupted run therefore leaves either the old file or the new one, never half of one, and a stage can
resume by checking which outputs already exist.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from pathlib import Path

import cv2
import numpy as np
import pandas as pd


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """Open a new, uniquely named temporary file in ``folder`` for writing.

    Created with mode 0o666 less the umask — the mode a plain ``open(path, "w")`` gives — so the renamed file
    is as readable as any other in the folder. (``tempfile.mkstemp`` creates 0o600, which the rename keeps, and
    reading the umask with ``os.umask`` would change it process-wide for a moment, racing other threads.)
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a unique temporary file for {name} in {folder}")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (parent folders are created).

    The file gets the mode a plain ``open(path, "w")`` would give under the current umask (0o644 under the
    usual 0o022), so results in a shared data folder stay readable to its other users.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path.parent, path.name)
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


def file_digest(path: str | os.PathLike) -> str:
    """SHA-1 of a file's bytes (hex), read in 1 MiB chunks: the identity of an image or weights file wherever it
    lies (face cache keys, training result keys)."""
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_npz(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """Write named arrays as one compressed ``.npz`` atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())
