"""The exercises: solutions as functions over result tables (painlib.exercises), tested on tables made here, and
each exercise's text asking for the change its solution makes."""

import ast
import math
import re
import subprocess
import sys

import nbformat
import numpy as np
import pandas as pd
import pytest

from painlib import exercises, run
from painlib.compare import critical_difference

# --- the notebooks' exercises against their solutions -----------------------------------------------------------


def _exercise_blocks(notebook) -> dict[str, tuple[str, list[str]]]:
    """label → (the exercise's text, the code cells of its solution), read from the notebook's cells in order."""
    blocks, label, cells = {}, None, nbformat.read(notebook, as_version=4).cells
    for cell in cells:
        if cell.cell_type == "markdown":
            for found, text in re.findall(r":::\{exercise\}\n:label: (\S+)\n(.*?)\n:::", cell.source, flags=re.S):
                blocks[found] = (text, [])
            started = re.findall(r"\{solution-start\} (\S+)", cell.source)
            label = started[-1] if started else (None if "{solution-end}" in cell.source else label)
        elif label is not None:
            blocks[label][1].append(cell.source)
    return blocks


def _change(sources: list[str]) -> dict | None:
    """The literal assigned to ``change`` in a solution's code, if any."""
    for source in sources:
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "change" for t in node.targets):
                return ast.literal_eval(node.value)
    return None


@pytest.mark.parametrize("notebook", run.list_notebooks(), ids=lambda p: p.stem)
def test_each_exercise_asks_for_the_change_its_solution_makes(notebook):
    """The `-p` settings an exercise's text gives the reader, read as the runner reads them (YAML), are the
    ``change`` its solution computes with; each is a parameter the notebook declares, within its range, and not
    one its variant pages fix. Every exercise has a solution with code."""
    declared = run.declared_parameters(notebook)
    fixed = {k for params in run.notebook_variants(notebook).values() for k in params}
    for label, (text, code) in _exercise_blocks(notebook).items():
        assert code, f"{notebook.name} {label}: no solution code"
        settings = re.findall(r"-p\s+(\w+)=('[^']*'|[^\s`]+)", text)
        asked = run.parse_overrides([f"{key}={value.strip(chr(39))}" for key, value in settings])
        assert asked == (_change(code) or {}), f"{notebook.name} {label}: text {asked}, solution {_change(code)}"
        if asked:  # the solution computes with its change, not with a value typed again
            assert "\n".join(code).count("change") >= 2, f"{notebook.name} {label}: `change` is never used"
        for key, value in asked.items():
            assert key in declared and key not in fixed, f"{notebook.name} {label}: {key}"
            run._check_parameter(notebook.stem, key, value, ast.literal_eval(declared[key]["default"]))


def test_every_chapter_has_exercises_with_levels():
    """Chapters 00–08 each end with exercises, each giving a difficulty level; chapter 04's variant pages point to
    the image-wise page's exercises."""
    chapters = [nb for nb in run.list_notebooks() if nb.stem[:2] <= "08"]
    assert len(chapters) == 9 and all(_exercise_blocks(nb) for nb in chapters)
    for notebook in chapters:
        for label, (text, _) in _exercise_blocks(notebook).items():
            assert re.search(r"\*Level: (introductory|intermediate|advanced)\.\*", text), f"{label}: no level"
    prose = "".join(c.source for c in nbformat.read(run.NOTEBOOKS / "04_training_scenario.ipynb", 4).cells)
    assert "{ref}`ch04-exercises`" in prose


