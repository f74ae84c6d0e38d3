"""Splits, one train-and-test run, and scenarios over folds with a resumable result store.

Scenarios of the CP paper: image-wise 5-fold on PAIN-DB, subject-wise 5-fold on PAIN-DB, and PAIN-DB → CP-PAIN
(five repeated trainings on all of PAIN-DB). Chapter 00 runs them with a small CNN to show the synthetic data
behaves like the real one; the training chapters run them with the ten models.

Every run (one fold, or one repeat) is an independent job with a key that hashes everything its result depends
on: the scenario, model and its definition, every training parameter (defaults included), the seed, the
library versions, and the *content* of its training and test images with their labels — not where they lie,
so a moved clone or another ``data_dir`` still finds its results. Finished runs are kept in a result store (a
folder: ``runs.csv`` plus per-run predictions and learning curves), written atomically by the one process that
collects the results, so an interrupted scenario resumes where it stopped. Runs execute one after another, or
through any ``concurrent.futures``-style executor (a process pool, or ``distributed.Client(...).get_executor()``
for a Dask cluster) — the rows are the same either way.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import random
import time
from concurrent.futures import as_completed
from functools import lru_cache
from importlib.metadata import version as _version
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from .images import load_images
from .metrics import classification_metrics
from .progress import progress_bar
from .session import keyed_rng, quiet_stderr
from .storage import file_digest, write_csv

#: Bump when the training procedure changes in a way that is not visible in its parameters.
TRAINING_VERSION = 2
#: Metric columns of a result row, in the order tables show them.
METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "auc",
    "auc_labels",
    "precision_no_pain",
    "precision_pain",
    "recall_no_pain",
    "recall_pain",
    "f1_no_pain",
    "f1_pain",
)

log = logging.getLogger(__name__)


def image_kfold(df: pd.DataFrame, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Image-wise stratified k-fold: the same person may appear in train and test. Returns index arrays."""
    _check_k(df, k)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(tr, te) for tr, te in splitter.split(np.zeros(len(df)), df["label"].to_numpy())]


