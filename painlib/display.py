"""How the book's tables read: names in words and numbers in one format, without touching the data.

A result table keeps the identifiers code needs (``alexnet``, ``image_wise``, ``wong_baker``) and full-precision
floats. :func:`table_html` renders such a table for a reader: the identifiers of things (networks, scenarios,
scales, datasets, classes) become their names wherever they appear — index, column labels, cells — p-values
read "< 0.001" instead of "0.0", floats get three decimals (small quantities such as learning rates keep their
significant digits), whole numbers get thousands separators, missing values a dash, and nothing is cut short
with "...". Column labels that name a quantity (``p_holm``, ``relevance_mass``) stay as they are: the pages'
prose defines them under those names, and code reads them the same way.

:func:`show_tables_readably` makes Jupyter use it for every DataFrame a page shows (``painlib.setup`` calls it),
so ``table`` in a cell shows the readable form while ``table.loc["alexnet"]`` still works;
``print(table)`` shows the table as stored, and a table marked :data:`VERBATIM` (the provenance of a page,
whose parameter values a reader copies into ``-p``) is shown as it is.
"""

from __future__ import annotations

import numbers
import re

import numpy as np
import pandas as pd

from .published import ATTENTION_SOURCES

NAMES = {
    # networks (chapters 03–07)
    "alexnet": "AlexNet",
    "songnet": "SongNet",
    "weinet": "WeiNet",
    "vgg16": "VGG16",
    "vgg19": "VGG19",
    "resnet50": "ResNet50",
    "resnet101v2": "ResNet101V2",
    "inceptionv3": "InceptionV3",
    "xception": "Xception",
    "silnet": "SilNet",
    "vggface": "VGG-Face",
    "ncnn": "N-CNN",
    "small_cnn": "small CNN (control)",
    # training scenarios (chapters 00 and 04)
    "image_wise": "image-wise",
    "subject_wise": "subject-wise",
    "cross_dataset": "PAIN-DB → CP-PAIN",
    # pain scales and raters (chapter 02)
    "facs": "FACS",
    "ncapc": "NCAPC",
    "wong_baker": "Wong-Baker",
    "rater_1": "rater 1",
    "rater_2": "rater 2",
    # datasets and populations (chapters 00 and 01)
    "unbc": "UNBC-McMaster",
    "mint": "MInt PAIN",
    "delaware": "Delaware",
    "unifesp": "UNIFESP",
    "icope": "iCOPE",
    # classes, occlusions and explanation methods
    "cp": "CP",
    "no_pain": "no pain",
    "surgical_mask": "surgical mask",
    "shoulder_motion": "shoulder motion",
    "gradcam": "Grad-CAM",
    "ig": "IG",
    # chapter 08's map sources, as the dissertation's Tables 3–5 label them ("experts" and "parents" stay words)
    **{source: label for source, label in ATTENTION_SOURCES.items() if source not in ("experts", "parents")},
}
"""Identifier → the name a reader reads. Only names of things: a quantity's column label keeps its code name."""


#: Set ``table.attrs[VERBATIM] = True`` on a table whose text must be shown exactly as it is, identifiers and all.
VERBATIM = "painlib.verbatim"


def name(label):
    """The reader's name of one identifier, or of the identifiers in a label (:func:`words`: "vggface conv1_2" →
    "VGG-Face conv1_2"); tuples (MultiIndex keys) name each part; anything else is returned as it is."""
    if isinstance(label, tuple):
        return tuple(name(part) for part in label)
    return words(label) if isinstance(label, str) else label


_ID_IN_PROSE = re.compile(r"`(" + "|".join(NAMES) + r")`|(?<![\w./-])(" + "|".join(NAMES) + r")(?![\w/-]|\.\w)")


def words(text: str) -> str:
    """``text`` with the identifiers of :data:`NAMES` written as names: "`silnet` and ncnn" → "SilNet and N-CNN".
    Only whole identifiers, not parts of longer ones, paths or file names."""
    return _ID_IN_PROSE.sub(lambda m: NAMES[m.group(1) or m.group(2)], text)


def listing(items, conjunction: str = "and") -> str:
    """Items as a sentence lists them: "A", "A and B", "A, B and C" (each item as given; :func:`words` names
    identifiers when the sentence is glued)."""
    items = [str(item) for item in items]
    if len(items) <= 2:
        return f" {conjunction} ".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def is_p_value(column) -> bool:
    """Columns holding p-values: ``p``, ``pval``, ``p-unc``, ``p_…`` and ``…_p`` (also a MultiIndex's last level)."""
    last = str(column[-1] if isinstance(column, tuple) else column)
    return last in ("p", "pval", "p-unc", "p-value") or last.startswith("p_") or last.endswith("_p")


