"""The neonatal dissertation's two networks: VGG-Face with new dense layers (Appendix A) and the adapted N-CNN
(Appendix B). Both take RGB in the 0–255 range and preprocess inside, like every model of the zoo.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
from keras import layers, regularizers

from ..published import NEONATAL_PROTOCOL
from .pretrained import VGGFACE_MEAN_BGR, CentredBGR, load_by_name

#: VGG-Face weights without the top (keras-vggface's conversion of Parkhi et al.'s release), loaded by layer name.
VGGFACE_WEIGHTS_FILE = "rcmalli_vggface_tf_notop_vgg16.h5"
#: (filters, convolutions) per block of VGG16 / VGG-Face; layers are named ``conv{block}_{i}`` as in the
#: released weights.
VGGFACE_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
#: Two-stage plan (dissertation, section 3.3): RMSprop at 1e-4 on the dense layers with the convolutions frozen;
#: after VGGFACE_PATIENCE_EPOCHS epochs without improvement, blocks 4–5 train too at 1e-6.
VGGFACE_LEARNING_RATE = NEONATAL_PROTOCOL["learning_rate"]
VGGFACE_FINE_TUNE_LEARNING_RATE = NEONATAL_PROTOCOL["fine_tune_learning_rate"]
VGGFACE_PATIENCE_EPOCHS = NEONATAL_PROTOCOL["vggface_patience"]
VGGFACE_FINE_TUNE_BLOCKS = (4, 5)
#: N-CNN: training stops after this many epochs without improvement (no fine-tuning stage).
NCNN_PATIENCE_EPOCHS = NEONATAL_PROTOCOL["ncnn_patience"]


def vggface(n_classes: int = 2, input_size_px: int = 224, weights_file: Path | None = None) -> keras.Model:
    """VGG-Face's 13 convolutions · flatten · dense 512 · dropout 0.5 · dense 512 · dropout 0.5 · softmax.

    27,823,938 parameters at 224 px with 2 classes. The three dense layers carry the L1 penalty (5e-4) chosen
    by the dissertation's random search. Input RGB 0–255 is turned into BGR minus the VGG-Face channel means.
    ``weights_file``: a legacy ``.h5`` file with layers ``conv1_1`` … ``conv5_3``, or None for random weights.
    """
    l1 = dict(kernel_regularizer=regularizers.L1(5e-4))
    inputs = keras.Input((input_size_px, input_size_px, 3), name="image")
    x = CentredBGR(VGGFACE_MEAN_BGR, name="preprocess")(inputs)
    for block, (filters, n_convs) in enumerate(VGGFACE_BLOCKS, start=1):
        for i in range(1, n_convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{block}_{i}")(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"pool{block}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.5)(layers.Dense(512, activation="relu", name="dense_1", **l1)(x))
    x = layers.Dropout(0.5)(layers.Dense(512, activation="relu", name="dense_2", **l1)(x))
    outputs = layers.Dense(n_classes, activation="softmax", dtype="float32", name="head", **l1)(x)
    model = keras.Model(inputs, outputs, name="vggface")
    if weights_file is not None:
        load_by_name(model, weights_file, _vggface_convs())
    return model


def _vggface_convs(blocks=range(1, 6)) -> list[str]:
    return [f"conv{b}_{i}" for b in blocks for i in range(1, VGGFACE_BLOCKS[b - 1][1] + 1)]


def vggface_stage1(model: keras.Model) -> keras.Model:
    """First stage: freeze all 13 convolutions, train the dense layers. Recompile afterwards."""
    return _train_conv_blocks(model, ())


def vggface_stage2(model: keras.Model) -> keras.Model:
    """Fine-tuning stage: convolution blocks 4 and 5 train too, blocks 1–3 stay frozen. Recompile afterwards
    (at :data:`VGGFACE_FINE_TUNE_LEARNING_RATE`)."""
    return _train_conv_blocks(model, VGGFACE_FINE_TUNE_BLOCKS)


def _train_conv_blocks(model: keras.Model, blocks: tuple[int, ...]) -> keras.Model:
    names = {layer.name for layer in model.layers}
    if not set(_vggface_convs()) <= names:
        raise ValueError(f"{model.name} is not a VGG-Face model: it lacks layers conv1_1 … conv5_3")
    trainable = set(_vggface_convs(blocks))
    for name in _vggface_convs():
        model.get_layer(name).trainable = name in trainable
    return model


def ncnn(n_classes: int = 2, input_size_px: int = 120) -> keras.Model:
    """The adapted N-CNN (Zamzmi et al. 2019; dissertation Appendix B): 78,234 parameters at 120 px, 2 classes.

    Three branches meet at (input/10)² px: max-pooled input (3 channels), two convolutions with pooling resized
    to that side (64), one convolution pooled by 10 (64). LeakyReLU 0.01 and dropout 0.1 in the branches,
    L2 penalty 0.01 on every kernel. Input RGB 0–255 is rescaled to [0, 1].
    """
    l2 = dict(kernel_regularizer=regularizers.L2(0.01))
    side = math.ceil(input_size_px / 10)  # the left branch's output side; the others meet it there
    inputs = keras.Input((input_size_px, input_size_px, 3), name="image")
    x = layers.Rescaling(1 / 255.0)(inputs)
    left = layers.MaxPooling2D(10, strides=10, padding="same", name="left_pool")(x)

    c = layers.Conv2D(64, 5, padding="same", name="central_conv1", **l2)(x)
    c = layers.MaxPooling2D(3, strides=3, padding="same")(layers.LeakyReLU(negative_slope=0.01)(c))
    c = layers.Conv2D(64, 2, padding="same", name="central_conv2", **l2)(c)
    c = layers.MaxPooling2D(3, strides=3, padding="same")(layers.LeakyReLU(negative_slope=0.01)(c))
    c = layers.Dropout(0.1)(layers.Resizing(side, side, name="central_resize")(c))

    r = layers.Conv2D(64, 5, padding="same", name="right_conv", **l2)(x)
    r = layers.MaxPooling2D(10, strides=10, padding="same")(layers.LeakyReLU(negative_slope=0.01)(r))
    r = layers.Dropout(0.1)(r)

    x = layers.Concatenate(name="merge")([left, c, r])
    x = layers.Conv2D(64, 2, padding="same", activation="relu", name="merged_conv", **l2)(x)
    x = layers.Flatten()(layers.MaxPooling2D(2, strides=2, padding="same")(x))
    x = layers.Dropout(0.1)(layers.Dense(8, activation="relu", name="dense", **l2)(x))
    outputs = layers.Dense(n_classes, activation="softmax", dtype="float32", name="head", **l2)(x)
    return keras.Model(inputs, outputs, name="ncnn")
