"""The item sheets raters fill in: which items each observational pain scale has and how rated targets are named.

A *ratings table* has one row per (target, rater) — the sheet one rater filled in for one video or image:

==============  =====================================================================================
target          what was rated (a video or an image), e.g. ``"cp-0003/video1"`` (see :func:`video_target`)
rater           who rated it
stimulus        source of pain (injection, stretching, other, …); used to group the ICC
au4 … au43      FACS intensities 0–5 of the six pain AUs (:data:`painlib.facs.AUS`)
ncapc_*         the 18 NCAPC items, 0–3 each (:data:`NCAPC_ITEMS`)
wong_baker      Wong-Baker FACES 0–10
==============  =====================================================================================

Both the simulated raters (:mod:`painlib.synth.raters`) and the scoring (:mod:`painlib.reliability`) read this
schema from here, so neither depends on the other.
"""

from __future__ import annotations

import pandas as pd

from .facs import AUS

#: The 18 NCAPC items (each 0 = not at all … 3 = very often) grouped in the checklist's six subscales.
#: Item counts per subscale follow the layout used in this book; pass ``subscales=`` to the scoring
#: function if your copy of the checklist groups them differently.
NCAPC_SUBSCALES: dict[str, tuple[str, ...]] = {
    "vocal": ("ncapc_vocal_1", "ncapc_vocal_2"),
    "emotional": ("ncapc_emotional_1", "ncapc_emotional_2", "ncapc_emotional_3"),
    "facial": ("ncapc_facial_1", "ncapc_facial_2", "ncapc_facial_3", "ncapc_facial_4"),
    "body_language": ("ncapc_body_1", "ncapc_body_2", "ncapc_body_3", "ncapc_body_4"),
    "protective": ("ncapc_protective_1", "ncapc_protective_2"),
    "physiological": ("ncapc_physiological_1", "ncapc_physiological_2", "ncapc_physiological_3"),
}
NCAPC_ITEMS: tuple[str, ...] = tuple(item for items in NCAPC_SUBSCALES.values() for item in items)

#: The six faces of the Wong-Baker FACES scale.
WONG_BAKER_FACES: tuple[int, ...] = (0, 2, 4, 6, 8, 10)

#: Scale name → (lowest, highest) total score.
SCALES: dict[str, tuple[int, int]] = {"facs": (0, 20), "ncapc": (0, 3 * len(NCAPC_ITEMS)), "wong_baker": (0, 10)}

ID_COLUMNS: tuple[str, ...] = ("target", "rater", "stimulus")
RATINGS_COLUMNS: tuple[str, ...] = ID_COLUMNS + AUS + NCAPC_ITEMS + ("wong_baker",)


def video_target(manifest: pd.DataFrame) -> pd.Series:
    """The name raters give each image's video: column ``target`` if present, else ``<subject>/<video>``."""
    if "target" in manifest:
        return manifest["target"].astype(str)
    return manifest["subject"].astype(str) + "/" + manifest["video"].astype(str)