def format_p(p) -> str:
    """Three decimals, "< 0.001" below that (a p-value is never exactly 0), a dash when missing."""
    if _missing(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_column(values: pd.Series, decimals: int = 3, p_value: bool = False) -> pd.Series:
    """One column as text, formatted as a whole so that its numbers line up.

    Whole numbers (also floats that are all whole): thousands separators. Other floats: ``decimals`` places,
    except a column whose values all lie below 0.01 in size (learning rates, small shares), which keeps four
    significant digits (0.0001, 0.00001) instead of printing 0.000. Seconds (a label ending in ``seconds``):
    one decimal. Booleans: yes / no. Missing: a dash. Anything else: its name (:func:`name`).
    """
    if p_value:
        return values.map(lambda v: format_p(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else v)
    label = str(values.name[-1] if isinstance(values.name, tuple) else values.name)
    places = 1 if label.endswith("seconds") else decimals
    separators = not any(word in label for word in ("year", "seed"))
    if values.dtype == object:  # a transposed table's column mixes quantities: each number on its own
        return values.map(lambda v: _text(v, _kind([v]), places, separators))
    kind = _kind(values)
    return values.map(lambda v: _text(v, kind, places, separators))


def _kind(column) -> str:
    """How a column's numbers are written: "whole", "small" (all below 0.01 in size) or "decimal"."""
    present = [float(x) for x in column if isinstance(x, numbers.Real) and not isinstance(x, bool) and not _missing(x)]
    if all(x.is_integer() for x in present):
        return "whole"
    return "small" if max(abs(x) for x in present) < 0.01 else "decimal"


def _text(v, kind: str, places: int, separators: bool) -> str:
    """One cell as text, a number written as its column's ``kind`` says (see :func:`format_column`)."""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if _missing(v):
        return "—"
    if not isinstance(v, numbers.Real):
        return words(v) if isinstance(v, str) else name(v)
    if kind == "whole":
        return f"{int(v):,}" if separators else str(int(v))
    if kind == "small" or 0 < abs(v) < 0.5 * 10**-places:  # 0.0001 among 0.001 and 0.01 is not "0.000"
        return np.format_float_positional(float(v), precision=4, unique=True, fractional=False, trim="-")
    return f"{float(v):.{places}f}"


def readable(table: pd.DataFrame, decimals: int = 3) -> pd.DataFrame:
    """``table`` as the text a reader reads (see the module's description); the input is not changed.

    A summary's ``<metric>_mean``, ``<metric>_std`` and ``<metric>_n`` columns become one column ``<metric>``
    reading "mean ± sd", and one ``runs`` column when every metric rests on the same runs (else
    ``<metric> runs`` beside each): a table of five metrics takes six columns instead of fifteen."""
    table = _mean_and_spread(table, decimals)
    out = pd.DataFrame(
        {i: format_column(table.iloc[:, i], decimals, is_p_value(c)) for i, c in enumerate(table.columns)},
        index=table.index,
    )
    out.columns = table.columns.map(name) if not isinstance(table.columns, pd.RangeIndex) else table.columns
    out.columns.names = [name(n) for n in table.columns.names]
    out.index = table.index.map(name)
    out.index.names = [name(n) for n in table.index.names]
    return out


def table_html(table: pd.DataFrame, decimals: int = 3) -> str:
    """HTML of :func:`readable` ``table``, with every row, column and character shown (a default 0, 1, 2, …
    index, which says nothing, left out)."""
    plain = isinstance(table.index, pd.RangeIndex) and table.index.name is None and table.index.start == 0
    with pd.option_context("display.max_colwidth", None, "display.max_columns", None, "display.max_rows", 200):
        if table.attrs.get(VERBATIM):  # values a reader copies as they are (e.g. the parameters a page ran with)
            return table.to_html(notebook=True, na_rep="—", index=not plain)
        return readable(table, decimals).to_html(notebook=True, na_rep="—", index=not plain)


def _mean_and_spread(table: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """Fold each ``<m>_mean`` / ``<m>_std`` / ``<m>_n`` triple of ``table`` into a "mean ± sd" text column ``<m>``
    (see :func:`readable`); a table without such triples is returned as it is."""
    if isinstance(table.columns, pd.MultiIndex):
        return table
    labels = [str(c) for c in table.columns]
    metrics = [
        c[: -len("_mean")] for c in labels if c.endswith("_mean") and {c[:-5] + "_std", c[:-5] + "_n"} <= set(labels)
    ]
    if not metrics:
        return table
    out = pd.DataFrame(index=table.index)
    counts = table[[f"{m}_n" for m in metrics]]
    same_runs = bool(counts.nunique(axis=1).le(1).all())
    for column in table.columns:
        label = str(column)
        metric = next((m for m in metrics if label in (f"{m}_mean", f"{m}_std", f"{m}_n")), None)
        if metric is None:
            out[column] = table[column]
        elif label == f"{metric}_mean":
            mean, spread = table[f"{metric}_mean"], table[f"{metric}_std"]
            out[metric] = [
                "—" if _missing(a) else f"{a:.{decimals}f}" + ("" if _missing(b) else f" ± {b:.{decimals}f}")
                for a, b in zip(mean, spread)
            ]
            if not same_runs:
                out[f"{metric} runs"] = table[f"{metric}_n"]
    if same_runs:
        out["runs"] = counts.iloc[:, 0]
    return out


def show_tables_readably() -> bool:
    """Make the running IPython kernel show DataFrames (and Series) through :func:`table_html`; False outside
    IPython. ``print(df)`` and ``df.to_string()`` are unaffected."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pd.DataFrame, table_html)
    formatter.for_type(pd.Series, lambda s: table_html(s.to_frame()))
    return True


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
