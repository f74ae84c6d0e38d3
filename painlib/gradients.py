"""Gradient explanations of the neonatal networks: Grad-CAM at any layer and Integrated Gradients.

Written for Keras 3 on any backend (the gradient itself is the backend's: TensorFlow's tape, JAX's ``vjp``,
PyTorch's autograd), because tf-explain and tf-keras-vis do not support Keras 3 and the dissertation's recipes
(the Keras Grad-CAM example, the TensorFlow Integrated Gradients tutorial) are TensorFlow-only.

- Grad-CAM (Selvaraju et al. 2017; dissertation eqs. 6–7): the gradient of the class score *before the
  softmax* with respect to a layer's feature maps, averaged over the map to weigh each channel; the weighted sum
  of the channels through a ReLU, upscaled bilinearly to the input.
- Integrated Gradients (Sundararajan et al. 2017; dissertation eq. 5): the input minus a baseline times the mean
  gradient of the class probability along the straight path between them (trapezoid rule). Completeness — the
  attributions sum to f(input) − f(baseline) — holds within the quadrature error, which the step count bounds
  (tested). The dissertation states neither baseline nor steps: a black image and 64 steps are the book's choice.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable

import cv2
import numpy as np
import pandas as pd

from .session import quiet_stderr

with quiet_stderr():  # importing Keras starts TensorFlow, whose C++ start-up lines bypass Python's logging
    import keras
    from keras import ops

#: The book's Integrated Gradients settings (the dissertation states none): black baseline, 64 steps.
IG_STEPS = 64
#: Layers of the dissertation's Grad-CAM depth study: the last convolution of each VGG block, and N-CNN's merge
#: layer and last convolution. The main results use the last convolution of each network.
DEPTH_LAYERS = {
    "vggface": ("conv1_2", "conv2_2", "conv3_3", "conv4_3", "conv5_3"),
    "ncnn": ("merge", "merged_conv"),
}
MAIN_LAYER = {"vggface": "conv5_3", "ncnn": "merged_conv"}


def gradient_function(fn: Callable) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A function ``x ↦ (fn(x), d sum(fn(x)) / dx)`` on NumPy arrays, for ``fn`` mapping a batch to one score per
    example; traced once on TensorFlow (``tf.function``: about 1.6× faster than eager on a CPU).

    Examples must not interact (inference mode: no batch statistics), so the gradient of the sum is each
    example's own gradient."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(reduce_retracing=True)
        def traced(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = fn(x)
            return y, tape.gradient(y, x)

        def run_tf(x):
            with quiet_stderr():  # Grappler's remapper reports a harmless failure on LeakyReLU gradients
                y, grad = traced(tf.convert_to_tensor(np.asarray(x, np.float32)))
            return y.numpy(), grad.numpy()

        return run_tf
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def run_jax(x):
            y, pullback = jax.vjp(fn, jnp.asarray(x, jnp.float32))
            (grad,) = pullback(jnp.ones_like(y))
            return np.asarray(y), np.asarray(grad)

        return run_jax
    if backend == "torch":
        import torch

        def run_torch(x):
            xt = torch.tensor(np.asarray(x, np.float32), requires_grad=True)
            y = fn(xt)
            y.sum().backward()
            return y.detach().cpu().numpy(), xt.grad.cpu().numpy()

        return run_torch
    raise NotImplementedError(f"no gradient for the Keras backend {backend!r}")


#: Traced gradient functions per model, by (method, layer, class): a second call on the same network reuses its
#: trace. The functions hold the network's layers, not the network, so a network dropped elsewhere is freed.
_TRACED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cached(model: keras.Model, key: tuple, make: Callable[[], Callable]) -> Callable:
    per_model = _TRACED.setdefault(model, {})
    if key not in per_model:
        per_model[key] = make()
    return per_model[key]


def class_logits(model: keras.Model) -> tuple[keras.KerasTensor, Callable]:
    """``(features, to_logits)``: the tensor the last layer reads and a function from it to the class scores
    before the softmax. The last layer must be a dense layer (softmax or linear) or a softmax activation."""
    last = model.layers[-1]
    if isinstance(last, keras.layers.Dense):
        if last.activation not in (keras.activations.softmax, keras.activations.linear):
            raise ValueError(f"{model.name}'s last layer applies {last.activation.__name__}, not a softmax")

        def to_logits(h):
            logits = ops.matmul(h, last.kernel)
            return logits + last.bias if last.use_bias else logits

        return last.input, to_logits
    if isinstance(last, keras.layers.Softmax) or getattr(last, "activation", None) is keras.activations.softmax:
        return last.input, lambda h: h
    raise ValueError(f"cannot find the class scores before the softmax of {model.name} (last layer {last.name})")


def _parts(model: keras.Model, layer_name: str) -> tuple[keras.Model, keras.Model, Callable]:
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(f"{model.name} has no layer {layer_name!r}; it has {names}")
    features, to_logits = class_logits(model)
    activation = model.get_layer(layer_name).output
    front = keras.Model(model.input, activation)
    try:
        back = keras.Model(activation, features)
    except ValueError as err:  # the layer sits in one branch: what follows needs the other branches too
        raise ValueError(
            f"Grad-CAM at {layer_name!r} of {model.name}: the layers after it also read other branches, so the "
            "class score is not a function of this layer alone; choose a layer every path goes through"
        ) from err
    return front, back, to_logits


def grad_cam(
    model: keras.Model, images: np.ndarray, layer_name: str, class_index: int = 1, batch_size: int = 32
) -> np.ndarray:
    """Grad-CAM maps (N, H, W) ≥ 0 of ``images`` (N, H, W, 3; the model's input range) for ``class_index`` at
    layer ``layer_name``, bilinearly upscaled to the input side. Not normalised: a map that is zero everywhere
    means no channel of the layer raises the class score."""

    def make() -> tuple:
        front, back, to_logits = _parts(model, layer_name)
        return front, gradient_function(lambda a: to_logits(back(a, training=False))[:, class_index])

    front, gradient = _cached(model, ("gradcam", layer_name, class_index), make)
    images = np.asarray(images, np.float32)
    out = np.zeros(images.shape[:3], np.float32)
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        activations = np.asarray(ops.convert_to_numpy(front(batch, training=False)), np.float32)
        _, grads = gradient(activations)
        weights = grads.mean(axis=(1, 2), keepdims=True)  # α_k: the gradient averaged over the feature map
        cams = np.maximum((weights * activations).sum(axis=-1), 0.0)
        for i, cam in enumerate(cams):  # bilinear: a mean of non-negative values, so the maps stay ≥ 0
            out[start + i] = cv2.resize(cam, images.shape[2:0:-1], interpolation=cv2.INTER_LINEAR)
    return out


def _probability(model: keras.Model, class_index: int) -> Callable:
    return lambda x: model(x, training=False)[:, class_index]


def integrated_gradients(
    model: keras.Model,
    images: np.ndarray,
    class_index: int = 1,
    steps: int = IG_STEPS,
    baseline: np.ndarray | float = 0.0,
    batch_size: int = 256,
) -> np.ndarray:
    """Integrated Gradients (N, H, W, 3) of the probability of ``class_index`` for ``images`` (N, H, W, 3),
    from ``baseline`` (an image or a constant; 0 is black) along ``steps`` intervals, trapezoid rule. The
    interpolated images of all inputs go through the network together, ``batch_size`` at a time."""
    images = np.asarray(images, np.float32)
    base = np.broadcast_to(np.asarray(baseline, np.float32), images.shape[1:])
    alphas = np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)
    path = base[None, None] + alphas[None, :, None, None, None] * (images - base[None])[:, None]
    flat = path.reshape(-1, *images.shape[1:])
    grads = np.empty_like(flat)
    network = weakref.ref(model)  # the cache must not keep the network alive
    gradient = _cached(
        model,
        ("probability", class_index),
        lambda: gradient_function(lambda v: network()(v, training=False)[:, class_index]),
    )
    for start in range(0, len(flat), batch_size):
        _, grads[start : start + batch_size] = gradient(flat[start : start + batch_size])
    grads = grads.reshape(path.shape)
    mean_grad = (grads[:, :-1] + grads[:, 1:]).mean(axis=1) / 2  # trapezoid rule over equal steps
    return (images - base[None]) * mean_grad


def end_points(model: keras.Model, images: np.ndarray, class_index: int = 1, baseline=0.0) -> tuple[np.ndarray, ...]:
    """``(f(images), f(baseline))``, each (N,): the probability of ``class_index`` at the two ends of the path."""
    images = np.asarray(images, np.float32)
    base = np.broadcast_to(np.asarray(baseline, np.float32), images.shape).copy()
    f = _probability(model, class_index)
    return ops.convert_to_numpy(f(images)), ops.convert_to_numpy(f(base))


def completeness_gap(
    model: keras.Model, images: np.ndarray, attributions: np.ndarray, class_index: int = 1, baseline=0.0
) -> np.ndarray:
    """(N,) ``sum(attributions) − (f(image) − f(baseline))``: zero for exact Integrated Gradients."""
    return _gap(attributions, *end_points(model, images, class_index, baseline))


def _gap(attributions: np.ndarray, at_image: np.ndarray, at_baseline: np.ndarray) -> np.ndarray:
    return attributions.reshape(len(at_image), -1).sum(axis=1) - (at_image - at_baseline)


def attribution_map(attributions: np.ndarray) -> np.ndarray:
    """(N, H, W) map of (N, H, W, 3) attributions: absolute values summed over the colour channels (the
    TensorFlow tutorial's mask, which the dissertation used)."""
    return np.abs(np.asarray(attributions)).sum(axis=-1)


def map_key(method: str, model: str, layer: str = "") -> str:
    """The name of one set of maps: ``method|model|layer`` (layer empty for methods of the whole network)."""
    return f"{method}|{model}|{layer}"


def explain_by_fold(
    images: pd.DataFrame,
    folds: pd.DataFrame,
    store: str | os.PathLike,
    size_px: int,
    layers: dict[str, tuple[str, ...]] | None = None,
    ig_steps: int = IG_STEPS,
    ig_baseline: float = 0.0,
    lime_samples: int = 0,
    lime_segments: int = 30,
    seed: int = 0,
    progress: bool = True,
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Grad-CAM (at every layer of ``layers``, default :data:`DEPTH_LAYERS`), Integrated Gradients and, with
    ``lime_samples``, LIME maps of the pain class for the ``images`` (rows with ``path``), each by the network
    of its fold (``folds``: :func:`painlib.neonatal.test_fold_models`, models loaded from ``store``).

    Returns the maps, ``{map_key(method, model, layer): (N, size_px, size_px) float32}``, every map ≥ 0 and
    resized bilinearly from the network's input side to ``size_px``, and a table with one row per image and
    network: ``image`` (row of ``images``), ``model``, ``key``, ``p_image`` and ``p_baseline`` (the network's
    probability of pain on the image and on the baseline) and ``ig_gap``, Integrated Gradients' completeness
    gap (:func:`completeness_gap`). LIME explains the image at ``size_px`` (each
    network resizes the perturbed copies to its input, :func:`painlib.xai.keras_predict`)."""
    from .progress import progress_bar
    from .result_store import load_model
    from .training import stack_images
    from .xai import explain_set, keras_predict

    layers = DEPTH_LAYERS if layers is None else layers
    paths = images["path"].tolist()
    out: dict[str, np.ndarray] = {}
    checks = []
    faces = stack_images(paths, size_px, None) if lime_samples else None  # LIME explains the faces at size_px

    def put(key: str, rows: np.ndarray, maps: np.ndarray) -> None:
        out.setdefault(key, np.zeros((len(paths), size_px, size_px), np.float32))
        for r, m in zip(rows, maps):
            out[key][r] = cv2.resize(np.asarray(m, np.float32), (size_px, size_px), interpolation=cv2.INTER_LINEAR)

    runs = list(folds.groupby(["model", "key"], sort=True))
    for (model_name, key), part in progress_bar(runs, desc="fold networks", unit="network", enabled=progress):
        model = load_model(store, key)
        rows = np.flatnonzero(images["path"].isin(set(part["path"])).to_numpy())
        x = stack_images([paths[r] for r in rows], int(model.input_shape[1]), None).astype(np.float32)
        for layer in layers.get(model_name, ()):
            put(map_key("gradcam", model_name, layer), rows, grad_cam(model, x, layer))
        attributions = integrated_gradients(model, x, steps=ig_steps, baseline=ig_baseline)
        put(map_key("ig", model_name), rows, attribution_map(attributions))
        p_image, p_base = end_points(model, x, baseline=ig_baseline)
        gap = _gap(attributions, p_image, p_base)  # completeness_gap, from the end points already computed
        checks += [
            {"image": r, "model": model_name, "key": key, "p_image": a, "p_baseline": b, "ig_gap": g}
            for r, a, b, g in zip(rows, p_image, p_base, gap)
        ]
        if lime_samples:
            explained = explain_set(
                faces[rows],
                {model_name: keras_predict(model)},
                n_segments=lime_segments,
                n_samples=lime_samples,
                seed=seed,
                progress=False,
            )
            put(map_key("lime", model_name), rows, explained.maps(1))
    return out, pd.DataFrame(checks).sort_values(["model", "image"], ignore_index=True)


#: The methods of chapter 07 and the names its figures give them.
METHODS = {"gradcam": "Grad-CAM", "ig": "IG", "lime": "LIME"}


def main_maps(maps: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each network's maps by method at its main layer (:data:`MAIN_LAYER` for Grad-CAM, the whole network for IG
    and LIME), named ``"<network> <method>"`` (e.g. ``"vggface Grad-CAM"``), in :data:`DEPTH_LAYERS`' order; a
    method not computed (LIME with no samples) is left out. ``maps`` is :func:`explain_by_fold`'s first output."""
    main = {}
    for name in DEPTH_LAYERS:
        for method, label in METHODS.items():
            key = map_key(method, name, MAIN_LAYER[name] if method == "gradcam" else "")
            if key in maps:
                main[f"{name} {label}"] = maps[key]
    return main


def blank_maps(stack: np.ndarray) -> int:
    """How many of the maps in ``stack`` (N, H, W) are zero everywhere (Grad-CAM's ReLU can leave nothing)."""
    return int((stack.reshape(len(stack), -1).max(axis=1) <= 0).sum())


def layer_sides(kept: pd.DataFrame, model_layers: list[tuple[str, str]], store: str | os.PathLike) -> pd.DataFrame:
    """The side (px) of each ``(model, layer)``'s feature map in the networks of ``kept`` (their input size as
    trained), indexed ``"model layer"``: how coarse that layer's Grad-CAM map is before upscaling."""
    from .result_store import load_model

    first = kept.drop_duplicates("model").set_index("model")["key"]
    nets = {m: load_model(store, first[m]) for m in dict.fromkeys(m for m, _ in model_layers)}
    rows = {f"{m} {layer}": {"side_px": int(nets[m].get_layer(layer).output.shape[1])} for m, layer in model_layers}
    return pd.DataFrame.from_dict(rows, orient="index")


def baseline_shift(
    first: dict[str, np.ndarray], second: dict[str, np.ndarray], region: np.ndarray, models: list[str]
) -> pd.DataFrame:
    """Integrated Gradients from two baselines (two outputs of :func:`explain_by_fold`): per network, the mean
    share of the map inside ``region`` (N, H, W) bool for each (columns ``black`` and ``white``, as the book's
    exercise names them) and the two-sided p-value of a paired Wilcoxon test over the images."""
    from scipy import stats

    from .faithfulness import relevance_mass

    rows = {}
    for model in models:
        a = relevance_mass(first[map_key("ig", model)], region)
        b = relevance_mass(second[map_key("ig", model)], region)
        ok = np.isfinite(a) & np.isfinite(b)
        p = float(stats.wilcoxon(a[ok], b[ok]).pvalue) if ok.sum() >= 2 and np.any(a[ok] != b[ok]) else 1.0
        rows[model] = {"black": float(np.nanmean(a)), "white": float(np.nanmean(b)), "p": p}
    return pd.DataFrame.from_dict(rows, orient="index")
