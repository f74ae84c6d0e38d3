"""The model zoo: exact parameter counts (REFERENCES.md, the studies), weights lookup, preprocessing, FLOPs."""

import logging

import keras
import numpy as np
import pytest

from painlib import models
from painlib.models import adult, neonatal, pretrained
from painlib.published import CP_TABLE3_PARAMETERS

# Exact counts at each model's default input size, two classes (REFERENCES.md; dissertation section 3.3).
BINARY_PARAMETERS = {
    "alexnet": 88_702_338,
    "songnet": 147_586,
    "weinet": 679_650,
    "vgg16": 14_715_714,
    "vgg19": 20_025_410,
    "resnet50": 23_591_810,
    "resnet101v2": 42_630_658,
    "inceptionv3": 21_806_882,
    "xception": 20_865_578,
    "silnet": 184_849_986,
    "vggface": 27_823_938,
    "ncnn": 78_234,
}
# The hand-built four with a six-way head: what the CP paper's Table 3 rounds.
SIX_WAY_PARAMETERS = {"alexnet": 88_718_726, "songnet": 172_678, "weinet": 1_728_230, "silnet": 184_852_038}
# Small inputs where a model allows them, to keep forward passes fast.
SMALL_INPUT_PX = {
    "alexnet": 64,
    "songnet": 64,
    "weinet": 64,
    "silnet": 32,
    "vgg16": 32,
    "vgg19": 32,
    "resnet50": 32,
    "resnet101v2": 32,
    "inceptionv3": 75,
    "xception": 71,
    "vggface": 32,
    "ncnn": 120,
    "small_cnn": 64,
}


