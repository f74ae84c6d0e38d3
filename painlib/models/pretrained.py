"""What a pretrained network expects: its weights file, found locally only, and its input preprocessing.

Weights are never downloaded: a file is looked up in ``weights_path`` (argument of :func:`painlib.models.build`),
then in the folder named by ``$PAINLIB_WEIGHTS_DIR``, then in the Keras cache (``$KERAS_HOME/models`` or
``~/.keras/models``). When none holds it the model starts from random weights and says so once per model name.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import keras

log = logging.getLogger(__name__)

#: ImageNet channel means (B, G, R) that the caffe-style applications (VGG16, VGG19, ResNet50) subtract.
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)
#: VGG-Face channel means (B, G, R) of Parkhi et al.'s training images, as in their released average image.
VGGFACE_MEAN_BGR = (93.5940, 104.7624, 129.1863)
#: Environment variable naming a folder that holds weight files under their expected names.
WEIGHTS_DIR_ENV = "PAINLIB_WEIGHTS_DIR"

_REPORTED: set[str] = set()  # model names already told that their weights are missing


@keras.saving.register_keras_serializable(package="painlib")
class CentredBGR(keras.layers.Layer):
    """RGB 0–255 → BGR minus per-channel means (caffe-style input); no weights. Shape (…, 3) → (…, 3)."""

    def __init__(self, mean_bgr: tuple[float, float, float] = IMAGENET_MEAN_BGR, **kwargs):
        super().__init__(**kwargs)
        if len(mean_bgr) != 3:
            raise ValueError(f"mean_bgr needs three channel means (B, G, R); got {mean_bgr!r}")
        self.mean_bgr = tuple(float(m) for m in mean_bgr)

    def call(self, x):
        x = keras.ops.cast(x, self.compute_dtype)
        return keras.ops.flip(x, axis=-1) - keras.ops.convert_to_tensor(self.mean_bgr, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mean_bgr": list(self.mean_bgr)}


def keras_cache_dirs() -> list[Path]:
    """The folders where Keras keeps downloaded weights: ``$KERAS_HOME/models`` (or ``~/.keras``), ``/tmp/.keras``."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()
    return [home / "models", Path("/tmp/.keras/models")]


def find_weights(name: str, file_name: str, weights_path: str | os.PathLike | None = None) -> Path | None:
    """The local weights file for model ``name``, or None when no known place holds ``file_name``.

    ``weights_path`` (a file, or a folder holding ``file_name``) is the user's explicit choice: when it does not
    exist a FileNotFoundError says so, instead of quietly training from random weights.
    """
    if weights_path is not None:
        path = Path(weights_path).expanduser()
        if path.is_dir():
            path = path / file_name
        if not path.is_file():
            raise FileNotFoundError(f"{name}: weights file {str(path)!r} does not exist (expected {file_name!r})")
        return path
    folders = ([Path(os.environ[WEIGHTS_DIR_ENV]).expanduser()] if os.environ.get(WEIGHTS_DIR_ENV) else []) + [
        *keras_cache_dirs()
    ]
    return next((f / file_name for f in folders if (f / file_name).is_file()), None)


def report_missing(name: str, kind: str, file_name: str) -> None:
    """Log, once per model name, that ``kind`` weights (e.g. "ImageNet") were not found and where to put them."""
    if name in _REPORTED:
        return
    _REPORTED.add(name)
    log.warning(
        "%s: %s weights not found, so it starts from random weights. To use them, put %r in %s or in the folder "
        "named by $%s, or pass weights_path= to painlib.models.build (nothing is downloaded).",
        name,
        kind,
        file_name,
        keras_cache_dirs()[0],
        WEIGHTS_DIR_ENV,
    )


def load_by_name(model: keras.Model, path: Path, required: list[str]) -> None:
    """Load a legacy ``.h5`` weights file into the layers of ``model`` with the same names.

    Raises ValueError when the file lacks any layer named in ``required`` (name-based loading would otherwise
    skip it silently and leave random weights behind).
    """
    import h5py

    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
        names = {n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs.get("layer_names", [])}
    missing = [n for n in required if n not in names]
    if missing:
        raise ValueError(f"{model.name}: weights file {str(path)!r} has no layers named {missing}")
    model.load_weights(path, by_name=True)
