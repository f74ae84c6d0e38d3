"""Observational pain scales, inter-rater reliability (ICC) and consensus labels (chapter 02).

A *ratings table* has one row per (target, rater): the item sheet a rater filled in for one video or image
(schema in :mod:`painlib.scales`).

:func:`score_ratings` turns it into a long table of scale scores, :func:`icc` measures agreement on it and
:func:`consensus_labels` turns it into pain / no-pain labels with the CP paper's unanimous-zero rule.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin
from scipy import stats

from .facs import AUS, pspi
from .manifest import require_columns
from .scales import ID_COLUMNS, NCAPC_SUBSCALES, RATINGS_COLUMNS, WONG_BAKER_FACES

log = logging.getLogger(__name__)

#: Shrout & Fleiss (1979) names of pingouin's McGraw & Wong labels.
_ICC_NAMES = {
    "ICC(1,1)": "ICC1",
    "ICC(A,1)": "ICC2",
    "ICC(C,1)": "ICC3",
    "ICC(1,k)": "ICC1k",
    "ICC(A,k)": "ICC2k",
    "ICC(C,k)": "ICC3k",
}
_ICC_DESCRIPTION = {
    "ICC1": "one-way random, single rater",
    "ICC2": "two-way random, absolute agreement, single rater",
    "ICC3": "two-way mixed, consistency, single rater",
    "ICC1k": "one-way random, mean of k raters",
    "ICC2k": "two-way random, absolute agreement, mean of k raters",
    "ICC3k": "two-way mixed, consistency, mean of k raters",
}
#: Fleiss (1986) categories used by the CP paper: below 0.40 low, 0.40–0.75 fair to good, above 0.75 excellent
#: (upper bound, name); 0.40 itself is fair to good and 0.75 itself is not yet excellent.
ICC_CATEGORIES: tuple[tuple[float, str], ...] = ((0.40, "low"), (0.75, "fair to good"), (np.inf, "excellent"))


#: Fewest targets an ICC is computed from (pingouin's ANOVA needs five ratings; three targets is a bare minimum).
MIN_TARGETS = 3


#: How to ask for incomplete rows or targets to be left out, true for the API and for chapter 02 alike.
_DROP_HINT = "set the parameter missing='drop' (`-p missing=drop` in chapters 01 and 02)"


class IncompleteRatingsError(ValueError):
    """A rating table where some target lacks a rating from some rater (or has two)."""


# --------------------------------------------------------------------------------------------------- items


def _check_items(
    table: pd.DataFrame, columns: Sequence[str], low: int, high: int, missing: str = "raise", what: str = "ratings"
) -> pd.DataFrame:
    """Validate item columns: integers in ``[low, high]``; return the rows that may be scored.

    Missing values raise an error naming the rows and columns, unless ``missing="drop"``, which drops those rows
    and logs how many (the dropped row labels are kept in ``result.attrs["dropped_rows"]``). A value out of range
    or not a whole number always raises: a typo must not become a score. For a table read by
    :func:`read_ratings` the errors name the file and cite its CSV lines (header = line 1); otherwise they cite
    the DataFrame's row labels.
    """
    if missing not in ("raise", "drop"):
        raise ValueError(f"missing must be 'raise' or 'drop', not {missing!r}")
    if table.attrs.get("source"):
        what = f"{what} in {table.attrs['source']}"
    require_columns(table, columns, what)
    values = table[list(columns)].apply(pd.to_numeric, errors="coerce")
    text = table[list(columns)].notna() & values.isna()
    if text.any().any():
        raise ValueError(f"{what}: non-numeric values at {_cells(text, table)}")
    out_of_range = values.notna() & ((values < low) | (values > high) | (values % 1 != 0))
    if out_of_range.any().any():
        raise ValueError(f"{what}: values must be whole numbers {low}–{high}; not so at {_cells(out_of_range, table)}")
    gaps = values.isna()
    if gaps.any().any():
        if missing == "raise":
            raise ValueError(
                f"{what}: missing values at {_cells(gaps, table)}; fill them in, or {_DROP_HINT} to score only "
                "complete rows"
            )
        dropped = list(table.index[gaps.any(axis=1)])
        log.warning(
            "%s: dropped %d row(s) with missing items: %s",
            what,
            len(dropped),
            ", ".join(_row_name(table, r) for r in dropped[:20]),
        )
        table = table.loc[~gaps.any(axis=1)].copy()
        table.attrs["dropped_rows"] = dropped
    return table


def _row_name(table: pd.DataFrame, label) -> str:
    """'line 5' for row label 3 of a table read by :func:`read_ratings` (header = line 1), else 'row 3'."""
    if table.attrs.get("source") and isinstance(label, (int, np.integer)):
        return f"line {int(label) + 2}"
    return f"row {label!r}"


def _cells(mask: pd.DataFrame, table: pd.DataFrame, limit: int = 10) -> str:
    """'row 3 column au4 (value 7), …' (or 'line 5 …' for a CSV read by :func:`read_ratings`) for the True cells
    of ``mask``."""
    rows, cols = np.nonzero(mask.to_numpy())
    cells = []
    for r, c in zip(rows[:limit], cols[:limit]):
        value = table[mask.columns[c]].iloc[r]
        value = value.item() if isinstance(value, np.generic) else value
        cells.append(f"{_row_name(table, table.index[r])} column {mask.columns[c]!r} (value {value!r})")
    return ", ".join(cells) + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def facs_pain_score(table: pd.DataFrame, missing: str = "raise") -> pd.Series:
    """FACS pain score 0–20: AU4 + max(AU6, AU7) + max(AU9, AU10) + AU43 from intensities 0–5.

    ``table`` has the columns of :data:`painlib.facs.AUS`; returns one score per (kept) row, same index.
    """
    return pspi(_check_items(table, AUS, 0, 5, missing, "FACS items")).rename("facs")


def ncapc_score(
    table: pd.DataFrame, missing: str = "raise", subscales: dict[str, Sequence[str]] | None = None
) -> pd.DataFrame:
    """NCAPC subscale sums and total (0–54) from the 18 items, each 0–3.

    Returns a DataFrame with one column per subscale (vocal, emotional, facial, body_language, protective,
    physiological) and ``ncapc`` (the total), same index as the kept rows of ``table``.
    """
    subscales = NCAPC_SUBSCALES if subscales is None else subscales
    items = [i for group in subscales.values() for i in group]
    t = _check_items(table, items, 0, 3, missing, "NCAPC items")
    out = pd.DataFrame({name: t[list(group)].astype(float).sum(axis=1) for name, group in subscales.items()})
    out["ncapc"] = out.sum(axis=1)
    return out


def wong_baker_score(table: pd.DataFrame, missing: str = "raise", faces_only: bool = False) -> pd.Series:
    """Wong-Baker FACES score 0–10 from the column ``wong_baker``.

    With ``faces_only=True`` only the six faces (0, 2, …, 10) are accepted; otherwise any whole number 0–10.
    """
    t = _check_items(table, ["wong_baker"], 0, 10, missing, "Wong-Baker")
    score = t["wong_baker"].astype(float)
    if faces_only:
        odd = score[~score.isin(WONG_BAKER_FACES)]
        if len(odd):
            where = f" in {table.attrs['source']}" if table.attrs.get("source") else ""
            cells = ", ".join(f"{_row_name(table, r)} (value {v:g})" for r, v in odd.iloc[:10].items())
            raise ValueError(f"Wong-Baker{where}: {cells} are not one of the faces {WONG_BAKER_FACES}")
    return score


def score_ratings(ratings: pd.DataFrame, missing: str = "raise") -> pd.DataFrame:
    """Score every scale of a ratings table (see the module docstring) into a long table.

    Returns columns target, rater, stimulus, scale (facs, ncapc, wong_baker), score. With ``missing="drop"``
    a row missing an item of one scale loses only that scale's score.
    """
    require_columns(ratings, ID_COLUMNS, "ratings table")
    scores = {
        "facs": facs_pain_score(ratings, missing),
        "ncapc": ncapc_score(ratings, missing)["ncapc"],
        "wong_baker": wong_baker_score(ratings, missing),
    }
    parts = [
        ratings.loc[s.index, list(ID_COLUMNS)].assign(scale=name, score=s.to_numpy()) for name, s in scores.items()
    ]
    out = pd.concat(parts, ignore_index=True)
    out.attrs.pop("source", None)  # its rows are no longer the CSV's lines
    return out


def read_ratings(path: str | os.PathLike) -> pd.DataFrame:
    """Read a ratings CSV (one row per target and rater, columns :data:`RATINGS_COLUMNS`) and validate it
    (chapters 01 and 02).

    The file's path is kept in ``table.attrs["source"]``, so that the scoring functions' errors name the file
    and cite CSV lines: DataFrame row ``i`` is line ``i + 2`` (line 1 is the header; a spreadsheet writes one
    line per row). Those line numbers hold while the table keeps the index read here — filtering keeps it,
    ``reset_index`` does not.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no ratings table at {path}")
    expected = f"a header line naming the columns {list(RATINGS_COLUMNS[:4])} … and one row per target and rater"
    try:
        table = pd.read_csv(path, dtype={"target": str, "rater": str, "stimulus": str})
    except pd.errors.EmptyDataError as err:
        raise ValueError(f"ratings table {path} is empty; expected {expected}") from err
    except pd.errors.ParserError as err:
        raise ValueError(f"ratings table {path} is not a readable CSV: {err}") from err
    require_columns(table, RATINGS_COLUMNS, f"ratings table {path}")
    if table.empty:
        raise ValueError(f"ratings table {path} has a header but no rows; expected {expected}")
    table.attrs["source"] = str(path)
    dup = table.duplicated(["target", "rater"], keep=False)
    if dup.any():
        pairs = table.loc[dup, ["target", "rater"]].groupby(["target", "rater"], sort=False).groups
        listed = [f"{pair} at lines {[int(i) + 2 for i in rows]}" for pair, rows in list(pairs.items())[:10]]
        raise ValueError(f"{path}: more than one row for (target, rater): {'; '.join(listed)}")
    return table


