"""Local LIME explanations of image classifiers, one set of perturbations shared by many networks.

The `lime` package explains one image for one classifier per call: it segments the image, draws ``n_samples``
on/off patterns of the segments, builds the perturbed images, asks the classifier for its probabilities in
batches of ten, and fits a weighted ridge regression of the probability of the explained class on the patterns.
The CP paper explains ten networks on the same images; here the segmentation, the patterns and the perturbed
images are made once per image and fed to every network in large batches, and the regression is lime's own
(:class:`lime.lime_base.LimeBase`, with the image explainer's kernel and feature selection). With the same seed
the weights equal those of a plain ``LimeImageExplainer.explain_instance`` call (tested).

The settings follow Manresa-Yee et al. (2023), the method the CP paper cites (it states none of its own): SLIC
superpixels, about 30 segments, 1,000 samples, positively weighted segments kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import pairwise_distances
from sklearn.utils import check_random_state

#: Settings of Manresa-Yee et al. (2023), the LIME method the CP paper follows (shared/REFERENCES.md).
LIME_SETTINGS = {"n_segments": 30, "n_samples": 1000, "positive_only": True}

#: Classes by index of the two-way softmax of every network of the book.
CLASSES = ("no_pain", "pain")

Predict = Callable[[np.ndarray], np.ndarray]


def slic_segments(image: np.ndarray, n_segments: int = 30, compactness: float = 10.0) -> np.ndarray:
    """SLIC superpixels of an (H, W, 3) image: (H, W) int labels numbered 0 … k−1 (k close to ``n_segments``).

    Numbered from 0 because lime hides feature ``z`` by hiding the pixels labelled ``z``: scikit-image's default
    first label of 1 would leave one segment that can never be hidden.
    """
    from skimage.segmentation import slic

    labels = slic(np.asarray(image), n_segments=n_segments, compactness=compactness, start_label=0)
    _, dense = np.unique(labels, return_inverse=True)  # no gaps in the numbering either
    return dense.reshape(labels.shape).astype(np.int32)


def mean_fill(image: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """The image with each segment painted in its mean colour: what a hidden segment shows (lime's default,
    ``hide_color=None``)."""
    image = np.asarray(image)
    fill = image.copy()
    for s in np.unique(segments):
        inside = segments == s
        fill[inside] = image[inside].mean(axis=0)
    return fill


def sample_patterns(n_features: int, n_samples: int, seed: int | np.random.RandomState = 0) -> np.ndarray:
    """(n_samples, n_features) 0/1 patterns of segments kept (1) or hidden (0), the first all ones: lime's
    draw, from the same legacy NumPy generator, so a seed gives the patterns lime gives."""
    data = check_random_state(seed).randint(0, 2, n_samples * n_features).reshape((n_samples, n_features))
    data[0, :] = 1
    return data


def perturbed_images(image: np.ndarray, fill: np.ndarray, segments: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """(n_samples, H, W, 3) images: each pattern's hidden segments replaced by ``fill``."""
    hidden = patterns[:, segments] == 0  # (n_samples, H, W)
    return np.where(hidden[..., None], fill[None], np.asarray(image)[None])


@dataclass
class LocalExplanation:
    """One image explained for one network: the segment ``weights`` (n_features,) of lime's local linear model
    for ``class_index``, its ``intercept`` and fit ``score``, the network's probability of that class on the
    image (``prob``) and the ``segments`` (H, W) the weights belong to."""

    weights: np.ndarray
    intercept: float
    score: float
    prob: float
    class_index: int
    segments: np.ndarray

    def relevance(self, positive_only: bool = True) -> np.ndarray:
        """(H, W) map: each pixel carries its segment's weight (negative weights set to 0 with ``positive_only``,
        as the CP paper's masks keep only the regions that support the class)."""
        w = np.clip(self.weights, 0, None) if positive_only else self.weights
        return w[self.segments].astype(np.float32)

    def mask(self, n_top: int | None = None) -> np.ndarray:
        """(H, W) bool: the positively weighted segments (the ``n_top`` largest of them when given)."""
        order = np.argsort(-self.weights, kind="stable")
        keep = order[self.weights[order] > 0][:n_top]
        return np.isin(self.segments, keep)


def _lime_fit(patterns: np.ndarray, probs: np.ndarray, class_index: int, seed: int):
    """lime's local model, fitted as ``LimeImageExplainer`` fits it (kernel width 0.25 on cosine distances to
    the unperturbed pattern, 'auto' feature selection over every feature)."""
    from lime.lime_image import LimeImageExplainer

    explainer = LimeImageExplainer(random_state=seed)
    distances = pairwise_distances(patterns, patterns[0].reshape(1, -1), metric="cosine").ravel()
    intercept, local, score, _ = explainer.base.explain_instance_with_data(
        patterns, probs, distances, class_index, 100000, feature_selection=explainer.feature_selection
    )
    weights = np.zeros(patterns.shape[1])
    for feature, weight in local:
        weights[feature] = weight
    return weights, float(intercept), float(score)


