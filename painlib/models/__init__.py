"""The model zoo: ``build(name, n_classes, input_size_px)`` returns an uncompiled Keras 3 model.

Every model takes uint8-range RGB input (0–255) and rescales or preprocesses inside, so the same arrays feed any
model and any backend. Chapter 00 uses ``small_cnn`` as a fast probe of the synthetic data; the training chapters
use the CP paper's ten networks (:data:`ADULT_MODELS`, see :mod:`.adult`) and the neonatal dissertation's two
(:data:`NEONATAL_MODELS`, see :mod:`.neonatal`). Pretrained weights are only ever read from local files
(:mod:`.pretrained`); without them a model starts from random weights, says so once, and records it
(:func:`initialisation`).
"""

from __future__ import annotations

import gc
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import keras
import pandas as pd
from keras import layers

from . import adult, neonatal
from .pretrained import find_weights, report_missing

#: name → (builder, default input side in pixels)
MODELS: dict[str, tuple[Callable[..., keras.Model], int]] = {}


@dataclass(frozen=True)
class ModelSpec:
    """What the zoo knows about a model beyond its builder: citation, smallest input, pretrained weights."""

    reference: str = ""
    min_input_px: int = 1
    pretrained: str | None = None  # "ImageNet" / "VGG-Face": the weights it starts from when found
    weights_file: str | None = None  # their expected file name
    top: tuple[str, str] | None = None  # where its last block starts: ("input" or "output", layer name)


#: name → :class:`ModelSpec`
SPECS: dict[str, ModelSpec] = {}
#: The CP paper's ten networks in Table 3's order, and the dissertation's two.
ADULT_MODELS = (
    "alexnet",
    "songnet",
    "weinet",
    "vgg16",
    "vgg19",
    "resnet50",
    "resnet101v2",
    "inceptionv3",
    "xception",
    "silnet",
)
NEONATAL_MODELS = ("vggface", "ncnn")


def register(name: str, input_size_px: int, **spec):
    """Decorator adding a builder ``fn(n_classes, input_size_px[, weights_file])`` to the zoo; ``spec`` as
    :class:`ModelSpec`."""

    def deco(fn):
        MODELS[name] = (fn, input_size_px)
        SPECS[name] = ModelSpec(**spec)
        return fn

    return deco