# ----------------------------------------------------------------------------------------------------- ICC


def _check_complete(data: pd.DataFrame, targets: str, raters: str, ratings: str) -> None:
    """Raise :class:`IncompleteRatingsError` unless every target has exactly one rating by every rater."""
    require_columns(data, [targets, raters, ratings], "rating table")
    counts = data.dropna(subset=[ratings]).pivot_table(
        index=targets, columns=raters, values=ratings, aggfunc="size", fill_value=0, observed=True
    )
    counts = counts.reindex(index=pd.unique(data[targets]), columns=pd.unique(data[raters]), fill_value=0)
    gaps = [(t, r) for t, r in zip(*np.nonzero(counts.to_numpy() == 0))]
    twice = [(t, r) for t, r in zip(*np.nonzero(counts.to_numpy() > 1))]
    problems = []
    if gaps:
        named = [(counts.index[t], counts.columns[r]) for t, r in gaps]
        problems.append(
            f"{len(named)} missing (target, rater) rating(s): {named[:10]}{' …' if len(named) > 10 else ''}"
        )
    if twice:
        named = [(counts.index[t], counts.columns[r]) for t, r in twice]
        problems.append(f"{len(named)} (target, rater) pair(s) rated more than once: {named[:10]}")
    if problems:
        raise IncompleteRatingsError(
            "; ".join(problems) + f". Complete the table, or {_DROP_HINT} to leave those targets out."
        )