def explain_image(
    image: np.ndarray,
    predict: Mapping[str, Predict],
    *,
    class_index: int | Mapping[str, int] = 1,
    n_segments: int = LIME_SETTINGS["n_segments"],
    n_samples: int = LIME_SETTINGS["n_samples"],
    seed: int = 0,
    segments: np.ndarray | None = None,
) -> dict[str, LocalExplanation]:
    """Explain one (H, W, 3) image for several networks at once.

    ``predict`` maps a network's name to a function from an (N, H, W, 3) batch to (N, classes) probabilities
    (see :func:`keras_predict`); each gets the same ``n_samples`` perturbed images in one call. ``class_index``
    is the class explained (1: pain), for all networks or per network (e.g. each one's predicted class).
    Returns one :class:`LocalExplanation` per network.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {image.shape}")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    segments = slic_segments(image, n_segments) if segments is None else np.asarray(segments)
    patterns = sample_patterns(int(segments.max()) + 1, n_samples, seed)
    batch = perturbed_images(image, mean_fill(image, segments), segments, patterns)
    out = {}
    for name, fn in predict.items():
        probs = np.asarray(fn(batch), dtype=float)
        if probs.ndim != 2 or len(probs) != n_samples:
            raise ValueError(f"{name}: expected ({n_samples}, classes) probabilities, got shape {probs.shape}")
        if not np.isfinite(probs).all():
            raise ValueError(f"{name}: {int((~np.isfinite(probs)).sum())} of its probabilities are not finite")
        c = class_index[name] if isinstance(class_index, Mapping) else int(class_index)
        weights, intercept, score = _lime_fit(patterns, probs, c, seed)
        out[name] = LocalExplanation(weights, intercept, score, float(probs[0, c]), c, segments)
    return out


def keras_predict(model, batch_size: int = 256) -> Predict:
    """A :data:`Predict` function of a Keras classifier: probabilities in batches of ``batch_size`` (the
    traced ``predict_on_batch``, not ``predict``, whose per-call set-up dominates small batches), each padded to a
    multiple of eight so that the network is traced for a handful of batch sizes only. Images of
    another side than the model's input are resized as the training pipeline resizes them (area interpolation,
    :func:`painlib.images.load_images`), so one explanation size serves networks of different input sizes."""
    import cv2

    side = model.input_shape[1]

    def predict(images: np.ndarray) -> np.ndarray:
        x = np.asarray(images)
        if side is not None and x.shape[1] != side:
            x = np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA) for im in x])
        x = x.astype(np.float32)
        parts = []
        for i in range(0, len(x), batch_size):
            chunk = x[i : i + batch_size]
            # a batch of a new size can trace the network again (seconds for a deep one): pad every batch to a
            # multiple of eight (not to a power of two, which computed LIME's 200 samples as 256) and drop the padding
            size = min(batch_size, -(-len(chunk) // 8) * 8)
            padded = np.concatenate([chunk, np.zeros((size - len(chunk), *chunk.shape[1:]), np.float32)])
            parts.append(np.asarray(model.predict_on_batch(padded))[: len(chunk)])
        return np.concatenate(parts)

    return predict


# ------------------------------------------------------------------------------------------ a set of images


@dataclass
class ExplainedSet:
    """LIME explanations of N images for several networks, as arrays.

    ``table``: one row per image × network (``image`` index, ``model``, ``prob_pain`` on the unperturbed image,
    the local model's fit ``score``); ``segments`` (N, H, W) the SLIC labels of each image; ``weights``
    (rows, K) the segment weights for the pain class, zero-padded to the most segments K of any image.
    The no-pain class's weights are their negatives (its probability is one minus pain's).
    """

    table: pd.DataFrame
    segments: np.ndarray
    weights: np.ndarray

    def maps(self, class_index: int | np.ndarray = 1) -> np.ndarray:
        """(rows, H, W) positive relevance for the class explained, per row of ``table`` (one class for all, or
        one per row): each pixel carries its segment's weight, negative weights set to 0."""
        sign = np.where(np.broadcast_to(np.asarray(class_index), (len(self.table),)) == 1, 1.0, -1.0)
        w = np.clip(self.weights * sign[:, None], 0, None)
        seg = self.segments[self.table["image"].to_numpy()]
        return np.take_along_axis(w[:, None, :], seg.reshape(len(seg), 1, -1), axis=2).reshape(seg.shape)


