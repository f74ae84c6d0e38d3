"""Face regions of the common frame, how much of a map falls in each, and the CP paper's observations on them.

The CP paper reads its global LIME heatmaps by eye: the networks pretrained on ImageNet and those trained from
scratch form two groups; SilNet, WeiNet and SongNet look at the forehead for "no pain" on CP-PAIN; ResNet50 at
the lower face on CP-PAIN; the mouth goes with pain and the eyes with no pain. Here each becomes a computed
number with a test that can answer "not resolved": relevance mass per region (the share of a map's relevance
inside it), against the region's share of the frame (what a map spread evenly would give) or between classes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from .alignment import KEYPOINTS
from .chance import holm_where


def template_regions(template: np.ndarray, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """Bool (H, W) face regions of the template frame, drawn from its five landmarks (:data:`KEYPOINTS` order)
    in units of the distance between the eyes (``d``); the book's definitions, for testing the CP paper's
    observations ("forehead", "lower face", "mouth", "eyes"), not the papers':

    * ``eyes``: an ellipse around each eye, 0.35 d wide and 0.22 d high (semi-axes);
    * ``forehead``: from 0.25 d to 1.0 d above the line of the eyes, 0.35 d beyond each eye sideways;
    * ``nose``: a disc of 0.25 d around the nose tip;
    * ``mouth``: an ellipse through both corners, 0.15 d beyond them, 0.25 d high;
    * ``lower_face``: everything below the nose tip.
    """
    t = np.asarray(template, float)
    if t.shape != (len(KEYPOINTS), 2):
        raise ValueError(f"template must be (5, 2) in {KEYPOINTS} order, got {t.shape}")
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    left, right, nose, mouth_left, mouth_right = t
    d = float(np.hypot(*(right - left)))
    if d <= 0:
        raise ValueError("the template's eyes coincide")

    def ellipse(centre, ax, ay):
        return ((cols - centre[0]) / ax) ** 2 + ((rows - centre[1]) / ay) ** 2 <= 1

    eye_line = (left[1] + right[1]) / 2
    mouth_centre = (mouth_left + mouth_right) / 2
    half_mouth = float(np.hypot(*(mouth_right - mouth_left))) / 2
    return {
        "eyes": ellipse(left, 0.35 * d, 0.22 * d) | ellipse(right, 0.35 * d, 0.22 * d),
        "forehead": (rows <= eye_line - 0.25 * d)
        & (rows >= eye_line - 1.0 * d)
        & (cols >= left[0] - 0.35 * d)
        & (cols <= right[0] + 0.35 * d),
        "nose": ellipse(nose, 0.25 * d, 0.25 * d),
        "mouth": ellipse(mouth_centre, half_mouth + 0.15 * d, 0.25 * d),
        "lower_face": rows > nose[1],
    }


def region_mass(maps: np.ndarray, regions: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """(N, H, W) non-negative maps → an (N, regions) table of relevance mass: the share of each map's sum inside
    each region (NaN for an all-zero map)."""
    maps = np.clip(np.asarray(maps, float), 0, None)
    total = maps.sum(axis=(1, 2))
    out = {}
    for name, region in regions.items():
        inside = (maps * np.asarray(region, bool)).sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(total > 0, inside / total, np.nan)
    return pd.DataFrame(out)


def region_shares(regions: Mapping[str, np.ndarray]) -> pd.Series:
    """Share of the frame each region covers: the relevance mass of a map spread evenly (its chance level)."""
    return pd.Series({name: float(np.asarray(r, bool).mean()) for name, r in regions.items()}, name="share")


def above_share(mass: np.ndarray, share: float) -> float:
    """One-sided p-value that the relevance mass of a region, over several maps (images), lies above ``share``:
    Wilcoxon's signed-rank test of mass − share (:func:`paired_greater` against the share)."""
    mass = np.asarray(mass, float)
    return paired_greater(mass, np.full(mass.shape, share))


