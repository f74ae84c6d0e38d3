"""Splits, one train-and-test run, and scenarios over folds, resumable through the result store.

Scenarios of the CP paper: image-wise 5-fold on PAIN-DB, subject-wise 5-fold on PAIN-DB, and PAIN-DB → CP-PAIN
(five repeated trainings on all of PAIN-DB). Chapter 00 runs them with a small CNN to show the synthetic data
behaves like the real one; the training chapters run them with the ten models.

Every run (one fold, or one repeat) is an independent job with a key that hashes everything its result depends
on: the scenario, model and its definition, every training parameter (defaults included), the seed, the
library versions, and the *content* of its training and test images with their labels (the pieces, and the
store that keeps finished runs, are :mod:`painlib.result_store`). An interrupted scenario resumes where it
stopped, and two processes sharing a store keep every finished run. Runs execute one after another, or
through any ``concurrent.futures``-style executor (a process pool, or ``distributed.Client(...).get_executor()``
for a Dask cluster) — the rows are the same either way.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import random
import time
from concurrent.futures import as_completed
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from .images import load_images
from .metrics import classification_metrics
from .progress import progress_bar
from .published import DECISION_THRESHOLD
from .result_store import (
    code_digest,
    compute,
    content_digest,
    digest,
    fingerprint,
    library_versions,
    model_definition,
    read_store,
    save_model,
    save_run,
)
from .session import keyed_rng, quiet_stderr
from .storage import atomic_write_bytes

#: Bump when the training procedure changes in a way that is not visible in its parameters.
#: 3: batch-normalisation statistics re-estimated before predicting; thresholds chosen on validation people.
#: 4: a run that trains the last block draws it alone from the run's seed (the front is built once per process).
TRAINING_VERSION = 4
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
    validation_share: float = 0.0,
    fine_tune: str = "all",
    start_seed: int = -1,
    seed: int = 0,
    images: dict | None = None,
    feature_cache: str | None = None,
) -> dict:
    """Train on ``train``, predict ``test``: a dict with ``metrics`` (see :func:`classification_metrics`), ``prob``
    (N_test,) probability of pain, ``threshold`` (the probability from which an image is called pain),
    ``initialisation`` ("ImageNet", "VGG-Face" or "random"), ``history`` (a DataFrame of loss and accuracy per
    epoch), ``seconds`` (training wall time) and the trained ``model`` (images in, probabilities out).

    ``validation_share`` > 0 holds out that share of the training *people* (:func:`validation_split`) and sets the
    threshold that maximises balanced accuracy on them (:func:`painlib.chance.choose_threshold`); 0 keeps 0.5, as
    the argmax over two classes of the CP paper does. ``fine_tune``: "all" trains every layer, as the CP paper
    did; "top" trains only the last block and head of the six Keras-applications networks
    (:func:`painlib.models.split_top`) on the output of their frozen front, computed once per image
    (:func:`frozen_features`, kept in ``feature_cache`` when given) and therefore without augmentation; for the
    networks trained from scratch "top" is the same as "all". Without a weights file the front is random, drawn
    from ``start_seed`` (-1: the run's ``seed``), the same for every run as a pretrained start would be.
    Batch-normalisation statistics of layers that trained are re-estimated on the training images before
    predicting (:func:`recalibrate_batch_norm`). ``eager``: see :func:`painlib.models.compile_model`.
    """
    import keras

    from . import models
    from .chance import choose_threshold

    if fine_tune not in ("all", "top"):
        raise ValueError(f"fine_tune must be 'all' or 'top', got {fine_tune!r}")
    size = input_size_px or models.MODELS[model_name][1]
    fit_rows, validation = validation_split(train, validation_share, seed) if validation_share else (train, None)
    parts = [fit_rows, test] + ([validation] if validation is not None else [])
    xs = [stack_images(d["path"], size, images) for d in parts]
    y_fit, y_te = fit_rows["label"].to_numpy(int), test["label"].to_numpy(int)
    frozen = fine_tune == "top" and models.SPECS[model_name].top is not None
    keras.utils.set_random_seed(seed)
    with own_keras_seeds(seed):
        if frozen:  # the front never changes: its output is computed once per image, the last block trains on it
            start = seed if start_seed < 0 else int(start_seed)
            net, front, trained = _front_and_top(model_name, size, start, seed)
            identity = front_identity(model_name, size, start)
            inputs = [frozen_features(front, identity, d["path"], x, feature_cache) for d, x in zip(parts, xs)]
        else:
            net = models.build(model_name, 2, size)
            trained, inputs = net, xs
            if augment:
                image = keras.Input(net.input_shape[1:])
                trained = keras.Model(image, net(models.augmentation(seed)(image)), name=net.name)
        models.compile_model(trained, learning_rate, eager)
        t0 = time.perf_counter()
        with quiet_stderr():  # tf.data logs harmless C++ notices ("NodeDef mentions attribute …") per epoch
            history = trained.fit(inputs[0], y_fit, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
            recalibrate_batch_norm(trained if frozen else net, inputs[0], seed=seed)
            seconds = time.perf_counter() - t0
            prob = trained.predict(inputs[1], batch_size=256, verbose=0)[:, 1]
            threshold = DECISION_THRESHOLD
            if validation is not None:
                prob_val = trained.predict(inputs[2], batch_size=256, verbose=0)[:, 1]
                threshold = choose_threshold(validation["label"].to_numpy(int), prob_val)
    initialisation = models.initialisation(net)
    if frozen:  # the network as trained: its frozen front, then the last block and head of this run
        image = keras.Input(net.input_shape[1:])
        net = keras.Model(image, trained(front(image)), name=net.name)
    return {
        "model": net,
        "initialisation": initialisation,
        "metrics": classification_metrics(y_te, (prob >= threshold).astype(int), prob),
        "prob": prob.astype(float),
        "threshold": float(threshold),
        "history": pd.DataFrame(history.history).rename_axis("epoch").reset_index().assign(epoch=lambda d: d.epoch + 1),
        "seconds": seconds,
    }


def validation_split(train: pd.DataFrame, share: float = 0.1, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out about ``share`` of the training people of each dataset (at least one per dataset that has two
    or more; one person overall when no dataset has two): returns (rows to fit, original images to validate on).
    Augmented copies of a validation person (rows whose ``original`` is set) are dropped, so nothing of them is
    fitted. Used for thresholds (chapter 04) and early stopping (chapter 05)."""
    if not 0 < share < 1:
        raise ValueError(f"share must lie between 0 and 1, got {share}")
    held: set[str] = set()
    groups = train.groupby("dataset", sort=True) if "dataset" in train.columns else [("all", train)]
    for group, rows in groups:
        subjects = np.array(sorted(rows["subject"].astype(str).unique()))
        if len(subjects) >= 2:
            n = min(len(subjects) - 1, max(1, round(share * len(subjects))))
            held.update(keyed_rng(seed, "validation", str(group)).permutation(subjects)[:n])
    everyone = np.array(sorted(train["subject"].astype(str).unique()))
    if not held and len(everyone) >= 2:  # every dataset has one person here: hold out one of them
        held.add(keyed_rng(seed, "validation").permutation(everyone)[0])
    if not held:
        raise ValueError("a validation part needs two people or more: the training part has one person only")
    is_held = train["subject"].astype(str).isin(held)
    originals = train["original"].isna() if "original" in train.columns else pd.Series(True, index=train.index)
    return train[~is_held], train[is_held & originals]


def split_chain(net, layer_name: str):
    """``(front, back)`` of a model whose layers form one chain (VGG-Face): ``front`` maps the input to
    ``layer_name``'s output, ``back`` applies the layers after it to a new input of that shape. Both share ``net``'s
    layers, so training ``back`` trains ``net``. Networks with branches are split by
    :func:`painlib.models.split_top` instead."""
    import keras

    names = [layer.name for layer in net.layers]
    if layer_name not in names:
        raise ValueError(f"{net.name} has no layer {layer_name!r}")
    after = net.layers[names.index(layer_name) + 1 :]
    for layer in net.layers[1:]:
        if len(layer._inbound_nodes[0].input_tensors) != 1:  # node 0: the call that built ``net``
            raise ValueError(f"{net.name} is not a chain of layers: {layer.name} has several inputs")
    front = keras.Model(net.input, net.get_layer(layer_name).output, name=f"{net.name}_front")
    x = start = keras.Input(front.output.shape[1:], name=f"{layer_name}_features")
    for layer in after:
        x = layer(x)
    return front, keras.Model(start, x, name=f"{net.name}_back")


#: Features of frozen fronts, per (weights, input side, image content): kept for the life of the process.
_FEATURES: dict[tuple[str, int, str], np.ndarray] = {}


def frozen_features(
    front, identity: str, paths, x: np.ndarray, cache_dir: str | os.PathLike | None = None
) -> np.ndarray:
    """``front.predict(x)``, each image computed once per process (and, with ``cache_dir``, once per machine):
    ``identity`` names everything the front's output depends on but the image (:func:`front_identity`), images are
    known by their content, so runs, folds, scenarios and pages that share images share their features. Written
    atomically, one ``.npy`` per image under ``cache_dir/<identity>/``. Returns (N, …) float32."""
    size = int(x.shape[1])
    digests = [content_digest(os.fspath(p), *_stat(p)) for p in paths]
    missing = [i for i, d in enumerate(digests) if (identity, size, d) not in _FEATURES]
    folder = Path(cache_dir) / identity if cache_dir else None
    if folder is not None:
        for i in list(missing):
            file = folder / f"{digests[i]}.npy"
            if file.is_file():
                _FEATURES[(identity, size, digests[i])] = np.load(file)
        missing = [i for i in missing if (identity, size, digests[i]) not in _FEATURES]
    if missing:
        with quiet_stderr():
            computed = front.predict(x[missing], batch_size=64, verbose=0).astype(np.float32)
        for i, f in zip(missing, computed):
            _FEATURES[(identity, size, digests[i])] = f
            if folder is not None:
                buffer = io.BytesIO()
                np.save(buffer, f)
                atomic_write_bytes(folder / f"{digests[i]}.npy", buffer.getvalue())
    return np.stack([_FEATURES[(identity, size, d)] for d in digests])


def _front_and_top(model_name: str, size: int, start: int, seed: int):
    """``(net, front, top)`` for a run that trains the last block (:func:`painlib.models.split_top`): the network
    and its front are built once per process from ``start`` (a weights file, else random weights drawn from
    ``start``) and shared by every run; ``top`` is a fresh copy of the last block and head for this run, drawn
    from ``seed`` — or, from a weights file, the file's last block with a new head."""
    import keras

    from . import models

    key = (model_name, size, start, model_definition(model_name))
    if key not in _NETWORKS:  # building a deep network costs seconds: once per process, not once per run
        with own_keras_seeds(start):
            net = models.build(model_name, 2, size)
        _NETWORKS[key] = (net, *models.split_top(net))
    net, front, template = _NETWORKS[key]
    with own_keras_seeds(seed):
        top = keras.models.clone_model(template)
    if models.initialisation(net) != "random":  # pretrained last block, new head
        for mine, theirs in zip(top.layers, template.layers):
            if mine.name != "head" and mine.weights:
                mine.set_weights(theirs.get_weights())
    return net, front, top


#: Networks with a frozen front, per (network, input side, start, definition), for this process.
_NETWORKS: dict[tuple, tuple] = {}


def shared_start(net, front_of, seed: int, start_seed: int) -> int:
    """Give the front of ``net`` (``front_of(model)`` returns it) the random start drawn from ``start_seed`` when
    ``net`` has no weights file and ``start_seed`` is set (≥ 0), so every run of a protocol starts its frozen part
    from the same weights, as it would from a weights file; returns the seed the front's start came from."""
    from . import models

    start = seed if start_seed < 0 else int(start_seed)
    if start != seed and models.initialisation(net) == "random":
        key = (net.name, int(net.input_shape[1]), start, model_definition(net.name))
        if key not in _STARTS:  # drawn once per process: building a deep network costs seconds
            with own_keras_seeds(start):
                _STARTS[key] = front_of(models.build(net.name, 2, key[1], pretrained=False)).get_weights()
        front_of(net).set_weights(_STARTS[key])
    return start


#: Random starts drawn by :func:`shared_start`, per (network, input side, seed, definition), for this process.
_STARTS: dict[tuple, list] = {}


def front_identity(model_name: str, size: int, start_seed: int) -> str:
    """What a frozen part's features depend on: the network's definition and input side, its weights (a local
    weights file's name and size, or the seed of its random start) and the library versions and compute."""
    from . import models

    weights = models.local_weights(model_name)
    start = f"{weights.name}:{os.stat(weights).st_size}" if weights is not None else f"random:{start_seed}"
    return digest([model_name, size, model_definition(model_name), start, library_versions(), compute()])


def _stat(path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def recalibrate_batch_norm(model, x: np.ndarray, batches: int = 20, batch_size: int = 64, seed: int = 0) -> int:
    """Re-estimate the moving mean and variance of every trainable batch-normalisation layer of ``model`` as the
    average over ``batches`` random batches of ``x`` (precise BN), instead of the exponential average of the last
    training steps, which after a few hundred steps still remembers the random start. Returns the number of layers
    re-estimated (0 for networks without batch normalisation, which are left untouched). Written here because
    Keras has no such routine."""
    import keras

    layers = [
        layer for layer in _all_layers(model) if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
    ]
    if not layers or len(x) == 0:
        return 0
    momentum = [layer.momentum for layer in layers]
    rng = keyed_rng(seed, "batch-norm")
    try:
        for i in range(batches):
            for layer in layers:  # moving = moving * i/(i+1) + batch/(i+1): the plain average of the batch statistics
                layer.momentum = i / (i + 1)
            batch = x[rng.choice(len(x), min(batch_size, len(x)), replace=False)]
            model(batch, training=True)
    finally:
        for layer, m in zip(layers, momentum):
            layer.momentum = m
    return len(layers)


def _all_layers(model) -> list:
    out = []
    for layer in getattr(model, "layers", []):
        out.extend(_all_layers(layer) if hasattr(layer, "layers") else [layer])
    return out


def epoch_bar(epochs: int, desc: str, enabled: bool = True):
    """A Keras callback that advances a tqdm bar (:func:`painlib.progress.progress_bar`) once per epoch and closes
    it when training ends: long trainings show progress."""
    import keras

    class EpochBar(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.bar = progress_bar(total=epochs, desc=desc, unit="epoch", enabled=enabled)

        def on_epoch_end(self, epoch, logs=None):
            self.bar.update(1)

        def on_train_end(self, logs=None):
            self.bar.close()

    return EpochBar()


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

#: The CP paper's three training scenarios, by the names the pages and the result store use.
SCENARIOS: tuple[str, ...] = ("image_wise", "subject_wise", "cross_dataset")


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
    raise ValueError(f"unknown scenario {scenario!r}; expected one of {SCENARIOS}")


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
    max_runs: int | None = None,
    **fit_kwargs,
) -> pd.DataFrame:
    """Run one scenario and return one row per fold (or repeat): key, scenario, model, run, seed, sizes, the
    training parameters, :data:`METRICS` (``auc`` is missing where a test set holds one class) and seconds.
    ``max_runs`` keeps only the first folds or repeats (a CPU profile's cut for its dearest networks).

    ``fit_kwargs`` go to :func:`train_predict` (input_size_px, epochs, batch_size, learning_rate, augment).
    With ``store`` (a folder), finished runs are read from it and new ones written to it as they finish, so an
    interrupted scenario resumes; predictions and learning curves go to ``store/predictions/<key>.csv`` and
    ``store/history/<key>.csv``. ``executor`` (anything with ``submit``) runs the pending runs in parallel.
    """
    splits = scenario_splits(scenario, train_df, test_df, folds, repeats, seed)[:max_runs]
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
    only_stored: bool = False,
    **fit_kwargs,
) -> pd.DataFrame:
    """The runs of ``splits`` (``[(run, train rows, test rows), …]``) with a result store and an executor:
    what :func:`run_scenario` does after building its splits, for any protocol (the neonatal chapter's folds).
    With ``only_stored`` nothing is trained: the rows of the runs already in the store are returned, the others
    left out (a page that reads another page's results, chapter 04's scenario comparison).

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
    fixed = {"scenario": scenario, "model": model_name, "model_definition": model_definition(model_name)}
    fixed |= {"trainer": f"{trainer.__module__}.{trainer.__qualname__}", "training_version": version}
    if trainer is not train_predict:  # another protocol's trainer: its module's code is part of the key
        fixed["trainer_source"] = code_digest(inspect.getsourcefile(module))
    fixed |= {"versions": library_versions(), "compute": compute()}
    jobs = []
    for run, tr, te in splits:
        run_seed = seed + run
        key = digest({**fixed, **params, "run": run, "seed": run_seed, "data": [fingerprint(tr), fingerprint(te)]})
        meta = {"key": key, "scenario": scenario, "model": model_name, "run": run, "seed": run_seed}
        job = {"meta": meta, "params": params, "train": _columns(tr), "test": _columns(te), "trainer": trainer}
        model_path = str(Path(store) / "models" / f"{key}.keras") if keep_models else None
        feature_cache = str(Path(store) / "features") if store is not None else None
        jobs.append(job | {"compute": fixed["compute"], "model_path": model_path, "feature_cache": feature_cache})

    done = read_store(store)
    found = {}
    for j in jobs:
        key = j["meta"]["key"]
        if key in done.index and (j["model_path"] is None or Path(j["model_path"]).is_file()):
            found[key] = done.loc[key].to_dict()
    pending = [j for j in jobs if j["meta"]["key"] not in found]
    if store is not None:
        log.info("%s %s: %d of %d runs from the store", model_name, scenario, len(found), len(jobs))
    if only_stored:
        jobs, pending = [j for j in jobs if j["meta"]["key"] in found], []
    bar = progress_bar(
        total=len(jobs), initial=len(found), desc=f"{model_name} {scenario}", unit="run", enabled=progress
    )
    for result in _execute(pending, executor):
        row = result["row"]
        if store is not None:
            done = save_run(store, done, row, result)
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
    extra = {"feature_cache": job["feature_cache"]} if "feature_cache" in inspect.signature(trainer).parameters else {}
    out = trainer(
        job["meta"]["model"], job["train"], job["test"], seed=job["meta"]["seed"], images=images, **params, **extra
    )
    if job.get("model_path"):  # written before the run is listed in the store, so a listed run has its model
        save_model(out["model"], job["model_path"])
    row = {
        **job["meta"],
        "n_train": len(job["train"]),
        "n_test": len(job["test"]),
        "initialisation": out["initialisation"],
        **params,
        "threshold": out.get("threshold", DECISION_THRESHOLD),
        **{m: out["metrics"].get(m, np.nan) for m in METRICS},
        "train_seconds": round(out["seconds"], 3),
    }
    threshold = out.get("threshold", DECISION_THRESHOLD)
    predictions = job["test"][["path", "subject", "label"]].assign(prob_pain=out["prob"])
    predictions["pred"] = (predictions["prob_pain"] >= threshold).astype(int)
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


def _bound_fit_params(model_name: str, fit_kwargs: dict, trainer=None) -> dict:
    """Every training parameter of ``trainer`` (default :func:`train_predict`) with its default filled in (so a
    changed default is a new key), the model's default input size resolved."""
    from . import models

    sig = inspect.signature(trainer or train_predict)
    allowed = [
        n
        for n, p in sig.parameters.items()
        if p.kind is p.KEYWORD_ONLY and n not in ("seed", "images", "feature_cache")
    ]
    unknown = sorted(set(fit_kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"unknown training parameter(s) {unknown}; expected some of {allowed}")
    params = {n: fit_kwargs.get(n, sig.parameters[n].default) for n in allowed}
    params["input_size_px"] = int(params["input_size_px"] or models.MODELS[model_name][1])
    return params


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


def loss_drop(histories: pd.DataFrame, by=("model",)) -> pd.Series:
    """Share by which the training loss fell from the first epoch to the last, per ``by`` group (mean over the
    group's runs): 0.2 means the last epoch's loss is 20 % below the first's; negative, it rose. ``histories`` as
    :func:`run_details` gives them (columns key, epoch, loss). With one epoch there is nothing to compare, and a
    run whose loss became NaN (diverged) has no drop: both NaN, and a group's mean skips them."""
    per_run = histories.sort_values("epoch").groupby([*by, "key"], sort=False)["loss"]
    # The first and last rows themselves (GroupBy.first/last would skip a NaN loss and hide a run that diverged).
    drop = per_run.agg(lambda loss: 1 - loss.iloc[-1] / loss.iloc[0] if len(loss) > 1 else np.nan)
    return drop.groupby(list(by), sort=False).mean().rename("loss_drop")


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
    scenario: str = "image_wise",
    model_settings: dict | None = None,
    fine_tune: str = "all",
    augment: bool = True,
    validation_share: float = 0.0,
) -> pd.DataFrame:
    """One row per model: what this run trains — input side, initialisation, layers trained, augmentation,
    epochs, learning rate, decision threshold and runs — beside the paper's (chapter 04), in ``scenario`` (one of
    :data:`SCENARIOS`; ``folds`` counts its folds or, PAIN-DB → CP-PAIN, its repeats). ``model_settings`` as
    :func:`run_grid` takes it."""
    from . import models
    from .published import CP_TRAINING

    rows = []
    for name in model_names:
        own = network_settings(name, {"epochs": epochs, "learning_rate": learning_rate}, model_settings, scenario)
        frozen = fine_tune == "top" and models.SPECS[name].top is not None  # as train_and_evaluate decides
        rows.append(
            {
                "model": name,
                "input px": input_size(name, input_size_px),
                "input px (paper)": models.MODELS[name][1],
                "initialisation": models.expected_initialisation(name),
                "initialisation (paper)": models.SPECS[name].pretrained or "random",
                "layers trained": "last block, head" if frozen else "all",
                "layers trained (paper)": "all",
                "augmentation": "flip, rotation 0.03, shift 0.05, contrast 0.1" if augment and not frozen else "none",
                "augmentation (paper)": "rotation, mirroring, contrast",  # magnitudes not stated
                "optimiser, batch": f"Adam, {batch_size}",
                "optimiser, batch (paper)": "not stated",
                "epochs": own["epochs"],
                "epochs (paper)": CP_TRAINING["epochs"],
                "learning rate": own["learning_rate"],
                "learning rate (paper)": CP_TRAINING["learning_rate"],
                "threshold": f"on {validation_share:.0%} of training people"
                if validation_share
                else f"{DECISION_THRESHOLD}",
                "threshold (paper)": f"{DECISION_THRESHOLD}",
                "runs": min(int(own.get("runs", folds)), folds),
                "runs (paper)": CP_TRAINING["repeats" if scenario == "cross_dataset" else "folds"],
                "PAIN-DB images": images,
            }
        )
    return pd.DataFrame(rows).set_index("model")


def network_settings(
    model_name: str, settings: dict, model_settings: dict | None = None, scenario: str | None = None
) -> dict:
    """``settings`` (training parameters shared by every network) with the entries ``model_settings[model_name]``
    overrides: the book's per-network choices where a CPU profile cannot give every network the same (fewer
    runs or epochs for the dearest, the learning rate chapter 03's sweep found for a network). ``runs`` (only
    there) keeps the first runs of the scenario's folds or repeats for that network. An entry named after a
    scenario (:data:`SCENARIOS`) holds overrides for that ``scenario`` only, e.g. ``{"songnet": {"epochs": 12,
    "cross_dataset": {"epochs": 24}}}``: PAIN-DB → CP-PAIN trains each network once, so more epochs there cost a
    third of what they cost a 3-fold page."""
    own = dict((model_settings or {}).get(model_name, {}))
    by_scenario = {name: own.pop(name) for name in SCENARIOS if name in own}
    if scenario is not None and scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {SCENARIOS}")
    allowed = set(settings) | {"runs"}
    for where, values in [(model_name, own)] + [(f"{model_name}, {k}", v) for k, v in by_scenario.items()]:
        if not isinstance(values, dict):
            raise ValueError(f"model_settings for {where} must map settings to values, got {values!r}")
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ValueError(
                f"model_settings for {where} sets {unknown}; it may set {sorted(allowed)} or a scenario of {SCENARIOS}"
            )
        for name in ("epochs", "runs"):
            if name in values and (int(values[name]) != values[name] or values[name] < 1):
                raise ValueError(f"{name} for {where} must be a whole number ≥ 1, got {values[name]!r}")
    return {**settings, **own, **by_scenario.get(scenario, {})}


def run_grid(
    scenario: str,
    pain_db: pd.DataFrame,
    cp_pain: pd.DataFrame,
    model_names,
    input_size_px: int = 0,
    *,
    n_workers: int = 1,
    model_settings: dict | None = None,
    **kwargs,
) -> pd.DataFrame:
    """:func:`run_scenario` for each model (its own input size, :func:`input_size`), all runs through one pool of
    ``n_workers`` processes when more than one; the rows of every model, in order (chapter 04).
    ``model_settings`` maps a network to training parameters of its own (:func:`network_settings`), e.g.
    ``{"alexnet": {"learning_rate": 1e-4, "epochs": 3}}``."""
    test_df = cp_pain if scenario == "cross_dataset" else None
    with worker_pool(n_workers) as pool:
        parts = []
        for name in progress_bar(list(model_names), desc=scenario, unit="model"):
            shared = {k: kwargs[k] for k in ("epochs", "learning_rate") if k in kwargs}
            own = network_settings(name, shared, model_settings, scenario)
            runs = own.pop("runs", None)
            parts.append(
                run_scenario(
                    scenario,
                    pain_db,
                    test_df=test_df,
                    model_name=name,
                    input_size_px=input_size(name, input_size_px),
                    executor=pool,
                    max_runs=runs,
                    **{**kwargs, **own},
                )
            )
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
