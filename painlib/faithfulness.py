"""Scores of an explanation against ground truth and against the model: is the relevance where the pain is?

The synthetic faces carry a mask per action-unit region, so a map can be scored against where the expression
really was drawn (the papers, on real photographs, could not):

* relevance mass (Arras et al. 2022): the share of a map's positive relevance inside the region;
* pointing game (Zhang et al. 2018): whether the map's highest pixel falls inside the region;
* deletion curve (Petsiuk et al. 2018): the network's probability of the explained class as the map's
  top-ranked segments are hidden, most relevant first; a faithful map makes it fall fast (a small area under
  the curve), compared with the same segments hidden in random order.

Written here rather than taken from Quantus: Quantus 0.6 requires the ``opencv-python`` package, which clashes
with the headless OpenCV the book installs (both provide ``cv2``), and its perturbation metrics call the network
through wrappers for ``tf.keras`` (its TensorFlow extra pins ``keras<3``) or PyTorch, while the book's networks
are Keras 3. Relevance mass and the pointing game are a line each, computed as Quantus computes them
(``RelevanceMassAccuracy``, ``PointingGame``) and tested against their definitions.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pandas as pd


def _check_shapes(heatmaps: np.ndarray, regions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    heatmaps, regions = np.asarray(heatmaps, float), np.asarray(regions, bool)
    if heatmaps.shape != regions.shape or heatmaps.ndim < 2:
        raise ValueError(f"maps {heatmaps.shape} and regions {regions.shape} must be (..., H, W) of one shape")
    return heatmaps, regions


def relevance_mass(heatmaps: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Share of each map's positive relevance inside its region: maps and bool regions (..., H, W) → (...,)
    scores; NaN for a map with no positive relevance or an empty region."""
    maps, regions = _check_shapes(heatmaps, regions)
    maps = np.clip(maps, 0, None)
    total, inside = maps.sum(axis=(-2, -1)), (maps * regions).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((total > 0) & regions.any(axis=(-2, -1)), inside / total, np.nan)


