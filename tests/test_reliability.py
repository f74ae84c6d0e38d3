"""Pain scales, ICC and consensus labels (painlib.reliability) and the simulated raters (painlib.synth.raters)."""

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.formula.api import ols

from painlib import reliability as rel
from painlib.facs import AUS
from painlib.scales import NCAPC_ITEMS, NCAPC_SUBSCALES, RATINGS_COLUMNS, SCALES
from painlib.synth.raters import RaterModel, rate_targets, ratings_by_noise

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges, and the ICCs they report (Table 4).
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
SHROUT_FLEISS_ICC = {"ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71, "ICC1k": 0.44, "ICC2k": 0.62, "ICC3k": 0.91}
SHROUT_FLEISS_MS = {"BMS": 11.24, "WMS": 6.26, "JMS": 32.49, "EMS": 1.02}


def long_table(wide: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        [(f"t{i}", f"judge{j}", float(wide[i, j])) for i in range(wide.shape[0]) for j in range(wide.shape[1])],
        columns=["target", "rater", "score"],
    )


def anova_iccs(data: pd.DataFrame) -> tuple[dict, dict]:
    """The six ICCs from the mean squares of a two-way ANOVA fitted by statsmodels (Shrout & Fleiss formulas)."""
    aov = sm.stats.anova_lm(ols("score ~ C(target) + C(rater)", data=data).fit(), typ=2)
    n, k = data["target"].nunique(), data["rater"].nunique()
    ms = aov["sum_sq"] / aov["df"]
    bms, jms, ems = ms["C(target)"], ms["C(rater)"], ms["Residual"]
    wms = (aov.loc["C(rater)", "sum_sq"] + aov.loc["Residual", "sum_sq"]) / (
        aov.loc["C(rater)", "df"] + aov.loc["Residual", "df"]
    )
    iccs = {
        "ICC1": (bms - wms) / (bms + (k - 1) * wms),
        "ICC2": (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC3": (bms - ems) / (bms + (k - 1) * ems),
        "ICC1k": (bms - wms) / bms,
        "ICC2k": (bms - ems) / (bms + (jms - ems) / n),  # the CP paper's equation
        "ICC3k": (bms - ems) / bms,
    }
    return iccs, {"BMS": bms, "WMS": wms, "JMS": jms, "EMS": ems}


def test_icc_reproduces_shrout_fleiss_worked_example():
    data = long_table(SHROUT_FLEISS)
    table = rel.icc(data, "target", "rater", "score").set_index("Type")
    assert list(table.index) == list(SHROUT_FLEISS_ICC)
    for form, published in SHROUT_FLEISS_ICC.items():
        assert table.loc[form, "ICC"] == pytest.approx(published, abs=0.005), form
    assert {"ICC", "F", "df1", "df2", "pval", "CI95%"} <= set(table.columns)
    assert table.loc["ICC2k", ["df1", "df2"]].tolist() == [5, 15]
    _, mean_squares = anova_iccs(data)
    for name, published in SHROUT_FLEISS_MS.items():
        assert mean_squares[name] == pytest.approx(published, abs=0.005), name


def mcgraw_wong_intervals(wide: np.ndarray, alpha: float = 0.05) -> dict:
    """95 % intervals of the six ICCs written out from McGraw & Wong (1996), Table 7, with the mean squares
    computed here from numpy sums of squares (the residuals of the additive model) — independent of painlib."""
    n, k = wide.shape
    grand, row_means, col_means = wide.mean(), wide.mean(axis=1), wide.mean(axis=0)
    msr = k * np.sum((row_means - grand) ** 2) / (n - 1)  # rows = targets
    msc = n * np.sum((col_means - grand) ** 2) / (k - 1)  # columns = raters
    residual = wide - row_means[:, None] - col_means[None, :] + grand
    mse = np.sum(residual**2) / ((n - 1) * (k - 1))
    msw = np.sum((wide - row_means[:, None]) ** 2) / (n * (k - 1))

    def f_table(d1, d2):
        return stats.f.ppf(1 - alpha / 2, d1, d2)

    def case(f_obs, df2):  # F_L, F_U of cases 1 and 3
        return f_obs / f_table(n - 1, df2), f_obs * f_table(df2, n - 1)

    fl1, fu1 = case(msr / msw, n * (k - 1))
    fl3, fu3 = case(msr / mse, (n - 1) * (k - 1))
    out = {
        "ICC1": ((fl1 - 1) / (fl1 + k - 1), (fu1 - 1) / (fu1 + k - 1)),
        "ICC3": ((fl3 - 1) / (fl3 + k - 1), (fu3 - 1) / (fu3 + k - 1)),
        "ICC1k": (1 - 1 / fl1, 1 - 1 / fu1),
        "ICC3k": (1 - 1 / fl3, 1 - 1 / fu3),
    }
    rho = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)  # ICC(A,1)
    a = k * rho / (n * (1 - rho))
    b = 1 + k * rho * (n - 1) / (n * (1 - rho))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
    fl, fu = f_table(n - 1, v), f_table(v, n - 1)
    c = k * n - k - n
    out["ICC2"] = (
        n * (msr - fl * mse) / (fl * (k * msc + c * mse) + n * msr),
        n * (fu * msr - mse) / (k * msc + c * mse + n * fu * msr),
    )
    out["ICC2k"] = (  # Table 7's ICC(A,k) interval, written out (not stepped up from ICC(A,1))
        n * (msr - fl * mse) / (fl * (msc - mse) + n * msr),
        n * (fu * msr - mse) / (msc - mse + n * fu * msr),
    )
    return out


def test_icc_intervals_are_unrounded_mcgraw_wong_and_contain_the_estimate():
    table = rel.icc(long_table(SHROUT_FLEISS), "target", "rater", "score").set_index("Type")
    expected = mcgraw_wong_intervals(SHROUT_FLEISS.astype(float))
    for form, (low, high) in expected.items():
        row = table.loc[form]
        assert row["ci_low"] < row["ICC"] < row["ci_high"], form
        assert row["ci_low"] == pytest.approx(low, abs=1e-9) and row["ci_high"] == pytest.approx(high, abs=1e-9), form
        pingouin_low, pingouin_high = row["CI95%"]  # rounded to two decimals by pingouin
        assert (
            abs(row["ci_low"] - pingouin_low) <= 0.005 + 1e-12 and abs(row["ci_high"] - pingouin_high) <= 0.005 + 1e-12
        )
    assert table.loc["ICC2k", "ci_low"] != round(table.loc["ICC2k", "ci_low"], 2)  # not rounded
    rng = np.random.default_rng(5)
    for n, k in [(12, 2), (30, 3), (7, 5)]:  # and on other shapes, against the same textbook formulas
        wide = rng.normal(5, 2, (n, 1)) + rng.normal(0, 1, (1, k)) + rng.normal(0, 1.5, (n, k))
        table = rel.icc(long_table(wide), "target", "rater", "score").set_index("Type")
        for form, (low, high) in mcgraw_wong_intervals(wide).items():
            assert table.loc[form, ["ci_low", "ci_high"]].tolist() == pytest.approx([low, high], abs=1e-9)


def test_icc_table_shows_the_interval_to_three_decimals():
    scores = long_table(SHROUT_FLEISS).assign(scale="facs", stimulus="injection")
    summary = rel.icc_summary(scores)
    cell = rel.icc_table(summary).loc["all", "facs"]
    row = summary.iloc[-1]
    assert cell == f"{row['ICC']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
    assert cell.startswith("0.620 [0.")


def test_icc_matches_statsmodels_anova_on_random_tables():
    rng = np.random.default_rng(3)
    for n, k in [(12, 2), (30, 3), (7, 5)]:
        wide = rng.normal(5, 2, (n, 1)) + rng.normal(0, 1, (1, k)) + rng.normal(0, 1.5, (n, k))
        data = long_table(wide)
        ours = rel.icc(data, "target", "rater", "score").set_index("Type")["ICC"]
        expected, _ = anova_iccs(data)
        for form, value in expected.items():
            assert ours[form] == pytest.approx(value, rel=1e-9), (n, k, form)


def test_icc_confidence_interval_contains_estimate_and_orders_with_noise():
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 1, (40, 1))
    close = rel.icc(long_table(truth + rng.normal(0, 0.2, (40, 2))), "target", "rater", "score").set_index("Type")
    far = rel.icc(long_table(truth + rng.normal(0, 1.5, (40, 2))), "target", "rater", "score").set_index("Type")
    for t in (close, far):
        assert (t["ci_low"] <= t["ICC"]).all() and (t["ICC"] <= t["ci_high"]).all()
    assert close.loc["ICC2k", "ICC"] > 0.9 > 0.75 > far.loc["ICC2k", "ICC"]
    assert close.loc["ICC2k", "interpretation"] == "excellent"