def build(
    name: str,
    n_classes: int = 2,
    input_size_px: int | None = None,
    *,
    weights_path: str | os.PathLike | None = None,
    pretrained: bool = True,
) -> keras.Model:
    """Build model ``name`` with a softmax head of ``n_classes``; input (input_size_px, input_size_px, 3), 0–255.

    Models with pretrained weights load them from ``weights_path`` (a file, or a folder holding the expected
    file name), else from ``$PAINLIB_WEIGHTS_DIR`` or the Keras cache; never from the network. Without a file,
    or with ``pretrained=False``, they start from random weights. :func:`initialisation` tells which.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; available: {sorted(MODELS)}")
    fn, default = MODELS[name]
    spec = SPECS[name]
    size = default if input_size_px is None else int(input_size_px)
    if int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"{name}: n_classes must be an integer ≥ 2; got {n_classes!r}")
    if size < spec.min_input_px:
        raise ValueError(f"{name} needs inputs of at least {spec.min_input_px}×{spec.min_input_px} px; got {size}")
    if spec.pretrained is None:
        if weights_path is not None:
            raise ValueError(f"{name} is trained from scratch and has no pretrained weights to load")
        model, init = fn(n_classes=int(n_classes), input_size_px=size), "random"
    else:
        file = find_weights(name, spec.weights_file, weights_path) if pretrained else None
        if pretrained and file is None:
            report_missing(name, spec.pretrained, spec.weights_file)
        model = fn(n_classes=int(n_classes), input_size_px=size, weights_file=file)
        init = "random" if file is None else spec.pretrained
    model.painlib_init = init
    return model


def local_weights(name: str) -> Path | None:
    """The pretrained weights file :func:`build` would load for ``name`` now (no ``weights_path``), or None."""
    spec = SPECS[name]
    return find_weights(name, spec.weights_file) if spec.pretrained else None


def expected_initialisation(name: str) -> str:
    """What :func:`build` would start ``name`` from now: "ImageNet", "VGG-Face" or "random"."""
    return SPECS[name].pretrained if local_weights(name) is not None else "random"


def split_top(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """``(front, top)`` of a Keras-applications network built by :func:`build`: ``top`` is its last block, global
    pooling and head, ``front`` everything before (``SPECS[name].top`` says where the last block starts). Both
    share the layers of ``model``, so training ``top`` trains ``model``; ``top`` takes ``front``'s output. Used to
    train the last block on features of a frozen front computed once (chapter 04, ``fine_tune="top"``)."""
    spec = SPECS.get(model.name)
    if spec is None or spec.top is None:
        raise ValueError(f"model {model.name!r} has no last block to split off (it is trained whole)")
    side, layer = spec.top
    tensor = model.get_layer(layer).input if side == "input" else model.get_layer(layer).output
    front = keras.Model(model.input, tensor, name=f"{model.name}_front")
    return front, keras.Model(tensor, model.output, name=f"{model.name}_top")


def initialisation(model: keras.Model) -> str:
    """The weights a model built by :func:`build` started from: "ImageNet", "VGG-Face" or "random".

    Also finds it on a model nested inside ``model`` (e.g. behind an augmentation wrapper). It is an attribute
    of the built model (``painlib_init``): a saved and reloaded or cloned model no longer carries it.
    """
    for m in [model, *(layer for layer in getattr(model, "layers", []) if isinstance(layer, keras.Model))]:
        if hasattr(m, "painlib_init"):
            return m.painlib_init
    raise ValueError(f"model {model.name!r} was not built by painlib.models.build: its initialisation is unknown")


def describe(names: Iterable[str] | None = None, n_classes: int = 2) -> pd.DataFrame:
    """One row per model: model, reference, input_px, parameters (exact, with ``n_classes``), initialisation
    (what :func:`build` would use now), table3 (the CP paper's figure, text) and dissertation (the neonatal
    study's exact count). Default: the ten adult models and the two neonatal ones. Builds each model once
    without loading weights (AlexNet and SilNet take ~1 GB for a moment).
    """
    from ..published import CP_TABLE3_PARAMETERS, NEONATAL_PARAMETERS

    names = list(ADULT_MODELS + NEONATAL_MODELS if names is None else names)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown models {unknown}; available: {sorted(MODELS)}")
    rows = []
    for name in names:
        spec = SPECS[name]
        model = build(name, n_classes, pretrained=False)
        parameters = model.count_params()
        del model
        gc.collect()
        rows.append(
            {
                "model": name,
                "reference": spec.reference,
                "input_px": MODELS[name][1],
                "parameters": parameters,
                "initialisation": expected_initialisation(name),
                "table3": CP_TABLE3_PARAMETERS.get(name),
                "dissertation": NEONATAL_PARAMETERS.get(name),
            }
        )
    table = pd.DataFrame(rows)
    table["dissertation"] = table["dissertation"].astype("Int64")
    return table


def flops_per_image(model: keras.Model) -> int:
    """Forward floating-point operations for one image: 2 × the multiply-adds of the Conv2D, DepthwiseConv2D,
    SeparableConv2D and Dense layers (biases, activations, pooling and normalisation not counted), from layer
    shapes, nested models included. The model's input shape must be fully known. Used for GFLOP/s benchmarks.
    """
    macs = 0
    for layer in _all_layers(model):
        if isinstance(layer, layers.SeparableConv2D):
            macs += _spatial(layer) * (
                math.prod(layer.depthwise_kernel.shape) + math.prod(layer.pointwise_kernel.shape)
            )
        elif isinstance(layer, layers.Conv2D | layers.DepthwiseConv2D):
            macs += _spatial(layer) * math.prod(layer.kernel.shape)
        elif isinstance(layer, layers.Dense):
            macs += math.prod(_known(layer, layer.input.shape[1:-1])) * math.prod(layer.kernel.shape)
    return int(2 * macs)


def _all_layers(model: keras.Model) -> list[keras.Layer]:
    out = []
    for layer in model.layers:
        out.extend(_all_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return out


def _spatial(layer: keras.Layer) -> int:
    """Output positions of a 2D convolution: H_out × W_out."""
    shape = layer.output.shape
    return math.prod(_known(layer, shape[2:] if layer.data_format == "channels_first" else shape[1:-1]))


def _known(layer: keras.Layer, dims) -> tuple[int, ...]:
    if any(d is None for d in dims):
        raise ValueError(
            f"layer {layer.name!r} has unknown spatial dimensions {tuple(dims)}; build with a fixed input size"
        )
    return tuple(dims)


def augmentation(seed: int = 0) -> keras.Sequential:
    """Augmentation layers for the CP networks: horizontal flip, rotation up to 0.03 of a turn (about 11°), shifts
    up to 5 % of the side, contrast ± 10 %, white fill. The CP paper names rotation, mirroring and contrast
    without magnitudes; the magnitudes and the shift are the book's choices."""
    fill = dict(fill_mode="constant", fill_value=255.0)
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(0.03, seed=seed, **fill),
            layers.RandomTranslation(0.05, 0.05, seed=seed, **fill),
            layers.RandomContrast(0.1, seed=seed, value_range=(0, 255)),
        ],
        name="augmentation",
    )