@pytest.fixture(autouse=True)
def fresh_session():
    yield
    keras.backend.clear_session()


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    """No weights anywhere, and no model told yet that its weights are missing."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(pretrained.WEIGHTS_DIR_ENV, raising=False)
    monkeypatch.setattr(pretrained, "keras_cache_dirs", lambda: [tmp_path / "keras_home" / "models"])
    monkeypatch.setattr(pretrained, "_REPORTED", set())


@pytest.fixture(scope="module")
def table():
    return models.describe()


def test_describe_has_every_model_with_exact_counts(table):
    assert list(table["model"]) == list(models.ADULT_MODELS + models.NEONATAL_MODELS)
    assert dict(zip(table["model"], table["parameters"])) == BINARY_PARAMETERS
    adult = table.set_index("model").loc[list(models.ADULT_MODELS)]
    assert adult["table3"].tolist() == CP_TABLE3_PARAMETERS.loc[list(models.ADULT_MODELS)].tolist()
    assert adult.loc["alexnet", "reference"] == "Krizhevsky et al. 2012"
    assert dict(zip(table["model"], table["input_px"]))["silnet"] == 150
    neo = table.set_index("model").loc[list(models.NEONATAL_MODELS)]
    assert neo["dissertation"].tolist() == [27_823_938, 78_234]
    assert set(table["initialisation"]) <= {"ImageNet", "VGG-Face", "random"}


@pytest.mark.parametrize("name", sorted(SIX_WAY_PARAMETERS))
def test_six_way_head_gives_table3(name):
    model = models.build(name, n_classes=6)
    assert model.count_params() == SIX_WAY_PARAMETERS[name]
    del model


@pytest.mark.parametrize("name", sorted(SMALL_INPUT_PX))
def test_uint8_batch_to_probabilities(name, no_weights):
    size = SMALL_INPUT_PX[name]
    model = models.build(name, n_classes=3, input_size_px=size)
    x = np.random.default_rng(0).integers(0, 256, (2, size, size, 3), dtype=np.uint8)
    prob = keras.ops.convert_to_numpy(model(x, training=False))
    assert prob.shape == (2, 3)
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, rtol=1e-5)
    assert models.initialisation(model) == "random"


def test_random_init_is_said_once_per_model(no_weights, caplog):
    with caplog.at_level(logging.WARNING, logger="painlib.models.pretrained"):
        for name in ("vgg16", "vgg16", "vgg19", "vggface"):
            model = models.build(name, input_size_px=32)
            assert models.initialisation(model) == "random"
        models.build("vgg16", input_size_px=32, pretrained=False)  # asked for random: nothing to say
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 3
    assert [m.split(":")[0] for m in said] == ["vgg16", "vgg19", "vggface"]
    assert "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in said[0]
    assert "VGG-Face weights not found" in said[2]


def test_missing_weights_path_is_an_error(tmp_path, no_weights):
    with pytest.raises(FileNotFoundError, match="vgg16: weights file .*nope.h5"):
        models.build("vgg16", input_size_px=32, weights_path=tmp_path / "nope.h5")
    with pytest.raises(FileNotFoundError, match="expected 'rcmalli_vggface_tf_notop_vgg16.h5'"):
        models.build("vggface", input_size_px=32, weights_path=tmp_path)  # a folder without the file
    with pytest.raises(ValueError, match="alexnet is trained from scratch"):
        models.build("alexnet", weights_path=tmp_path)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras' legacy .h5 writer
def test_local_imagenet_file_is_loaded(tmp_path, no_weights, monkeypatch):
    # a stand-in for the real file: a random VGG16 base saved under the expected name, in legacy .h5
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    file = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    base.save(file)
    monkeypatch.setenv(pretrained.WEIGHTS_DIR_ENV, str(tmp_path))
    model = models.build("vgg16", input_size_px=32)
    assert models.initialisation(model) == "ImageNet"
    np.testing.assert_array_equal(model.get_layer("block5_conv3").get_weights()[0], base.layers[-2].get_weights()[0])
    # the same file given explicitly, as a path
    assert models.initialisation(models.build("vgg16", input_size_px=48, weights_path=file)) == "ImageNet"


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_local_vggface_file_is_loaded_by_layer_name(tmp_path, no_weights):
    source = models.build("vggface", input_size_px=32, pretrained=False)
    convs = keras.Model(source.input, source.get_layer("pool5").output)  # the conv layers only, as released
    file = tmp_path / neonatal.VGGFACE_WEIGHTS_FILE
    convs.save(file)
    model = models.build("vggface", input_size_px=32, weights_path=tmp_path)
    assert models.initialisation(model) == "VGG-Face"
    np.testing.assert_array_equal(
        model.get_layer("conv4_2").get_weights()[0], source.get_layer("conv4_2").get_weights()[0]
    )
    # a file without the convolution names is refused rather than silently skipped
    wrong = tmp_path / "wrong.h5"
    models.build("small_cnn").save(wrong)
    with pytest.raises(ValueError, match=r"has no layers named \['conv1_1'"):
        models.build("vggface", input_size_px=32, weights_path=wrong)


@pytest.mark.parametrize(("name", "min_px"), [("inceptionv3", 75), ("xception", 71), ("resnet50", 32), ("vggface", 32)])
def test_too_small_input_names_the_model(name, min_px):
    with pytest.raises(ValueError, match=f"{name} needs inputs of at least {min_px}×{min_px} px; got {min_px - 1}"):
        models.build(name, input_size_px=min_px - 1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown model 'alexnet2'"):
        models.build("alexnet2")
    with pytest.raises(ValueError, match="n_classes must be an integer ≥ 2"):
        models.build("weinet", n_classes=1)
    with pytest.raises(ValueError, match="not built by painlib.models.build"):
        models.initialisation(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))


def test_preprocessing_matches_each_application():
    rgb = np.array([[[[10.0, 20.0, 30.0]]]], dtype="float32")  # one pixel, R G B
    caffe = keras.ops.convert_to_numpy(pretrained.CentredBGR(pretrained.IMAGENET_MEAN_BGR)(rgb))
    np.testing.assert_allclose(caffe.ravel(), [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-6)
    face = keras.ops.convert_to_numpy(pretrained.CentredBGR(pretrained.VGGFACE_MEAN_BGR)(rgb))
    np.testing.assert_allclose(face.ravel(), [30 - 93.5940, 20 - 104.7624, 10 - 129.1863], rtol=1e-6)
    layer = pretrained.CentredBGR.from_config(pretrained.CentredBGR(pretrained.VGGFACE_MEAN_BGR).get_config())
    assert layer.mean_bgr == pretrained.VGGFACE_MEAN_BGR
    # against keras.applications' own preprocess_input, and no weights added by our layers
    x = np.random.default_rng(1).uniform(0, 255, (1, 71, 71, 3)).astype("float32")
    for name in ("vgg16", "xception"):
        model = models.build(name, input_size_px=71, pretrained=False)
        ours = keras.ops.convert_to_numpy(keras.Model(model.input, model.get_layer("preprocess").output)(x))
        theirs = getattr(keras.applications, name).preprocess_input(x.copy())
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-4)
        assert not model.get_layer("preprocess").weights
    # the other four expect what our mode for them gives
    formula = {"caffe": lambda a: a[..., ::-1] - np.array(pretrained.IMAGENET_MEAN_BGR), "tf": lambda a: a / 127.5 - 1}
    for name, module in [
        ("vgg19", "vgg19"),
        ("resnet50", "resnet50"),
        ("resnet101v2", "resnet_v2"),
        ("inceptionv3", "inception_v3"),
    ]:
        theirs = getattr(keras.applications, module).preprocess_input(x.copy())
        np.testing.assert_allclose(formula[adult.APPLICATIONS[name][1]](x), theirs, rtol=1e-5, atol=1e-4)


def test_split_top_cuts_before_the_last_block_and_composes_to_the_network():
    x = np.random.default_rng(2).uniform(0, 255, (2, 75, 75, 3)).astype("float32")
    for name in models.ADULT_MODELS:
        if models.SPECS[name].top is None:
            continue
        net = models.build(name, 2, 75, pretrained=False)
        front, top = models.split_top(net)
        assert 0 < top.count_params() < net.count_params() / 2  # the last block and head: a minority of the weights
        np.testing.assert_allclose(top(front(x)), net(x), atol=1e-5)
    with pytest.raises(ValueError, match="trained whole"):
        models.split_top(models.build("songnet", 2, 32))


def test_vggface_fine_tuning_stages():
    model = neonatal.vggface_stage1(models.build("vggface", input_size_px=32, pretrained=False))
    trainable = {layer.name for layer in model.layers if layer.trainable and layer.weights}
    assert trainable == {"dense_1", "dense_2", "head"}
    neonatal.vggface_stage2(model)
    trainable = {layer.name for layer in model.layers if layer.trainable and layer.weights}
    assert trainable == {"dense_1", "dense_2", "head", *(f"conv{b}_{i}" for b in (4, 5) for i in (1, 2, 3))}
    assert neonatal.VGGFACE_FINE_TUNE_LEARNING_RATE == 1e-6 and neonatal.VGGFACE_PATIENCE_EPOCHS == 5
    with pytest.raises(ValueError, match="not a VGG-Face model"):
        neonatal.vggface_stage2(models.build("small_cnn"))


def test_regularisers_and_initialisers_as_published():
    face = models.build("vggface", input_size_px=32, pretrained=False)
    assert face.get_layer("dense_1").kernel_regularizer.get_config() == {"l1": pytest.approx(5e-4)}
    assert face.get_layer("conv1_1").kernel_regularizer is None
    ncnn = models.build("ncnn")
    assert ncnn.get_layer("merged_conv").kernel_regularizer.get_config() == {"l2": pytest.approx(0.01)}
    assert ncnn.get_layer("merge").output.shape == (None, 12, 12, 131)
    assert ncnn.get_layer("left_pool").output.shape == (None, 12, 12, 3)
    silnet = models.build("silnet", input_size_px=32)
    assert all(
        isinstance(layer.kernel_initializer, keras.initializers.GlorotNormal)
        for layer in silnet.layers
        if hasattr(layer, "kernel_initializer")
    )


def test_flops_per_image_by_hand():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 8·8 positions × 3·3·3·4 = 6,912 multiply-adds
    x = keras.layers.DepthwiseConv2D(3)(x)  # valid → 6×6: 36 × 3·3·4 = 1,296
    x = keras.layers.SeparableConv2D(5, 3, padding="same")(x)  # 36 × 3·3·4 + 36 × 4·5 = 1,296 + 720
    x = keras.layers.Dense(2)(keras.layers.Flatten()(x))  # 180 × 2 = 360
    tiny = keras.Model(inputs, x)
    assert models.flops_per_image(tiny) == 2 * (6_912 + 1_296 + 1_296 + 720 + 360)
    # nested inside another model it counts the same; a Dense on a sequence counts once per position
    outer_in = keras.Input((8, 8, 3))
    wrapped = keras.Model(outer_in, tiny(keras.layers.RandomFlip()(outer_in)))
    assert models.flops_per_image(wrapped) == models.flops_per_image(tiny)
    seq = keras.Model(seq_in := keras.Input((7, 4)), keras.layers.Dense(3)(seq_in))
    assert models.flops_per_image(seq) == 2 * 7 * 4 * 3
    # VGG16's convolutions at 224 px: 15.35 G multiply-adds, the figure usually quoted as ~15.5 GMACs with the top
    assert models.flops_per_image(models.build("vgg16", pretrained=False)) == pytest.approx(30.69e9, rel=1e-3)


def test_small_cnn_unchanged():
    model = models.build("small_cnn")
    assert model.name == "small_cnn" and model.input_shape == (None, 64, 64, 3)
    convolutions = (3 * 3 * 3 * 16 + 16) + (3 * 3 * 16 * 32 + 32) + (3 * 3 * 32 * 64 + 64)  # kernels and biases
    dense = (8 * 8 * 64) * 32 + 32 + 32 * 2 + 2  # three 2×2 poolings take 64 px to 8; then 32 units and the head
    assert model.count_params() == convolutions + dense == 154_754
    assert [layer.name for layer in model.layers if layer.name.startswith("conv")] == ["conv1", "conv2", "conv3"]
    assert models.MODELS["small_cnn"][1] == 64
    assert isinstance(models.small_cnn(n_classes=2, input_size_px=32), keras.Model)


def test_counts_match_table3_figures_as_printed():
    from painlib.published import CP_TABLE3_PARAMETERS

    assert models.matches_rounded(88_718_726, CP_TABLE3_PARAMETERS["alexnet"])
    assert models.matches_rounded(172_678, CP_TABLE3_PARAMETERS["songnet"])
    assert not models.matches_rounded(147_586, CP_TABLE3_PARAMETERS["songnet"])  # the two-class SongNet
    assert models.matches_rounded(20_025_410, CP_TABLE3_PARAMETERS["vgg19"])  # "20 M": no decimals
    assert not models.matches_rounded(679_650, CP_TABLE3_PARAMETERS["weinet"])
