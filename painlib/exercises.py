"""Solutions of the chapters' exercises: plain functions over result tables.

Each function takes the tables an exercise compares — two runs' rows from a result store, or two DataFrames a
page computed with and without the exercise's change — and returns a :class:`Finding`: the table to show, the
numbers behind it and the sentence that states what it finds, chosen by a computed check (including "not
resolved" where the runs cannot tell). A page trains what an exercise needs in its own kernel (only the
networks, folds or settings the question names; the result store supplies everything else) and then calls one
of these functions in a cell of a few lines. Nothing here knows about notebooks or the runner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .display import listing


@dataclass(frozen=True)
class Finding:
    """What an exercise's solution finds: ``sentence`` (Markdown), the ``table`` behind it and its ``values``."""

    sentence: str
    table: pd.DataFrame
    values: dict[str, float] = field(default_factory=dict)


#: What a solution says when the page already runs with the exercise's change (nothing to compare it with).
ALREADY = (
    "This page already runs with the exercise's change, so it has nothing to compare the change with; the page "
    "made with the profile's own value shows this solution."
)


def already_changed(parameters: dict, change: dict) -> Finding | None:
    """A :class:`Finding` saying :data:`ALREADY` when every parameter of ``change`` already has its value in
    ``parameters`` (the page's), else ``None``: the solution then computes."""
    if all(parameters.get(key) == value for key, value in change.items()):
        return Finding(ALREADY, pd.DataFrame())
    return None


def _names(items) -> str:
    return listing(f"`{m}`" for m in items)


def _resolved(p: float, alpha: float) -> str:
    return f"p = {p:.3f}, {'below' if p < alpha else 'not below'} α = {alpha:g}"


# --- Chapter 00 ------------------------------------------------------------------------------------------------


def _welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p of Welch's t-test of two means (written out: scipy warns when one group has no spread, which a
    fold's exactly repeated change can have); NaN with fewer than two values a side or no spread at all."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb <= 0:
        return math.nan
    df = (va + vb) ** 2 / ((va**2 / (len(a) - 1) if va else 0.0) + (vb**2 / (len(b) - 1) if vb else 0.0))
    return float(2 * stats.t.sf(abs(a.mean() - b.mean()) / math.sqrt(va + vb), df))


def augmentation_gap(without: pd.DataFrame, augmented: pd.DataFrame, alpha: float = 0.05) -> Finding:
    """Exercise 0.1: the image-wise minus subject-wise accuracy gap without and with augmentation.

    ``without`` and ``augmented`` are :func:`painlib.training.run_scenario` rows (columns scenario, run,
    accuracy; one row per fold) of the ``image_wise`` and ``subject_wise`` scenarios, on the same folds. Each
    fold's accuracy change is paired with the same fold without augmentation; the change of the gap, the mean
    change image-wise minus the mean change subject-wise, is tested with Welch's t over the two sets of folds."""
    keys = ["scenario", "run"]
    paired = without.set_index(keys)["accuracy"].to_frame("without augmentation")
    paired = paired.join(augmented.set_index(keys)["accuracy"].rename("with augmentation"), how="inner")
    missing = {"image_wise", "subject_wise"} - set(paired.index.get_level_values("scenario"))
    if missing:
        raise ValueError(f"no paired runs of {sorted(missing)}")
    table = paired.groupby("scenario").mean().loc[["image_wise", "subject_wise"]]
    table.loc["image-wise − subject-wise"] = table.loc["image_wise"] - table.loc["subject_wise"]
    off, on = table.loc["image-wise − subject-wise"]
    moved = (paired["with augmentation"] - paired["without augmentation"]).round(12).groupby("scenario")
    image_wise, subject_wise = moved.get_group("image_wise"), moved.get_group("subject_wise")
    p = _welch_p(image_wise.to_numpy(), subject_wise.to_numpy())
    if not math.isnan(p):
        verdict = f"{_resolved(p, alpha)}; " + (
            "a change this run resolves" if p < alpha else "a change within the folds' noise: not resolved here"
        )
    else:
        p, verdict = math.nan, "too few folds, or no spread between them, to test the change"
    way = (
        "stays as it was"
        if round(abs(on) - abs(off), 3) == 0
        else "reverses"
        if off * on < 0
        else "narrows"
        if abs(on) < abs(off)
        else "widens"
    )
    sentence = (
        f"With augmentation, image-wise minus subject-wise accuracy is {on:+.3f}, against {off:+.3f} without: "
        f"the gap {way} ({verdict}). Image-wise accuracy moved by {image_wise.mean():+.3f}, subject-wise by "
        f"{subject_wise.mean():+.3f}."
    )
    return Finding(sentence, table, {"gap_without": off, "gap_with": on, "p": p})


