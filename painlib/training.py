"""Splits, one train-and-test run, and scenarios over folds with a resumable result store.

Scenarios of the CP paper: image-wise 5-fold on PAIN-DB, subject-wise 5-fold on PAIN-DB, and PAIN-DB → CP-PAIN
(five repeated trainings on all of PAIN-DB). Chapter 00 runs them with a small CNN to show the synthetic data
behaves like the real one; the training chapters run them with the ten models.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from .images import load_images
from .metrics import classification_metrics
from .progress import progress_bar
from .session import quiet_stderr
from .storage import write_csv

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


def fit_evaluate(
    model_name: str,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    input_size_px: int | None = None,
    epochs: int = 5,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    augment: bool = True,
    seed: int = 0,
    images: dict | None = None,
) -> dict[str, float]:
    """Train ``model_name`` on ``train`` images, test on ``test`` images; return the metrics dict.

    ``images`` may map image path → (H, W, 3) uint8 array already in memory (see :func:`preload`), so the
    folds of one scenario read each file once.
    """
    import keras

    from . import models

    size = input_size_px or models.MODELS[model_name][1]
    x_tr, x_te = (_stack(d["path"], size, images) for d in (train, test))
    y_tr, y_te = train["label"].to_numpy(int), test["label"].to_numpy(int)
    keras.utils.set_random_seed(seed)
    net = models.build(model_name, 2, size)
    if augment:
        inputs = keras.Input(net.input_shape[1:])
        net = keras.Model(inputs, net(models.augmentation(seed)(inputs)), name=net.name)
    models.compile_model(net, learning_rate)
    with quiet_stderr():  # tf.data logs harmless C++ notices ("NodeDef mentions attribute …") per epoch
        net.fit(x_tr, y_tr, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
        prob = net.predict(x_te, batch_size=256, verbose=0)[:, 1]
    return classification_metrics(y_te, (prob >= 0.5).astype(int), prob)


def preload(paths, size_px: int) -> dict[str, np.ndarray]:
    """Read each distinct image once into memory, resized: path → (size_px, size_px, 3) uint8."""
    unique = list(dict.fromkeys(paths))
    arr = load_images(unique, size_px)
    return dict(zip(unique, arr))


def _stack(paths, size: int, images: dict | None) -> np.ndarray:
    if images is None:
        return load_images(list(paths), size)
    return np.stack([images[p] for p in paths])


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
    progress: bool = True,
    **fit_kwargs,
) -> pd.DataFrame:
    """Run one scenario and return one row of metrics per fold (or repeat).

    ``scenario`` is ``"image_wise"`` (image k-fold on ``train_df``), ``"subject_wise"`` (subject k-fold on
    ``train_df``) or ``"cross_dataset"`` (train on all of ``train_df``, test on ``test_df``, ``repeats`` times
    with different seeds). With ``store`` (a CSV path), finished runs are kept there atomically and skipped
    when the same call is made again — an interrupted scenario resumes.
    """
    if scenario in ("image_wise", "subject_wise"):
        split = image_kfold if scenario == "image_wise" else subject_kfold
        runs = [(i, train_df.iloc[tr], train_df.iloc[te]) for i, (tr, te) in enumerate(split(train_df, folds, seed))]
    elif scenario == "cross_dataset":
        if test_df is None:
            raise ValueError("scenario 'cross_dataset' needs test_df")
        runs = [(i, train_df, test_df) for i in range(repeats)]
    else:
        raise ValueError(f"unknown scenario {scenario!r}; expected image_wise, subject_wise or cross_dataset")

    from . import models

    size = fit_kwargs.pop("input_size_px", None) or models.MODELS[model_name][1]
    done = _read_store(store)
    # Everything that changes a run's result goes into its key, so a changed parameter is never a stale hit.
    config = json.dumps(
        {"size": size, "folds": folds, "data": _fingerprint(train_df, test_df), **fit_kwargs}, sort_keys=True
    )
    key = {
        "scenario": scenario,
        "model": model_name,
        "seed": seed,
        "config": hashlib.sha1(config.encode()).hexdigest()[:12],
    }
    paths = list(train_df["path"]) + ([] if test_df is None else list(test_df["path"]))
    images = None
    rows = []
    for run, tr, te in progress_bar(runs, desc=f"{model_name} {scenario}", unit="run", enabled=progress):
        hit = _lookup(done, **key, run=run)
        if hit is not None:
            rows.append(hit)
            continue
        images = images or preload(paths, size)
        m = fit_evaluate(model_name, tr, te, input_size_px=size, seed=seed + run, images=images, **fit_kwargs)
        row = {**key, "run": run, "n_train": len(tr), "n_test": len(te), **m}
        rows.append(row)
        if store is not None:
            done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
            write_csv(done, store)
    return pd.DataFrame(rows)


def _fingerprint(*dfs) -> str:
    paths = [p for df in dfs if df is not None for p in df["path"]] + [
        int(v) for df in dfs if df is not None for v in df["label"]
    ]
    return hashlib.sha1(json.dumps(paths).encode()).hexdigest()[:12]


def _read_store(store) -> pd.DataFrame:
    if store is None or not Path(store).exists():
        return pd.DataFrame()
    return pd.read_csv(store)


def _lookup(done: pd.DataFrame, **key) -> dict | None:
    if done.empty:
        return None
    mask = np.ones(len(done), bool)
    for k, v in key.items():
        if k not in done.columns:
            return None
        mask &= (done[k] == v).to_numpy()
    return done[mask].iloc[0].to_dict() if mask.any() else None


def summarise(results: pd.DataFrame, metrics=("accuracy", "f1", "auc")) -> pd.DataFrame:
    """Mean ± standard deviation of each metric per scenario and model, in a tidy table."""
    cols = [m for m in metrics if m in results.columns]
    agg = results.groupby(["scenario", "model"], sort=False)[cols].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    return agg.reset_index()
