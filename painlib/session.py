"""One setup call at the top of every notebook: seeds, device, plotting style, logging."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import tempfile
import zlib

import numpy as np

log = logging.getLogger("painlib")


def setup(seed: int = 0, *, mixed_precision: bool = False, xla: bool = False, quiet: bool = True) -> dict:
    """Prepare a notebook or script: seed every generator, pick the device, set the plot style.

    Parameters
    ----------
    seed : seeds Python, NumPy and Keras (and TensorFlow's op determinism on CPU, so the same seed gives the
        same numbers).
    mixed_precision : use ``mixed_float16`` on a GPU (ignored on CPU, where it is slower).
    xla : compile Keras models with XLA (``jit_compile``); read back by :func:`painlib.models.compile_model`.
    quiet : silence TensorFlow's start-up chatter (its C++ notices are silenced from ``import painlib`` on, since
        ``TF_CPP_MIN_LOG_LEVEL`` must be set before TensorFlow loads; set it to 0 beforehand to see them) and
        OpenCV's warnings (:func:`quiet_opencv`).

    In a notebook it also makes DataFrames show with names and formatted numbers (:mod:`painlib.display`).

    Returns
    -------
    A dict describing the session (seed, device, library versions); each page's provenance records the same.
    """
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    random.seed(seed)
    np.random.seed(seed)
    with quiet_stderr(quiet):  # TensorFlow's C++ start-up lines bypass Python logging
        import keras
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
    keras.utils.set_random_seed(seed)
    deterministic_keras()
    if mixed_precision and gpus:
        keras.mixed_precision.set_global_policy("mixed_float16")
    os.environ["PAINLIB_XLA"] = "1" if xla else "0"

    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    from .display import show_tables_readably

    show_tables_readably()  # in a notebook: tables with names and formatted numbers (painlib.display)
    mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "image.interpolation": "nearest"})
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", force=False)
    # In a kernel that handler writes to ipykernel's stream; at shutdown asyncio logs a pending task through it
    # after the stream has closed, and logging would print its own 20-line traceback to the runner's terminal.
    logging.raiseExceptions = False
    log.setLevel(logging.INFO)
    _log_to_file(os.environ.get("PAINLIB_LOG_FILE", ""))
    if quiet:
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        quiet_opencv()
    return {
        "seed": seed,
        "device": "GPU" if gpus else "CPU",
        "mixed_precision": bool(mixed_precision and gpus),
        "xla": xla,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
    }


def _log_to_file(path: str) -> None:
    """Send painlib's log records to ``path`` instead of the notebook's output. The runner names a file per page
    (``PAINLIB_LOG_FILE``), so log lines never reach a published page and the runner shows the warnings in the
    terminal after the page ran."""
    if not path:
        return
    for handler in [h for h in log.handlers if getattr(h, "painlib_page_log", False)]:
        log.removeHandler(handler)
        handler.close()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.painlib_page_log = True
    log.addHandler(handler)
    log.propagate = False


def quiet_opencv() -> None:
    """Keep OpenCV's own warnings (e.g. "PNG input buffer is incomplete" for a damaged file) off the page: they
    go straight to stderr, while :func:`painlib.images.read_rgb` raises an error naming the file, which the
    pipelines count and list."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def deterministic_keras() -> None:
    """Make TensorFlow's CPU kernels deterministic (same seed, same numbers); a no-op on a GPU, where
    deterministic kernels would be slow, and after the first call. Called by :func:`setup` and by training
    jobs in worker processes."""
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        tf.config.experimental.enable_op_determinism()


def worker_count(n_jobs: int) -> int:
    """Worker processes to use: ``n_jobs``, or every core for -1 (at least one)."""
    return (os.cpu_count() or 1) if n_jobs == -1 else max(1, int(n_jobs))


def keyed_rng(seed: int, *keys) -> np.random.Generator:
    """A NumPy generator for one named part of the work, e.g. ``keyed_rng(seed, "rater", 2, "cp-0003/video1")``.

    Keys are hashed (CRC-32 of their text), so the stream of one part does not depend on which other parts are
    drawn or in what order: adding a person or a rater leaves everyone else's draws unchanged.
    """
    return np.random.default_rng([seed, *(zlib.crc32(str(k).encode()) for k in keys)])


@contextlib.contextmanager
def quiet_stderr(enabled: bool = True):
    """Send file descriptor 2 to a temporary file for the block; replay it if the block raises.

    TensorFlow writes its start-up lines (CUDA probing, oneDNN notices) from C++ straight to the process's
    stderr, where neither ``logging`` nor ``TF_CPP_MIN_LOG_LEVEL`` reaches all of them.
    """
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