def test_icc_by_group_equals_separate_calls():
    rng = np.random.default_rng(1)
    parts = []
    for g, noise in [("injection", 2.0), ("stretching", 0.3)]:
        parts.append(long_table(rng.normal(0, 1, (15, 1)) + rng.normal(0, noise, (15, 2))).assign(stimulus=g))
        parts[-1]["target"] = g + parts[-1]["target"]
    data = pd.concat(parts, ignore_index=True)
    grouped = rel.icc(data, "target", "rater", "score", by="stimulus")
    assert list(grouped.columns[:2]) == ["stimulus", "Type"]
    for g in ("injection", "stretching"):
        alone = rel.icc(data[data.stimulus == g], "target", "rater", "score")
        np.testing.assert_allclose(grouped.loc[grouped.stimulus == g, "ICC"], alone["ICC"])
    two_keys = rel.icc(data.assign(scale="facs"), "target", "rater", "score", by=["scale", "stimulus"])
    assert len(two_keys) == 12 and set(two_keys["scale"]) == {"facs"}
    tiny = pd.concat([data, long_table(np.ones((2, 2))).assign(stimulus="other", target=["o1", "o1", "o2", "o2"])])
    table = rel.icc(tiny, "target", "rater", "score", by="stimulus")
    assert table.loc[table.stimulus == "other", "ICC"].isna().all()
    assert (table.loc[table.stimulus == "other", "interpretation"] == "too few targets").all()
    summary = rel.icc_summary(tiny.assign(scale="facs"))
    assert rel.icc_table(summary).loc["other", "facs"] == "too few targets"


