"""The CP paper's ten networks (Table 3): four built layer by layer, six from ``keras.applications``.

Layer lists follow the authors' Keras definitions (``padding="same"`` on convolutions and poolings, ReLU,
softmax head of ``n_classes``); ``shared/REFERENCES.md`` gives them with exact parameter counts. Every model
takes RGB in the 0–255 range and preprocesses inside, so the same arrays feed all ten.

The paper does not say how the four hand-built networks scale their input. They scale it to [-1, 1] here (the
book's choice, as Keras does for Xception and InceptionV3): with [0, 1] inputs, whose white background sits at
the top of the range, SongNet, AlexNet and SilNet stayed at their starting loss for 20 epochs on chapter 01's
PAIN-DB at 48 px, where with [-1, 1] SongNet reached a held-out AUC of 0.81 (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from .pretrained import IMAGENET_MEAN_BGR, CentredBGR

#: keras.applications constructor, input preprocessing ("caffe": BGR minus ImageNet means, "tf": [-1, 1]),
#: smallest input side in pixels, and the file name of its ImageNet weights without the top.
APPLICATIONS: dict[str, tuple[str, str, int, str]] = {
    "vgg16": ("VGG16", "caffe", 32, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "vgg19": ("VGG19", "caffe", 32, "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "resnet50": ("ResNet50", "caffe", 32, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "resnet101v2": ("ResNet101V2", "tf", 32, "resnet101v2_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "inceptionv3": ("InceptionV3", "tf", 75, "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "xception": ("Xception", "tf", 71, "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"),
}


def _image_input(input_size_px: int) -> keras.KerasTensor:
    return keras.Input((input_size_px, input_size_px, 3), name="image")


def _centred(inputs: keras.KerasTensor) -> keras.KerasTensor:
    """0–255 → [-1, 1] (the hand-built networks' input scaling; see the module's docstring)."""
    return layers.Rescaling(1 / 127.5, offset=-1.0, name="preprocess")(inputs)


def _head(x, n_classes: int, **kwargs):
    """Softmax over ``n_classes``, in float32 even under mixed precision."""
    return layers.Dense(n_classes, activation="softmax", dtype="float32", name="head", **kwargs)(x)


def _conv(filters: int, size: int, strides: int = 1, **kwargs) -> layers.Conv2D:
    return layers.Conv2D(filters, size, strides=strides, padding="same", activation="relu", **kwargs)


def _pool(size: int, strides: int) -> layers.MaxPooling2D:
    return layers.MaxPooling2D(size, strides=strides, padding="same")


def alexnet(n_classes: int = 2, input_size_px: int = 224) -> keras.Model:
    """AlexNet (Krizhevsky et al. 2012) as the authors define it: 88,702,338 parameters at 224 px, 2 classes."""
    inputs = _image_input(input_size_px)
    x = _centred(inputs)
    x = _pool(3, 2)(_conv(96, 11, strides=4)(x))
    x = _pool(3, 2)(_conv(256, 5)(x))
    x = _conv(384, 3)(x)
    x = _conv(384, 3)(x)
    x = _pool(3, 2)(_conv(256, 3)(x))
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(layers.Dense(4096, activation="relu")(x))
    x = layers.Dense(4096, activation="relu")(x)
    x = layers.Dropout(0.4)(layers.Dense(4096, activation="relu")(x))
    return keras.Model(inputs, _head(x, n_classes), name="alexnet")


def songnet(n_classes: int = 2, input_size_px: int = 224) -> keras.Model:
    """SongNet (Song et al. 2014): four small convolutions, 147,586 parameters at 224 px, 2 classes."""
    inputs = _image_input(input_size_px)
    x = _centred(inputs)
    x = _pool(3, 2)(_conv(64, 5)(x))
    x = _pool(3, 2)(_conv(64, 5)(x))
    x = _pool(3, 2)(_conv(32, 3)(x))
    x = layers.Dropout(0.5)(x)
    x = _pool(3, 2)(_conv(32, 3)(x))
    x = layers.Dropout(0.5)(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, _head(x, n_classes), name="songnet")


def weinet(n_classes: int = 2, input_size_px: int = 64) -> keras.Model:
    """WeiNet (Li et al. 2015): three 7×7 convolutions, stride-1 pooling; 679,650 parameters at 64 px, 2 classes."""
    inputs = _image_input(input_size_px)
    x = _centred(inputs)
    for filters in (32, 32, 64):
        x = _pool(2, 1)(_conv(filters, 7)(x))
    x = layers.Flatten()(x)
    return keras.Model(inputs, _head(x, n_classes), name="weinet")


def silnet(n_classes: int = 2, input_size_px: int = 150) -> keras.Model:
    """SilNet (Ramis et al. 2022), Glorot-normal initialisers: 184,849,986 parameters at 150 px, 2 classes."""
    init = dict(kernel_initializer="glorot_normal")
    inputs = _image_input(input_size_px)
    x = _centred(inputs)
    x = _pool(2, 2)(_conv(32, 11, **init)(x))
    x = _conv(32, 7, **init)(x)
    x = _pool(2, 1)(_conv(32, 7, **init)(x))
    x = _conv(64, 5, **init)(x)
    x = _pool(2, 1)(_conv(64, 5, **init)(x))
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(layers.Dense(512, activation="relu", **init)(x))
    x = layers.Dense(512, activation="relu", **init)(x)
    return keras.Model(inputs, _head(x, n_classes, **init), name="silnet")


def application(
    name: str, n_classes: int = 2, input_size_px: int = 224, weights_file: Path | None = None
) -> keras.Model:
    """A ``keras.applications`` base (no top) · global average pooling · dense softmax head, as one flat model.

    ``name`` is a key of :data:`APPLICATIONS`; ``weights_file`` an existing local ImageNet weights file (no top),
    or None for random weights. Input: (input_size_px, input_size_px, 3) RGB in 0–255, preprocessed inside.
    """
    constructor, mode, min_px, _ = APPLICATIONS[name]
    if input_size_px < min_px:
        raise ValueError(f"{name} needs inputs of at least {min_px}×{min_px} px; got {input_size_px}")
    inputs = _image_input(input_size_px)
    if mode == "caffe":
        x = CentredBGR(IMAGENET_MEAN_BGR, name="preprocess")(inputs)
    else:
        x = layers.Rescaling(1 / 127.5, offset=-1.0, name="preprocess")(inputs)
    # Built on our tensor, the base's layers join this graph directly: one flat model, no nested sub-model.
    base = getattr(keras.applications, constructor)(
        include_top=False,
        weights=None if weights_file is None else str(weights_file),
        input_tensor=x,
        input_shape=(input_size_px, input_size_px, 3),
    )
    x = layers.GlobalAveragePooling2D(name="global_pool")(base.output)
    return keras.Model(inputs, _head(x, n_classes), name=name)
