"""The neonatal experiments (dissertation, section 3.3): leave-some-subjects-out folds over UNIFESP and iCOPE,
VGG-Face's two-stage training and the adapted N-CNN's, and the per-fold tables (its Tables 1 and 2).

Every fold holds out about one ``folds``-th of the neonates of *each* dataset, with all their images; the
augmented copies of an image follow it, and only originals are tested. Each run goes through
:func:`painlib.training.run_splits`, so it is keyed, kept in the same kind of result store as the adult
runs (with its trained model), resumable and dispatchable to any executor.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from .manifest import require_columns
from .metrics import classification_metrics
from .published import DECISION_THRESHOLD, NEONATAL_PROTOCOL
from .session import keyed_rng, quiet_stderr
from .training import split_chain, validation_split

#: Bump when the training procedure changes in a way that is not visible in its parameters.
#: 2: early stopping watches the validation data loss, without the L1/L2 penalty.
TRAINING_VERSION = 2
#: Rows of Tables 1 and 2 and the metric of :func:`painlib.metrics.classification_metrics` behind each: the
#: dissertation's precision, sensitivity ("Sensibility") and F1 are those of the pain class, and its AUC is that
#: of the predicted labels (balanced accuracy: its per-fold values follow from the other rows this way, tested).
#: The AUC of the predicted probability, which the ROC curves show, is an extra row.
TABLE_METRICS = {
    "accuracy": "accuracy",
    "precision": "precision_pain",
    "sensitivity": "recall_pain",
    "f1": "f1_pain",
    "auc": "auc_labels",
    "auc (probabilities)": "auc",
}


def _originals(df: pd.DataFrame) -> pd.Series:
    """True for rows that are not augmented copies."""
    return df["original"].isna() if "original" in df.columns else pd.Series(True, index=df.index)


def leave_subjects_out(df: pd.DataFrame, folds: int = 10, seed: int = 0, by: str = "dataset") -> list[set[str]]:
    """The test subjects of each fold: the subjects of every ``by`` group (dataset) shuffled with ``seed`` and
    dealt into ``folds`` near-equal parts, part i of every group going to fold i — so each fold holds out about
    1/``folds`` of the neonates of each dataset, and every neonate is tested exactly once."""
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    tests: list[set[str]] = [set() for _ in range(folds)]
    for group, rows in df.groupby(by, sort=True):
        subjects = np.array(sorted(rows["subject"].astype(str).unique()))
        if len(subjects) < folds:
            raise ValueError(
                f"{by} {group!r} has {len(subjects)} subject(s), fewer than the {folds} folds: every fold must hold "
                f"out some of its subjects; use at most {len(subjects)} folds"
            )
        shuffled = keyed_rng(seed, "leave-subjects-out", str(group)).permutation(subjects)
        for i, part in enumerate(np.array_split(shuffled, folds)):
            tests[i].update(part)
    return tests


def neonatal_splits(
    originals: pd.DataFrame, copies: pd.DataFrame | None = None, folds: int = 10, seed: int = 0
) -> list[tuple[int, pd.DataFrame, pd.DataFrame]]:
    """Runs of the leave-some-subjects-out protocol: ``[(fold, train rows, test rows), …]``.

    Train: the originals of the training neonates and their augmented ``copies`` (rows with an ``original``
    column naming the original's path). Test: the originals of the held-out neonates only. Raises
    ``ValueError`` when a copy's original is not among ``originals`` or a subject falls on both sides.
    """
    from .training import check_subject_disjoint

    copies = copies if copies is not None else originals.iloc[:0].assign(original=pd.Series(dtype=str))
    unknown = set(copies["original"]) - set(originals["path"])
    if unknown:
        raise ValueError(
            f"{len(unknown)} augmented copies name an original that is not in the set: {sorted(unknown)[:3]}"
        )
    subject_of = dict(zip(originals["path"], originals["subject"].astype(str)))
    if (copies["subject"].astype(str) != copies["original"].map(subject_of)).any():
        raise ValueError("an augmented copy carries another subject than its original")
    runs = []
    for fold, test_subjects in enumerate(leave_subjects_out(originals, folds, seed)):
        held_out = originals["subject"].astype(str).isin(test_subjects)
        train = pd.concat([originals[~held_out], copies[~copies["subject"].astype(str).isin(test_subjects)]])
        test = originals[held_out]
        check_subject_disjoint(train, test)
        runs.append((fold, train, test))
    return runs


def train_predict_neonatal(
    model_name: str,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    input_size_px: int | None = None,
    max_epochs: int = 100,
    max_fine_tune_epochs: int = 100,
    batch_size: int = 16,
    learning_rate: float = NEONATAL_PROTOCOL["learning_rate"],
    fine_tune_learning_rate: float = NEONATAL_PROTOCOL["fine_tune_learning_rate"],
    patience: int = 0,
    validation_share: float = 0.1,
    tune_threshold: bool = False,
    start_seed: int = -1,
    eager: bool = False,
    seed: int = 0,
    images: dict | None = None,
    feature_cache: str | None = None,
) -> dict:
    """Train as the dissertation trains, on ``train`` (originals and copies), and predict ``test``.

    RMSprop on categorical cross-entropy, mini-batches of ``batch_size``; early stopping on the data loss of a
    validation part (:func:`painlib.training.validation_split`; the cross-entropy alone, since the L1/L2 penalty
    would otherwise dominate what is watched) with the best weights kept. ``patience`` 0 means the model's
    own: VGG-Face 5, N-CNN 10. ``tune_threshold`` calls an image pain from the probability that maximises
    balanced accuracy on the validation neonates (the book's choice) instead of 0.5 (the dissertation's argmax).
    Without its weights file VGG-Face's convolutions start from random weights drawn from ``start_seed`` (-1: the
    run's ``seed``), the same in every fold as a pretrained start would be; in stage 1 their features are computed
    once per image (:func:`painlib.training.frozen_features`, kept in ``feature_cache`` when given).

    VGG-Face trains in two stages: its convolutions frozen at ``learning_rate``
    until the validation loss stops improving (at most ``max_epochs``), then blocks 4–5 too at
    ``fine_tune_learning_rate`` until it stops again (at most ``max_fine_tune_epochs``; 0 skips the stage).
    Other models train in one stage of at most ``max_epochs``. Returns what
    :func:`painlib.training.train_predict` returns (``history`` with a ``stage`` column), plus ``model``.
    """
    import keras

    from . import models
    from .chance import choose_threshold
    from .models import neonatal as definitions
    from .training import front_identity, frozen_features, own_keras_seeds, shared_start, stack_images

    two_stage = model_name == "vggface"
    patience = patience or default_patience(model_name)
    size = input_size_px or models.MODELS[model_name][1]
    fit_rows, validation = validation_split(train, validation_share, seed)
    x_fit, x_val, x_te = (stack_images(d["path"], size, images) for d in (fit_rows, validation, test))
    y_fit, y_val, y_te = (d["label"].to_numpy(int) for d in (fit_rows, validation, test))
    keras.utils.set_random_seed(seed)
    histories = []
    with own_keras_seeds(seed):
        net = models.build(model_name, 2, size)
        start = shared_start(net, lambda m: split_chain(m, "flatten")[0], seed, start_seed) if two_stage else seed
        t0 = time.perf_counter()
        if two_stage:
            # Each stage trains only the layers after a frozen front (the convolutions in stage 1, blocks 1–3 in
            # stage 2). The front has no dropout and the copies are made offline, so its output for an image
            # never changes: it is computed once per stage and the rest trains on it — the same training,
            # several times faster than running the frozen layers every epoch.
            plan = [
                (definitions.vggface_stage1, "flatten", learning_rate, max_epochs),
                (definitions.vggface_stage2, "pool3", fine_tune_learning_rate, max_fine_tune_epochs),
            ]
        else:
            plan = [(None, None, learning_rate, max_epochs)]
        for number, (prepare, front_end, rate, epochs) in enumerate(plan, start=1):
            if epochs < 1:
                continue
            if prepare is not None:
                prepare(net)
            front, back = split_chain(net, front_end) if front_end else (None, net)
            models.compile_model(back, rate, eager, optimizer="rmsprop", data_loss=True)
            stop = keras.callbacks.EarlyStopping("val_data_loss", patience=patience, restore_best_weights=True)
            with quiet_stderr():  # tf.data logs harmless C++ notices ("NodeDef mentions attribute …")
                if front is None:
                    inputs = [x_fit, x_val]
                elif number == 1:  # the convolutions keep their start in stage 1: features shared by every fold
                    identity = front_identity(model_name, size, start)
                    inputs = [
                        frozen_features(front, identity, d["path"], x, feature_cache)
                        for d, x in ((fit_rows, x_fit), (validation, x_val))
                    ]
                else:
                    inputs = [front.predict(x, batch_size=64, verbose=0) for x in (x_fit, x_val)]
                fitted = back.fit(
                    inputs[0],
                    y_fit,
                    validation_data=(inputs[1], y_val),
                    epochs=epochs,
                    batch_size=batch_size,
                    shuffle=True,
                    callbacks=[stop],
                    verbose=0,
                )
            histories.append(pd.DataFrame(fitted.history).assign(stage=number))
        seconds = time.perf_counter() - t0
        with quiet_stderr():
            prob = net.predict(x_te, batch_size=64, verbose=0)[:, 1]
            prob_val = net.predict(x_val, batch_size=64, verbose=0)[:, 1]
    threshold = choose_threshold(y_val, prob_val) if tune_threshold else DECISION_THRESHOLD
    history = pd.concat(histories, ignore_index=True)
    history.insert(0, "epoch", history.groupby("stage").cumcount() + 1)  # counted within each stage
    return {
        "initialisation": models.initialisation(net),
        "metrics": classification_metrics(y_te, (prob >= threshold).astype(int), prob),
        "prob": prob.astype(float),
        "threshold": float(threshold),
        "history": history,
        "seconds": seconds,
        "model": net,
    }


def default_patience(model_name: str) -> int:
    """Epochs without improvement before a stage stops, as the dissertation trains each network: VGG-Face 5,
    N-CNN (and any other model) 10."""
    key = "vggface_patience" if model_name == "vggface" else "ncnn_patience"
    return NEONATAL_PROTOCOL[key]


def run_neonatal(
    originals: pd.DataFrame,
    copies: pd.DataFrame | None,
    model_name: str,
    *,
    folds: int = 10,
    seed: int = 0,
    split_seed: int | None = None,
    store: str | os.PathLike | None = None,
    executor=None,
    progress: bool = True,
    keep_models: bool = True,
    **fit_kwargs,
) -> pd.DataFrame:
    """Every fold of the leave-some-subjects-out protocol for one model: one row per fold (see
    :func:`painlib.training.run_scenario`), models and predictions kept in ``store``. ``split_seed`` draws
    which neonates each fold holds out (``None``: ``seed``); ``seed`` draws everything else."""
    from .training import run_splits

    return run_splits(
        neonatal_splits(originals, copies, folds, seed if split_seed is None else split_seed),
        scenario="leave_subjects_out",
        model_name=model_name,
        seed=seed,
        store=store,
        executor=executor,
        progress=progress,
        trainer=train_predict_neonatal,
        keep_models=keep_models and store is not None,
        **fit_kwargs,
    )


def one_class_folds(predictions: pd.DataFrame) -> pd.Series:
    """Per model: the number of folds in which it called every test image the same class (its predicted label,
    ``pred``, the same for all of them). ``predictions`` as :func:`painlib.result_store.run_details` gives them."""
    called = predictions.assign(pain=predictions["pred"] == 1).groupby(["model", "run"])["pain"]
    return (called.nunique() == 1).groupby("model").sum().rename("one_class_folds")


def fold_table(results: pd.DataFrame) -> pd.DataFrame:
    """Tables 1 and 2's layout for one model's rows of :func:`run_neonatal`: metrics as rows, folds 1…k as
    columns, then ``mean`` and ``std`` — the population standard deviation (ddof 0), which is how the
    dissertation's printed averages come out of its per-fold values."""
    ordered = results.sort_values("run")
    table = ordered.set_index(ordered["run"].astype(int).add(1).astype(str).rename("fold"))
    table = table[list(TABLE_METRICS.values())].rename(columns={v: k for k, v in TABLE_METRICS.items()}).T
    return table.assign(mean=table.mean(axis=1), std=table.std(axis=1, ddof=0))


def paper_comparison(results: pd.DataFrame) -> pd.DataFrame:
    """Per model and metric: this run's mean and standard deviation over folds beside the dissertation's
    printed average (Tables 1 and 2), as fractions."""
    from .published import NEONATAL_TABLE_AVERAGES

    rows = []
    for model, part in results.groupby("model", sort=False):
        ours = fold_table(part)
        for metric in TABLE_METRICS:
            paper = NEONATAL_TABLE_AVERAGES.get(model, {}).get(metric, (np.nan, np.nan))
            rows.append(
                {
                    "model": model,
                    "metric": metric,
                    "mean": ours.loc[metric, "mean"],
                    "std": ours.loc[metric, "std"],
                    "mean (paper)": paper[0],
                    "std (paper)": paper[1],
                }
            )
    return pd.DataFrame(rows).set_index(["model", "metric"])


def read_neonatal_set(folder: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Chapter 01's neonatal set (``neonatal.csv`` in ``folder``) and, per source (UNIFESP, iCOPE), how many of
    its images the face detector searched, found a face in and kept (from ``excluded.csv``; see
    :func:`painlib.faces.exclusion_table`). A missing file is named with the command that makes it."""
    from pathlib import Path

    from .faces import exclusion_table
    from .manifest import read_manifest

    folder = Path(folder)
    missing = [name for name in ("neonatal.csv", "excluded.csv") if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{missing} not found in {folder}: chapter 01 writes them (python -m painlib run --only 01 --no-build)"
        )
    kept = read_manifest(folder / "neonatal.csv")
    excluded = pd.read_csv(folder / "excluded.csv", dtype={"subject": str})
    excluded = excluded[excluded["dataset"].isin(set(kept["dataset"]))]
    return kept, exclusion_table(pd.concat([kept, excluded], ignore_index=True), excluded)


def fold_composition(splits: list[tuple[int, pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Per fold of :func:`neonatal_splits`: the neonates and original images held out from each dataset (the
    protocol's 10 % of the neonates of each dataset when there are 10 folds)."""
    rows = []
    for fold, _, test in splits:
        for dataset, part in test.groupby("dataset"):
            rows.append(
                {
                    "fold": fold + 1,
                    "dataset": dataset,
                    "neonates": part["subject"].nunique(),
                    "images": len(part),
                    "pain": int(part["label"].sum()),
                }
            )
    table = pd.DataFrame(rows).pivot(index="fold", columns="dataset", values=["neonates", "images", "pain"])
    return table.swaplevel(axis=1).sort_index(axis=1)


def protocol_settings(
    models: dict[str, dict], *, folds: int, copies: int, batch_size: int, validation_share: float = 0.1
) -> pd.DataFrame:
    """One row per model: what this run trains (input side, epochs per stage, patience, what early stopping
    watches, the decision threshold, initialisation, folds, copies per original, batch) beside the
    dissertation's. ``models``: name → the keyword arguments of :func:`train_predict_neonatal` (input_size_px,
    max_epochs, max_fine_tune_epochs, patience, tune_threshold)."""
    from . import models as zoo

    rows = []
    for name, fit in models.items():
        two_stage = name == "vggface"
        rows.append(
            {
                "model": name,
                "input px": fit["input_size_px"],
                "input px (paper)": zoo.MODELS[name][1],
                "initialisation": zoo.expected_initialisation(name),
                "initialisation (paper)": zoo.SPECS[name].pretrained or "random",
                "max epochs, stage 1": fit["max_epochs"],
                "max epochs, fine-tuning": fit.get("max_fine_tune_epochs", 0) if two_stage else "—",
                "patience": fit.get("patience") or default_patience(name),
                "patience (paper)": default_patience(name),
                "validation neonates": f"{validation_share:.0%} of the training neonates per dataset",
                "validation neonates (paper)": "not stated",
                "early stopping watches": "validation data loss (no penalty)",
                "early stopping watches (paper)": "validation loss",
                "threshold": "on the validation neonates" if fit.get("tune_threshold") else f"{DECISION_THRESHOLD}",
                "threshold (paper)": f"{DECISION_THRESHOLD}",
                "folds": folds,
                "folds (paper)": NEONATAL_PROTOCOL["folds"],
                "copies": copies,
                "copies (paper)": NEONATAL_PROTOCOL["copies"],
                "batch": batch_size,
                "batch (paper)": NEONATAL_PROTOCOL["batch_size"],
            }
        )
    return pd.DataFrame(rows).set_index("model")


def protocol_cuts(settings: pd.DataFrame) -> list[str]:
    """What a run of :func:`protocol_settings` changes from the dissertation's protocol, as short phrases: a start
    other than the dissertation's, each model's input side, the folds, copies and batch where they differ, and a
    skipped fine-tuning stage."""
    cuts = [
        f"`{m}` starts from {row['initialisation']} weights (paper: {row['initialisation (paper)']})"
        for m, row in settings.iterrows()
        if row["initialisation"] != row["initialisation (paper)"]
    ]
    cuts += [
        f"`{m}` input {row['input px']} px (paper {row['input px (paper)']})"
        for m, row in settings.iterrows()
        if row["input px"] != row["input px (paper)"]
    ]
    first = settings.iloc[0]
    cuts += [
        f"{c} {first[c]} (paper {first[c + ' (paper)']})"
        for c in ("folds", "copies", "batch")
        if first[c] != first[c + " (paper)"]
    ]
    if "vggface" in settings.index and settings.loc["vggface", "max epochs, fine-tuning"] == 0:
        cuts.append("VGG-Face's fine-tuning stage skipped")
    cuts += [
        f"`{m}` patience {row['patience']} epochs"
        for m, row in settings.iterrows()
        if row["patience"] != row["patience (paper)"]
    ]
    if (settings["threshold"] != settings["threshold (paper)"]).any():
        cuts.append("the decision threshold chosen on the validation neonates")
    return cuts


def what_is_compared(settings: pd.DataFrame) -> str:
    """What chapter 05's VGG-Face against N-CNN compares in a run of :func:`protocol_settings`, as the end of the
    sentence "the comparison is between …": transfer learning against training from scratch only when VGG-Face
    starts from its face weights; otherwise two random starts, and with the fine-tuning stage skipped a dense head
    on frozen random convolutions against a network trained whole."""
    vgg = settings.loc["vggface"]
    pretrained = vgg["initialisation"] == vgg["initialisation (paper)"]
    fine_tuned = vgg["max epochs, fine-tuning"] not in (0, "—")
    if pretrained:
        return "transfer learning from faces and training from scratch, as in the dissertation" + (
            "" if fine_tuned else ", though VGG-Face's convolutions keep their face weights (fine-tuning skipped)"
        )
    if fine_tuned:
        return (
            "two architectures trained from random starts (VGG-Face's weights file is not on this machine), not "
            "transfer learning against training from scratch"
        )
    return (
        "a dense head trained on the features of VGG-Face's convolutions, frozen at a random start (its weights "
        "file is not on this machine and the fine-tuning stage is skipped), and N-CNN trained whole — not transfer "
        "learning against training from scratch"
    )


def networks() -> pd.DataFrame:
    """The two networks at their own input sizes: reference, input side, parameters and the dissertation's
    count (Appendices A–B), indexed by model (:func:`painlib.models.describe`)."""
    from . import models

    table = models.describe(models.NEONATAL_MODELS).set_index("model")
    return table[["reference", "input_px", "parameters", "dissertation"]]


def schedule() -> dict[str, float]:
    """The dissertation's training schedule (:data:`painlib.published.NEONATAL_PROTOCOL`): learning rate ``lr``,
    fine-tuning rate ``fine_lr`` and the early-stopping patience of each network, in epochs."""
    keys = {"lr": "learning_rate", "fine_lr": "fine_tune_learning_rate"}
    keys |= {"vggface_patience": "vggface_patience", "ncnn_patience": "ncnn_patience"}
    return {name: NEONATAL_PROTOCOL[key] for name, key in keys.items()}


def eye_tracking_images(originals: pd.DataFrame, n_neonates: int = 10, dataset: str = "unifesp") -> pd.DataFrame:
    """The images of the eye-tracking study's design: ``n_neonates`` neonates of ``dataset`` (the first in
    sorted order that have both a rest and a pain image), one rest and one pain image each (the first of each
    by frame). Rows of ``originals``, neonate by neonate, rest before pain. Fewer neonates where fewer qualify."""
    require_columns(originals, ["path", "subject", "dataset", "label"], "the neonatal set")
    part = originals[originals["dataset"] == dataset]
    sort = [c for c in ("subject", "label", "frame", "path") if c in part.columns]
    part = part.sort_values(sort)
    both = part.groupby("subject")["label"].nunique()
    chosen = sorted(both.index[both == 2])[:n_neonates]
    picked = part[part["subject"].isin(chosen)].groupby(["subject", "label"], sort=True).head(1)
    return picked.reset_index(drop=True)


def test_fold_models(images: pd.DataFrame, kept: pd.DataFrame, store: str | os.PathLike) -> pd.DataFrame:
    """For every image (``path``) and network of ``kept`` (rows of :func:`run_neonatal`), the run whose test
    neonates held it: a table (path, model, key, run, threshold, prob_pain, pred: the run's test prediction of
    the image), so each image is explained by a network that never trained on its neonate. An image no kept run
    tested is an error (not the same folds)."""
    from .result_store import read_predictions

    parts = []
    for run in kept.itertuples(index=False):
        tested = read_predictions(store, run.key)
        held = tested[tested["path"].isin(set(images["path"]))][["path", "prob_pain", "pred"]]
        parts.append(held.assign(model=run.model, key=run.key, run=run.run, threshold=run.threshold))
    columns = ["path", "model", "key", "run", "threshold", "prob_pain", "pred"]
    table = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    twice = table[table.duplicated(["path", "model"], keep=False)]
    if len(twice):
        raise ValueError(
            f"{twice['path'].nunique()} images were tested by two kept runs of one network: not one set of folds"
        )
    for model in kept["model"].unique():
        missing = set(images["path"]) - set(table.loc[table["model"] == model, "path"])
        if missing:
            raise ValueError(f"{len(missing)} images were tested by no kept {model} run: not chapter 05's folds")
    return table
