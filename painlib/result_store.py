"""The result store and the keys that name what it holds (chapters 00 and 03–08).

A store is a folder. Each finished run writes its row to ``runs/<key>.csv`` — one file per run, so two processes
sharing a store never overwrite each other's rows — after its test predictions (``predictions/``), its learning
curve (``history/``) and, when asked, its trained network (``models/``); every file is written atomically.
A named set of kept networks (``kept/<name>.csv``) lets a later chapter load them without knowing what keyed
them.

A run's key hashes everything its result depends on (:func:`painlib.training.run_splits` puts it together from
the pieces here): the model's definition and starting weights, how this process computes, the library
versions, and the *content* of the training and test images with their labels — not where they lie, so a moved
clone or another ``data_dir`` still finds its results; the predictions keep image paths relative to their
file for the same reason.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from functools import lru_cache
from importlib.metadata import version as _version
from pathlib import Path

import pandas as pd

from .published import DECISION_THRESHOLD
from .storage import file_digest, write_csv


def save_model(model, path: str) -> None:
    """Save a Keras model atomically (to a temporary name in the same folder, then renamed), without its
    optimiser: Adam's two moments per weight would triple the file of a network with large dense layers
    (AlexNet at 48 px: 498 MB against 166 MB), and a kept network is only ever asked for predictions."""
    import keras

    if getattr(model, "optimizer", None) is not None:  # the same layers and weights, no training state
        # a single input or output stays single, not a list of one: a list changes how the loaded model is called
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        outputs = model.outputs[0] if len(model.outputs) == 1 else model.outputs
        model = keras.Model(inputs, outputs, name=model.name)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.keras")
    try:
        model.save(temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def load_model(store: str | os.PathLike, key: str):
    """The trained network of run ``key``, saved by :func:`painlib.training.run_splits` with ``keep_models``."""
    import keras

    from .models.pretrained import CentredBGR  # noqa: F401  (registers the custom layer for deserialisation)

    return keras.models.load_model(Path(store) / "models" / f"{key}.keras")


def code_digest(*paths: str | os.PathLike) -> str:
    """A 12-hex-digit digest of the *code* of Python source files: their syntax tree written back as text
    (:func:`ast.unparse`) with docstrings left out, so that editing a docstring or a comment, or reformatting,
    keeps every key that hashes the code — and the runs stored under it — while any change to what the code does
    makes new ones. Written here because neither ``hashlib`` nor ``inspect`` offers a digest blind to prose."""
    h = hashlib.sha1()
    for path in paths:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
                first = body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    if isinstance(first.value.value, str):
                        node.body = body[1:] or [ast.Pass()]
        h.update(ast.unparse(tree).encode())
    return h.hexdigest()[:12]


def model_definition(model_name: str) -> str:
    """Digest of the zoo's code (every module of :mod:`painlib.models`, :func:`code_digest`) and of the pretrained
    weights the model would start from: changing a definition, or adding a weights file, is a new key."""
    from . import models

    h = hashlib.sha1(code_digest(*sorted(Path(models.__file__).parent.glob("*.py"))).encode())
    weights = models.local_weights(model_name)
    if weights is not None:
        h.update(f"{models.SPECS[model_name].pretrained}:{weights.name}:{os.stat(weights).st_size}".encode())
    return h.hexdigest()[:12]


def compute() -> dict:
    """How this process computes: device, Keras dtype policy (mixed precision), XLA, and the source of the
    image reading and metrics modules — each can change a run's numbers."""
    import keras
    import tensorflow as tf

    return {
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
        "dtype_policy": keras.config.dtype_policy().name,
        "xla": os.environ.get("PAINLIB_XLA") == "1",
        "sources": code_digest(*(Path(__file__).parent / f for f in ("images.py", "metrics.py"))),
    }


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose updates can change a run's numbers."""
    return {name: _version(name) for name in ("keras", "tensorflow", "numpy", "scikit-learn")}