def subject_kfold(df: pd.DataFrame, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Subject-wise k-fold (stratified by label as far as groups allow): nobody is in both train and test.

    Subjects are grouped by the ``subject`` column; scikit-learn sorts the ids, so folds do not depend on
    the row order or on Python's hash seed.
    """
    _check_k(df, k)
    n_subjects = df["subject"].nunique()
    if n_subjects < k:
        raise ValueError(f"subject-wise {k}-fold needs at least {k} subjects, found {n_subjects}")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = list(splitter.split(np.zeros(len(df)), df["label"].to_numpy(), groups=df["subject"].astype(str).to_numpy()))
    for tr, te in folds:
        check_subject_disjoint(df.iloc[tr], df.iloc[te])
    return folds


def check_subject_disjoint(train: pd.DataFrame, test: pd.DataFrame) -> None:
    """Raise ``ValueError`` listing the subjects found on both sides of a subject-wise split."""
    shared = sorted(set(train["subject"].astype(str)) & set(test["subject"].astype(str)))
    if shared:
        raise ValueError(f"{len(shared)} subject(s) appear in both train and test: {shared[:10]}")


def _check_k(df: pd.DataFrame, k: int) -> None:
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    counts = df["label"].value_counts()
    if len(counts) < 2 or counts.min() < k:
        raise ValueError(f"{k}-fold needs at least {k} images of each class; class counts are {counts.to_dict()}")


def train_predict(
    model_name: str,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    input_size_px: int | None = None,
    epochs: int = 5,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    augment: bool = True,
    eager: bool = False,
    seed: int = 0,
    images: dict | None = None,
) -> dict:
    """Train on ``train``, predict ``test`` (``eager``: see :func:`painlib.models.compile_model`): a dict with ``metrics`` (see :func:`classification_metrics`),
    ``prob`` (N_test,) probability of pain, ``initialisation`` ("ImageNet", "VGG-Face" or "random"), ``history`` (a DataFrame of loss and accuracy per epoch) and
    ``seconds`` (training wall time)."""
    import keras

    from . import models

    size = input_size_px or models.MODELS[model_name][1]
    x_tr, x_te = (stack_images(d["path"], size, images) for d in (train, test))
    y_tr, y_te = train["label"].to_numpy(int), test["label"].to_numpy(int)
    keras.utils.set_random_seed(seed)
    with own_keras_seeds(seed):
        net = models.build(model_name, 2, size)
        if augment:
            inputs = keras.Input(net.input_shape[1:])
            net = keras.Model(inputs, net(models.augmentation(seed)(inputs)), name=net.name)
        models.compile_model(net, learning_rate, eager)
        t0 = time.perf_counter()
        with quiet_stderr():  # tf.data logs harmless C++ notices ("NodeDef mentions attribute …") per epoch
            history = net.fit(x_tr, y_tr, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
            seconds = time.perf_counter() - t0
            prob = net.predict(x_te, batch_size=256, verbose=0)[:, 1]
    return {
        "initialisation": models.initialisation(net),
        "metrics": classification_metrics(y_te, (prob >= 0.5).astype(int), prob),
        "prob": prob.astype(float),
        "history": pd.DataFrame(history.history).rename_axis("epoch").reset_index().assign(epoch=lambda d: d.epoch + 1),
        "seconds": seconds,
    }


@contextlib.contextmanager
def own_keras_seeds(seed: int):
    """Give Keras a private random stream for the seeds of layers built without one (initialisers, dropout).

    Keras draws those from Python's global ``random`` module, which other threads of the same process may draw
    from too — a Dask worker's event loop does — so the same seed could build different weights. Keras 3 has no
    public switch for this; its seed module's ``python_random`` is replaced for the duration of the block.
    """
    from keras.src.random import seed_generator

    shared = seed_generator.python_random
    seed_generator.python_random = random.Random(seed)
    try:
        yield
    finally:
        seed_generator.python_random = shared


def _preload(paths, size_px: int) -> dict[str, np.ndarray]:
    """Read each distinct image once into memory, resized: path → (size_px, size_px, 3) uint8."""
    unique = list(dict.fromkeys(paths))
    arr = load_images(unique, size_px)
    return dict(zip(unique, arr))


def stack_images(paths, size: int, images: dict | None) -> np.ndarray:
    """(N, size, size, 3) uint8 images of ``paths``: from ``images`` (path → array, read once for all runs by the
    caller) when given, else read from disk and resized."""
    if images is None:
        return load_images(list(paths), size)
    return np.stack([images[p] for p in paths])


# ------------------------------------------------------------------------------------------ scenarios


def scenario_splits(
    scenario: str,
    train_df: pd.DataFrame,
    test_df: pd.DataFrame | None = None,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> list[tuple[int, pd.DataFrame, pd.DataFrame]]:
    """The runs of a scenario: ``[(run, train rows, test rows), …]``.

    ``"image_wise"``: image k-fold on ``train_df``; ``"subject_wise"``: subject k-fold on ``train_df`` (no person
    on both sides, checked); ``"cross_dataset"``: all of ``train_df`` against ``test_df``, ``repeats`` times.
    """
    if scenario in ("image_wise", "subject_wise"):
        split = image_kfold if scenario == "image_wise" else subject_kfold
        return [(i, train_df.iloc[tr], train_df.iloc[te]) for i, (tr, te) in enumerate(split(train_df, folds, seed))]
    if scenario == "cross_dataset":
        if test_df is None:
            raise ValueError("scenario 'cross_dataset' needs test_df")
        if repeats < 1:
            raise ValueError(f"repeats must be at least 1, got {repeats}")
        return [(i, train_df, test_df) for i in range(repeats)]
    raise ValueError(f"unknown scenario {scenario!r}; expected image_wise, subject_wise or cross_dataset")


def run_scenario(
    scenario: str,
    train_df: pd.DataFrame,
    *,
    test_df: pd.DataFrame | None = None,
    model_name: str = "small_cnn",
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
    store: str | os.PathLike | None = None,
    executor=None,
    progress: bool = True,
    **fit_kwargs,
) -> pd.DataFrame:
    """Run one scenario and return one row per fold (or repeat): key, scenario, model, run, seed, sizes, the
    training parameters, :data:`METRICS` (``auc`` is missing where a test set holds one class) and seconds.

    ``fit_kwargs`` go to :func:`train_predict` (input_size_px, epochs, batch_size, learning_rate, augment).
    With ``store`` (a folder), finished runs are read from it and new ones written to it as they finish, so an
    interrupted scenario resumes; predictions and learning curves go to ``store/predictions/<key>.csv`` and
    ``store/history/<key>.csv``. ``executor`` (anything with ``submit``) runs the pending runs in parallel.
    """
    splits = scenario_splits(scenario, train_df, test_df, folds, repeats, seed)
    return run_splits(
        splits,
        scenario=scenario,
        model_name=model_name,
        seed=seed,
        store=store,
        executor=executor,
        progress=progress,
        **fit_kwargs,
    )


def run_splits(
    splits: list[tuple[int, pd.DataFrame, pd.DataFrame]],
    *,
    scenario: str,
    model_name: str,
    seed: int = 0,
    store: str | os.PathLike | None = None,
    executor=None,
    progress: bool = True,
    trainer=None,
    keep_models: bool = False,
    **fit_kwargs,
) -> pd.DataFrame:
    """The runs of ``splits`` (``[(run, train rows, test rows), …]``) with a result store and an executor:
    what :func:`run_scenario` does after building its splits, for any protocol (the neonatal chapter's folds).

    ``trainer`` (default :func:`train_predict`) is a module-level function called as
    ``trainer(model_name, train, test, seed=…, images=…, **fit_kwargs)`` returning what :func:`train_predict`
    returns; its name and its module's ``TRAINING_VERSION`` are part of every key. With ``keep_models`` the
    trained network of each run is saved as ``store/models/<key>.keras`` (the trainer returns it as ``model``).
    """
    from . import models

    trainer = trainer or train_predict
    if model_name not in models.MODELS:
        raise ValueError(f"unknown model {model_name!r}; available: {sorted(models.MODELS)}")
    if keep_models and store is None:
        raise ValueError("keep_models needs a store to keep the models in")
    params = _bound_fit_params(model_name, fit_kwargs, trainer)
    module = inspect.getmodule(trainer)
    version = getattr(module, "TRAINING_VERSION", None)
    fixed = {"scenario": scenario, "model": model_name, "model_definition": _model_definition(model_name)}
    fixed |= {"trainer": f"{trainer.__module__}.{trainer.__qualname__}", "training_version": version}
    if trainer is not train_predict:  # another protocol's trainer: its module's code is part of the key
        fixed["trainer_source"] = hashlib.sha1(inspect.getsource(module).encode()).hexdigest()[:12]
    fixed |= {"versions": _library_versions(), "compute": _compute()}
    jobs = []
    for run, tr, te in splits:
        run_seed = seed + run
        key = _hash({**fixed, **params, "run": run, "seed": run_seed, "data": [_fingerprint(tr), _fingerprint(te)]})
        meta = {"key": key, "scenario": scenario, "model": model_name, "run": run, "seed": run_seed}
        job = {"meta": meta, "params": params, "train": _columns(tr), "test": _columns(te), "trainer": trainer}
        model_path = str(Path(store) / "models" / f"{key}.keras") if keep_models else None
        jobs.append(job | {"compute": fixed["compute"], "model_path": model_path})

    done = read_store(store)
    found = {}
    for j in jobs:
        key = j["meta"]["key"]
        if key in done.index and (j["model_path"] is None or Path(j["model_path"]).is_file()):
            found[key] = done.loc[key].to_dict()
    pending = [j for j in jobs if j["meta"]["key"] not in found]
    if store is not None:
        log.info("%s %s: %d of %d runs from the store", model_name, scenario, len(found), len(jobs))
    bar = progress_bar(
        total=len(jobs), initial=len(found), desc=f"{model_name} {scenario}", unit="run", enabled=progress
    )
    for result in _execute(pending, executor):
        row = result["row"]
        if store is not None:
            done = _save_run(store, done, row, result)
        found[row["key"]] = row
        bar.update(1)
    bar.close()
    rows = [{**found[j["meta"]["key"]], "key": j["meta"]["key"]} for j in jobs]
    return pd.DataFrame(rows)[list(rows[0])] if rows else pd.DataFrame()


def _run_job(job: dict, images: dict | None = None) -> dict:
    """Execute one run (a job built by :func:`run_scenario`); returns its result ``row``, ``predictions`` and
    ``history``. A top-level function, so that any executor can ship it to a worker process."""
    import keras

    from .session import deterministic_keras

    deterministic_keras()  # a worker process has not run painlib.setup: compute as the process that keyed the job
    keras.config.set_dtype_policy(job["compute"]["dtype_policy"])
    os.environ["PAINLIB_XLA"] = "1" if job["compute"]["xla"] else "0"
    params = job["params"]
    trainer = job.get("trainer") or train_predict
    out = trainer(job["meta"]["model"], job["train"], job["test"], seed=job["meta"]["seed"], images=images, **params)
    if job.get("model_path"):  # written before the run is listed in the store, so a listed run has its model
        _save_model(out["model"], job["model_path"])
    row = {
        **job["meta"],
        "n_train": len(job["train"]),
        "n_test": len(job["test"]),
        "initialisation": out["initialisation"],
        **params,
        **{m: out["metrics"].get(m, np.nan) for m in METRICS},
        "train_seconds": round(out["seconds"], 3),
    }
    predictions = job["test"][["path", "subject", "label"]].assign(prob_pain=out["prob"])
    return {"row": row, "predictions": predictions, "history": out["history"]}


def _execute(jobs: list[dict], executor):
    """Yield results of ``jobs`` as they finish: in this process (images read once for all), or on ``executor``."""
    if not jobs:
        return
    if executor is None:
        size = jobs[0]["params"]["input_size_px"]
        images = _preload([p for j in jobs for d in (j["train"], j["test"]) for p in d["path"]], size)
        for job in jobs:
            yield _run_job(job, images)
        return
    futures = [executor.submit(_run_job, job) for job in jobs]
    for future in as_completed(futures):
        yield future.result()


def _columns(df: pd.DataFrame) -> pd.DataFrame:
    """The columns a run needs (path, label, subject; dataset and, for augmented sets, original and copy where
    present), as a compact copy to ship to a worker."""
    columns = ["path", "label", "subject"] + [c for c in ("dataset", "original", "copy") if c in df.columns]
    return df[columns].reset_index(drop=True).astype({"subject": str})


def _save_model(model, path: str) -> None:
    """Save a Keras model atomically: to a temporary name in the same folder, then renamed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.keras")
    try:
        model.save(temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def load_model(store: str | os.PathLike, key: str):
    """The trained network of run ``key``, saved by :func:`run_splits` with ``keep_models``."""
    import keras

    from .models.pretrained import CentredBGR  # noqa: F401  (registers the custom layer for deserialisation)

    return keras.models.load_model(Path(store) / "models" / f"{key}.keras")


def _bound_fit_params(model_name: str, fit_kwargs: dict, trainer=None) -> dict:
    """Every training parameter of ``trainer`` (default :func:`train_predict`) with its default filled in (so a
    changed default is a new key), the model's default input size resolved."""
    from . import models

    sig = inspect.signature(trainer or train_predict)
    allowed = [n for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY and n not in ("seed", "images")]
    unknown = sorted(set(fit_kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"unknown training parameter(s) {unknown}; expected some of {allowed}")
    params = {n: fit_kwargs.get(n, sig.parameters[n].default) for n in allowed}
    params["input_size_px"] = int(params["input_size_px"] or models.MODELS[model_name][1])
    return params


def _model_definition(model_name: str) -> str:
    """Digest of the zoo's source (every module of :mod:`painlib.models`) and of the pretrained weights the model
    would start from: editing a definition, or adding a weights file, is a new key."""
    from . import models

    h = hashlib.sha1()
    for source in sorted(Path(models.__file__).parent.glob("*.py")):
        h.update(source.read_bytes())
    weights = models.local_weights(model_name)
    if weights is not None:
        h.update(f"{models.SPECS[model_name].pretrained}:{weights.name}:{os.stat(weights).st_size}".encode())
    return h.hexdigest()[:12]


def _compute() -> dict:
    """How this process computes: device, Keras dtype policy (mixed precision), XLA, and the source of the
    image reading and metrics modules — each can change a run's numbers."""
    import keras
    import tensorflow as tf

    sources = hashlib.sha1(b"".join((Path(__file__).parent / f).read_bytes() for f in ("images.py", "metrics.py")))
    return {
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
        "dtype_policy": keras.config.dtype_policy().name,
        "xla": os.environ.get("PAINLIB_XLA") == "1",
        "sources": sources.hexdigest()[:12],
    }


def _library_versions() -> dict[str, str]:
    return {name: _version(name) for name in ("keras", "tensorflow", "numpy", "scikit-learn")}


def _hash(obj) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


@lru_cache(maxsize=65536)
def _content_digest(path: str, size: int, mtime_ns: int) -> str:
    """:func:`painlib.storage.file_digest`, remembered per (path, size, modification time) within a process."""
    return file_digest(path)


def _fingerprint(df: pd.DataFrame) -> str:
    """Digest of a set's image contents and labels, in order — independent of where the files lie."""
    parts = []
    for path, label in zip(df["path"], df["label"]):
        st = os.stat(path)
        parts.append(f"{_content_digest(os.fspath(path), st.st_size, st.st_mtime_ns)}:{int(label)}")
    if "original" in df.columns:  # augmented sets: who each image belongs to decides the validation neonates
        dataset = df["dataset"].astype(str) if "dataset" in df.columns else ""
        groups = df["subject"].astype(str) + "|" + dataset + "|" + df["original"].notna().astype(str)
        parts += list(groups)
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


# --------------------------------------------------------------------------------------------- the store


def read_store(store: str | os.PathLike | None) -> pd.DataFrame:
    """The finished runs of a result store, indexed by key (empty without a store). Text columns are read as
    text, so an all-digit key still matches."""
    path = None if store is None else Path(store) / "runs.csv"
    if path is None or not path.is_file():
        return pd.DataFrame(index=pd.Index([], name="key", dtype=str))
    text = {c: str for c in ("key", "scenario", "model", "initialisation")}
    return pd.read_csv(path, dtype=text).set_index("key", drop=False)


def _save_run(store, done: pd.DataFrame, row: dict, result: dict) -> pd.DataFrame:
    store = Path(store)
    write_csv(result["predictions"], store / "predictions" / f"{row['key']}.csv")
    write_csv(result["history"], store / "history" / f"{row['key']}.csv")
    done = done.drop(index=row["key"], errors="ignore")  # a run redone (its model file was missing) replaces its row
    done = pd.concat([done, pd.DataFrame([row]).set_index("key", drop=False)])
    write_csv(done, store / "runs.csv")  # last, so a listed run always has its files
    return done


def read_predictions(store: str | os.PathLike, key: str) -> pd.DataFrame:
    """Test-set predictions of one run: path, subject, label, prob_pain."""
    return pd.read_csv(Path(store) / "predictions" / f"{key}.csv", dtype={"subject": str})


def read_history(store: str | os.PathLike, key: str) -> pd.DataFrame:
    """Learning curve of one run: epoch, loss, accuracy."""
    return pd.read_csv(Path(store) / "history" / f"{key}.csv")


def summarise(results: pd.DataFrame, metrics=("accuracy", "f1", "auc"), by=("scenario", "model")) -> pd.DataFrame:
    """Mean, standard deviation and number of runs behind each metric, per scenario and model.

    Columns ``<metric>_mean``, ``<metric>_std``, ``<metric>_n``; a metric missing in a run (AUC on a one-class
    test set) is left out of that mean, and ``_n`` says so.
    """
    cols = [m for m in metrics if m in results.columns]
    agg = results.groupby(list(by), sort=False)[cols].agg(["mean", "std", "count"])
    agg.columns = [f"{m}_{'n' if s == 'count' else s}" for m, s in agg.columns]
    return agg.reset_index()


def subsample(df: pd.DataFrame, max_images: int | None, seed: int = 0, by=("dataset", "label")) -> pd.DataFrame:
    """At most ``max_images`` rows, drawn in proportion from every ``by`` group (each source and class keeps its
    share), in the original order; all rows when ``max_images`` is ``None`` or not smaller. For CPU profiles
    that cannot train on a whole set (chapter 04)."""
    if max_images is None or max_images >= len(df):
        return df
    if max_images < 1:
        raise ValueError(f"max_images must be at least 1, got {max_images}")
    keep = []
    for key, rows in df.groupby(list(by), sort=True):
        n = max(1, round(max_images * len(rows) / len(df)))
        keep.extend(keyed_rng(seed, "subsample", *np.atleast_1d(key)).permutation(rows.index.to_numpy())[:n])
    return df.loc[df.index.isin(keep)]


def run_details(store: str | os.PathLike, results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The learning curves and test predictions of ``results``'s runs, read from ``store``: two long tables with
    the columns key, scenario, model and run in front of :func:`read_history`'s and :func:`read_predictions`'s."""
    histories, predictions = [], []
    for row in results.itertuples(index=False):
        ids = {"key": row.key, "scenario": row.scenario, "model": row.model, "run": row.run}
        histories.append(read_history(store, row.key).assign(**ids))
        predictions.append(read_predictions(store, row.key).assign(**ids))
    return pd.concat(histories, ignore_index=True), pd.concat(predictions, ignore_index=True)


def loss_drop(histories: pd.DataFrame, by=("model",)) -> pd.Series:
    """Share by which the training loss fell from the first epoch to the last, per ``by`` group (mean over the
    group's runs): 0.2 means the last epoch's loss is 20 % below the first's; negative, it rose. ``histories`` as
    :func:`run_details` gives them (columns key, epoch, loss). With one epoch there is nothing to compare, and a
    run whose loss became NaN (diverged) has no drop: both NaN, and a group's mean skips them."""
    per_run = histories.sort_values("epoch").groupby([*by, "key"], sort=False)["loss"]
    # The first and last rows themselves (GroupBy.first/last would skip a NaN loss and hide a run that diverged).
    drop = per_run.agg(lambda loss: 1 - loss.iloc[-1] / loss.iloc[0] if len(loss) > 1 else np.nan)
    return drop.groupby(list(by), sort=False).mean().rename("loss_drop")


def learned(results: pd.DataFrame, metric: str = "auc", chance: float = 0.5) -> pd.DataFrame:
    """Per model: mean and standard error of ``metric`` over runs, and ``learned`` — the mean lies more than
    two standard errors above ``chance`` (AUC 0.5: the model ranks pain above no pain more often than a coin)."""
    stats = results.groupby("model", sort=False)[metric].agg(["mean", "std", "count"])
    stats["se"] = stats["std"] / np.sqrt(stats["count"])
    stats["learned"] = (stats["mean"] - 2 * stats["se"].fillna(np.inf)) > chance
    return stats.rename(columns={"count": "runs"})


def read_chapter01_sets(folder: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PAIN-DB and CP-PAIN as chapter 01 wrote them (``pain-db.csv``, ``cp-pain.csv`` in ``folder``); a missing
    file is named with the command that makes it."""
    from .manifest import read_manifest

    folder = Path(folder)
    missing = [name for name in ("pain-db.csv", "cp-pain.csv") if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{missing} not found in {folder}: chapter 01 writes them (python -m painlib run --only 01 --no-build)"
        )
    return read_manifest(folder / "pain-db.csv"), read_manifest(folder / "cp-pain.csv")


def input_size(model_name: str, input_size_px: int = 0) -> int:
    """The input side a model trains at: ``input_size_px``, or the model's own when 0, never below its minimum."""
    from . import models

    size = int(input_size_px) or models.MODELS[model_name][1]
    return max(size, models.SPECS[model_name].min_input_px)


def scenario_settings(
    model_names,
    input_size_px: int,
    *,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    folds: int,
    images: int,
    cross_dataset: bool = False,
) -> pd.DataFrame:
    """One row per model: input side, initialisation, epochs, learning rate and runs of this run beside the
    paper's (chapter 04)."""
    from . import models
    from .published import CP_TRAINING

    rows = []
    for name in model_names:
        rows.append(
            {
                "model": name,
                "input px": input_size(name, input_size_px),
                "input px (paper)": models.MODELS[name][1],
                "initialisation": models.expected_initialisation(name),
                "initialisation (paper)": models.SPECS[name].pretrained or "random",
                "epochs": epochs,
                "epochs (paper)": CP_TRAINING["epochs"],
                "learning rate": learning_rate,
                "learning rate (paper)": CP_TRAINING["learning_rate"],
                "runs": folds,
                "runs (paper)": CP_TRAINING["repeats" if cross_dataset else "folds"],
                "PAIN-DB images": images,
            }
        )
    return pd.DataFrame(rows).set_index("model")


def run_grid(
    scenario: str,
    pain_db: pd.DataFrame,
    cp_pain: pd.DataFrame,
    model_names,
    input_size_px: int = 0,
    *,
    n_workers: int = 1,
    **kwargs,
) -> pd.DataFrame:
    """:func:`run_scenario` for each model (its own input size, :func:`input_size`), all runs through one pool
    of ``n_workers`` processes when more than one; the rows of every model, in order (chapter 04)."""
    test_df = cp_pain if scenario == "cross_dataset" else None
    with worker_pool(n_workers) as pool:
        parts = [
            run_scenario(
                scenario,
                pain_db,
                test_df=test_df,
                model_name=name,
                input_size_px=input_size(name, input_size_px),
                executor=pool,
                **kwargs,
            )
            for name in progress_bar(list(model_names), desc=scenario, unit="model")
        ]
    return pd.concat(parts, ignore_index=True)


@contextlib.contextmanager
def worker_pool(n_workers: int):
    """A pool of ``n_workers`` training processes for :func:`run_splits`'s ``executor``, or ``None`` (run in
    this process) when ``n_workers`` is 1; shut down on leaving the block."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if n_workers <= 1:
        yield None
        return
    # "spawn": a worker must not inherit this kernel's TensorFlow state
    pool = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    finally:
        pool.shutdown()


def subject_holdout(df: pd.DataFrame, share: float = 0.2, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A training–validation partition with about ``share`` of the people (not images) held out, stratified by
    label as far as groups allow: no person on both sides (chapter 03's learning-rate sweep)."""
    if not 0 < share <= 1 / 3:
        raise ValueError(f"share must be above 0 and at most 1/3, got {share}")
    train, validation = next(iter(subject_kfold(df, max(2, round(1 / share)), seed)))  # share ≤ 1/3: k ≥ 3
    return df.iloc[train], df.iloc[validation]


def learning_rate_sweep(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    model_names,
    rates,
    input_size_px: int = 0,
    **kwargs,
) -> pd.DataFrame:
    """Each model trained at each learning rate on ``train`` and scored on ``validation`` (one run each, kept in
    the result store like any other): one row per (model, learning rate) (chapter 03)."""
    parts = []
    for rate in rates:
        parts.append(
            run_grid(
                "cross_dataset", train, validation, model_names, input_size_px, learning_rate=rate, repeats=1, **kwargs
            )
        )
    return pd.concat(parts, ignore_index=True)