def paired_greater(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided p-value that ``a`` exceeds ``b`` pair by pair (Wilcoxon's signed-rank test, SciPy); 1.0 with
    fewer than two finite pairs or no difference at all."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    diff = diff[np.isfinite(diff)]
    if len(diff) < 2 or not np.any(diff):
        return 1.0
    return float(stats.wilcoxon(diff, alternative="greater").pvalue)


def two_groups(maps: Mapping[str, np.ndarray]) -> pd.Series:
    """Split networks into two groups by their maps: average-linkage clustering (SciPy) of the correlation
    distance (1 − Pearson's r) between the flattened maps of each network. ``maps`` maps a network to any array
    (its global maps stacked); returns the group (1 or 2) per network."""
    from scipy.cluster.hierarchy import fcluster, linkage

    names = list(maps)
    if len(names) < 3:
        raise ValueError(f"two groups need at least three networks, got {len(names)}")
    x = np.stack([np.asarray(maps[n], float).ravel() for n in names])
    groups = fcluster(linkage(x, method="average", metric="correlation"), 2, criterion="maxclust")
    return pd.Series(groups, index=pd.Index(names, name="model"), name="group")


def same_partition(found: pd.Series, expected: Mapping[str, str]) -> bool:
    """Whether two groupings of the same networks put the same networks together (labels aside)."""
    from sklearn.metrics import adjusted_rand_score

    names = list(found.index)
    return bool(adjusted_rand_score([expected[n] for n in names], found.to_numpy()) == 1.0)


#: The networks the CP paper trained from scratch; the other six started from ImageNet weights.
FROM_SCRATCH = ("alexnet", "songnet", "weinet", "silnet")


def paper_observations(
    mass: pd.DataFrame,
    shares: pd.Series,
    groups: pd.Series,
    alpha: float = 0.05,
    imagenet_started=None,
    without_every_map=(),
) -> pd.DataFrame:
    """The CP paper's five observations on its global heatmaps: four tested on this run's local maps, one (the
    grouping) descriptive.

    ``mass``: one row per local map of an image its network called correctly, with ``model``, ``set``
    ("PAIN-DB", "CP-PAIN"), ``class`` ("pain", "no_pain") and the relevance mass in each region of
    :func:`template_regions`; ``shares``: the regions' shares of the frame (:func:`region_shares`); ``groups``:
    the two groups found in the global maps (:func:`two_groups`); ``imagenet_started``: the networks that started
    from ImageNet weights in this run (``None``: not known; empty: none did, and the grouping, which contrasts
    the two kinds of start, is not applicable); ``without_every_map``: networks left out of the grouping for
    lacking a global map of some class and dataset (named in its row). One row per observation: what the paper says,
    what this run measured, the p-value (Holm over the tested observations) and the verdict — "holds", "not
    resolved" (the test could not tell it from chance at ``alpha``) or "not testable" (too few maps).
    """
    rows = []

    def add(observation, measured, p, n_ok):
        rows.append({"observation": observation, "measured": measured, "p_value": p if n_ok else np.nan})

    cp = mass[mass["set"] == "CP-PAIN"]
    scratch = [m for m in ("silnet", "weinet", "songnet") if m in set(mass["model"])]
    forehead = [cp[(cp["model"] == m) & (cp["class"] == "no_pain")]["forehead"] for m in scratch]
    p_forehead = max((above_share(f, shares["forehead"]) for f in forehead), default=1.0)
    means = ", ".join(
        f"{m} {f.mean():.2f} ({_maps(len(f))})" if len(f) else f"{m} no map" for m, f in zip(scratch, forehead)
    )
    add(
        "SilNet, WeiNet and SongNet look at the forehead for no pain on CP-PAIN",
        f"forehead mass {means or '—'} against its share {shares['forehead']:.2f}; all three must hold, so the "
        "largest p of the three counts, and each needs two maps or more",
        p_forehead,
        bool(scratch) and all(len(f) >= 2 for f in forehead),
    )
    lower = cp[cp["model"] == "resnet50"]["lower_face"]
    add(
        "ResNet50 looks at the lower face on CP-PAIN",
        f"lower-face mass {lower.mean():.2f} against its share {shares['lower_face']:.2f} ({_maps(len(lower))} of "
        "both classes: the paper names none)",
        above_share(lower, shares["lower_face"]),
        len(lower) >= 2,
    )
    by_class = mass.groupby(["model", "class"])[["mouth", "eyes"]].mean().unstack("class")
    both = by_class.dropna()
    if {"pain", "no_pain"} <= set(mass["class"]) and len(both) >= 2:
        mouth_gap = both[("mouth", "pain")] - both[("mouth", "no_pain")]
        eyes_gap = both[("eyes", "no_pain")] - both[("eyes", "pain")]
        p_mouth = paired_greater(both[("mouth", "pain")], both[("mouth", "no_pain")])
        p_eyes = paired_greater(both[("eyes", "no_pain")], both[("eyes", "pain")])
    else:
        mouth_gap = eyes_gap = pd.Series(dtype=float)
        p_mouth = p_eyes = 1.0
    add(
        "the mouth goes with pain",
        f"mouth mass in pain maps minus no-pain maps: {mouth_gap.mean():+.3f} on average over {len(both)} networks",
        p_mouth,
        len(both) >= 2,
    )
    add(
        "the eyes go with no pain",
        f"eye mass in no-pain maps minus pain maps: {eyes_gap.mean():+.3f} on average over {len(both)} networks",
        p_eyes,
        len(both) >= 2,
    )
    table = pd.DataFrame(rows)
    tested = table["p_value"].notna()
    table["p_holm"] = holm_where(table["p_value"])
    table["verdict"] = np.where(~tested, "not testable", np.where(table["p_holm"] < alpha, "holds", "not resolved"))
    expected = {m: "from scratch" if m in FROM_SCRATCH else "ImageNet in the paper" for m in groups.index}
    testable = len(set(expected.values())) == 2
    no_imagenet = imagenet_started is not None and not set(imagenet_started)
    together = testable and same_partition(groups, expected)
    found = " | ".join(", ".join(groups.index[groups == g]) for g in sorted(set(groups)))
    if len(without_every_map):
        found += f" ({', '.join(without_every_map)} left out: not every class and dataset has its map)"
    cluster = {
        "observation": "networks pretrained on ImageNet and those trained from scratch form two groups",
        "measured": "the two groups of the maps' correlation are exactly those two"
        if together
        else f"the two groups of the maps' correlation are not those two: {found}"
        if testable
        else f"{len(groups)} networks with every map, not networks of both kinds",
        "p_value": np.nan,
        "p_holm": np.nan,
        "verdict": "holds (descriptive)" if together else "does not hold (descriptive)" if testable else "not testable",
    }
    if no_imagenet:  # every network started from random weights: the contrast the paper drew does not exist here
        cluster["measured"] = (
            f"the two groups of the maps' correlation: {found}; the paper's two kinds of start do not exist here"
        )
        cluster["verdict"] = "not applicable (no network started from ImageNet weights here; descriptive)"
    return pd.concat([pd.DataFrame([cluster]), table], ignore_index=True).set_index("observation")


def _maps(n: int) -> str:
    return f"{n} map" if n == 1 else f"{n} maps"