def test_incomplete_table_lists_gaps_or_drops_them_explicitly():
    data = long_table(SHROUT_FLEISS)
    holey = data.drop(index=[1, 9]).reset_index(drop=True)  # t0/judge1 and t2/judge1
    with pytest.raises(rel.IncompleteRatingsError, match=r"2 missing.*\('t0', 'judge1'\).*\('t2', 'judge1'\)"):
        rel.icc(holey, "target", "rater", "score")
    dropped = rel.icc(holey, "target", "rater", "score", missing="drop")
    assert dropped.attrs["dropped_targets"] == ["t0", "t2"]
    assert (dropped["n_targets"] == 4).all()
    nan_cell = data.copy()
    nan_cell.loc[5, "score"] = np.nan
    with pytest.raises(rel.IncompleteRatingsError, match="t1"):
        rel.icc(nan_cell, "target", "rater", "score")
    twice = pd.concat([data, data.iloc[[0]]])
    with pytest.raises(rel.IncompleteRatingsError, match="more than once"):
        rel.icc(twice, "target", "rater", "score")
    with pytest.raises(ValueError, match="missing column"):
        rel.icc(data.rename(columns={"score": "Score"}), "target", "rater", "score")
    with pytest.raises(ValueError, match="at least 3 targets"):
        rel.icc(data[data.target == "t0"], "target", "rater", "score")


@pytest.mark.parametrize(
    ("value", "category"),
    [
        (0.0, "low"),
        (0.399, "low"),
        (0.40, "fair to good"),
        (0.75, "fair to good"),
        (0.751, "excellent"),
        (float("nan"), "undefined"),
    ],
)
def test_interpretation_follows_fleiss_categories(value, category):
    assert rel.interpret_icc(value) == category