def digest(obj) -> str:
    """A 16-hex-digit key of any JSON-able ``obj`` (keys sorted, other objects by their text)."""
    return hashlib.sha1(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


@lru_cache(maxsize=65536)
def content_digest(path: str, size: int, mtime_ns: int) -> str:
    """:func:`painlib.storage.file_digest`, remembered per (path, size, modification time) within a process."""
    return file_digest(path)


def fingerprint(df: pd.DataFrame) -> str:
    """Digest of a set's image contents and labels, in order — independent of where the files lie."""
    parts = []
    for path, label in zip(df["path"], df["label"]):
        st = os.stat(path)
        parts.append(f"{content_digest(os.fspath(path), st.st_size, st.st_mtime_ns)}:{int(label)}")
    if "original" in df.columns:  # augmented sets: who each image belongs to decides the validation neonates
        dataset = df["dataset"].astype(str) if "dataset" in df.columns else ""
        groups = df["subject"].astype(str) + "|" + dataset + "|" + df["original"].notna().astype(str)
        parts += list(groups)
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def read_store(store: str | os.PathLike | None) -> pd.DataFrame:
    """The finished runs of a result store, indexed by key (empty without a store): one row per file under
    ``runs/`` (each run writes its own row, so two processes sharing a store never overwrite each other's), and
    the rows of a ``runs.csv`` index written by earlier versions whose keys have no file of their own. Text
    columns are read as text, so an all-digit key still matches."""
    text = {c: str for c in ("key", "scenario", "model", "initialisation")}
    empty = pd.DataFrame(index=pd.Index([], name="key", dtype=str))
    if store is None:
        return empty
    files = sorted((Path(store) / "runs").glob("*.csv"))
    parts = [pd.read_csv(p, dtype=text) for p in files]
    legacy = Path(store) / "runs.csv"
    if legacy.is_file():
        old = pd.read_csv(legacy, dtype=text)
        parts.insert(0, old[~old["key"].isin({p.stem for p in files})])
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty
    return pd.concat(parts, ignore_index=True).set_index("key", drop=False)


def save_run(store, done: pd.DataFrame, row: dict, result: dict) -> pd.DataFrame:
    """Write one finished run — its ``result``'s predictions and history, then its ``row`` last, so a listed run
    has its files — and return ``done`` (the store's rows, :func:`read_store`) with the row added or replaced."""
    store = Path(store)
    predictions = store / "predictions" / f"{row['key']}.csv"
    # image paths relative to the file, as manifests keep them: a data folder moved whole keeps its runs usable
    where = result["predictions"]["path"].map(lambda p: os.path.relpath(p, predictions.parent))
    write_csv(result["predictions"].assign(path=where), predictions)
    write_csv(result["history"], store / "history" / f"{row['key']}.csv")
    write_csv(pd.DataFrame([row]), store / "runs" / f"{row['key']}.csv")  # last, so a listed run has its files
    done = done.drop(index=row["key"], errors="ignore")  # a run redone (its model file was missing) replaces its row
    return pd.concat([done, pd.DataFrame([row]).set_index("key", drop=False)])


def write_kept(store: str | os.PathLike, name: str, results: pd.DataFrame) -> Path:
    """Name a set of runs whose models the store keeps (``results``: rows of :func:`painlib.training.run_scenario` with
    ``keep_models``), so another chapter can load them without knowing the parameters that keyed them: written
    to ``store/kept/<name>.csv``, replacing the set of that name."""
    missing = [k for k in results["key"] if not (Path(store) / "models" / f"{k}.keras").is_file()]
    if missing:
        raise ValueError(f"{len(missing)} of these runs have no model in {store} (train them with keep_models)")
    return write_csv(results.reset_index(drop=True), Path(store) / "kept" / f"{name}.csv")


#: The page that keeps each named set of networks (:func:`write_kept`).
KEPT_BY = {"cross_dataset": "04_training_scenario_cross_dataset", "neonatal": "05_neonatal_models"}


def read_kept(store: str | os.PathLike, name: str) -> pd.DataFrame:
    """The runs named ``name`` by :func:`write_kept` (their rows as :func:`painlib.training.run_scenario` returned them); a
    missing set is named with the chapter that writes it."""
    path = Path(store) / "kept" / f"{name}.csv"
    if not path.is_file():
        if name not in KEPT_BY:
            raise FileNotFoundError(f"no kept networks {name!r} in {store}; the book's pages keep {sorted(KEPT_BY)}")
        page = KEPT_BY[name]
        raise FileNotFoundError(
            f"no kept networks {name!r} in {store}: {page} keeps them (python -m painlib run --only {page} --no-build)"
        )
    return pd.read_csv(path, dtype={"key": str, "scenario": str, "model": str, "initialisation": str})


def read_predictions(store: str | os.PathLike, key: str) -> pd.DataFrame:
    """Test-set predictions of one run: path (absolute, wherever the store now is), subject, label, prob_pain and
    pred (the label predicted at the run's threshold; for runs stored before thresholds were kept, at 0.5)."""
    file = Path(store) / "predictions" / f"{key}.csv"
    predictions = pd.read_csv(file, dtype={"subject": str})
    # stored relative to the file (older stores: absolute); read back absolute and resolved, as read_manifest
    # gives the images' paths, so that the two compare equal wherever the store and the data now are
    predictions["path"] = [str((file.parent / p).resolve()) for p in predictions["path"]]
    if "pred" not in predictions.columns:
        predictions["pred"] = (predictions["prob_pain"] >= DECISION_THRESHOLD).astype(int)
    return predictions


def read_history(store: str | os.PathLike, key: str) -> pd.DataFrame:
    """Learning curve of one run: epoch, loss, accuracy."""
    return pd.read_csv(Path(store) / "history" / f"{key}.csv")


def run_details(store: str | os.PathLike, results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The learning curves and test predictions of ``results``'s runs, read from ``store``: two long tables with
    the columns key, scenario, model and run in front of :func:`read_history`'s and :func:`read_predictions`'s."""
    histories, predictions = [], []
    for row in results.itertuples(index=False):
        ids = {"key": row.key, "scenario": row.scenario, "model": row.model, "run": row.run}
        histories.append(read_history(store, row.key).assign(**ids))
        predictions.append(read_predictions(store, row.key).assign(**ids))
    return pd.concat(histories, ignore_index=True), pd.concat(predictions, ignore_index=True)
