"""Where people and networks look: gaze heatmaps from fixation records, the dissertation's post-processing of
attribution maps, and the comparison of the two (cosine, Spearman, overlap; pain against no pain).

Fixation records are one row per fixation in :data:`FIXATION_COLUMNS`; a Tobii Studio export maps onto them with
:data:`TOBII_STUDIO_COLUMNS`. Positions are in the pixels of the image shown (Tobii's media coordinates), so a
record outside ``[0, width) × [0, height)`` was a look off the image.

Masks, as the dissertation made them (Sections 3.4.3–3.6): a map is scaled to [0, 1]; for an attribution map the
scores are grouped by k-means into five clusters and each replaced by its cluster's mean, then blurred (11 × 11,
σ = 2); a pixel is kept where its value L ≥ μ + cσ of the map (c = 0.5 for attributions, 0.1 for gaze). The
dissertation computes cosine and Spearman on "grey scale contour masks" and overlap as the share of pixels on
which two masks agree, which only makes sense for binary masks: here cosine and Spearman compare the grey masks
(the map's value where kept, 0 elsewhere) and overlap the binary ones (kept or not).
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pandas as pd
from scipy import stats

from .manifest import require_columns
from .published import ATTENTION_PROTOCOL, STRENGTH_BANDS

#: One row per fixation: who (participant, group), on which image, where (x, y: pixels of the image shown),
#: how long (duration_ms), and the share of the participant's gaze samples the tracker recorded (valid_share).
FIXATION_COLUMNS = ("participant", "group", "image", "x", "y", "duration_ms", "valid_share")
#: Tobii Studio's fixation export → :data:`FIXATION_COLUMNS` (``group`` comes from the study's participant list;
#: ``valid_share`` is the recording's "Samples (%)" of the participant divided by 100).
TOBII_STUDIO_COLUMNS = {
    "ParticipantName": "participant",
    "MediaName": "image",
    "FixationPointX (MCSpx)": "x",
    "FixationPointY (MCSpx)": "y",
    "GazeEventDuration": "duration_ms",
}


def read_fixations(table: pd.DataFrame | str) -> pd.DataFrame:
    """Fixation records (a table or a CSV path) with the :data:`FIXATION_COLUMNS`, typed; a missing or misnamed
    column is named in the error."""
    frame = pd.read_csv(table) if isinstance(table, str) else table.copy()
    require_columns(frame, FIXATION_COLUMNS, "the fixation records", "one row per fixation, see FIXATION_COLUMNS")
    frame = frame.astype({"participant": str, "group": str, "image": str})
    for column in ("x", "y", "duration_ms", "valid_share"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def from_tobii_studio(export: pd.DataFrame, groups: dict[str, str], valid_shares: dict[str, float]) -> pd.DataFrame:
    """Fixation records from a Tobii Studio export (its columns :data:`TOBII_STUDIO_COLUMNS`; positions in the
    pixels of the image shown), with each participant's ``groups`` entry and ``valid_shares`` (the recording's
    valid-sample share, 0–1). A gaze-data export has one row per gaze sample: only rows of fixations are kept
    (``GazeEventType``, where present), one per ``FixationIndex`` of a participant and image (where present).
    A participant missing from ``groups`` or ``valid_shares`` is an error naming them."""
    require_columns(export, list(TOBII_STUDIO_COLUMNS), "the Tobii Studio export")
    if "GazeEventType" in export.columns:
        export = export[export["GazeEventType"] == "Fixation"]
    if "FixationIndex" in export.columns:
        export = export.drop_duplicates(["ParticipantName", "MediaName", "FixationIndex"])
    frame = export[list(TOBII_STUDIO_COLUMNS)].rename(columns=TOBII_STUDIO_COLUMNS).dropna(subset=["duration_ms"])
    frame = frame.astype({"participant": str})
    unknown = sorted(set(frame["participant"]) - (set(groups) & set(valid_shares)))
    if unknown:
        raise ValueError(f"participants without a group or valid-sample share: {unknown[:10]}")
    frame["group"] = frame["participant"].map(groups)
    frame["valid_share"] = frame["participant"].map(valid_shares)
    return read_fixations(frame[list(FIXATION_COLUMNS)].reset_index(drop=True))


def clean_fixations(
    fixations: pd.DataFrame,
    width: int,
    height: int,
    min_duration_ms: float = ATTENTION_PROTOCOL["min_fixation_ms"],
    min_valid_share: float = ATTENTION_PROTOCOL["min_valid_share"],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fixations the study's criteria keep, and a count of those dropped per group and reason.

    Dropped, in this order: unreadable rows (a position or duration that is not a number), participants whose
    tracker recorded fewer than ``min_valid_share`` of their gaze samples (all their fixations), fixations
    shorter than ``min_duration_ms``, and fixations off the image (width × height px). Returns
    ``(kept, dropped)`` with ``dropped`` indexed by group, one column per reason plus ``kept``."""
    frame = read_fixations(fixations)
    reasons = {
        "unreadable": frame[["x", "y", "duration_ms", "valid_share"]].isna().any(axis=1),
        "participant_under_valid_share": frame["valid_share"] < min_valid_share,
        "shorter_than_minimum": frame["duration_ms"] < min_duration_ms,
        "off_image": ~(
            frame["x"].between(0, width, inclusive="left") & frame["y"].between(0, height, inclusive="left")
        ),
    }
    dropped = pd.Series(False, index=frame.index)
    counts = {}
    for reason, bad in reasons.items():
        new = bad & ~dropped
        counts[reason] = new.groupby(frame["group"]).sum()
        dropped |= new
    counts["kept"] = (~dropped).groupby(frame["group"]).sum()
    table = pd.DataFrame(counts).fillna(0).astype(int).rename_axis("group")
    return frame[~dropped].reset_index(drop=True), table