@pytest.mark.parametrize("first, second", [("painlib.exercises", "painlib.run"), ("painlib.run", "painlib.exercises")])
def test_the_runner_and_the_solutions_import_without_each_other(first, second):
    code = (
        f"import sys, {first}; assert {second!r} not in sys.modules, sorted(m for m in sys.modules if 'painlib' in m)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- chapter 00 ---------------------------------------------------------------------------------------------------


def _scenario_rows(image_wise, subject_wise):
    return pd.DataFrame(
        {
            "scenario": ["image_wise"] * len(image_wise) + ["subject_wise"] * len(subject_wise),
            "run": [*range(len(image_wise)), *range(len(subject_wise))],
            "accuracy": [*image_wise, *subject_wise],
        }
    )


def test_augmentation_gap_pairs_the_folds_and_resolves_a_narrowing_not_noise():
    without = _scenario_rows([0.90, 0.91, 0.89], [0.70, 0.71, 0.69])
    narrowed = exercises.augmentation_gap(without, _scenario_rows([0.80, 0.815, 0.79], [0.70, 0.705, 0.69]))
    assert narrowed.values["gap_without"] == pytest.approx(0.2) and narrowed.values["gap_with"] == pytest.approx(
        0.1, abs=0.01
    )
    assert narrowed.values["p"] < 0.05 and "narrows" in narrowed.sentence and "resolves" in narrowed.sentence
    noisy = exercises.augmentation_gap(without, _scenario_rows([0.85, 0.95, 0.80], [0.72, 0.66, 0.73]))
    assert noisy.values["p"] > 0.05 and "not resolved here" in noisy.sentence
    same = exercises.augmentation_gap(without, without)  # no change in any fold: nothing to test
    assert math.isnan(same.values["p"]) and "no spread" in same.sentence and "stays as it was" in same.sentence
    reversed_gap = exercises.augmentation_gap(without, _scenario_rows([0.60, 0.61, 0.59], [0.70, 0.72, 0.69]))
    assert "the gap reverses" in reversed_gap.sentence
    widened = exercises.augmentation_gap(without, _scenario_rows([0.95, 0.96, 0.94], [0.60, 0.61, 0.59]))
    assert "widens" in widened.sentence
    with pytest.raises(ValueError, match="no paired runs of"):
        exercises.augmentation_gap(without[without["scenario"] == "image_wise"], without)


def test_test_set_spread_widens_as_one_over_the_root_of_the_people():
    rng = np.random.default_rng(0)
    people, images, runs = 64, 6, 2
    rows = pd.DataFrame(
        {
            "subject": np.repeat(np.arange(people), images * runs),
            "run": np.tile(np.repeat(np.arange(runs), images), people),
            "label": 1,
            "pred": rng.random(people * images * runs) < 0.7,
        }
    ).assign(pred=lambda d: d["pred"].astype(int))
    found = exercises.test_set_spread(rows, n_people=16, draws=4000, seed=1)
    assert found.values["ratio"] == pytest.approx(2.0, rel=0.15)  # √(64/16)
    observed = (rows["pred"] == rows["label"]).mean()  # every person has as many images: the draws centre on it
    assert found.table["mean accuracy"].to_numpy() == pytest.approx(observed, abs=0.01)
    small = exercises.test_set_spread(rows[rows["subject"] < 6], n_people=10, draws=200)
    assert small.sentence.startswith("This test set has only 6 people, so the solution draws 3 instead of 10.")


# --- chapter 01 ---------------------------------------------------------------------------------------------------


def test_background_and_threshold_solutions():
    tight = pd.DataFrame({"dataset": ["a", "b"], "face_kept": [0.9, 0.8], "background_removed": [0.9, 0.8]})
    less = exercises.background_change(tight, tight.assign(background_removed=[0.7, 0.6]), 0.25, 0.6)
    assert "smaller share" in less.sentence and less.table.shape == (2, 4)
    assert "does not fall" in exercises.background_change(tight, tight, 0.25, 0.6).sentence
    before, after = pd.Series({"a": 10, "b": 4}), pd.Series({"a": 9, "b": 2})
    found = exercises.threshold_losses(before, after, 0.95)
    assert found.values["lost"] == 3 and "`b` loses the largest share" in found.sentence and "(50%)" in found.sentence
    assert "no further image" in exercises.threshold_losses(before, before, 0.95).sentence


def test_background_learning_tests_fold_by_fold():
    first = pd.DataFrame({"run": [0, 1, 2, 3], "auc": [0.60, 0.62, 0.58, 0.61], "n_train": 90, "n_test": 30})
    better = exercises.background_learning(
        {"grabcut": first, "none": first.assign(auc=first["auc"] + [0.1, 0.11, 0.09, 0.1])}
    )
    assert better.values["p"] < 0.05 and "`none` is ahead" in better.sentence and "resolves" in better.sentence
    same = exercises.background_learning({"grabcut": first, "none": first})
    assert same.values["p"] == 1.0 and "not resolved" in same.sentence
    worse = exercises.background_learning({"grabcut": first, "none": first.assign(auc=first["auc"] - 0.1)})
    assert "`grabcut` is ahead" in worse.sentence


# --- chapter 02 ---------------------------------------------------------------------------------------------------


def _icc(injection, stretching, other=0.8):
    rows = [("facs", s, v) for s, v in (("injection", injection), ("stretching", stretching), ("other", other))]
    return pd.DataFrame(
        rows + [("facs", "all", 0.8), ("ncapc", "injection", 0.1)], columns=["scale", "stimulus", "ICC"]
    )


def test_familiarity_effect_compares_the_gap_not_the_lowest_row():
    assert "reversed" in exercises.familiarity_effect(_icc(0.6, 0.9), _icc(0.95, 0.9)).sentence
    closed = exercises.familiarity_effect(_icc(0.6, 0.9), _icc(0.85, 0.9))
    assert closed.values == pytest.approx({"gap_before": -0.3, "gap_after": -0.05})
    assert "made part of the gap" in closed.sentence
    kept = exercises.familiarity_effect(_icc(0.6, 0.9), _icc(0.6, 0.9))
    assert "did not shrink" in kept.sentence
    undefined = exercises.familiarity_effect(_icc(0.6, np.nan), _icc(0.8, np.nan))
    assert "`stretching` is undefined" in undefined.sentence


def test_panel_forms_states_spearman_brown():
    forms = {2: pd.Series({"ICC2": 0.5, "ICC2k": 2 / 3}), 4: pd.Series({"ICC2": 0.45, "ICC2k": 0.77})}
    found = exercises.panel_forms(forms)
    assert found.values["predicted_icc2k"] == pytest.approx(0.8)  # the 2-rater panel's 0.5 stepped up: 4·0.5/(1+3·0.5)
    assert exercises.panel_forms({4: forms[4]}).sentence == exercises.ALREADY  # the page already has 4 raters
    assert "more reliable" in found.sentence
    assert (
        "not more reliable" in exercises.panel_forms({2: forms[2], 4: pd.Series({"ICC2": 0.2, "ICC2k": 0.5})}).sentence
    )


def test_no_pain_counts_fall_stay_or_rise():
    two = pd.Series({"FACS": 5, "NCAPC": 3})
    assert "fell on `FACS`" in exercises.no_pain_counts({2: two, 4: pd.Series({"FACS": 4, "NCAPC": 3})}).sentence
    assert "No scale's count changed" in exercises.no_pain_counts({2: two, 4: two}).sentence
    assert "**rose**" in exercises.no_pain_counts({2: two, 4: two + 1}).sentence
    assert exercises.no_pain_counts({4: two}).sentence == exercises.ALREADY


def test_already_changed_only_when_every_changed_parameter_has_its_value():
    assert exercises.already_changed({"a": 1, "b": 2}, {"a": 1}).sentence == exercises.ALREADY
    assert exercises.already_changed({"a": 1, "b": 2}, {"a": 1, "b": 3}) is None


# --- chapters 03 and 04 -------------------------------------------------------------------------------------------


def test_lowest_rate_moves():
    drops = pd.DataFrame(
        {"model": ["a", "a", "b", "b"], "learning_rate": [1e-5, 1e-3] * 2, "loss_drop": [0.2, 0.5, 0.01, 0.4]}
    )
    found = exercises.lowest_rate_moves(drops, epochs=6)
    assert found.values["n_moved"] == 1 and "`a` still fell" in found.sentence and "`b`" not in found.sentence
    assert list(found.table.columns) == ["0.00001", "0.001"]
    assert "no second loss" in exercises.lowest_rate_moves(drops, epochs=1).sentence
    assert "even fell more" not in found.sentence  # `a` fell more at 0.001
    slower_first = drops.assign(loss_drop=[0.2, 0.1, 0.01, 0.4])  # `a` fell more at the lowest rate
    said = exercises.lowest_rate_moves(slower_first, epochs=6).sentence
    assert "For `a` it even fell more at 0.00001 than at 0.001" in said


def _predictions(model, auc_good: bool, n=120, seed=0):
    rng = np.random.default_rng(seed)
    label = np.tile([0, 1], n // 2)
    prob = np.where(label == 1, 0.8, 0.2) if auc_good else rng.random(n)
    return pd.DataFrame(
        {"model": model, "run": 0, "path": [f"{i}.png" for i in range(n)], "label": label, "prob_pain": prob}
    ).assign(pred=lambda d: (d["prob_pain"] >= 0.5).astype(int))


def test_learning_change_names_who_learned_where():
    found = exercises.learning_change(
        {"here": _predictions("a", True), "there": _predictions("a", False)}, family_size=2
    )
    assert found.values == {"here": 1, "there": 0}
    assert "`a` learned in here only" in found.sentence


def test_runs_to_resolve_follows_the_critical_difference():
    # three networks always ranked a > b > c over four runs: neighbours are one rank apart
    results = pd.DataFrame({"model": list("abc") * 4, "run": np.repeat(range(4), 3), "auc": [0.9, 0.8, 0.7] * 4})
    found = exercises.runs_to_resolve(results, ["a", "b", "c"])
    assert found.values["cd"] == pytest.approx(critical_difference(3, 4))
    needed = found.table["runs needed"].iloc[0]
    assert critical_difference(3, needed) <= 1.0 < critical_difference(3, needed - 1)
    assert "0 of 2 neighbouring pairs are resolved now" in found.sentence
    tied = results.assign(auc=0.5)
    assert "a tie never resolves" in exercises.runs_to_resolve(tied, ["a", "b", "c"]).sentence
    design = exercises.runs_to_resolve(results, ["a"])  # one network learned: the design alone
    assert "ranks no networks" in design.sentence and design.values["k"] == 3
    assert (
        critical_difference(3, design.values["one_rank"]) <= 1.0 < critical_difference(3, design.values["one_rank"] - 1)
    )


# --- chapter 05 ---------------------------------------------------------------------------------------------------


def _folds(model, accuracies):
    n = len(accuracies)
    return pd.DataFrame({"model": model, "run": range(n), "accuracy": accuracies, "n_train": 80, "n_test": 20})


def test_copies_dependence_tests_the_loss_fold_by_fold():
    with_copies = pd.concat([_folds("vggface", [0.8, 0.7, 0.9, 0.75]), _folds("ncnn", [0.7, 0.6, 0.8, 0.65])])
    without = pd.concat([_folds("vggface", [0.8, 0.7, 0.9, 0.75]), _folds("ncnn", [0.6, 0.49, 0.71, 0.55])])
    found = exercises.copies_dependence(with_copies, without)
    assert found.values["resolved"] == 1 and "`ncnn` depends on the copies by this test" in found.sentence
    assert found.table.loc["vggface", "p (corrected t-test)"] == 1.0
    none = exercises.copies_dependence(with_copies, with_copies)
    assert none.values["resolved"] == 0 and "Neither model lost accuracy" in none.sentence
    noisy = pd.concat([_folds("vggface", [0.8, 0.7, 0.9, 0.75]), _folds("ncnn", [0.65, 0.63, 0.72, 0.65])])
    unresolved = exercises.copies_dependence(with_copies, noisy)  # ncnn loses +0.05, −0.03, +0.08, 0 over the folds
    assert (
        unresolved.values["resolved"] == 0
        and "No loss is resolved over these folds; `ncnn` loses the most" in unresolved.sentence
    )
    gained = exercises.copies_dependence(without, with_copies)  # the copies' removal helps: a reversal
    assert gained.values["resolved"] == 0 and gained.table.loc["ncnn", "lost without copies"] < 0
    assert "Neither model lost accuracy" in gained.sentence


def test_fold_spread_and_rejected_transforms():
    results = pd.concat([_folds("vggface", [0.9, 0.5, 0.7]), _folds("ncnn", [0.8, 0.4, 0.6])])
    found = exercises.fold_spread(results)
    assert found.values["gap"] == pytest.approx(0.1) and found.values["gap_std"] == pytest.approx(0.0, abs=1e-12)
    assert (
        "less than either model" in found.sentence
        and "both more than the size of the mean gap between them, 0.100" in found.sentence
    )
    assert found.table.loc["std over folds", "vggface"] == pytest.approx(np.std([0.9, 0.5, 0.7]))
    drawn = pd.DataFrame(
        {"theta": [5, -25], "zx": [1.0, 1.2], "zy": [1.1, 1.0], "brightness": [1.0, 0.6], "face_found": [True, False]}
    )
    said = exercises.rejected_transforms(drawn).sentence
    assert "turned further (25.00° against 5.00°)" in said and "and darker (0.60 against 1.00)." in said
    assert "nothing to compare" in exercises.rejected_transforms(drawn.iloc[:1]).sentence


# --- chapters 07 and 08 -------------------------------------------------------------------------------------------


def test_baseline_and_gaze_threshold_sentences():
    shift = pd.DataFrame({"black": [0.2, 0.3], "white": [0.5, 0.3], "p": [0.001, 1.0]}, index=["a", "b"])
    assert "maps of `a` onto the face" in exercises.baseline_effect(shift).sentence
    assert "every network's map" in exercises.baseline_effect(shift.iloc[:1]).sentence
    change = pd.DataFrame({"before": [0.2, 0.4], "after": [0.3, 0.3]})
    found = exercises.gaze_threshold_effect(change, 0.4, 0.1)
    assert found.values == {"n_rose": 1, "n_pairs": 2} and "keep 40% of the image" in found.sentence
    assert math.isfinite(found.table["after"].sum())


def test_welch_p_matches_scipy():
    from scipy import stats

    a, b = np.array([0.1, 0.25, 0.2, 0.3]), np.array([0.0, 0.05, -0.1])
    assert exercises._welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert math.isnan(exercises._welch_p(np.array([0.1, 0.1]), np.array([0.2, 0.2])))


def test_map_stability_compares_learned_and_not_only_when_both_exist():
    agreement = pd.DataFrame(
        {"pearson": [0.99, 0.95, 0.9], "top_5_jaccard": [0.8, 0.4, 0.2], "learned": [True, False, False]},
        index=["a", "b", "c"],
    )
    both = exercises.map_stability(agreement)
    assert both.values == {"learned": 0.8, "not_learned": pytest.approx(0.3)} and "median r = 0.95" in both.sentence
    none = exercises.map_stability(agreement.assign(learned=False))
    assert none.values == {} and "no network learned" in none.sentence and "stays open" in none.sentence