def explain_set(
    images: np.ndarray,
    predict: Mapping[str, Predict],
    *,
    n_segments: int = LIME_SETTINGS["n_segments"],
    n_samples: int = LIME_SETTINGS["n_samples"],
    seed: int = 0,
    cache: str | None = None,
    cache_key: str = "",
    progress: bool = True,
) -> ExplainedSet:
    """Explain (N, H, W, 3) images for every network of ``predict`` (:func:`explain_image`, image ``i`` with
    seed ``seed + i``), for the pain class. With ``cache`` (a folder) each image's explanations are written
    there as they finish, keyed by the image's bytes, ``cache_key`` (what identifies the networks, e.g. their
    result-store keys) and the settings, so an interrupted run resumes and a re-run reads them back."""
    import hashlib
    import io
    from pathlib import Path

    from .progress import progress_bar
    from .storage import atomic_write_bytes

    images = np.asarray(images)
    names = list(predict)
    rows, segments, weights = [], [], []
    for i in progress_bar(range(len(images)), desc="LIME", unit="image", enabled=progress):
        digest = hashlib.sha1(images[i].tobytes() + repr((names, cache_key, n_segments, n_samples, seed + i)).encode())
        path = Path(cache) / f"{digest.hexdigest()[:20]}.npz" if cache else None
        if path is not None and path.is_file():
            with np.load(path) as stored:
                seg, w, prob, score = stored["segments"], stored["weights"], stored["prob"], stored["score"]
        else:
            out = explain_image(images[i], predict, n_segments=n_segments, n_samples=n_samples, seed=seed + i)
            seg = out[names[0]].segments
            w = np.stack([out[n].weights for n in names])
            prob, score = np.array([out[n].prob for n in names]), np.array([out[n].score for n in names])
            if path is not None:
                buffer = io.BytesIO()
                np.savez_compressed(buffer, segments=seg, weights=w, prob=prob, score=score)
                atomic_write_bytes(path, buffer.getvalue())
        segments.append(seg)
        weights.extend(w)
        rows += [
            {"image": i, "model": n, "prob_pain": float(p), "score": float(s)} for n, p, s in zip(names, prob, score)
        ]
    k = max((len(w) for w in weights), default=0)
    padded = np.zeros((len(weights), k))
    for r, w in enumerate(weights):
        padded[r, : len(w)] = w
    shape = images.shape[1:3]
    stack = np.stack(segments) if segments else np.zeros((0, *shape), np.int32)
    return ExplainedSet(pd.DataFrame(rows, columns=["image", "model", "prob_pain", "score"]), stack, padded)


def choose_images(sets: Mapping[str, pd.DataFrame], per_group: int, seed: int = 0) -> pd.DataFrame:
    """Draw up to ``per_group`` images per set and class (``label``) from each named set of images (e.g.
    ``{"PAIN-DB": …, "CP-PAIN": …}``), seeded; the rows of all sets with a ``set`` column, in a fixed order."""
    if per_group < 1:
        raise ValueError(f"per_group must be at least 1, got {per_group}")
    parts = []
    for name, df in sets.items():
        for _, group in df.groupby("label", sort=True):
            parts.append(group.sample(min(per_group, len(group)), random_state=seed).assign(set=name))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def outcomes(table: pd.DataFrame, chosen: pd.DataFrame, thresholds: Mapping[str, float]) -> pd.DataFrame:
    """``table`` (an :class:`ExplainedSet`'s rows) with each image's ``set`` and ``label``, the network's call
    (``pred``: ``prob_pain`` at or above its threshold), the ``outcome`` (TP, TN, FP, FN) and the class a map
    of that row explains (``class_index``: the class the network called)."""
    out = table.join(chosen[["set", "label"]], on="image")
    out["pred"] = (out["prob_pain"] >= out["model"].map(thresholds)).astype(int)
    right = out["pred"] == out["label"]
    out["outcome"] = np.where(out["pred"] == 1, np.where(right, "TP", "FP"), np.where(right, "TN", "FN"))
    out["class_index"] = out["pred"]
    out["class"] = out["class_index"].map(dict(enumerate(CLASSES)))
    return out


def weight_agreement(
    first: ExplainedSet, image: int, second: Mapping[str, LocalExplanation], top: int = 5
) -> pd.DataFrame:
    """How far two LIME explanations of one image agree, per network: Pearson's correlation of their segment
    weights (the same segments: SLIC is deterministic), dominated by the segments that matter, and the overlap
    (Jaccard) of their ``top`` most relevant segments. ``first``: an explained set, ``image`` its index;
    ``second``: :func:`explain_image` of that image with other perturbations (another seed)."""
    rows = []
    for r in np.flatnonzero((first.table["image"] == image).to_numpy()):
        model = first.table["model"].iloc[r]
        if model not in second:
            continue
        other = second[model].weights
        mine = first.weights[r, : len(other)]
        pearson = stats.pearsonr(mine, other).statistic if np.ptp(mine) > 0 and np.ptp(other) > 0 else np.nan
        a, b = set(np.argsort(-mine)[:top]), set(np.argsort(-other)[:top])
        rows.append({"model": model, "pearson": float(pearson), f"top_{top}_jaccard": len(a & b) / len(a | b)})
    return pd.DataFrame(rows, columns=["model", "pearson", f"top_{top}_jaccard"]).set_index("model")