def test_facs_pain_score_and_item_errors():
    aus = pd.DataFrame([[2, 1, 3, 0, 4, 1], [5] * 6, [0] * 6], columns=AUS)
    assert rel.facs_pain_score(aus).tolist() == [2 + 3 + 4 + 1, 20, 0]
    bad = aus.astype(float)
    bad.loc[1, "au9"] = 6
    with pytest.raises(ValueError, match=r"row 1 column 'au9' \(value 6.0\)"):
        rel.facs_pain_score(bad)
    bad.loc[1, "au9"] = 2.5
    with pytest.raises(ValueError, match="whole numbers"):
        rel.facs_pain_score(bad)
    gap = aus.astype(float)
    gap.loc[2, "au43"] = np.nan
    with pytest.raises(ValueError, match=r"missing values at row 2 column 'au43'.*missing='drop'"):
        rel.facs_pain_score(gap)
    kept = rel.facs_pain_score(gap, missing="drop")
    assert kept.index.tolist() == [0, 1]
    text = aus.astype(object)
    text.loc[0, "au4"] = "B"
    with pytest.raises(ValueError, match="non-numeric"):
        rel.facs_pain_score(text)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['au43'\]"):
        rel.facs_pain_score(aus.drop(columns="au43"))


def test_ncapc_and_wong_baker_scores():
    assert len(NCAPC_ITEMS) == 18 and len(NCAPC_SUBSCALES) == 6
    items = pd.DataFrame([[3] * 18, [0] * 18], columns=NCAPC_ITEMS)
    items.loc[1, "ncapc_vocal_2"] = 2
    scores = rel.ncapc_score(items)
    assert scores["ncapc"].tolist() == [54, 2]
    assert scores.loc[0, "facial"] == 3 * len(NCAPC_SUBSCALES["facial"]) and scores.loc[1, "vocal"] == 2
    items.loc[0, "ncapc_body_3"] = 4
    with pytest.raises(ValueError, match="ncapc_body_3"):
        rel.ncapc_score(items)
    wb = pd.DataFrame({"wong_baker": [0, 4, 10, 5]})
    assert rel.wong_baker_score(wb).tolist() == [0, 4, 10, 5]
    with pytest.raises(ValueError, match="not one of the faces"):
        rel.wong_baker_score(wb, faces_only=True)
    with pytest.raises(ValueError, match="row 0"):
        rel.wong_baker_score(pd.DataFrame({"wong_baker": [11]}))


def test_consensus_is_no_pain_only_when_every_rater_says_zero():
    data = pd.DataFrame(
        {"target": ["a", "a", "b", "b", "c", "c"], "rater": ["x", "y"] * 3, "score": [0, 0, 0, 1, 3, 4]}
    )
    assert rel.consensus_labels(data, "target", "rater", "score").to_dict() == {"a": 0, "b": 1, "c": 1}
    with pytest.raises(rel.IncompleteRatingsError, match=r"\('c', 'y'\)"):
        rel.consensus_labels(data.iloc[:5], "target", "rater", "score")


def random_targets(n: int = 150, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    aus = np.clip(np.rint(rng.gamma(1.5, 1.2, (n, 6)) * rng.random((n, 1))), 0, 5).astype(int)
    targets = pd.DataFrame(aus, columns=AUS)
    targets.insert(0, "stimulus", rng.choice(["injection", "stretching", "other"], n))
    targets.insert(0, "target", [f"s{i // 3}/video{i % 3}" for i in range(n)])
    return targets


def test_simulated_ratings_follow_the_ratings_schema_and_are_seeded(tmp_path):
    targets = random_targets(30)
    ratings = rate_targets(targets, n_raters=3, seed=4)
    assert list(ratings.columns) == list(RATINGS_COLUMNS) and len(ratings) == 90
    pd.testing.assert_frame_equal(ratings, rate_targets(targets, n_raters=3, seed=4))
    assert not ratings.equals(rate_targets(targets, n_raters=3, seed=5))
    # a target's ratings do not depend on which other targets are rated with it
    alone = rate_targets(targets.iloc[[7]], n_raters=3, seed=4).reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, ratings[ratings.target == targets.target[7]].reset_index(drop=True))
    path = tmp_path / "ratings.csv"
    ratings.to_csv(path, index=False)
    scores = rel.score_ratings(rel.read_ratings(path))
    assert set(scores["scale"]) == set(SCALES) and len(scores) == 270
    for scale, (low, high) in SCALES.items():
        assert scores.loc[scores.scale == scale, "score"].between(low, high).all()


