"""Which table and figure of the two studies each chapter reproduces, with the paper's value beside this build's
where both exist (the page "What this book reproduces").

The paper's values come from :mod:`painlib.published`; this build's are the numbers the chapters glued into
their executed pages, read back from those notebooks — nothing here is typed twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import published

CP = "CP paper"
#: What :func:`coverage` says of an item.
STATUSES = ("executed", "not executed", "not yet", "out of reach")
NEONATAL = "neonatal dissertation"


@dataclass(frozen=True)
class Value:
    """One number the paper states and a chapter computes: ``glue`` is the name it is glued under on the
    item's page; ``paper`` the value from :mod:`painlib.published`."""

    quantity: str
    paper: float
    glue: str


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


def _neonatal_values(model: str) -> tuple[Value, ...]:
    averages = published.NEONATAL_TABLE_AVERAGES[model]
    return tuple(Value(f"mean {m}", averages[m][0], f"ours_{model}_{m}") for m in ("accuracy", "f1", "auc"))


#: Every table and figure of the two studies' methods and results, in the papers' order.
ITEMS: tuple[Item, ...] = (
    Item(
        CP, "Table 1", "clinical characteristics of the 53 participants with CP", None, "clinical records, not images"
    ),
    Item(
        CP,
        "Table 2",
        "PAIN-DB: users, images, levels and resolution per source",
        "01_dataset_construction",
        values=(Value("CP-PAIN images (text)", published.CP_PAIN_IMAGES, "cp_images"),),
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
            Value(f"ICC(2,k) {scale}, all videos", published.CP_ICC2K.loc["all", scale], f"icc_{scale}")
            for scale in ("wong_baker", "ncapc", "facs")
        ),
    ),
    Item(CP, "Figure 4", "accuracy and F1 per network, three scenarios", "04_training_scenario_image_wise"),
    Item(CP, "Figure 5", "precision and recall per class on CP-PAIN", "04_training_scenario_cross_dataset"),
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
            Value(f"{model} parameters", published.NEONATAL_PARAMETERS[model], f"params_{model}")
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
                    f"ours_{m}_pain",
                )
                for m in ("cosine", "spearman", "overlap")
            ),
            Value(
                "VGG-Face Grad-CAM–experts cosine, pain",
                published.ATTENTION_TABLES[("pain", "cosine")].loc["experts", "gradcam_vggface"],
                "ours_vggface_gradcam_experts_cosine",
            ),
        ),
    ),
)


#: Where the executed pages are, unless a caller names another folder (the runner passes its output folder to
#: the page that reads the others, as its parameter ``executed_dir``).
EXECUTED_DIR = Path("book/executed")


def read_glue(notebook: str | os.PathLike) -> dict[str, str]:
    """The values an executed notebook glued (name → the Markdown of a glued sentence, else the value's plain-text
    form); empty if it does not exist."""
    path = Path(notebook)
    if not path.is_file():
        return {}
    found = {}
    for cell in json.loads(path.read_text())["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            data = output.get("data", {})
            text = data.get(
                "application/papermill.record/text/markdown", data.get("application/papermill.record/text/plain")
            )
            if name and text is not None:
                found[name] = "".join(text) if isinstance(text, list) else text
    return found


def _number(text: str | None, page: str, name: str) -> float:
    """A glued number as a float; NaN where the page glued nothing under ``name`` (it was not executed), an error
    where it glued something that is not a number."""
    if text is None:
        return np.nan
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{page} glued {name!r} as {text!r}, which is not a number") from None


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


def side_by_side(folder: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every value both a paper states and a chapter computes: paper, item, quantity, the paper's value, this
    build's (NaN where its page was not executed) and the page."""
    folder = Path(folder or EXECUTED_DIR)
    rows = []
    glued: dict[str, dict[str, str]] = {}
    for item in ITEMS:
        for value in item.values:
            if item.page not in glued:
                glued[item.page] = read_glue(folder / f"{item.page}.ipynb")
            rows.append(
                {
                    "paper": item.paper,
                    "item": item.item,
                    "quantity": value.quantity,
                    "paper's value": float(value.paper),
                    "this build": _number(glued[item.page].get(value.glue), item.page, value.glue),
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