def _complete_rows(
    data: pd.DataFrame, targets: str, raters: str, ratings: str, missing: str, what: str
) -> tuple[pd.DataFrame, list]:
    """``(data, [])`` if every target is rated once by every rater, else raise — or with ``missing="drop"``
    the complete targets only and the dropped ones, logged."""
    if missing == "drop":
        data, dropped = _drop_incomplete(data, targets, raters, ratings)
        if dropped:
            log.warning("%s: left out %d incomplete target(s): %s", what, len(dropped), dropped[:20])
        return data, dropped
    _check_complete(data, targets, raters, ratings)
    return data, []


def _drop_incomplete(data: pd.DataFrame, targets: str, raters: str, ratings: str) -> tuple[pd.DataFrame, list]:
    """Keep only targets rated once by every rater; return ``(kept_rows, dropped_targets)``."""
    rated = data.dropna(subset=[ratings])
    n_raters = data[raters].nunique()
    per_target = rated.groupby(targets, observed=True)[raters].agg(["nunique", "size"])
    complete = per_target.index[(per_target["nunique"] == n_raters) & (per_target["size"] == n_raters)]
    dropped = sorted(set(data[targets]) - set(complete), key=str)
    return rated[rated[targets].isin(complete)], dropped


def icc(
    data: pd.DataFrame,
    targets: str,
    raters: str,
    ratings: str,
    by: str | Sequence[str] | None = None,
    missing: str = "raise",
) -> pd.DataFrame:
    """All six Shrout & Fleiss intraclass correlations from a long table (one row per target and rater).

    Computed by :func:`pingouin.intraclass_corr`. Returns one row per form with the columns ``Type`` (ICC1,
    ICC2, ICC3, ICC1k, ICC2k, ICC3k), ``Description``, ``ICC``, ``F``, ``df1``, ``df2``, ``pval``, ``CI95%``
    (as pingouin gives it, rounded to 2 decimals, so it may exclude the ICC), ``ci_low`` and ``ci_high`` (the
    same 95 % interval unrounded, :func:`_icc_confidence_intervals`), ``n_targets``, ``n_raters`` and
    ``interpretation`` (:func:`interpret_icc`). With ``by`` (for example ``"stimulus"`` or
    ``["scale", "stimulus"]``) the table is computed per group and the group columns lead.
    The CP paper reports ICC2k: two-way random effects, absolute agreement, mean of the k raters.

    An incomplete table raises :class:`IncompleteRatingsError` listing the gaps; ``missing="drop"`` leaves the
    incomplete targets out, logs them and lists them in ``result.attrs["dropped_targets"]``.
    """
    if missing not in ("raise", "drop"):
        raise ValueError(f"missing must be 'raise' or 'drop', not {missing!r}")
    require_columns(data, [targets, raters, ratings], "rating table")
    if by is not None:
        keys = [by] if isinstance(by, str) else list(by)
        require_columns(data, keys, "rating table")
        parts, dropped = [], []
        for group, rows in data.groupby(keys, sort=True, observed=True):
            if rows[targets].nunique() < MIN_TARGETS:
                log.warning(
                    "ICC: group %s has %d target(s), fewer than %d; its ICC is left empty",
                    dict(zip(keys, group)),
                    rows[targets].nunique(),
                    MIN_TARGETS,
                )
                table = _empty_icc(rows[targets].nunique(), rows[raters].nunique())
            else:
                try:
                    table = icc(rows, targets, raters, ratings, missing=missing)
                except ValueError as err:
                    raise type(err)(f"group {dict(zip(keys, group))}: {err}") from err
            dropped += table.attrs.get("dropped_targets", [])
            parts.append(table.assign(**dict(zip(keys, group)))[keys + list(table.columns)])
        out = pd.concat(parts, ignore_index=True)
        out.attrs["dropped_targets"] = dropped
        return out
    data, dropped = _complete_rows(data, targets, raters, ratings, missing, "ICC")
    n_targets, n_raters = data[targets].nunique(), data[raters].nunique()
    if n_targets < MIN_TARGETS or n_raters < 2:
        raise ValueError(f"ICC needs at least {MIN_TARGETS} targets and 2 raters; got {n_targets} and {n_raters}")
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")  # pingouin 0.7 on pandas 3.1
        out = pingouin.intraclass_corr(data=data, targets=targets, raters=raters, ratings=ratings)
    out["Type"] = out["Type"].map(lambda t: _ICC_NAMES.get(t, t))
    ci_col = "CI95%" if "CI95%" in out.columns else "CI95"
    out = out.rename(columns={ci_col: "CI95%"})
    out.insert(1, "Description", out["Type"].map(_ICC_DESCRIPTION))
    squares = _mean_squares(data, targets, raters, ratings)
    intervals = _icc_confidence_intervals(squares, n_targets, n_raters)
    out["ci_low"] = [intervals[form][0] for form in out["Type"]]
    out["ci_high"] = [intervals[form][1] for form in out["Type"]]
    out["n_targets"], out["n_raters"] = n_targets, n_raters
    out["interpretation"] = interpret_icc(out["ICC"])
    if squares["BMS"] == 0:  # every target rated alike on average: agreement between targets is undefined, not 0 or −∞
        out[["ICC", "ci_low", "ci_high"]] = np.nan
        out["interpretation"] = "undefined: the targets do not differ in their mean rating"
    out.attrs["dropped_targets"] = dropped
    return out


