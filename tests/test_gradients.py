"""Grad-CAM and Integrated Gradients (painlib.gradients) on planted networks whose answer is known."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from painlib import gradients, result_store
from painlib.models import neonatal as neonatal_models

SIZE = 16
QUADRANT = (slice(0, SIZE // 2), slice(0, SIZE // 2))


def _planted(seed: int = 0) -> keras.Model:
    """Input (16, 16, 3) → a 1 × 1 convolution ``features`` copying the red and green channels → flatten →
    softmax. The pain score reads the red channel in the top-left quadrant only; green is ignored."""
    inputs = keras.Input((SIZE, SIZE, 3))
    conv = keras.layers.Conv2D(2, 1, use_bias=False, name="features")
    x = keras.layers.Flatten()(conv(inputs))
    head = keras.layers.Dense(2, activation="softmax", name="head")
    outputs = head(x)
    model = keras.Model(inputs, outputs)
    conv.set_weights([np.array([[[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]], np.float32)])
    kernel = np.zeros((SIZE, SIZE, 2, 2), np.float32)
    kernel[QUADRANT][..., 0, 1] = 0.02  # red in the quadrant raises the pain logit
    kernel[QUADRANT][..., 0, 0] = -0.02
    head.set_weights([kernel.reshape(-1, 2), np.zeros(2, np.float32)])
    return model


def _image(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = rng.uniform(0, 1, (SIZE, SIZE, 3)).astype(np.float32)
    image[QUADRANT][..., 0] += 2.0  # bright red where the network looks
    image[SIZE // 2 :, SIZE // 2 :, 1] += 4.0  # brighter green where it does not
    return image


def test_grad_cam_peaks_where_the_planted_network_looks():
    model = _planted()
    cam = gradients.grad_cam(model, _image()[None], "features", class_index=1)[0]
    assert cam.shape == (SIZE, SIZE)
    inside = np.zeros((SIZE, SIZE), bool)
    inside[QUADRANT] = True
    # the weight of the red channel is positive, of green zero: the map is the red channel, top-left brightest
    assert np.unravel_index(cam.argmax(), cam.shape) in set(zip(*np.nonzero(inside)))
    assert cam[inside].mean() > 2 * cam[~inside].mean()
    # for "no pain" the red channel's weight is negative: after the ReLU nothing is left
    assert gradients.grad_cam(model, _image()[None], "features", class_index=0).max() == 0


def test_grad_cam_uses_the_score_before_the_softmax():
    model = _planted()
    x = _image()[None]
    # the pain score is 0.02 × the red channel summed over the quadrant: its gradient is 0.02 there, 0 elsewhere,
    # so the red channel's weight is 0.02 × 64 / 256 = 0.005 and the map is 0.005 × red (the softmax's gradient
    # would scale it by p(1 − p) and more)
    np.testing.assert_allclose(gradients.grad_cam(model, x, "features")[0], 0.005 * x[0, ..., 0], rtol=1e-5)
    features, to_logits = gradients.class_logits(model)
    logits = keras.ops.convert_to_numpy(to_logits(keras.Model(model.input, features)(x)))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.softmax(logits)), model.predict(x, verbose=0), rtol=1e-5
    )


def test_grad_cam_names_a_layer_inside_one_branch():
    model = neonatal_models.ncnn(input_size_px=30)
    assert gradients.grad_cam(model, np.zeros((1, 30, 30, 3)), "merged_conv").shape == (1, 30, 30)
    with pytest.raises(ValueError, match="other branches"):
        gradients.grad_cam(model, np.zeros((1, 30, 30, 3)), "central_conv2")
    with pytest.raises(ValueError, match="no layer"):
        gradients.grad_cam(model, np.zeros((1, 30, 30, 3)), "conv9_9")


def test_integrated_gradients_are_complete_and_zero_where_the_network_does_not_look():
    model = _planted()
    images = np.stack([_image(s) for s in range(3)])
    attributions = gradients.integrated_gradients(model, images, steps=64)
    gap = gradients.completeness_gap(model, images, attributions)
    difference = model.predict(images, verbose=0)[:, 1] - model.predict(np.zeros_like(images), verbose=0)[:, 1]
    assert np.all(np.abs(difference) > 0.05)  # something to attribute
    assert np.all(np.abs(gap) < 1e-3 * np.abs(difference).max() + 1e-5)
    outside = np.ones((SIZE, SIZE), bool)
    outside[QUADRANT] = False
    assert np.abs(attributions[:, outside]).max() == 0  # green and everything outside the quadrant
    assert np.abs(attributions[..., 1:]).max() == 0


def test_one_step_breaks_completeness_on_a_curved_network():
    model = neonatal_models.ncnn(input_size_px=30)
    keras.utils.set_random_seed(1)
    images = np.random.default_rng(0).uniform(0, 255, (2, 30, 30, 3)).astype(np.float32)
    many = gradients.completeness_gap(model, images, gradients.integrated_gradients(model, images, steps=128))
    one = gradients.completeness_gap(model, images, gradients.integrated_gradients(model, images, steps=1))
    assert np.abs(many).max() < np.abs(one).max() / 10 and np.abs(one).max() > 1e-3


def test_attribution_map_sums_absolute_values_over_colours():
    attributions = np.zeros((1, 2, 2, 3))
    attributions[0, 0, 0] = [1, -2, 0.5]
    np.testing.assert_allclose(gradients.attribution_map(attributions)[0], [[3.5, 0], [0, 0]])


def test_the_depth_layers_exist_in_both_networks():
    for name, build in (("vggface", neonatal_models.vggface), ("ncnn", neonatal_models.ncnn)):
        layers = {layer.name for layer in build(input_size_px=32).layers}
        assert set(gradients.DEPTH_LAYERS[name]) <= layers
        assert gradients.MAIN_LAYER[name] == gradients.DEPTH_LAYERS[name][-1]


def test_traced_gradients_are_reused_and_do_not_keep_a_network_alive():
    import gc
    import weakref

    model = neonatal_models.ncnn(input_size_px=30)
    x = np.zeros((1, 30, 30, 3))
    gradients.integrated_gradients(model, x, steps=4)
    gradients.grad_cam(model, x, "merged_conv")
    assert len(gradients._TRACED.get(model, {})) == 2
    gradients.grad_cam(model, x, "merged_conv")  # the same trace again
    assert len(gradients._TRACED[model]) == 2
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None


def _constant_network(p_pain: float, side: int = 16) -> keras.Model:
    """A network that gives every image the probability ``p_pain`` (its logits are its biases)."""
    inputs = keras.Input((side, side, 3))
    x = keras.layers.Conv2D(2, 1, name="features")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    head = keras.layers.Dense(2, activation="softmax", name="head")
    model = keras.Model(inputs, head(x))
    head.set_weights([np.zeros((2, 2), np.float32), np.array([0.0, np.log(p_pain / (1 - p_pain))], np.float32)])
    return model


def test_each_image_is_explained_by_its_own_fold_network(tmp_path):
    import pandas as pd

    from painlib.storage import write_png

    paths = []
    for i in range(4):
        paths.append(str(tmp_path / f"{i}.png"))
        write_png(paths[-1], np.full((16, 16, 3), 40 * i, np.uint8))
    images = pd.DataFrame({"path": paths})
    rows = []
    for run, (p, held) in enumerate(((0.2, paths[:2]), (0.7, paths[2:]))):
        key = f"k{run}"
        result_store.save_model(_constant_network(p), str(tmp_path / "models" / f"{key}.keras"))
        rows += [dict(path=path, model="ncnn", key=key, run=run, threshold=0.5, prob_pain=p, pred=0) for path in held]
    folds = pd.DataFrame(rows)
    maps, ends = gradients.explain_by_fold(images, folds, tmp_path, 16, layers={"ncnn": ("features",)}, ig_steps=8)
    np.testing.assert_allclose(ends.sort_values("image")["p_image"], [0.2, 0.2, 0.7, 0.7], rtol=1e-5)
    assert ends.sort_values("image")["key"].tolist() == ["k0", "k0", "k1", "k1"]
    assert maps[gradients.map_key("gradcam", "ncnn", "features")].shape == (4, 16, 16)