def test_read_ratings_names_missing_and_duplicate_rows(tmp_path):
    ratings = rate_targets(random_targets(6), seed=0)
    path = tmp_path / "ratings.csv"
    ratings.rename(columns={"wong_baker": "Wong-Baker"}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"'wong_baker' \(found 'Wong-Baker' — rename it\)"):
        rel.read_ratings(path)
    pd.concat([ratings, ratings.iloc[[0]]]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="more than one row"):
        rel.read_ratings(path)
    with pytest.raises(FileNotFoundError):
        rel.read_ratings(tmp_path / "absent.csv")


def test_empty_ratings_files_are_named(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"ratings table .*empty.csv is empty; expected a header line"):
        rel.read_ratings(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(RATINGS_COLUMNS) + "\n")
    with pytest.raises(ValueError, match=r"ratings table .*header.csv has a header but no rows"):
        rel.read_ratings(header_only)


def test_rating_errors_cite_the_csv_file_and_line(tmp_path):
    ratings = rate_targets(random_targets(6), seed=0).astype({"au9": float, "wong_baker": float})
    ratings.loc[3, "au9"] = 7  # CSV line 5: header is line 1, DataFrame row 0 is line 2
    path = tmp_path / "sheets.csv"
    ratings.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"FACS items in .*sheets.csv: .*line 5 column 'au9' \(value 7.0\)"):
        rel.score_ratings(rel.read_ratings(path))
    ratings.loc[3, "au9"] = np.nan
    ratings.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"sheets.csv: missing values at line 5 column 'au9'") as err:
        rel.score_ratings(rel.read_ratings(path))
    assert "set the parameter missing='drop' (`-p missing=drop` in chapters 01 and 02)" in str(err.value)
    ratings.loc[3, "au9"], ratings.loc[10, "wong_baker"] = 1, 5
    ratings.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"Wong-Baker in .*sheets.csv: line 12 \(value 5\) are not one of the faces"):
        rel.wong_baker_score(rel.read_ratings(path), faces_only=True)
    pd.concat([ratings, ratings.iloc[[0]]]).to_csv(path, index=False)
    first = (ratings.loc[0, "target"], ratings.loc[0, "rater"])
    with pytest.raises(
        ValueError,
        match=rf"more than one row for \(target, rater\): {re.escape(str(first))} at lines \[2, {len(ratings) + 2}\]",
    ):
        rel.read_ratings(path)


def test_missing_drop_is_offered_and_works_along_the_chapter_02_path():
    data = long_table(SHROUT_FLEISS).assign(scale="facs", stimulus="injection")
    holey = data.drop(index=[1]).reset_index(drop=True)  # t0 lacks judge1
    with pytest.raises(
        rel.IncompleteRatingsError,
        match=r"set the parameter missing='drop' \(`-p missing=drop` in chapters 01 and 02\)",
    ):
        rel.icc_summary(holey)
    summary = rel.icc_summary(holey, missing="drop")
    assert (summary["n_targets"] == 5).all() and summary.attrs["dropped_targets"] == ["t0"]
    counts = rel.consensus_counts(holey, missing="drop")
    assert counts.loc["facs"].sum() == 5
    with pytest.raises(rel.IncompleteRatingsError):
        rel.consensus_counts(holey)


def test_a_perfect_rater_codes_the_truth():
    targets = random_targets(20)
    perfect = RaterModel(noise=0.0, bias_sd=0.0, evidence=0.0, motor_confusion=0.0, wong_baker_noise=0.0)
    ratings = rate_targets(targets, n_raters=2, model=perfect)
    for _, rows in ratings.groupby("rater"):
        np.testing.assert_array_equal(rows[list(AUS)].to_numpy(), targets[list(AUS)].to_numpy())
    scores = rel.score_ratings(ratings)
    table = rel.icc(scores, "target", "rater", "score", by="scale")
    assert np.allclose(table.loc[table.Type == "ICC2k", "ICC"], 1.0)