def compile_model(
    model: keras.Model,
    learning_rate: float = 1e-3,
    eager: bool = False,
    optimizer: str = "adam",
    data_loss: bool = False,
) -> keras.Model:
    """``optimizer`` ("adam", the book's choice for the CP networks — the CP paper names no optimiser, batch size
    or schedule; "rmsprop", the neonatal dissertation's, with Keras's ρ 0.9 and
    ε 1e-7 as it states them) + sparse categorical cross-entropy (the categorical cross-entropy of integer
    labels) + accuracy; XLA when :func:`painlib.setup` asked for it. ``data_loss`` adds the cross-entropy alone
    as a metric named ``data_loss`` (Keras's ``loss`` includes the weight penalties), for early stopping.

    ``eager`` runs each training step op by op instead of tracing it into a graph first: tracing a deep network
    (ResNet, Inception) takes 15–25 s on a 2-core CPU, more than a run of a few steps then saves (CPU profiles).
    """
    model.compile(
        optimizer=keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": learning_rate}}),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"] + ([keras.metrics.SparseCategoricalCrossentropy(name="data_loss")] if data_loss else []),
        jit_compile=False if eager else os.environ.get("PAINLIB_XLA") == "1",
        run_eagerly=eager,
    )
    return model


@register("small_cnn", 64, reference="this book")
def small_cnn(n_classes: int = 2, input_size_px: int = 64) -> keras.Model:
    """A three-block CNN (154,754 parameters at 64 px): the book's quick probe, not one of the paper's ten."""
    inputs = keras.Input((input_size_px, input_size_px, 3), name="image")
    x = layers.Rescaling(1 / 255.0)(inputs)
    for i, filters in enumerate((16, 32, 64)):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i + 1}")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(n_classes, activation="softmax", dtype="float32", name="head")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


register("alexnet", 224, reference="Krizhevsky et al. 2012")(adult.alexnet)
register("songnet", 224, reference="Song et al. 2014")(adult.songnet)
register("weinet", 64, reference="Li et al. 2015")(adult.weinet)
register("silnet", 150, reference="Ramis et al. 2022")(adult.silnet)
# The last block of each application, where ``split_top`` cuts: VGG's last convolution, the last residual unit
# of ResNet50 / ResNet101V2, InceptionV3's last mixed block, Xception's exit-flow separable convolutions.
for _name, _reference, _top in [
    ("vgg16", "Simonyan & Zisserman 2015", ("input", "block5_conv3")),
    ("vgg19", "Simonyan & Zisserman 2015", ("input", "block5_conv4")),
    ("resnet50", "He et al. 2015", ("output", "conv5_block2_out")),
    ("resnet101v2", "He et al. 2015", ("output", "conv5_block2_out")),
    ("inceptionv3", "Szegedy et al. 2015", ("output", "mixed9")),
    ("xception", "Chollet 2017", ("input", "block14_sepconv1")),
]:
    _, _, _min_px, _file = adult.APPLICATIONS[_name]
    register(
        _name,
        224,
        reference=_reference,
        min_input_px=_min_px,
        pretrained="ImageNet",
        weights_file=_file,
        top=_top,
    )(partial(adult.application, _name))
register(
    "vggface",
    224,
    reference="Parkhi et al. 2015",
    min_input_px=32,
    pretrained="VGG-Face",
    weights_file=neonatal.VGGFACE_WEIGHTS_FILE,
)(neonatal.vggface)
register("ncnn", 120, reference="Zamzmi et al. 2019", min_input_px=20)(neonatal.ncnn)


def matches_rounded(count: int, text: str) -> bool:
    """Whether an exact parameter count rounds to a figure printed like Table 3's ("88.7 M", "172.7 K", "20 M"):
    to as many decimals as the text shows (chapter 03)."""
    number, unit = text.split()
    scale = {"K": 1e3, "M": 1e6}[unit]
    decimals = len(number.split(".")[1]) if "." in number else 0
    return round(count / scale, decimals) == float(number)
