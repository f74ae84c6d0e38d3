"""Simulated eye-tracking recordings of people looking at the synthetic faces, with known viewing habits.

Stands in for the dissertation's Tobii TX300 recordings (44 experts, 29 parents, 7 s per image), which are not
public. Each participant views every image for ``seconds``; fixations land in facial regions chosen with the
group's weights (each participant's own weights drawn around them), at a point of the region moved by the
group's spread, and last a gamma-distributed time. The defaults encode what the eye-tracking studies the
dissertation cites report in words: experts look at the brow, the eyes, the nasolabial furrow and the mouth;
parents spread their gaze more widely over the face. They are this book's assumptions, not measurements.

Recordings are made imperfect on purpose, as real ones are: some participants' trackers miss samples (their
``valid_share`` falls below the study's 70 %), some fixations are shorter than 60 ms, a few land off the image.
:func:`painlib.attention.clean_fixations` drops them by the study's criteria and counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

#: Facial regions a viewer fixates, as unions of the generator's AU regions, in order of precedence: a pixel in
#: two AU regions belongs to the first, so the regions do not overlap; "rest of face" is the face outside them.
GAZE_REGIONS = {
    "eyes": ("au7", "au43"),
    "brow": ("au4",),
    "nose": ("au9",),
    "mouth and nasolabial furrow": ("au10",),
    "cheeks": ("au6",),
    "rest of face": ("face",),
}


@dataclass
class ViewerGroup:
    """How one group looks: the mean share of fixations per region of :data:`GAZE_REGIONS` (normalised), how
    much participants differ around it (a Dirichlet concentration: higher is more alike), and the spread of a
    fixation around its target as a share of the image side."""

    participants: int
    weights: dict[str, float]
    concentration: float
    spread: float
    poor_tracking_share: float = 0.1  # participants whose tracker records fewer than 70 % of their samples


#: The book's default viewers (the dissertation's group sizes; habits from the studies it cites, in words).
VIEWERS = {
    "experts": ViewerGroup(
        44,
        {
            "brow": 0.25,
            "eyes": 0.25,
            "nose": 0.08,
            "mouth and nasolabial furrow": 0.32,
            "cheeks": 0.03,
            "rest of face": 0.07,
        },
        concentration=30.0,
        spread=0.025,
    ),
    "parents": ViewerGroup(
        29,
        {
            "brow": 0.1,
            "eyes": 0.3,
            "nose": 0.12,
            "mouth and nasolabial furrow": 0.15,
            "cheeks": 0.08,
            "rest of face": 0.25,
        },
        concentration=6.0,
        spread=0.07,
    ),
}


@dataclass
class Viewing:
    """The recording set-up: seconds per image, mean fixation length (ms), the chance that a fixation is cut
    short by a blink or lands off the image."""

    seconds: float = 7.0
    mean_fixation_ms: float = 280.0
    short_share: float = 0.05
    off_image_share: float = 0.02
    viewers: dict[str, ViewerGroup] = field(default_factory=lambda: dict(VIEWERS))


def region_masks(masks: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:data:`GAZE_REGIONS` as (N, H, W) bool masks that do not overlap, from the AU masks of
    :func:`painlib.faithfulness.au_masks` (each region loses what an earlier one holds)."""
    out, taken = {}, np.zeros_like(masks["face"], bool)
    for name, aus in GAZE_REGIONS.items():
        out[name] = np.logical_or.reduce([masks[au] for au in aus]) & ~taken
        taken |= out[name]
    return out


def simulate_fixations(
    images: list[str], regions: dict[str, np.ndarray], viewing: Viewing | None = None, seed: int = 0
) -> pd.DataFrame:
    """Fixation records (:data:`painlib.attention.FIXATION_COLUMNS`) of every participant of every group on
    every image: ``images`` names them, ``regions`` (:func:`region_masks`, (N, H, W) each) says where their
    regions are. Positions are pixels of the (W × H) image; the same seed gives the same records."""
    viewing = viewing or Viewing()
    rng = np.random.default_rng(seed)
    n, height, width = next(iter(regions.values())).shape
    side = max(height, width)
    names = list(GAZE_REGIONS)
    pixels = [[np.argwhere(regions[name][i]) for name in names] for i in range(n)]
    everywhere = np.argwhere(np.ones((height, width), bool))
    rows = []
    for group, viewers in viewing.viewers.items():
        mean = np.array([viewers.weights.get(name, 0.0) for name in names], float)
        mean /= mean.sum()
        for p in range(viewers.participants):
            participant = f"{group}-{p:02d}"
            own = rng.dirichlet(viewers.concentration * mean + 1e-3)
            poor = rng.random() < viewers.poor_tracking_share
            valid_share = rng.uniform(0.4, 0.69) if poor else rng.uniform(0.72, 1.0)
            for i, image in enumerate(images):
                spent = 0.0
                while spent < viewing.seconds * 1000 * 0.85:  # the rest of the time goes to saccades
                    duration = rng.gamma(4.0, viewing.mean_fixation_ms / 4.0)
                    if rng.random() < viewing.short_share:
                        duration = rng.uniform(20, 59)
                    spent += duration
                    if rng.random() < viewing.off_image_share:
                        x, y = -rng.uniform(1, side * 0.3), rng.uniform(0, height)
                    else:
                        inside = pixels[i][rng.choice(len(names), p=own)]
                        if not len(inside):  # a region hidden on this face: look anywhere on it
                            inside = pixels[i][names.index("rest of face")]
                        if not len(inside):  # no face region either (real images): anywhere on the image
                            inside = everywhere
                        y, x = inside[rng.integers(len(inside))] + rng.normal(0, viewers.spread * side, 2)
                    rows.append((participant, group, image, float(x), float(y), float(duration), valid_share))
    return pd.DataFrame(rows, columns=["participant", "group", "image", "x", "y", "duration_ms", "valid_share"])


def viewers(**participants: int) -> dict[str, ViewerGroup]:
    """Copies of the default :data:`VIEWERS`, with the number of participants of the groups named (e.g.
    ``viewers(experts=10)``); the defaults themselves are never changed."""
    unknown = set(participants) - set(VIEWERS)
    if unknown:
        raise ValueError(f"no viewer group {sorted(unknown)}; the groups are {list(VIEWERS)}")
    return {g: replace(v, participants=participants.get(g, v.participants)) for g, v in VIEWERS.items()}


def given_shares(groups: dict[str, ViewerGroup]) -> pd.DataFrame:
    """The share of fixations each group was given per facial region (its mean habits, normalised): one row per
    group, one column per region of :data:`GAZE_REGIONS`."""
    table = pd.DataFrame({g: v.weights for g, v in groups.items()}).T.fillna(0.0)
    return table.div(table.sum(axis=1), axis=0)[list(GAZE_REGIONS)]