def gaze_heatmaps(fixations: pd.DataFrame, images: list[str], shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    """(len(images), H, W) heatmaps of clean ``fixations`` (one group): each fixation adds its duration at its
    position, then a Gaussian of ``sigma_px`` spreads it (the book's choice: Tobii Studio draws heatmaps of
    fixation counts or of durations, and the dissertation says neither which nor how wide), scaled to [0, 1] per
    image. An image nobody looked at gets a zero map."""
    height, width = shape
    out = np.zeros((len(images), height, width), np.float32)
    index = {image: i for i, image in enumerate(images)}
    rows = fixations[fixations["image"].isin(index)]
    cols = np.clip(rows["x"].to_numpy().astype(int), 0, width - 1)
    lines = np.clip(rows["y"].to_numpy().astype(int), 0, height - 1)
    np.add.at(out, (rows["image"].map(index).to_numpy(), lines, cols), rows["duration_ms"].to_numpy(np.float32))
    for i in range(len(out)):
        out[i] = cv2.GaussianBlur(out[i], (0, 0), sigma_px)
    return scale_unit(out)


def scale_unit(maps: np.ndarray) -> np.ndarray:
    """Each (H, W) map of ``maps`` (…, H, W) scaled to [0, 1] by its minimum and maximum; constant maps → 0."""
    maps = np.asarray(maps, np.float32)
    low = maps.min(axis=(-2, -1), keepdims=True)
    span = maps.max(axis=(-2, -1), keepdims=True) - low
    return np.where(span > 0, (maps - low) / np.where(span > 0, span, 1), 0.0).astype(np.float32)


def relevant(grey: np.ndarray, c: float) -> np.ndarray:
    """Binary mask of one (H, W) map: pixels with L ≥ μ + cσ of the map (dissertation eq. 9). A constant map
    points nowhere and gives an empty mask."""
    grey = np.asarray(grey, np.float32)
    if grey.max() == grey.min():
        return np.zeros(grey.shape, bool)
    return grey >= grey.mean() + c * grey.std()


def postprocess_steps(
    heatmap: np.ndarray,
    n_clusters: int = ATTENTION_PROTOCOL["clusters"],
    kernel_px: int = ATTENTION_PROTOCOL["blur_kernel_px"],
    sigma_px: float = ATTENTION_PROTOCOL["blur_sigma_px"],
    c: float = ATTENTION_PROTOCOL["c_xai"],
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """The dissertation's post-processing of one (H, W) attribution map, step by step: ``scaled`` to [0, 1];
    ``clustered``, k-means of the scores into ``n_clusters`` clusters with each score replaced by its cluster's
    mean; ``processed``, a Gaussian blur (``kernel_px`` square, ``sigma_px``); ``mask``, :func:`relevant` with
    ``c``. (Its first step, the green–yellow–red colour map, is how the figures draw a map; it changes no value.)"""
    from sklearn.cluster import KMeans

    scaled = scale_unit(heatmap)
    values = scaled.reshape(-1, 1)
    k = min(n_clusters, len(np.unique(values)))
    clustered = scaled
    if k > 1:
        kmeans = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(values)
        clustered = kmeans.cluster_centers_[kmeans.labels_, 0].reshape(scaled.shape).astype(np.float32)
    processed = cv2.GaussianBlur(clustered, (kernel_px, kernel_px), sigma_px)
    return {"scaled": scaled, "clustered": clustered, "processed": processed, "mask": relevant(processed, c)}


def postprocess(heatmap: np.ndarray, **settings) -> tuple[np.ndarray, np.ndarray]:
    """``(processed, mask)`` of :func:`postprocess_steps`: the blurred map (H, W) and its binary mask."""
    steps = postprocess_steps(heatmap, **settings)
    return steps["processed"], steps["mask"]


def postprocess_all(maps: np.ndarray, **settings) -> tuple[np.ndarray, np.ndarray]:
    """:func:`postprocess` of every map of (N, H, W) ``maps``: ``(processed, masks)``, both (N, H, W)."""
    done = [postprocess(m, **settings) for m in maps]
    return np.stack([p for p, _ in done]), np.stack([m for _, m in done])


def masks_at(processed: np.ndarray, masks: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Grey and binary masks (N, H, W) at ``shape``: ``processed`` maps (N, h, w) kept where ``masks`` are set,
    resized as the dissertation resized the networks' masks to the gaze masks (grey bilinear, binary nearest)."""
    height, width = shape
    grey = np.stack(
        [cv2.resize(p * m, (width, height), interpolation=cv2.INTER_LINEAR) for p, m in zip(processed, masks)]
    )
    binary = np.stack(
        [cv2.resize(m.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0 for m in masks]
    )
    return grey.astype(np.float32), binary


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two flattened masks (dissertation eq. 10; it scales each mask first, which leaves the cosine
    as it is); NaN if one is empty."""
    a, b = (np.asarray(m, float).ravel() for m in (a, b))
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na > 0 and nb > 0 else float("nan")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two flattened masks (eq. 11); NaN if one is constant."""
    a, b = (np.asarray(m, float).ravel() for m in (a, b))
    if a.min() == a.max() or b.min() == b.max():
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels on which two binary masks agree (Schiller et al. 2020; eqs. 12–13); NaN if one is empty:
    a mask that points nowhere cannot agree with another (two empty masks would agree everywhere)."""
    a, b = (np.asarray(m, bool).ravel() for m in (a, b))
    return float((a == b).mean()) if a.any() and b.any() else float("nan")


def compare_sources(images: pd.DataFrame, grey: dict[str, np.ndarray], binary: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every pair of sources on every image: a long table (image, subject, class, pair, first, second, metric,
    value). ``images`` (N rows) gives ``subject`` and ``label`` (1 pain); ``grey`` and ``binary`` map each
    source's name to its (N, H, W) masks, all at one size."""
    require_columns(images, ["subject", "label"], "the compared images")
    names = list(grey)
    rows = []
    for first, second in itertools.combinations(names, 2):
        for i, image in enumerate(images.itertuples(index=False)):
            base = {
                "image": i,
                "subject": image.subject,
                "class": "pain" if image.label == 1 else "no_pain",
                "pair": f"{first} – {second}",
                "first": first,
                "second": second,
            }
            rows.append(base | {"metric": "cosine", "value": cosine(grey[first][i], grey[second][i])})
            rows.append(base | {"metric": "spearman", "value": spearman(grey[first][i], grey[second][i])})
            rows.append(base | {"metric": "overlap", "value": overlap(binary[first][i], binary[second][i])})
    return pd.DataFrame(rows)


def pair_matrix(scores: pd.DataFrame, metric: str, klass: str, order: list[str]) -> pd.DataFrame:
    """The dissertation's Table 3 / 4 layout: mean ``metric`` over the images of ``klass`` for every pair, as a
    symmetric source × source table (1 on the diagonal) in ``order``."""
    part = scores[(scores["metric"] == metric) & (scores["class"] == klass)]
    means = part.groupby(["first", "second"])["value"].mean()
    table = pd.DataFrame(np.eye(len(order)), index=order, columns=order)
    for (first, second), value in means.items():
        table.loc[first, second] = table.loc[second, first] = value
    return table.rename_axis(index="source", columns="with")


def strength(metric: str, value: float) -> str:
    """The dissertation's band for a pair's mean: "strong", "moderate" or "weak" (:data:`STRENGTH_BANDS`); a
    negative Spearman correlation is no similarity at all, and says so ("negative") instead of "weak"."""
    strong, moderate = STRENGTH_BANDS[metric]
    if not np.isfinite(value):
        return "—"
    if metric == "spearman" and value < 0:
        return "negative"
    return "strong" if value >= strong else "moderate" if value > moderate else "weak"


def class_tests(scores: pd.DataFrame, alpha: float = ATTENTION_PROTOCOL["alpha"]) -> pd.DataFrame:
    """Pain against no pain for every pair and metric (the dissertation's Table 5), and a paired test (beyond it).

    The dissertation's test: Shapiro–Wilk on each class's values; Student's t where both look normal (p ≥
    ``alpha``), Mann–Whitney U otherwise, two-sided. Beyond it: the images pair by neonate, so the differences
    pain − no pain per subject are tested too — paired t where Shapiro–Wilk does not reject their normality,
    Wilcoxon signed-rank otherwise — and both p-values are Holm-adjusted over the table (the dissertation made
    45 tests at 0.05 uncorrected). Columns: pair, first, second, metric, n_pain, n_no_pain, mean_pain,
    mean_no_pain, test, p, p_paper (the dissertation's Table 5, where it has the pair), paired_test, n_pairs,
    p_paired, p_holm, p_paired_holm."""
    from .chance import holm_where
    from .published import ATTENTION_TABLES

    rows = []
    for (pair, first, second, metric), part in scores.dropna(subset=["value"]).groupby(
        ["pair", "first", "second", "metric"], sort=False
    ):
        pain = part.loc[part["class"] == "pain"].set_index("subject")["value"]
        rest = part.loc[part["class"] == "no_pain"].set_index("subject")["value"]
        test, p = _two_groups(pain.to_numpy(), rest.to_numpy(), alpha)
        both = (
            pain.groupby(level=0).mean().to_frame("pain").join(rest.groupby(level=0).mean().rename("rest"), how="inner")
        )
        paired_test, p_paired = _paired(both["pain"].to_numpy(), both["rest"].to_numpy(), alpha)
        paper = ATTENTION_TABLES[("p_value", metric)]
        rows.append(
            {
                "pair": pair,
                "first": first,
                "second": second,
                "metric": metric,
                "n_pain": len(pain),
                "n_no_pain": len(rest),
                "mean_pain": pain.mean(),
                "mean_no_pain": rest.mean(),
                "test": test,
                "p": p,
                "p_paper": paper.loc[first, second] if first in paper.index and second in paper.index else np.nan,
                "paired_test": paired_test,
                "n_pairs": len(both),
                "p_paired": p_paired,
            }
        )
    table = pd.DataFrame(rows)
    for column in ("p", "p_paired"):
        table[f"{column}_holm"] = holm_where(table[column]) if len(table) else np.nan
    return table


def _normal(values: np.ndarray, alpha: float) -> bool:
    """Shapiro–Wilk does not reject normality (needs 3 values; a constant sample is not normal)."""
    return len(values) >= 3 and np.ptp(values) > 0 and stats.shapiro(values).pvalue >= alpha


def _two_groups(a: np.ndarray, b: np.ndarray, alpha: float) -> tuple[str, float]:
    if len(a) < 3 or len(b) < 3:  # Shapiro–Wilk needs three values; fewer cannot decide the test
        return "too few", float("nan")
    if _normal(a, alpha) and _normal(b, alpha):
        return "Student's t", float(stats.ttest_ind(a, b).pvalue)
    return "Mann–Whitney U", float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def _paired(a: np.ndarray, b: np.ndarray, alpha: float) -> tuple[str, float]:
    difference = a - b
    if len(difference) < 3:
        return "too few", float("nan")
    if not np.any(difference):
        return "no difference", 1.0
    if _normal(difference, alpha):
        return "paired t", float(stats.ttest_rel(a, b).pvalue)
    return "Wilcoxon signed-rank", float(stats.wilcoxon(a, b).pvalue)


def region_shares(grey: np.ndarray, regions: dict[str, np.ndarray]) -> pd.DataFrame:
    """Share of each grey mask's mass (N, H, W) inside each named region (name → (N, H, W) bool): one row per
    image, one column per region (beyond the dissertation, which named regions in words only)."""
    grey = np.asarray(grey, float)
    total = grey.sum(axis=(1, 2))
    shares = {
        name: np.divide((grey * mask).sum(axis=(1, 2)), total, out=np.full(len(grey), np.nan), where=total > 0)
        for name, mask in regions.items()
    }
    return pd.DataFrame(shares)


def gaze_masks(heatmaps: np.ndarray, c: float = ATTENTION_PROTOCOL["c_human"]) -> tuple[np.ndarray, np.ndarray]:
    """Grey and binary masks (N, H, W) of gaze heatmaps, as the dissertation made them from Tobii's heatmaps:
    the heatmap where L ≥ μ + cσ (:func:`relevant`), 0 elsewhere."""
    binary = np.stack([relevant(h, c) for h in heatmaps])
    return (np.asarray(heatmaps, np.float32) * binary).astype(np.float32), binary


def compare_with_paper(scores: pd.DataFrame, metric: str, names: dict[str, str]) -> pd.DataFrame:
    """One metric's means per pair and class, ours beside the dissertation's Tables 3–4 (``names``: our
    source names → the dissertation's, :data:`painlib.published.ATTENTION_SOURCES`), with the strength band of
    each and the number of images behind each mean (``n_pain``, ``n_no_pain``: images where the metric is
    defined): one row per pair."""
    from .published import ATTENTION_TABLES

    rows = []
    for (first, second), part in scores[scores["metric"] == metric].groupby(["first", "second"], sort=False):
        row = {"pair": f"{names.get(first, first)} – {names.get(second, second)}"}
        for klass in ("pain", "no_pain"):
            values = part.loc[part["class"] == klass, "value"].dropna()
            ours = float(values.mean()) if len(values) else np.nan
            paper = ATTENTION_TABLES[(klass, metric)]
            theirs = float(paper.loc[first, second]) if first in paper.index and second in paper.index else np.nan
            row |= {f"n_{klass}": len(values), klass: ours, f"{klass}_band": strength(metric, ours)}
            row[f"{klass}_paper"] = theirs
        rows.append(row)
    return pd.DataFrame(rows).set_index("pair")


def metric_change(before: pd.DataFrame, after: pd.DataFrame, metric: str, humans) -> pd.DataFrame:
    """The mean ``metric`` of every pair of one network's map and one group of people (``humans``: their source
    names) in two comparisons (:func:`compare_sources` tables) and its change: one row per pair, columns
    ``before``, ``after``, ``change``."""
    humans = set(humans)

    def means(scores: pd.DataFrame) -> pd.Series:
        part = scores[(scores["metric"] == metric) & (scores["first"].isin(humans) ^ scores["second"].isin(humans))]
        return part.groupby("pair", sort=False)["value"].mean()

    table = pd.DataFrame({"before": means(before), "after": means(after)})
    return table.assign(change=table["after"] - table["before"])


def media_names(images: pd.DataFrame) -> list[str]:
    """The name an eye tracker's export gives each image (Tobii's ``MediaName``): the file name of the original
    image (``source_path``, as chapter 01 records it), else of ``path``."""
    from pathlib import Path

    column = "source_path" if "source_path" in images.columns else "path"
    return [Path(str(p)).name for p in images[column]]


def to_face_crop(
    fixations: pd.DataFrame, images: pd.DataFrame, names: list[str], margin: float, size_px: int
) -> pd.DataFrame:
    """Fixation records on the original images (positions in their pixels, as an eye tracker records them) moved
    into the pixels of the face crops chapter 01 made of them: the square around each image's ``face_box``
    with ``margin``, resized to ``size_px``. ``names`` (one per row of ``images``) are the images' names in the
    records (:func:`media_names`). Records of an image not in ``images``, or an image without records, are an
    error naming them; fixations outside the crop stay outside and are dropped by :func:`clean_fixations`."""
    from .faces import square_box

    require_columns(images, ["face_box"], "the images shown")
    boxes = {
        name: square_box([float(v) for v in str(box).split()], margin) for name, box in zip(names, images["face_box"])
    }
    unknown = sorted(set(fixations["image"]) - set(boxes))
    if unknown:
        raise ValueError(f"fixation records name images that are not among the images explained: {unknown[:10]}")
    unseen = sorted(set(boxes) - set(fixations["image"]))
    if unseen:
        raise ValueError(f"no fixation record for the images {unseen[:10]}: were they shown in the recordings?")
    frame = fixations.copy()
    x0, y0, side = (frame["image"].map({k: v[i] for k, v in boxes.items()}) for i in range(3))
    frame["x"] = (frame["x"] - x0) * size_px / side
    frame["y"] = (frame["y"] - y0) * size_px / side
    return frame