def pointing_game(heatmaps: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """1.0 where a pixel of maximal relevance lies inside the region, else 0.0: maps and bool regions
    (..., H, W) → (...,); NaN for a flat map (it points nowhere) or an empty region."""
    maps, regions = _check_shapes(heatmaps, regions)
    top = maps == maps.max(axis=(-2, -1), keepdims=True)
    hit = (top & regions).any(axis=(-2, -1)).astype(float)
    flat = maps.max(axis=(-2, -1)) == maps.min(axis=(-2, -1))
    return np.where(flat | ~regions.any(axis=(-2, -1)), np.nan, hit)


def region_share(region: np.ndarray) -> float:
    """The share of the image a region covers: the relevance mass a map spread evenly would get (its chance)."""
    return float(np.asarray(region, bool).mean())


def deletion_curve(
    predict: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    fill: np.ndarray,
    segments: np.ndarray,
    order: np.ndarray,
    class_index: int = 1,
) -> np.ndarray:
    """(k + 1,) probabilities of ``class_index`` with the first 0, 1, …, k segments of ``order`` hidden
    (replaced by ``fill``, as LIME hides them), k = len(order). One batch of k + 1 images for ``predict``."""
    order = np.asarray(order, int)
    steps = np.ones((len(order) + 1, int(segments.max()) + 1), np.uint8)
    for i in range(1, len(order) + 1):
        steps[i:, order[i - 1]] = 0
    from .xai import perturbed_images

    batch = perturbed_images(image, fill, segments, steps)
    return np.asarray(predict(batch), float)[:, class_index]


def curve_area(curve: np.ndarray) -> float:
    """Area under a deletion curve, its x axis the share of segments hidden (0 … 1), by the trapezoid rule."""
    curve = np.asarray(curve, float)
    return float(np.trapezoid(curve, np.linspace(0, 1, len(curve))))


def au_masks(rows: pd.DataFrame, size_px: int, margin: float = 0.25) -> dict[str, np.ndarray]:
    """Where every AU *could* be drawn, per image of ``rows`` (chapter 01's sets of synthetic faces: ``mask_path``
    and ``face_box``): ``{au: (N, size_px, size_px) bool}`` for each of :data:`painlib.facs.AUS` and ``"face"``
    (the face oval), cut and resized as chapter 01 cut the face (:func:`painlib.faces.crop_like_face`). The
    generator stores every region, drawn or not, so no-pain faces have them too."""
    from .faces import crop_like_face
    from .facs import AUS, unpack_masks
    from .images import UnreadableImageError
    from .manifest import require_columns

    require_columns(rows, ["mask_path", "face_box"], "the explained images")
    out = {name: np.zeros((len(rows), size_px, size_px), bool) for name in (*AUS, "face")}
    for i, row in enumerate(rows.itertuples(index=False)):
        packed = cv2.imread(str(row.mask_path), cv2.IMREAD_UNCHANGED)
        if packed is None:
            raise UnreadableImageError(f"cannot read the AU mask image {row.mask_path}")
        box = [int(v) for v in str(row.face_box).split()]
        for name, mask in unpack_masks(packed).items():
            out[name][i] = crop_like_face(mask.astype(np.uint8), box, size_px, margin) > 0
    return out


def pain_regions(rows: pd.DataFrame, size_px: int, margin: float = 0.25) -> np.ndarray:
    """(N, size_px, size_px) bool: per image of ``rows`` (as :func:`au_masks`, with the AU intensity columns),
    the union of the regions of the AUs drawn in it (intensity above 0). An image with no AU drawn (most
    no-pain images) has an empty region."""
    from .facs import AUS
    from .manifest import require_columns

    require_columns(rows, list(AUS), "the explained images")
    masks = au_masks(rows, size_px, margin)
    out = np.zeros((len(rows), size_px, size_px), bool)
    for au in AUS:
        out |= masks[au] & (rows[au].to_numpy() > 0)[:, None, None]
    return out


def score_explanations(
    explained,
    rows: pd.DataFrame,
    images: np.ndarray,
    regions: np.ndarray,
    predict: dict,
    seed: int = 0,
    min_images: int = 5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score the pain maps of the images each network called pain correctly (``rows``: the explained set's
    table with ``outcome``, :func:`painlib.xai.outcomes`) whose drawn pain ``regions`` (N, H, W) are not empty.

    Returns a table per network — ``n_images``, mean ``relevance_mass`` and the mean ``region_share`` (the mass an
    evenly spread map gets), ``p_mass`` (one-sided Wilcoxon test, mass above share, image by image),
    ``pointing_game`` (share of hits), ``deletion_area`` of the map's order and ``random_area`` of a random
    order, their difference ``area_gap``, ``p_deletion`` (one-sided Wilcoxon test, the map's area below
    random), both p-values also
    Holm-adjusted over the networks scored on ``min_images`` images or more (``…_holm``, NaN for the others) —
    and the long table of the deletion curves on a common grid of 11 shares hidden (model, image, order,
    hidden, prob). The random order is one permutation per image, averaged over images.
    """
    from .chance import holm_where
    from .regions import paired_greater
    from .xai import mean_fill

    maps = explained.maps(1)
    rng = np.random.default_rng(seed)
    per_row, curves = [], []
    for r in np.flatnonzero((rows["outcome"] == "TP").to_numpy()):
        image = int(rows["image"].iloc[r])
        if not regions[image].any():
            continue
        model = rows["model"].iloc[r]
        segments = explained.segments[image]
        weights = explained.weights[r, : int(segments.max()) + 1]
        fill = mean_fill(images[image], segments)
        orders = {"map": np.argsort(-weights, kind="stable"), "random": rng.permutation(len(weights))}
        areas = {}
        for name, order in orders.items():
            curve = deletion_curve(predict[model], images[image], fill, segments, order, class_index=1)
            areas[name] = curve_area(curve)
            # images have different numbers of segments: put every curve on one grid so that they average
            grid = np.linspace(0, 1, 11)
            prob = np.interp(grid, np.linspace(0, 1, len(curve)), curve)
            curves.append(pd.DataFrame({"model": model, "image": image, "order": name, "hidden": grid, "prob": prob}))
        per_row.append(
            {
                "model": model,
                "relevance_mass": float(relevance_mass(maps[r], regions[image])),
                "region_share": region_share(regions[image]),
                "pointing_game": float(pointing_game(maps[r], regions[image])),
                "deletion_area": areas["map"],
                "random_area": areas["random"],
            }
        )
    scored = pd.DataFrame(
        per_row,
        columns=["model", "relevance_mass", "region_share", "pointing_game", "deletion_area", "random_area"],
    )
    table = []
    for model in dict.fromkeys(rows["model"]):
        part = scored[scored["model"] == model]
        table.append(
            {
                "model": model,
                "n_images": len(part),
                **part[["relevance_mass", "region_share", "pointing_game"]].mean().to_dict(),
                "p_mass": paired_greater(part["relevance_mass"], part["region_share"]),
                **part[["deletion_area", "random_area"]].mean().to_dict(),
                "area_gap": (part["random_area"] - part["deletion_area"]).mean(),
                "p_deletion": paired_greater(part["random_area"], part["deletion_area"]),
            }
        )
    table = pd.DataFrame(table).set_index("model")
    # a one-sided Wilcoxon test of n images cannot go below 1 / 2**n: networks with fewer than min_images would
    # only enlarge the Holm family without any chance of passing
    for column in ("p_mass", "p_deletion"):
        table[f"{column}_holm"] = holm_where(table[column], table["n_images"] >= min_images)
    columns = ["model", "hidden", "order", "image", "prob"]
    long = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=columns)
    return table, long


MIN_AREA_GAP = 0.02
"""The book's smallest deletion gap worth calling a map faithful: hiding the map's superpixels first must lower
the area under the mean probability of pain by 0.02 (two points of probability over the whole curve) more than
a random order does. A network whose output hardly moves passes a rank test on a consistent gap of a few
thousandths, which says nothing a reader could use."""


def faithful_networks(scores: pd.DataFrame, alpha: float, min_gap: float = MIN_AREA_GAP) -> list[str]:
    """Networks of a :func:`score_explanations` table whose maps are faithful by deletion: the Holm-adjusted
    one-sided test below ``alpha`` *and* a mean ``area_gap`` of at least ``min_gap`` (probability × share hidden)."""
    passed = (scores["p_deletion_holm"] < alpha) & (scores["area_gap"] >= min_gap)
    return list(scores.index[passed])


def score_maps(maps: dict[str, np.ndarray], regions: np.ndarray, min_images: int = 5) -> pd.DataFrame:
    """Score maps of any method against the drawn pain ``regions`` (N, H, W) bool, as
    :func:`score_explanations` scores LIME's: per named set of maps (N, H, W) ≥ 0, over the images whose region
    is not empty and whose map is not all zero — ``n_images``, mean ``relevance_mass``, mean ``region_share``
    (what an evenly spread map gets), ``pointing_game``, ``p_mass`` (one-sided Wilcoxon test, mass above share)
    and ``p_mass_holm`` over the sets scored on ``min_images`` images or more (NaN for the others), ``p_below``
    (the opposite one-sided test: mass below share) — and ``n_empty``, the images whose map was zero everywhere
    (no relevance to place)."""
    from .chance import holm_where
    from .regions import paired_greater

    regions = np.asarray(regions, bool)
    drawn = regions.reshape(len(regions), -1).any(axis=1)
    rows = []
    for name, stack in maps.items():
        stack = np.asarray(stack, float)
        if stack.shape != regions.shape:
            raise ValueError(f"maps {name!r} are {stack.shape}, the regions {regions.shape}")
        empty = ~(stack.reshape(len(stack), -1) > 0).any(axis=1)
        use = np.flatnonzero(drawn & ~empty)
        mass = relevance_mass(stack[use], regions[use]) if len(use) else np.array([])
        share = np.array([region_share(regions[i]) for i in use])
        rows.append(
            {
                "maps": name,
                "n_images": len(use),
                "n_empty": int((drawn & empty).sum()),
                "relevance_mass": float(np.mean(mass)) if len(use) else np.nan,
                "region_share": float(np.mean(share)) if len(use) else np.nan,
                "pointing_game": float(np.mean(pointing_game(stack[use], regions[use]))) if len(use) else np.nan,
                "p_mass": paired_greater(mass, share) if len(use) else np.nan,
                "p_below": paired_greater(share, mass) if len(use) else np.nan,
            }
        )
    table = pd.DataFrame(rows).set_index("maps")
    table["p_mass_holm"] = holm_where(table["p_mass"], table["n_images"] >= min_images)
    return table
