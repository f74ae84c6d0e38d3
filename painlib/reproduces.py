"""Which table and figure of the two studies each chapter reproduces, and every result both papers state beside
this build's, with a verdict (the back matter's page "What this book reproduces: findings at a glance").

The papers' values come from :mod:`painlib.published`; this build's are the numbers the chapters recorded with
:func:`painlib.findings.record` — nothing here is typed twice, and no page's output is read back as data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import findings, published

CP = "CP paper"
#: What :func:`coverage` says of an item.
STATUSES = ("executed", "not executed", "not yet", "out of reach")
NEONATAL = "neonatal dissertation"


#: What :func:`side_by_side` can say of a value.
VERDICTS = ("reproduced", "not reproduced", "not comparable", "not executed")
#: On real data, a result within this distance of the paper's counts as reproduced (the book's choice: the
#: papers give no interval for their accuracies).
RESULT_TOLERANCE = 0.05


@dataclass(frozen=True)
class Value:
    """One number the paper states and a chapter computes: ``name`` is what the item's page records it as
    (:func:`painlib.findings.record`), ``paper`` the value from :mod:`painlib.published`. ``kind`` sets the
    verdict: ``"exact"`` (an architecture's count: equal or not), ``"interval"`` (this build records a 95 %
    interval as ``<name>_low`` and ``<name>_high``: is the paper's value inside?), ``"count"`` (a dataset's size,
    comparable on real data only) or ``"result"`` (comparable on real data only, within
    :data:`RESULT_TOLERANCE`)."""

    quantity: str
    paper: float
    name: str
    kind: str = "result"


@dataclass(frozen=True)
class Item:
    """A table or figure of a paper and the page that reproduces it (None: not yet, or ``never`` when it is out
    of the book's reach; ``note`` says why)."""

    paper: str
    item: str
    what: str
    page: str | None
    note: str = ""
    values: tuple[Value, ...] = field(default_factory=tuple)
    never: bool = False


_SCALES = {"facs": "FACS", "ncapc": "NCAPC", "wong_baker": "Wong-Baker"}


def _neonatal_values(model: str) -> tuple[Value, ...]:
    averages = published.NEONATAL_TABLE_AVERAGES[model]
    return tuple(Value(f"{model} mean {m}", averages[m][0], f"{model}_{m}") for m in ("accuracy", "f1", "auc"))


#: Every table and figure of the two studies' methods and results, in the papers' order.
ITEMS: tuple[Item, ...] = (
    Item(
        CP,
        "Table 1",
        "clinical characteristics of the 53 participants with CP",
        None,
        "clinical records, not images",
        never=True,
    ),
    Item(
        CP,
        "Table 2",
        "PAIN-DB: users, images, levels and resolution per source",
        "01_dataset_construction",
    ),
    Item(
        CP,
        "text (data)",
        "CP-PAIN's number of images",
        "01_dataset_construction",
        values=(Value("CP-PAIN images", published.CP_PAIN_IMAGES, "cp_images", "count"),),
    ),
    Item(CP, "Figure 1", "pain and no-pain images of the four datasets", "00_synthetic_faces"),
    Item(CP, "Figure 2", "faces after cropping and background removal", "01_dataset_construction"),
    Item(CP, "Table 3", "the ten network architectures and their parameters", "03_models_and_learning_rate"),
    Item(CP, "Figure 3", "LIME's explanation process", "06_adult_explanations"),
    Item(
        CP,
        "Table 4",
        "ICC(2,k) of the three scales, overall and per source of pain; consensus labels",
        "02_rater_reliability",
        values=tuple(
            Value(
                f"ICC(2,k) {_SCALES[scale]}, {stimulus}",
                published.CP_ICC2K.loc[stimulus, scale],
                f"icc_{stimulus}_{scale}",
                "interval",
            )
            for stimulus in published.CP_ICC2K.index
            for scale in ("wong_baker", "ncapc", "facs")
        ),
    ),
    Item(
        CP,
        "Figure 4",
        "accuracy and F1 per network, three scenarios",
        "04_training_scenario_subject_wise",
        values=(Value("best accuracy on people unseen in training (text: at most 70 %)", 0.70, "best_accuracy"),),
    ),
    Item(
        CP,
        "Figure 5",
        "precision and recall per class on CP-PAIN",
        "04_training_scenario_cross_dataset",
        values=tuple(
            Value(f"InceptionV3 {m} on CP-PAIN (text)", v, f"inceptionv3_{m}")
            for m, v in published.CP_STATED_METRICS["cross_dataset"].loc["inceptionv3"].items()
        ),
    ),
    Item(CP, "Figure 6", "LIME heatmaps per model, class and dataset", "06_adult_explanations"),
    Item(CP, "Figures 7–10", "InceptionV3's correct and incorrect predictions", "06_adult_explanations"),
    Item(NEONATAL, "Section 3.1", "UNIFESP and iCOPE: neonates and images per class", "01_dataset_construction"),
    Item(NEONATAL, "Figure 8", "augmented copies of an image", "05_neonatal_models"),
    Item(
        NEONATAL,
        "Appendices A–B",
        "VGG-Face and adapted N-CNN layer by layer",
        "05_neonatal_models",
        values=tuple(
            Value(f"{model} parameters", published.NEONATAL_PARAMETERS[model], f"params_{model}", "exact")
            for model in ("vggface", "ncnn")
        ),
    ),
    Item(
        NEONATAL,
        "Table 1",
        "VGG-Face per leave-some-subjects-out fold",
        "05_neonatal_models",
        values=_neonatal_values("vggface"),
    ),
    Item(NEONATAL, "Table 2", "adapted N-CNN per fold", "05_neonatal_models", values=_neonatal_values("ncnn")),
    Item(NEONATAL, "Figures 10–12", "post-processing of the attribution maps", "07_neonatal_explanations"),
    Item(NEONATAL, "Figures 14–15", "Grad-CAM at several depths of both networks", "07_neonatal_explanations"),
    Item(
        NEONATAL,
        "Figure 16",
        "Grad-CAM and Integrated Gradients beside eye-tracking heatmaps",
        "08_human_and_machine_attention",
        "the networks' maps in chapter 07; the gaze of simulated viewers, not of the study's participants",
    ),
    Item(
        NEONATAL,
        "Tables 3–5, Figure 17",
        "similarity of human and machine attention",
        "08_human_and_machine_attention",
        "people's values are of simulated viewers: they measure the simulation's assumptions",
        values=(
            *(
                Value(
                    f"experts–parents {m}, pain",
                    published.ATTENTION_TABLES[("pain", m)].loc["experts", "parents"],
                    f"experts_parents_{m}_pain",
                )
                for m in ("cosine", "spearman", "overlap")
            ),
            Value(
                "VGG-Face Grad-CAM–experts cosine, pain",
                published.ATTENTION_TABLES[("pain", "cosine")].loc["experts", "gradcam_vggface"],
                "vggface_gradcam_experts_cosine_pain",
            ),
        ),
    ),
)


#: Where the executed pages are, unless a caller names another folder (the runner passes its output folder to
#: the page that reads the others, as its parameter ``executed_dir``).
EXECUTED_DIR = Path("book/executed")


def coverage(folder: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per table or figure: paper, item, what it shows, the chapter page that reproduces it (or why there
    is none) and its ``status`` — executed (in ``folder``, default :data:`EXECUTED_DIR`), not executed, not yet,
    or out of reach."""
    folder = Path(folder or EXECUTED_DIR)
    rows = []
    for item in ITEMS:
        executed = item.page is not None and (folder / f"{item.page}.ipynb").is_file()
        status = (
            "out of reach"
            if item.never
            else "not yet"
            if item.page is None
            else "executed"
            if executed
            else "not executed"
        )
        page = item.page or (f"out of reach: {item.note}" if item.never else f"not yet: {item.note}")
        rows.append({"paper": item.paper, "item": item.item, "what": item.what, "page": page, "status": status})
    return pd.DataFrame(rows)


def verdict(value: Value, ours: dict[str, float], synthetic_reason: str | None = None) -> tuple[str, str]:
    """What this build's ``ours`` (the findings its page recorded, :func:`painlib.findings.read`) says of
    ``value``: one of :data:`VERDICTS` and why, in a phrase (``synthetic_reason``: why a result on synthetic data
    is not comparable, where the item says more than "synthetic faces")."""
    found = ours.get(value.name)
    if not ours:
        return "not executed", "its page recorded nothing in this build"
    if found is None:
        return "not comparable", "its page could not compute it here (undefined on these data, or not trained)"
    synthetic = bool(ours.get("synthetic", 1))
    if value.kind == "exact":
        same = found == value.paper
        return ("reproduced" if same else "not reproduced"), (
            "the same count" if same else f"{found - value.paper:+,.0f} against the paper"
        )
    if value.kind == "interval":
        low, high = ours.get(f"{value.name}_low"), ours.get(f"{value.name}_high")
        if low is None or high is None:
            return "not comparable", "this build's interval is undefined"
        inside = low <= value.paper <= high
        where = "inside" if inside else "outside"
        why = f"the paper's value lies {where} this build's 95 % interval [{low:.3f}, {high:.3f}]"
        if synthetic:  # simulated raters: a check of the simulation's calibration, and a wide interval would pass
            return "not comparable", why + ", but the raters are simulated"
        return ("reproduced" if inside else "not reproduced"), why
    if synthetic:
        reason = (
            "the synthetic set's size follows from the profile's number of people"
            if value.kind == "count"
            else synthetic_reason
            or "synthetic faces and the profile's reduced training: the chapter compares orderings, not levels"
        )
        return "not comparable", reason
    if value.kind == "count":
        same = found == value.paper
        return ("reproduced" if same else "not reproduced"), f"{found - value.paper:+,.0f} against the paper"
    close = abs(found - value.paper) <= RESULT_TOLERANCE
    return ("reproduced" if close else "not reproduced"), (
        f"{found - value.paper:+.3f} against the paper (the book counts ±{RESULT_TOLERANCE} as reproduced)"
    )


def side_by_side(data_dir: str | os.PathLike = "data", executed_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every value a paper states and a chapter computes: paper, item, quantity, the paper's value, this build's
    (NaN where its page recorded none), the :func:`verdict` and why, and the page. ``data_dir`` is where the
    chapters recorded their findings (:func:`painlib.findings.read`); with ``executed_dir``, a page without an
    executed copy there counts as not executed in this build, whatever an older build recorded."""
    recorded = findings.read(data_dir)
    rows = []
    for item in ITEMS:
        for value in item.values:
            executed = executed_dir is None or (Path(executed_dir) / f"{item.page}.ipynb").is_file()
            ours = recorded.get(item.page, {}) if executed else {}
            said, why = verdict(value, ours, item.note)
            rows.append(
                {
                    "paper": item.paper,
                    "item": item.item,
                    "quantity": value.quantity,
                    "paper's value": float(value.paper),
                    "this build": ours.get(value.name, np.nan),
                    "verdict": said,
                    "why": why,
                    "page": item.page,
                }
            )
    return pd.DataFrame(rows)


def linked(coverage_rows: pd.DataFrame):
    """:func:`coverage` as a table whose pages link to the chapter (pages of the book lie side by side, so a
    link is the page's name with ``.html``); for display on the page."""
    table = coverage_rows.drop(columns="status")

    def link(page: str) -> str:
        return page if page.startswith(("not yet", "out of reach")) else f'<a href="{page}.html">{page}</a>'

    return table.style.format({"page": link}).hide(axis="index")


def styled(values: pd.DataFrame):
    """:func:`side_by_side` for display: counts as whole numbers with thousands separators, fractions to three
    significant digits, "not executed" where this build has no value."""

    def number(v: float) -> str:
        if pd.isna(v):
            return "not executed"
        return f"{v:,.0f}" if float(v).is_integer() and abs(v) >= 100 else f"{v:.3g}"

    return values.style.format({"paper's value": number, "this build": number}).hide(axis="index")
