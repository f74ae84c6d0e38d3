"""How a page was made: the table that ends every executed page (the runner adds the cell that calls it).

Git commit, profile and parameters, package versions, Keras backend and device, the data the page read
(synthetic with its generator version and seed, or real), and the wall time of the execution.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from pathlib import Path

import pandas as pd

#: Distributions whose versions a page lists (those installed).
PACKAGES = (
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "tensorflow",
    "keras",
    "mtcnn",
    "opencv-python-headless",
    "opencv-python",
    "statsmodels",
    "pingouin",
    "papermill",
    "jupyter-book",
)


def git_commit(root: str | Path | None = None) -> str:
    """The checked-out commit of the repository holding this package (short hash), with "+ local changes" when
    tracked files differ from it; "unknown" outside a git checkout."""
    root = Path(root or Path(__file__).resolve().parent.parent)
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head} + local changes" if changed else head


def package_versions(names=PACKAGES) -> str:
    """``name version`` of each installed distribution of ``names``, comma-separated, Python first."""
    found = [f"Python {platform.python_version()}"]
    for name in names:
        try:
            found.append(f"{name} {_version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found)


def compute() -> str:
    """Keras backend and device when the page used Keras; otherwise says the page trained nothing."""
    if "keras" not in sys.modules:
        return "no Keras on this page"
    import keras

    backend = keras.backend.backend()
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        device = f"{len(gpus)} GPU(s)" if gpus else "CPU"
    else:
        device = "CPU or GPU as the backend chose"
    return f"Keras {backend} backend, {device}, dtype policy {keras.config.dtype_policy().name}"


def data_source(parameters: dict) -> str:
    """What the page read: real data when ``data_root`` (or a ``datasets_dir`` of real manifests) was given,
    else the synthetic faces with the generator's version and the seed."""
    from .synth import GENERATOR_VERSION

    if parameters.get("data_root"):
        return "real data (data_root was set)"
    if parameters.get("datasets_dir"):
        return f"the manifests in datasets_dir = {parameters['datasets_dir']!r}"
    return f"synthetic faces (generator version {GENERATOR_VERSION}), seed {parameters.get('seed', 0)}"


def provenance(parameters: dict, started: float | None = None) -> pd.DataFrame:
    """The provenance table of a page: one row per item (commit, profile, parameters, packages, compute, data,
    wall time). ``parameters``: the page's parameter values; ``started``: ``time.time()`` when its execution
    began (the runner passes it)."""
    shown = ", ".join(f"{k} = {v!r}" for k, v in parameters.items() if k != "profile")
    rows = {
        "git commit": git_commit(),
        "profile": parameters.get("profile", "—"),
        "parameters": shown or "—",
        "packages": package_versions(),
        "compute": compute(),
        "data": data_source(parameters),
        # this execution's: runs already in the result store are read back, not trained again
        "wall time of this execution": f"{time.time() - started:.0f} s" if started else "—",
        "executed": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    from .display import VERBATIM

    table = pd.DataFrame({"": rows}).rename_axis("provenance")
    table.attrs[VERBATIM] = True  # the parameters as the page ran with them, identifiers and all
    return table