def test_set_spread(
    predictions: pd.DataFrame, n_people: int, draws: int = 1000, seed: int = 0, coverage: float = 0.95
) -> Finding:
    """Exercise 0.2: how much an accuracy measured on ``n_people`` test people could move with other people.

    ``predictions`` are the per-image test predictions (columns subject, label, pred, run) of networks that never
    trained on these people (the PAIN-DB → CP scenario). People are drawn with replacement ``draws`` times, all
    of them and ``n_people`` of them, and the runs' mean accuracy is computed on each draw; the table gives the
    central ``coverage`` range of each. Its width shrinks about as 1/√(people)."""
    correct = predictions.assign(correct=predictions["label"] == predictions["pred"])
    per_person = correct.groupby(["subject", "run"])["correct"].agg(["sum", "size"]).unstack("run")
    hits, sizes = per_person["sum"].to_numpy(float), per_person["size"].to_numpy(float)
    n_all = len(per_person)
    if n_people < 2:
        raise ValueError(f"n_people must be at least 2, got {n_people}")
    note = ""
    if n_people >= n_all:  # e.g. the smoke profile's small CP set: draw half of it instead
        note = (
            f"This test set has only {n_all} people, so the solution draws {max(2, n_all // 2)} instead of {n_people}. "
        )
        n_people = max(2, n_all // 2)
    rng = np.random.default_rng(seed)
    rows, tail = {}, (1 - coverage) / 2
    for size in (n_all, n_people):
        picks = rng.integers(0, n_all, size=(draws, size))
        accuracy = (hits[picks].sum(axis=1) / sizes[picks].sum(axis=1)).mean(axis=1)  # mean over runs
        low, high = np.quantile(accuracy, [tail, 1 - tail])
        rows[f"{size} people"] = {"mean accuracy": accuracy.mean(), "low": low, "high": high, "width": high - low}
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("test people drawn")
    wide, narrow = table["width"].iloc[1], table["width"].iloc[0]
    ratio = wide / narrow if narrow > 0 else math.inf
    sentence = note + (
        f"Scored on {n_people} people drawn at random instead of all {n_all}, the same networks' accuracy falls "
        f"anywhere between {table['low'].iloc[1]:.3f} and {table['high'].iloc[1]:.3f} ({coverage * 100:.0f} % of "
        f"{draws} draws), a range {wide:.3f} wide against {narrow:.3f} for {n_all} people: {ratio:.1f} times wider "
        f"(1/√people predicts {math.sqrt(n_all / n_people):.1f})."
    )
    return Finding(sentence, table, {"width_small": wide, "width_all": narrow, "ratio": ratio})


# --- Chapter 01 ------------------------------------------------------------------------------------------------


def background_change(tight: pd.DataFrame, loose: pd.DataFrame, tight_margin: float, loose_margin: float) -> Finding:
    """Exercise 1.1: the background scores (:func:`painlib.faces.score_background`: columns dataset, face_kept,
    background_removed) of the same images cropped with two margins."""
    columns = ["face_kept", "background_removed"]
    table = pd.concat(
        {
            f"margin {tight_margin:g}": tight.groupby("dataset")[columns].mean(),
            f"margin {loose_margin:g}": loose.groupby("dataset")[columns].mean(),
        },
        axis=1,
    )
    before, after = tight["background_removed"].mean(), loose["background_removed"].mean()
    if after < before:
        sentence = (
            f"On average over the scored images, the looser crop has a smaller share of its non-face pixels turned "
            f"white ({after:.3f} against {before:.3f}): there is more hair and backdrop for GrabCut to separate, and "
            "more of it is kept."
        )
    else:
        sentence = (
            f"On average over the scored images, the share of non-face pixels turned white does not fall with the "
            f"looser crop ({after:.3f} against {before:.3f}): GrabCut separates the added hair and backdrop about "
            "as well as the tight crop's."
        )
    return Finding(sentence, table, {"removed_tight": before, "removed_loose": after})


def threshold_losses(kept_before: pd.Series, kept_after: pd.Series, raised: float) -> Finding:
    """Exercise 1.2: faces kept per dataset (index) at the chapter's face threshold and at ``raised``."""
    share = 1 - kept_after / kept_before.where(kept_before > 0)
    table = pd.DataFrame({"kept before": kept_before, f"kept at {raised:g}": kept_after, "share lost": share})
    lost = int((kept_before - kept_after).sum())
    if lost > 0:
        sentence = (
            f"At {raised:g}, {lost} more images are excluded; `{share.idxmax()}` loses the largest share of the "
            f"faces it kept ({share.max():.0%})."
        )
    else:
        sentence = f"At {raised:g} no further image is excluded here: every kept face scored at least {raised:g}."
    return Finding(sentence, table, {"lost": lost})


def _fold_test(a: pd.Series, b: pd.Series, n_train, n_test) -> float:
    """p of the corrected resampled t-test of two settings on the same cross-validation folds (their training
    sets overlap, which a plain paired t-test ignores); 1.0 with fewer than two folds."""
    from .compare import corrected_resampled_ttest

    if len(a) < 2:
        return 1.0
    return corrected_resampled_ttest(a.to_numpy(), b.to_numpy(), n_train, n_test)["p_value"]


def background_learning(runs: dict[str, pd.DataFrame], alpha: float = 0.05) -> Finding:
    """Exercise 1.3: the same small network trained on the same folds of faces with two backgrounds. ``runs``
    maps a background's name to :func:`painlib.training.run_scenario` rows (columns run, auc, n_train, n_test);
    the two are compared fold by fold with the corrected resampled t-test of the AUC."""
    (first, a), (second, b) = runs.items()
    paired = a.set_index("run")["auc"].to_frame(first).join(b.set_index("run")["auc"].rename(second), how="inner")
    table = paired.copy()
    table.loc["mean"] = paired.mean()
    difference = paired[second] - paired[first]
    p = _fold_test(paired[second], paired[first], a["n_train"].mean(), a["n_test"].mean())
    better = second if difference.mean() > 0 else first
    sentence = (
        f"Mean AUC over {len(paired)} folds: {paired[first].mean():.3f} with the `{first}` background, "
        f"{paired[second].mean():.3f} with `{second}`; `{better}` is ahead by {abs(difference.mean()):.3f} "
        f"(corrected resampled t-test over the folds, {_resolved(p, alpha)}"
        + ("): a difference this run resolves." if p < alpha else "): not resolved at this scale.")
    )
    return Finding(sentence, table, {"difference": float(difference.mean()), "p": p})


# --- Chapter 02 ------------------------------------------------------------------------------------------------

#: What chapter 02's solutions say in place of a finding when the ratings are real (they re-rate with simulated raters).
SIMULATED_ONLY = "This solution needs simulated raters; it is skipped when `ratings_csv` is set."


def familiarity_effect(before: pd.DataFrame, after: pd.DataFrame, scale: str = "facs") -> Finding:
    """Exercise 2.1: per-stimulus ICCs (:func:`painlib.reliability.icc_summary`, columns scale, stimulus, ICC,
    ci_low, ci_high) of one panel before and after injections were made as familiar as stretching."""

    def on_scale(summary: pd.DataFrame) -> pd.Series:
        part = summary[(summary["scale"] == scale) & (summary["stimulus"] != "all")]
        return part.set_index("stimulus")["ICC"]

    table = pd.DataFrame({"before": on_scale(before), "after": on_scale(after)})
    table["change"] = table["after"] - table["before"]
    needed = table.reindex(["injection", "stretching"])[["before", "after"]]
    if needed.isna().any().any():
        undefined = _names(needed.index[needed.isna().any(axis=1)])
        sentence = f"The ICC of {undefined} is undefined on this run (too few videos, or no spread between them): no gap to compare."
        return Finding(sentence, table)
    gap_before = table.loc["injection", "before"] - table.loc["stretching", "before"]
    gap_after = table.loc["injection", "after"] - table.loc["stretching", "after"]
    lowest_before, lowest_after = table["before"].idxmin(), table["after"].idxmin()
    sentence = (
        f"On {scale.upper()}, injections' ICC goes from {table.loc['injection', 'before']:.3f} to "
        f"{table.loc['injection', 'after']:.3f}; injections minus stretching goes from {gap_before:+.3f} to "
        f"{gap_after:+.3f}. The stimulus rated least consistently is `{lowest_before}` before and `{lowest_after}` "
        "after."
    )
    if gap_before * gap_after < 0:
        sentence += " The gap reversed: with equal familiarity, other differences between the videos set the order."
    elif abs(gap_after) < abs(gap_before):
        sentence += " The familiarity multiplier made part of the gap; what remains comes from the videos themselves."
    else:
        sentence += " The gap did not shrink: on this panel familiarity was not what set injections apart."
    return Finding(sentence, table, {"gap_before": gap_before, "gap_after": gap_after})


def panel_forms(forms: dict[int, pd.Series]) -> Finding:
    """Exercise 2.2: ICC2 and ICC2k (pingouin's ``Type`` → ``ICC``) of two panels of different sizes (keys)."""
    if len(forms) < 2:
        return Finding(ALREADY, pd.DataFrame())
    table = pd.DataFrame({f"{k} raters": f[["ICC2", "ICC2k"]] for k, f in forms.items()}).T
    (small, a), (large, b) = sorted(forms.items())
    predicted = large * a["ICC2"] / (1 + (large - 1) * a["ICC2"])  # Spearman–Brown: the smaller panel's one rater
    sentence = (
        f"With {large} raters instead of {small}, ICC2 moves from {a['ICC2']:.3f} to {b['ICC2']:.3f} and ICC2k "
        f"from {a['ICC2k']:.3f} to {b['ICC2k']:.3f}; Spearman–Brown, stepping the {small}-rater panel's ICC2 up "
        f"to {large} raters, predicts ICC2k = {predicted:.3f}."
    )
    if b["ICC2k"] > a["ICC2k"]:
        sentence += " The panel's mean became more reliable; ICC2 moved only because other raters were drawn."
    else:
        sentence += " Here the larger panel's mean is not more reliable: its added raters agree less with the others."
    return Finding(sentence, table, {"icc2k_gain": b["ICC2k"] - a["ICC2k"], "predicted_icc2k": predicted})


def no_pain_counts(counts: dict[int, pd.Series]) -> Finding:
    """Exercise 2.3: "no pain" videos per scale (index) under the unanimous-zero rule for panels of different
    sizes (keys), the larger containing the smaller."""
    if len(counts) < 2:
        return Finding(ALREADY, pd.DataFrame())
    table = pd.DataFrame({f"{k} raters": c for k, c in sorted(counts.items())})
    first, last = table.columns[0], table.columns[-1]
    fell = table.index[table[last] < table[first]].tolist()
    rose = table.index[table[last] > table[first]].tolist()
    if rose:
        sentence = f"The count **rose** on {_names(rose)}: the larger panel is not the smaller one plus raters."
    elif fell:
        sentence = f'The count of "no pain" videos fell on {_names(fell)} and rose on none (table).'
    else:
        sentence = 'No scale\'s count changed: no video the smaller panel called "no pain" got a non-zero score from the added raters.'
    return Finding(sentence, table, {"scales_fell": len(fell), "scales_rose": len(rose)})


# --- Chapter 03 ------------------------------------------------------------------------------------------------


def lowest_rate_moves(drops: pd.DataFrame, epochs: int, moved_share: float = 0.05) -> Finding:
    """Exercise 3.1: which networks' training loss still falls at the lowest learning rate. ``drops`` has the
    columns model, learning_rate, loss_drop (:func:`painlib.training.loss_drop`: the share by which the loss fell
    from the first epoch to the last); a network "moves" when it fell by more than ``moved_share``."""
    table = drops.pivot(index="model", columns="learning_rate", values="loss_drop").sort_index(axis=1)
    lowest = table.columns[0]
    shown = f"{lowest:.10f}".rstrip("0")  # 0.00001, not 1e-05
    if epochs < 2:
        sentence = f"With one epoch per training there is no second loss to compare, so this run cannot tell whether a network moves at {shown}."
        return Finding(sentence, table, {"lowest": lowest})
    still = table.index[table[lowest] > moved_share].tolist()
    said = f"the training loss of {_names(still)} still fell" if still else "no network's training loss fell"
    sentence = (
        f"At {shown} {said} by more than {moved_share:.0%} from its first epoch to its last, over the {epochs} "
        "epochs (the table gives every rate; at a rate high enough to throw the first epoch's loss far up, the "
        "same share measures a recovery, not learning)."
    )
    if len(table.columns) > 1:  # against the next rate up (a far larger one can throw the first loss up)
        following = table.columns[1]
        more = [m for m in still if table.loc[m, lowest] > table.loc[m, following]]
        if more:
            sentence += (
                f" For {_names(more)} it even fell more at {shown} than at {f'{following:.10f}'.rstrip('0')}: "
                "on this run the small step did not hold the network at its random start."
            )
    table.columns = [f"{rate:.10f}".rstrip("0") for rate in table.columns]  # 0.00001, not 1e-05
    return Finding(sentence, table, {"lowest": lowest, "n_moved": len(still)})


# --- Chapter 04 ------------------------------------------------------------------------------------------------


def learning_change(predictions: dict[str, pd.DataFrame], alpha: float = 0.05, family_size: int = 30) -> Finding:
    """Exercise 4.1: which networks learned in each of two runs (``predictions``: run name → per-image test
    predictions), by :func:`painlib.chance.learning_table` with the page's Holm family."""
    from .chance import learning_by_run
    from .report import learning_change as sentence

    table = learning_by_run(predictions, alpha=alpha, family_size=family_size)
    first, second = predictions
    learned = {name: int(table[(name, "learned")].sum()) for name in predictions}
    return Finding(sentence(table, first, second), table, learned)


def runs_to_resolve(results: pd.DataFrame, networks: list[str], metric: str = "auc", alpha: float = 0.05) -> Finding:
    """Exercise 4.2: how many runs (folds) the Nemenyi test would need to tell neighbours in this page's ranking
    apart, if their average ranks held. ``results`` holds one row per network and run (columns model, run,
    ``metric``); ``networks`` are those ranked (they learned and ran every run)."""
    from .compare import critical_difference

    wide = results[results["model"].isin(networks)].pivot(index="run", columns="model", values=metric).dropna()
    k, n = wide.shape[1], wide.shape[0]
    base = critical_difference(max(k, 2), 2, alpha)  # CD(N) = CD(2) · √(2/N)

    def runs_for(gap: float) -> float:
        return max(2, math.ceil(2 * (base / gap) ** 2)) if gap > 0 else math.inf

    if k < 2 or n < 2:  # nothing ranked: the design alone, for every network of the page
        k, n = results["model"].nunique(), results["run"].nunique()
        base = critical_difference(max(k, 2), 2, alpha)
        one_rank = runs_for(1.0)
        sizes = sorted({max(n, 2), 5, 10, 20, one_rank})
        table = pd.DataFrame(
            {"runs": sizes, "critical difference (ranks)": [critical_difference(max(k, 2), N, alpha) for N in sizes]}
        ).set_index("runs")
        why = "no two networks both learned and ran every run here" if n >= 2 else "the page made fewer than two runs"
        sentence = (
            f"The page ranks no networks: {why}. For its {k} networks the "
            f"critical difference is {critical_difference(max(k, 2), max(n, 2), alpha):.2f} ranks at {max(n, 2)} "
            f"runs, and two networks one rank apart would need {one_rank} runs (table)."
        )
        return Finding(sentence, table, {"k": k, "n": n, "one_rank": one_rank})
    ranks = wide.rank(axis=1, ascending=False).mean().sort_values()
    gaps = ranks.diff().iloc[1:]
    needed = [runs_for(g) for g in gaps]
    table = pd.DataFrame(
        {
            "pair": [f"{a} – {b}" for a, b in zip(ranks.index[:-1], ranks.index[1:])],
            "gap (ranks)": gaps.to_numpy(),
            "runs needed": needed,
        }
    ).set_index("pair")
    cd = critical_difference(k, n, alpha)
    finite = [x for x in needed if math.isfinite(x)]
    sentence = (
        f"With {k} networks and {n} runs two networks need {cd:.2f} ranks between them; the neighbours here "
        f"are {gaps.min():.2f} to {gaps.max():.2f} ranks apart, so "
        + (
            f"{sum(x <= n for x in needed)} of {len(needed)} neighbouring pairs are resolved now; if their "
            f"average ranks held, the farthest apart would need {min(finite) if finite else '∞'} runs and the "
            f"closest {max(finite) if finite else '∞'}"
        )
        + (" (a tie never resolves)." if len(finite) < len(needed) else ".")
    )
    return Finding(sentence, table, {"k": k, "n": n, "cd": cd})


# --- Chapter 05 ------------------------------------------------------------------------------------------------


def copies_dependence(with_copies: pd.DataFrame, without: pd.DataFrame, alpha: float = 0.05) -> Finding:
    """Exercise 5.1: each model's per-fold accuracy with and without augmented copies, on the same folds
    (columns model, run, accuracy, n_train, n_test), compared fold by fold with the corrected resampled t-test
    (the folds' training sets overlap), its training size that of the run without copies (the originals)."""
    rows, said = {}, []
    for model in sorted(set(with_copies["model"]) & set(without["model"])):
        a = with_copies[with_copies["model"] == model].set_index("run")["accuracy"]
        plain = without[without["model"] == model].set_index("run").reindex(a.index)
        b = plain["accuracy"]
        loss = a - b
        p = _fold_test(a, b, plain["n_train"].mean(), plain["n_test"].mean())
        rows[model] = {
            "with copies": a.mean(),
            "without": b.mean(),
            "lost without copies": loss.mean(),
            "std of the loss over folds": loss.std(ddof=0),
            "p (corrected t-test)": p,
        }
        said.append(f"`{model}` goes from {a.mean():.3f} to {b.mean():.3f} without copies ({_resolved(p, alpha)}).")
    table = pd.DataFrame.from_dict(rows, orient="index")
    resolved = table[(table["p (corrected t-test)"] < alpha) & (table["lost without copies"] > 0)]
    if len(resolved):
        worst = resolved["lost without copies"].idxmax()
        said.append(
            f"`{worst}` depends on the copies by this test: it loses {table.loc[worst, 'lost without copies']:.3f}."
        )
    elif len(table) and table["lost without copies"].max() <= 0:
        said.append("Neither model lost accuracy without the copies on these folds.")
    elif len(table):
        worst = table["lost without copies"].idxmax()
        said.append(
            f"No loss is resolved over these folds; `{worst}` loses the most "
            f"({table.loc[worst, 'lost without copies']:+.3f}), which more folds or neonates would have to confirm."
        )
    return Finding(" ".join(said), table, {"resolved": len(resolved)})


def rejected_transforms(drawn: pd.DataFrame) -> Finding:
    """Exercise 5.2: mean absolute rotation (degrees), larger zoom factor and brightness of the copies the
    detector kept and rejected (:func:`painlib.augment.transform_table`'s rows: theta, zx, zy, brightness,
    face_found)."""
    drawn = drawn.assign(rotation=drawn["theta"].abs(), zoom=drawn[["zx", "zy"]].max(axis=1))
    table = drawn.groupby("face_found")[["rotation", "zoom", "brightness"]].mean()
    table = table.rename(index={True: "kept", False: "rejected"})
    if len(table) < 2:
        return Finding("Here the copies of these images were all kept or all rejected: nothing to compare.", table)
    kept, lost = table.loc["kept"], table.loc["rejected"]
    words = {
        "rotation": ("turned further", "turned less far", "°"),
        "zoom": ("zoomed out more", "zoomed out less", ""),
        "brightness": ("brighter", "darker", ""),
    }
    parts = [
        f"{up if lost[k] > kept[k] else down} ({lost[k]:.2f}{unit} against {kept[k]:.2f}{unit})"
        for k, (up, down, unit) in words.items()
    ]
    sentence = "Compared with the copies MTCNN kept, those it rejected were on average " + ", ".join(parts[:-1])
    return Finding(sentence + f" and {parts[-1]}.", table)


def fold_spread(results: pd.DataFrame, first: str = "vggface", second: str = "ncnn") -> Finding:
    """Exercise 5.3: per-fold accuracy of two models on the same folds (columns model, run, accuracy), the mean
    gap between them and the fold-to-fold spread of each model and of the gap (population standard deviations,
    as in Tables 1 and 2)."""
    acc = results.pivot(index="run", columns="model", values="accuracy")[[first, second]]
    gap = acc[first] - acc[second]
    table = acc.assign(gap=gap)
    table.loc["mean"] = table.mean()
    table.loc["std over folds"] = acc.assign(gap=gap).std(ddof=0)
    spread = acc.std(ddof=0)
    wider = spread.index[spread > abs(gap.mean())].tolist()
    than = {2: "both more", 1: f"only `{wider[0]}`'s more" if wider else "", 0: "neither more"}[len(wider)]
    sentence = (
        f"Each model's accuracy varies from fold to fold by {spread[first]:.3f} (`{first}`) and {spread[second]:.3f} "
        f"(`{second}`), {than} than the size of the mean gap between them, {abs(gap.mean()):.3f} "
        f"(`{first}` minus `{second}`: {gap.mean():+.3f}); the gap itself varies by {gap.std(ddof=0):.3f} over the folds"
        + (
            ", less than either model: a fold that is hard is hard for both, which is why the chapter compares the "
            "models fold by fold."
            if gap.std(ddof=0) < spread.min()
            else ", no less than the models themselves: here the folds do not move both models together."
        )
    )
    return Finding(sentence, table, {"gap": float(gap.mean()), "gap_std": float(gap.std(ddof=0))})


# --- Chapter 06 ------------------------------------------------------------------------------------------------


def map_stability(agreement: pd.DataFrame) -> Finding:
    """Exercise 6.1: how far two LIME runs of one image agree, per network (:func:`painlib.xai.weight_agreement`'s
    table: ``pearson``, ``top_<k>_jaccard``, joined with chapter 04's ``learned``), and whether the networks that
    learned give steadier maps than those that did not."""
    jaccard = next(c for c in agreement.columns if c.endswith("_jaccard"))
    top = jaccard.split("_")[1]
    said = [
        f"Over the networks, the two runs' segment weights correlate at a median r = {agreement['pearson'].median():.3f}, "
        f"and their {top} most relevant segments overlap by a median Jaccard of {agreement[jaccard].median():.2f} "
        "(1 would be the same segments for both)."
    ]
    learned = agreement["learned"].fillna(False).astype(bool) if "learned" in agreement.columns else None
    if learned is None or learned.all() or not learned.any():
        which = "every network" if learned is not None and learned.all() else "no network"
        said.append(
            f"Here {which} learned by chapter 04's test on CP-PAIN, so this run cannot compare networks that learned "
            "with networks that did not: the exercise's question stays open at this scale."
        )
        values = {}
    else:
        a, b = agreement.loc[learned, jaccard].median(), agreement.loc[~learned, jaccard].median()
        said.append(
            f"The networks that learned overlap by a median of {a:.2f}, those that did not by {b:.2f} "
            f"({int(learned.sum())} against {int((~learned).sum())} networks, one image: a hint, not a test)."
        )
        values = {"learned": float(a), "not_learned": float(b)}
    return Finding(" ".join(said), agreement, values)


# --- Chapters 07 and 08 ----------------------------------------------------------------------------------------


def baseline_effect(shift: pd.DataFrame, alpha: float = 0.05) -> Finding:
    """Exercise 7.1: :func:`painlib.gradients.baseline_shift`'s table (per network: share of IG's map on the face
    from the ``black`` and the ``white`` baseline, paired ``p``)."""
    moved = shift.index[(shift["white"] > shift["black"]) & (shift["p"] < alpha)].tolist()
    if len(moved) == len(shift):
        sentence = "With the white baseline more of every network's map lies on the face (paired test, p below α)."
    else:
        sentence = f"The white baseline moves the maps of {_names(moved) or 'no network'} onto the face by the test (p below α), not all."
    return Finding(sentence, shift, {"n_moved": len(moved)})


def gaze_threshold_effect(change: pd.DataFrame, kept_before: float, kept_after: float) -> Finding:
    """Exercise 8.1: :func:`painlib.attention.metric_change`'s table of network–human overlaps with the gaze
    masks cut at two thresholds; ``kept_*`` are the masks' mean share of the image."""
    rose = int((change["after"] > change["before"]).sum())
    sentence = (
        f"The gaze masks keep {kept_before:.0%} of the image at the chapter's threshold and {kept_after:.0%} at the "
        f"stricter one; {rose} of {len(change)} network–human overlaps rise."
    )
    return Finding(sentence, change, {"n_rose": rose, "n_pairs": len(change)})