def test_agreement_falls_with_noise_and_with_unfamiliar_stimuli():
    targets = random_targets(150)
    sweep = rel.icc_per_level(ratings_by_noise(targets, [0.2, 2.0], seed=0)).pivot(
        index="noise", columns="scale", values="ICC"
    )
    assert (sweep.loc[0.2] > sweep.loc[2.0] + 0.1).all()
    scores = rel.score_ratings(rate_targets(targets, seed=0))
    table = rel.icc(scores[scores.scale == "facs"], "target", "rater", "score", by="stimulus")
    icc2k = table[table.Type == "ICC2k"].set_index("stimulus")["ICC"]
    assert icc2k["stretching"] > icc2k["injection"]


def test_icc2k_interval_is_never_above_one_when_icc2s_reaches_below_the_pole():
    """Spearman–Brown maps ICC2's bounds to ICC2k's only above −1/(k − 1); a lower bound beyond it (few
    targets, raters who disagree) is −∞, where the formula alone gives a value above 1."""
    rng = np.random.default_rng(0)
    seen_unbounded = 0
    for _ in range(200):
        n, k = int(rng.integers(3, 7)), int(rng.integers(2, 5))
        wide = rng.normal(0, rng.uniform(0, 1), (n, 1)) + rng.normal(0, 1, (n, k))
        long = pd.DataFrame([(i, j, wide[i, j]) for i in range(n) for j in range(k)], columns=["t", "r", "s"])
        rows = rel.icc(long, "t", "r", "s").set_index("Type")
        low, high = rows.loc["ICC2k", ["ci_low", "ci_high"]]
        low2 = rows.loc["ICC2", "ci_low"]
        if np.isnan(low) or np.isnan(high):
            continue
        assert low <= 1 and high <= 1 and low <= high
        if low2 <= -1 / (k - 1):
            assert low == -np.inf
            seen_unbounded += 1
    assert seen_unbounded > 0  # the case occurs in this sample
    summary = pd.DataFrame(
        {
            "scale": ["facs"],
            "stimulus": ["other"],
            "ICC": [0.1],
            "ci_low": [-np.inf],
            "ci_high": [0.9],
            "interpretation": ["poor"],
        }
    )
    assert rel.icc_table(summary).loc["other", "facs"] == "0.100 [−∞, 0.900]"


def test_figures_draw_an_unbounded_lower_bound():
    import matplotlib

    matplotlib.use("Agg")
    from painlib import plots

    rows = pd.DataFrame(
        {
            "scale": ["facs", "facs"],
            "stimulus": ["other", "all"],
            "noise": [0.0, 1.0],
            "ICC": [0.1, 0.6],
            "ci_low": [-np.inf, 0.2],
            "ci_high": [0.9, 0.8],
            "interpretation": ["poor", "moderate"],
        }
    )
    assert plots.icc_forest(rows).axes[0].get_xlim()[0] == pytest.approx(-1.05)
    assert plots.icc_noise_curves(rows.assign(noise=[0.0, 1.0])).axes[0].get_ylim()[0] == -1.0


def test_icc_findings_name_each_interval_and_leave_out_infinite_bounds():
    summary = pd.DataFrame(
        {
            "scale": ["facs", "facs"],
            "stimulus": ["all", "injection"],
            "ICC": [0.75, 0.0],
            "ci_low": [0.6, -np.inf],
            "ci_high": [0.85, 0.4],
        }
    )
    found = rel.icc_findings(summary)
    assert found == {
        "icc_all_facs": 0.75,
        "icc_all_facs_low": 0.6,
        "icc_all_facs_high": 0.85,
        "icc_injection_facs": 0.0,
        "icc_injection_facs_high": 0.4,
    }


def test_an_icc_of_targets_that_do_not_differ_is_undefined():
    flat = pd.DataFrame({"target": np.repeat(range(5), 2), "rater": [0, 1] * 5, "score": [1, 2] * 5})
    table = rel.icc(flat, "target", "rater", "score")
    assert table["ICC"].isna().all() and table["ci_low"].isna().all()
    assert table["interpretation"].str.startswith("undefined").all()
    shown = rel.icc_table(table.assign(scale="facs", stimulus="all").iloc[[4]])
    assert "−∞" not in shown.iloc[0, 0] and shown.iloc[0, 0].startswith("undefined")
