"""The FACS contract: action-unit names, the PSPI formula, pain levels and the packed AU-region masks.

One small module that everything reads — the synthetic generator (which draws the AUs), the pain scales of
chapter 02 (which score raters' AU sheets), the face pipeline and the figures (which read the region masks) —
so the definitions exist once and no analysis module needs the generator to know what an AU is.

PSPI (Prkachin & Solomon 2008) = AU4 + max(AU6, AU7) + max(AU9, AU10) + AU43, with AU intensities 0–5 (A–E
coded 1–5). UNBC-McMaster codes AU43 as present/absent (0 or 1), so its PSPI runs 0–16; a rater's FACS sheet,
with AU43 0–5, gives 0–20.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: The six pain action units, in the order of the mask bits: brow lowerer, cheek raiser, lid tightener,
#: nose wrinkler, upper-lip raiser, eyes closed.
AUS: tuple[str, ...] = ("au4", "au6", "au7", "au9", "au10", "au43")
#: Bit of the face-oval mask in a packed mask image (AU ``AUS[i]`` uses bit ``i``).
FACE_BIT: int = len(AUS)
#: Upper PSPI bounds of the five pain levels used for UNBC-McMaster (0, 1, 2, 3–4, ≥ 5), as in PAIN-DB.
LEVEL_EDGES: tuple[int, ...] = (1, 2, 3, 5)
N_LEVELS: int = len(LEVEL_EDGES) + 1


def pspi(aus: Mapping[str, float] | pd.DataFrame) -> float | pd.Series:
    """Prkachin–Solomon pain intensity of one AU dict (→ float) or of a table with the :data:`AUS` columns
    (→ Series, same index)."""
    if isinstance(aus, pd.DataFrame):
        t = aus[list(AUS)].astype(float)
        return (t["au4"] + t[["au6", "au7"]].max(axis=1) + t[["au9", "au10"]].max(axis=1) + t["au43"]).rename("pspi")
    return float(aus["au4"] + max(aus["au6"], aus["au7"]) + max(aus["au9"], aus["au10"]) + aus["au43"])


def pspi_level(score):
    """Pain level 0–4 from a PSPI score (scalar or array): 0, 1, 2, 3–4 and ≥ 5 — the five UNBC levels of
    PAIN-DB. Scores must be finite and non-negative."""
    values = np.asarray(score, dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"PSPI must be a finite number ≥ 0, got {score!r}")
    levels = np.digitize(values, LEVEL_EDGES)
    return int(levels) if levels.ndim == 0 else levels


def pack_masks(region_masks: Mapping[str, np.ndarray], face: np.ndarray) -> np.ndarray:
    """Pack boolean (H, W) masks, one per AU plus the face oval, into one (H, W) uint8 image.

    Bit ``i`` is AU ``AUS[i]`` (clipped to the face oval), bit :data:`FACE_BIT` the face oval itself.
    """
    face = np.asarray(face, bool)
    packed = face.astype(np.uint8) << FACE_BIT
    for i, au in enumerate(AUS):
        if au in region_masks:
            packed |= (np.asarray(region_masks[au], bool) & face).astype(np.uint8) << i
    return packed


def unpack_masks(packed: np.ndarray) -> dict[str, np.ndarray]:
    """Split a packed mask image into boolean (H, W) masks, one per AU plus ``"face"``."""
    packed = np.asarray(packed)
    if packed.dtype != np.uint8 or packed.ndim != 2:
        raise ValueError(f"a packed mask image is (H, W) uint8, got {packed.dtype} of shape {packed.shape}")
    out = {au: (packed >> i) & 1 > 0 for i, au in enumerate(AUS)}
    out["face"] = (packed >> FACE_BIT) & 1 > 0
    return out
