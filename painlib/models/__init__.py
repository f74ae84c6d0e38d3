"""The model zoo: ``build(name, n_classes, input_size_px)`` returns an uncompiled Keras 3 model.

Every model takes uint8-range RGB input (0–255) and rescales inside, so the same arrays feed any model and
any backend. Chapter 00 uses ``small_cnn`` as a fast probe of the synthetic data; the training chapters add
the ten adult models and the neonatal ones to :data:`MODELS`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import keras
from keras import layers

#: name → (builder, default input side in pixels)
MODELS: dict[str, tuple[Callable[..., keras.Model], int]] = {}


def register(name: str, input_size_px: int):
    def deco(fn):
        MODELS[name] = (fn, input_size_px)
        return fn

    return deco


def build(name: str, n_classes: int = 2, input_size_px: int | None = None) -> keras.Model:
    """Build model ``name`` with a softmax head of ``n_classes``; input (input_size_px, input_size_px, 3)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; available: {sorted(MODELS)}")
    fn, default = MODELS[name]
    size = default if input_size_px is None else int(input_size_px)
    return fn(n_classes=n_classes, input_size_px=size)


def augmentation(seed: int = 0) -> keras.Sequential:
    """The CP paper's augmentation: flip, rotation 0.03, translation 0.05, contrast 0.1, white fill."""
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


def compile_model(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Adam + sparse categorical cross-entropy + accuracy; XLA when :func:`painlib.setup` asked for it."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=os.environ.get("PAINLIB_XLA") == "1",
    )
    return model


@register("small_cnn", 64)
def small_cnn(n_classes: int = 2, input_size_px: int = 64) -> keras.Model:
    """A three-block CNN (≈0.1 M parameters at 64 px): the book's quick probe, not one of the paper's ten."""
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