def _mean_squares(data: pd.DataFrame, targets: str, raters: str, ratings: str) -> dict[str, float]:
    """Mean squares of the two-way ANOVA of a complete long table (one rating per target and rater), in the
    units of the ratings squared; used by :func:`icc` (chapter 02).

    Returns ``BMS`` (between targets, n − 1 df), ``JMS`` (between raters, k − 1 df), ``EMS`` (residual,
    (n − 1)(k − 1) df) and ``WMS`` (within targets, n(k − 1) df), in Shrout & Fleiss's names.
    """
    _check_complete(data, targets, raters, ratings)
    wide = data.pivot_table(index=targets, columns=raters, values=ratings, observed=True).to_numpy(float)
    n, k = wide.shape
    if n < 2 or k < 2:
        raise ValueError(f"mean squares need at least 2 targets and 2 raters; got {n} and {k}")
    grand = wide.mean()
    ss_total = float(((wide - grand) ** 2).sum())
    ss_targets = k * float(((wide.mean(axis=1) - grand) ** 2).sum())
    ss_raters = n * float(((wide.mean(axis=0) - grand) ** 2).sum())
    ss_error = ss_total - ss_targets - ss_raters
    return {
        "BMS": ss_targets / (n - 1),
        "JMS": ss_raters / (k - 1),
        "EMS": ss_error / ((n - 1) * (k - 1)),
        "WMS": (ss_total - ss_targets) / (n * (k - 1)),
    }


def _icc_confidence_intervals(
    ms: dict[str, float], n: int, k: int, confidence: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Confidence interval (low, high) of each of the six ICC forms, from the F distributions of McGraw & Wong
    (1996), given the :func:`_mean_squares` of ``n`` targets rated by ``k`` raters; used by :func:`icc` (chapter 02).

    These are the intervals pingouin computes; we compute them again, unrounded, because pingouin rounds them
    to two decimals, after which an interval can exclude its own estimate (e.g. an ICC of 0.996 "in" [0.98, 0.99]).
    The absolute-agreement forms use Satterthwaite's degrees of freedom; ICC2k's interval is ICC2's
    stepped up to k raters by the Spearman–Brown formula (the same as McGraw & Wong's ICC(A,k) interval).
    A bound that is undefined — ratings that never vary, or ICC2's Satterthwaite df when the raters agree
    perfectly — is NaN, as in pingouin.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if n < 2 or k < 2:
        raise ValueError(f"ICC intervals need at least 2 targets and 2 raters; got {n} and {k}")
    q = 1 - (1 - confidence) / 2
    bms, jms, ems, wms = (np.float64(ms[name]) for name in ("BMS", "JMS", "EMS", "WMS"))  # x / 0 → inf, not error
    df_targets, df_within, df_error = n - 1, n * (k - 1), (n - 1) * (k - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        # one-way (ICC1, ICC1k) and consistency (ICC3, ICC3k): the observed F over / times F's quantiles
        f_one, f_two = bms / wms, bms / ems
        f1_low = f_one / stats.f.ppf(q, df_targets, df_within)
        f1_high = f_one * stats.f.ppf(q, df_within, df_targets)
        f3_low = f_two / stats.f.ppf(q, df_targets, df_error)
        f3_high = f_two * stats.f.ppf(q, df_error, df_targets)

        def single(f_low, f_high):  # (F − 1) / (F + k − 1), written so that F = inf gives 1
            return 1 - k / (f_low + k - 1), 1 - k / (f_high + k - 1)

        def average(f_low, f_high):
            return 1 - 1 / f_low, 1 - 1 / f_high

        # absolute agreement (ICC2): Satterthwaite's df for the combination of the rater and error mean squares
        icc2 = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
        f_raters = jms / ems
        core = n * (1 + (k - 1) * icc2) - k * icc2
        v = df_error * (k * icc2 * f_raters + core) ** 2 / (df_targets * (k * icc2 * f_raters) ** 2 + core**2)
        f_star_low, f_star_high = stats.f.ppf(q, df_targets, v), stats.f.ppf(q, v, df_targets)
        scale = k * jms + (k * n - k - n) * ems
        low2 = n * (bms - f_star_low * ems) / (f_star_low * scale + n * bms)
        high2 = n * (f_star_high * bms - ems) / (scale + n * f_star_high * bms)
        intervals = {
            "ICC1": single(f1_low, f1_high),
            "ICC2": (low2, high2),
            "ICC3": single(f3_low, f3_high),
            "ICC1k": average(f1_low, f1_high),
            "ICC2k": (_spearman_brown(low2, k), _spearman_brown(high2, k)),
            "ICC3k": average(f3_low, f3_high),
        }
    return {form: (float(low), float(high)) for form, (low, high) in intervals.items()}


def _spearman_brown(r: float, k: int) -> float:
    """The reliability of the mean of ``k`` ratings whose single-rating reliability is ``r``: k·r / (1 + (k − 1)·r).

    The formula maps r in (−1/(k − 1), 1] onto (−∞, 1]; a bound of r at or below −1/(k − 1) (a wide interval
    from few targets) is therefore −∞, not the value the formula gives beyond its pole (which lies above 1).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(k * r / (1 + (k - 1) * r)) if r > -1 / (k - 1) else -np.inf


def _empty_icc(n_targets: int, n_raters: int) -> pd.DataFrame:
    """The six ICC rows, empty, for a group too small to estimate them."""
    out = pd.DataFrame({"Type": list(_ICC_DESCRIPTION), "Description": list(_ICC_DESCRIPTION.values())})
    for col in ("ICC", "F", "df1", "df2", "pval"):
        out[col] = np.nan
    out["CI95%"] = [np.array([np.nan, np.nan])] * len(out)
    out["ci_low"] = out["ci_high"] = np.nan
    out["n_targets"], out["n_raters"] = n_targets, n_raters
    out["interpretation"] = "too few targets"
    return out


def interpret_icc(value):
    """Fleiss (1986) category of an ICC: "low" (< 0.40), "fair to good" (0.40–0.75), "excellent" (> 0.75).

    Accepts a number or a Series; NaN (e.g. raters who never vary) reads "undefined".
    """

    def one(v: float) -> str:
        if v is None or not np.isfinite(v):
            return "undefined"
        if v < ICC_CATEGORIES[0][0]:
            return ICC_CATEGORIES[0][1]
        return ICC_CATEGORIES[1][1] if v <= ICC_CATEGORIES[1][0] else ICC_CATEGORIES[2][1]

    if isinstance(value, pd.Series):
        return value.map(one)
    return one(float(value))


# ------------------------------------------------------------------------------------------------ labels


def consensus_labels(data: pd.DataFrame, targets: str, raters: str, ratings: str, missing: str = "raise") -> pd.Series:
    """Binary label per target: 0 ("no pain") only when every rater scored 0, else 1 (the CP paper's rule;
    chapters 01 and 02).

    ``data`` is long (one row per target and rater) and must be complete: a missing rating could hide a
    non-zero score, so it raises :class:`IncompleteRatingsError` rather than guessing. ``missing="drop"``
    leaves incomplete targets out (no label at all, never a guessed one), logs them and lists them in
    ``result.attrs["dropped_targets"]``.
    """
    if missing not in ("raise", "drop"):
        raise ValueError(f"missing must be 'raise' or 'drop', not {missing!r}")
    data, dropped = _complete_rows(data, targets, raters, ratings, missing, "consensus")
    if (data[ratings] < 0).any():
        raise ValueError(f"{ratings!r} has negative scores; scale scores start at 0")
    labels = (data.groupby(targets, sort=False)[ratings].max() > 0).astype(int).rename("label")
    labels.attrs["dropped_targets"] = dropped
    return labels


# ------------------------------------------------------------------------------------------------ tables


def icc_summary(
    scores: pd.DataFrame, by: str = "stimulus", form: str = "ICC2k", overall: str = "all", missing: str = "raise"
) -> pd.DataFrame:
    """One ICC form per scale, for each value of ``by`` and for all targets together (``by`` = ``overall``).

    ``scores`` is the long output of :func:`score_ratings`. Returns columns scale, ``by``, ICC, ci_low, ci_high,
    interpretation, n_targets — the content of the CP paper's Table 4 (which reports ICC2k; chapter 02).
    ``missing`` is passed to :func:`icc`; with ``"drop"`` the incomplete targets are in
    ``result.attrs["dropped_targets"]``.
    """
    if form not in _ICC_DESCRIPTION:
        raise ValueError(f"form must be one of {list(_ICC_DESCRIPTION)}, not {form!r}")
    per_group = icc(scores, "target", "rater", "score", by=["scale", by], missing=missing)
    pooled = icc(scores, "target", "rater", "score", by="scale", missing=missing).assign(**{by: overall})
    out = pd.concat([per_group, pooled], ignore_index=True)
    out.attrs["dropped_targets"] = sorted(set(pooled.attrs.get("dropped_targets", [])), key=str)
    out = out[out["Type"] == form]
    return out[["scale", by, "ICC", "ci_low", "ci_high", "interpretation", "n_targets"]].reset_index(drop=True)


def consensus_counts(scores: pd.DataFrame, missing: str = "raise") -> pd.DataFrame:
    """Targets whose consensus is "no pain" / "pain", per scale (rows) — the bottom of the CP paper's Table 4
    (chapter 02). ``missing`` is passed to :func:`consensus_labels`."""
    counts = {
        scale: consensus_labels(rows, "target", "rater", "score", missing).value_counts().reindex([0, 1], fill_value=0)
        for scale, rows in scores.groupby("scale", sort=False)
    }
    return pd.DataFrame(counts).T.set_axis(["no pain", "pain"], axis=1).rename_axis(index="scale")


def icc_table(
    summary: pd.DataFrame, by: str = "stimulus", scales: Sequence[str] | None = None, decimals: int = 3
) -> pd.DataFrame:
    """Groups × scales table of "ICC [low, high]" strings from :func:`icc_summary` (the CP paper's Table 4 layout;
    chapter 02). The ICC and its 95 % interval are shown to the same ``decimals`` (3, as the paper's ICCs)."""

    def number(value: float) -> str:
        return "−∞" if value == -np.inf else f"{value:.{decimals}f}"

    cell = (
        summary["ICC"].map(number) + " [" + summary["ci_low"].map(number) + ", " + summary["ci_high"].map(number) + "]"
    )
    cell = cell.where(summary["ICC"].notna(), summary["interpretation"])
    table = summary.assign(cell=cell).pivot(index=by, columns="scale", values="cell")
    table = table.reindex(index=list(dict.fromkeys(summary[by])))
    return table[list(scales)] if scales is not None else table


def icc_per_level(ratings_by_level: dict, level: str = "noise", form: str = "ICC2k") -> pd.DataFrame:
    """One ICC ``form`` per scale for each of several ratings tables, e.g. the same panel at growing noise
    (:func:`painlib.synth.raters.ratings_by_noise`). Returns columns ``level``, scale, ICC, ci_low, ci_high,
    interpretation."""
    if form not in _ICC_DESCRIPTION:
        raise ValueError(f"form must be one of {list(_ICC_DESCRIPTION)}, not {form!r}")
    parts = []
    for value, ratings in ratings_by_level.items():
        table = icc(score_ratings(ratings), "target", "rater", "score", by="scale")
        table = table[table["Type"] == form].assign(**{level: value})
        parts.append(table[[level, "scale", "ICC", "ci_low", "ci_high", "interpretation"]])
    return pd.concat(parts, ignore_index=True)


def difference_spread(scores: pd.DataFrame, by: str = "stimulus", raters: Sequence[str] | None = None) -> pd.DataFrame:
    """Standard deviation of the difference between two raters' scores (the width behind Bland–Altman limits of
    agreement), per ``by`` group (rows) and scale (columns). ``scores`` is :func:`score_ratings`'s long table;
    ``raters`` default to the first two in sorted order (chapter 02)."""
    raters = list(raters or sorted(scores["rater"].unique())[:2])
    if len(raters) != 2:
        raise ValueError(f"difference_spread compares two raters; got {raters}")
    wide = scores[scores["rater"].isin(raters)].pivot_table(
        index=["scale", by, "target"], columns="rater", values="score", observed=True
    )
    diff = (wide[raters[0]] - wide[raters[1]]).rename("difference").reset_index()
    return diff.pivot_table(index=by, columns="scale", values="difference", aggfunc="std", observed=True)


def icc_findings(summary: pd.DataFrame) -> dict[str, float]:
    """:func:`icc_summary`'s rows as findings to record (:func:`painlib.findings.record`): ``icc_<stimulus>_<scale>``
    with ``_low`` and ``_high`` for its 95 % interval, each only where it is finite (a degenerate interval is
    left out, and the page then calls the value not comparable)."""
    out = {}
    for row in summary.itertuples(index=False):
        name = f"icc_{row.stimulus}_{row.scale}"
        for key, value in ((name, row.ICC), (f"{name}_low", row.ci_low), (f"{name}_high", row.ci_high)):
            if np.isfinite(value):
                out[key] = float(value)
    return out
