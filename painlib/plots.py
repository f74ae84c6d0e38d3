"""The book's figures, one function per kind of figure (matplotlib / seaborn)."""

from __future__ import annotations

import cv2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LinearSegmentedColormap

from .alignment import normalise
from .display import name as display_name
from .display import words
from .facs import AUS, unpack_masks
from .images import read_rgb


def readable_figure(function):
    """Decorate a function returning a figure so that its texts use names, not identifiers: titles, axis labels,
    legend entries and category tick labels pass through :func:`painlib.display.words` (``image_wise`` →
    image-wise, ``vggface conv1_2`` → VGG-Face conv1_2), and a legend's entries and title, which name columns
    or their values (``learning_rate``, ``precision_no_pain``), are written in words. The data drawn are not touched."""
    import functools

    from matplotlib.text import Text

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        fig = function(*args, **kwargs)
        if fig is None:
            return fig
        ticks = set()
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                labels = axis.get_ticklabels()
                ticks.update(labels)
                texts = [t.get_text() for t in labels]
                named = [words(t) for t in texts]
                if named != texts:  # a FixedFormatter keeps them through later draws
                    axis.set_ticks(axis.get_ticklocs(), labels=named)
            legend = ax.get_legend()
            if legend is not None:  # entries and titles name columns or values: precision_no_pain → precision no pain
                for text in [legend.get_title(), *legend.get_texts()]:
                    text.set_text(words(text.get_text()).replace("_", " "))
        for text in fig.findobj(Text):
            if text not in ticks and text.get_text():
                text.set_text(words(text.get_text()))
        return fig

    return wrapper


#: One colour per AU region (RGB 0–1), shared by every figure that shows AU masks.
AU_COLORS = dict(zip(AUS, sns.color_palette("colorblind", len(AUS))))


@readable_figure
def image_grid(
    images, titles=None, ncols: int = 6, size_in: float = 1.8, suptitle: str | None = None, bgr: bool = False
):
    """Show (N, H, W, 3) uint8 images in a grid; returns the figure."""
    images = list(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size_in, nrows * size_in * 1.08), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, img in enumerate(images):
        ax = axes.flat[i]
        ax.imshow(img[..., ::-1] if bgr else img)
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def manifest_examples(manifest: pd.DataFrame, by: str = "dataset", per_group: int = 3, seed: int = 0, suptitle=None):
    """For each value of ``by``: ``per_group`` no-pain then ``per_group`` pain images, with PSPI in the title."""
    rows, titles = [], []
    for group, df in manifest.groupby(by, sort=False):
        for label in (0, 1):
            pick = df[df["label"] == label]
            pick = pick.sample(min(per_group, len(pick)), random_state=seed) if len(pick) else pick
            for _, r in pick.iterrows():
                rows.append(read_rgb(r["path"]))
                extra = f" PSPI {r['pspi']:.0f}" if "pspi" in r else ""
                titles.append(f"{group}\n{'pain' if label else 'no pain'}{extra}")  # two lines: names are long
    return image_grid(rows, titles, ncols=2 * per_group, suptitle=suptitle)


def mask_overlay(image_rgb: np.ndarray, packed_masks: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """Colour each AU region of ``packed_masks`` over the image; overlapping regions blend. Returns uint8 RGB."""
    out = image_rgb.astype(np.float32)
    masks = unpack_masks(packed_masks)
    for au in AUS:
        m = masks[au]
        color = np.array(AU_COLORS[au]) * 255
        out[m] = (1 - alpha) * out[m] + alpha * color
    return out.clip(0, 255).astype(np.uint8)


@readable_figure
def au_regions_figure(image_bgr: np.ndarray, packed_masks: np.ndarray, size_in: float = 3.2):
    """One face (BGR, as the generator writes it) with each AU's region coloured over it and their legend
    (chapter 00). Returns the figure."""
    fig, ax = plt.subplots(figsize=(size_in, size_in))
    ax.imshow(mask_overlay(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB), packed_masks))
    ax.axis("off")
    au_legend(ax)
    return fig


def au_legend(ax) -> None:
    """Add a legend of the AU region colours to ``ax``."""
    handles = [plt.Rectangle((0, 0), 1, 1, color=AU_COLORS[au]) for au in AUS]
    ax.legend(handles, [au.upper() for au in AUS], loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)


@readable_figure
def au_sweep_figure(images: np.ndarray, levels=range(6)):
    """Rows: AUs; columns: intensity 0–5. ``images`` as returned by :func:`painlib.synth.au_sweep` (BGR)."""
    n_au, n_lv = images.shape[:2]
    fig, axes = plt.subplots(n_au, n_lv, figsize=(n_lv * 1.5, n_au * 1.55), squeeze=False)
    for i in range(n_au):
        for j, level in enumerate(levels):
            ax = axes[i, j]
            ax.imshow(cv2.cvtColor(images[i, j], cv2.COLOR_BGR2RGB))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"intensity {level}", fontsize=9)
            if j == 0:
                ax.set_ylabel(AUS[i].upper(), fontsize=10)
    fig.tight_layout()
    return fig


def _chance_line(ax, level: float = 0.5) -> None:
    """A dashed chance line labelled "chance" for the axes' legend: a label drawn beside the line can be hidden by
    bars or fall outside the saved figure, a legend entry cannot (chapters 00 and 04)."""
    ax.axhline(level, ls="--", color="grey", lw=1.2, label="chance")


@readable_figure
def scenario_bars(
    results: pd.DataFrame, metric: str = "accuracy", reference: dict | None = None, title: str | None = None
):
    """Bars of ``metric`` per scenario (mean ± sd over runs, runs as dots), with a chance line and optional
    reference values (scenario → value, e.g. the paper's best model), both named in a legend beside the axes.
    Used by chapter 00."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    order = list(dict.fromkeys(results["scenario"]))
    sns.barplot(results, x="scenario", y=metric, order=order, errorbar="sd", ax=ax, color="C0", alpha=0.85)
    sns.stripplot(results, x="scenario", y=metric, order=order, ax=ax, color="k", size=4)
    _chance_line(ax)
    if reference:
        for i, sc in enumerate(order):
            if sc in reference:
                ax.plot([i - 0.4, i + 0.4], [reference[sc]] * 2, color="crimson", lw=2)
        ax.plot([], [], color="crimson", lw=2, label="paper (best model)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10, frameon=False)
    ax.set_ylim(0, 1)
    ax.set_xlabel("")
    ax.set_title(title or metric)
    fig.tight_layout()
    return fig


@readable_figure
def model_bars(
    results: pd.DataFrame,
    metrics=("accuracy", "f1"),
    reference: pd.DataFrame | None = None,
    title: str | None = None,
):
    """The CP paper's Figures 4–5 layout: per model, one bar per metric (mean ± sd over runs, runs as dots).

    ``reference`` (model × metric, the paper's values where it states them) is drawn as red ticks.
    """
    long = results.melt(id_vars=["model", "run"], value_vars=list(metrics), var_name="metric", value_name="value")
    order = list(dict.fromkeys(results["model"]))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.75 * len(order) * len(metrics)), 3.6))
    sns.barplot(long, x="model", y="value", hue="metric", order=order, errorbar="sd", ax=ax, alpha=0.85)
    black = dict.fromkeys(metrics, "k")  # runs as black dots (a palette, since `color=` with `hue=` is deprecated)
    sns.stripplot(
        long, x="model", y="value", hue="metric", order=order, dodge=True, ax=ax, palette=black, size=3, legend=False
    )
    _chance_line(ax)
    if reference is not None:
        width = 0.8 / len(metrics)
        for i, model in enumerate(order):
            for j, metric in enumerate(metrics):
                value = reference.get(metric, pd.Series(dtype=float)).get(model) if metric in reference else None
                if value is not None and np.isfinite(value):
                    x = i - 0.4 + width * (j + 0.5)
                    ax.plot([x - width / 2, x + width / 2], [value] * 2, color="C3", lw=2.5)
        ax.plot([], [], color="C3", lw=2.5, label="paper (stated in the text)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.06, 1.0))
    ax.set_ylim(0, 1)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", rotation=30)
    ax.set_title(title or ", ".join(metrics))
    fig.tight_layout()
    return fig


@readable_figure
def learning_curves(
    histories: pd.DataFrame,
    metric: str = "loss",
    title: str | None = None,
    style: str | None = None,
    log: bool = False,
    ymax: float | None = None,
):
    """Training ``metric`` per epoch for each model (mean over runs, band: min–max), one line style per value of
    ``style`` if given (e.g. the learning rate); ``log`` draws the y axis on a log scale and ``ymax`` stops it at
    that value (a diverging run then leaves the top instead of flattening the others: say so in the caption).
    ``histories`` has columns model, epoch and the metric (from :func:`painlib.result_store.run_details`)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    # one marker per style value besides its dashes: at a legend's handle length dash patterns alone look alike
    marks = {"markers": True} if style else {"marker": "o"}
    sns.lineplot(
        histories, x="epoch", y=metric, hue="model", style=style, errorbar=("pi", 100), ax=ax, markersize=4, **marks
    )
    name = metric.removeprefix("val_").replace("_", " ")
    label = f"validation {name}" if metric.startswith("val_") else f"training {name}"
    ax.set_xlabel("epoch")
    ax.set_ylabel(label)
    if log:
        ax.set_yscale("log")
    if ymax is not None:
        ax.set_ylim(0, ymax)
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.02, 1.0), handlelength=3.5)
    ax.set_title(title or label)
    fig.tight_layout()
    return fig


@readable_figure
def confusion_grid(predictions: pd.DataFrame, ncols: int = 5, title: str | None = None):
    """One confusion matrix per model, summed over runs: rows the true class, columns the predicted one.
    ``predictions`` has columns model, label (0/1) and pred, the class each run called (at its own threshold,
    as the page's metrics are computed)."""
    from sklearn.metrics import confusion_matrix

    models = list(dict.fromkeys(predictions["model"]))
    nrows = int(np.ceil(len(models) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.2 * ncols, 2.2 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    names = ["no pain", "pain"]
    for ax, model in zip(axes.flat, models):
        rows = predictions[predictions["model"] == model]
        cm = confusion_matrix(rows["label"], rows["pred"], labels=[0, 1])
        ax.axis("on")
        sns.heatmap(cm, annot=True, fmt="d", cbar=False, cmap="Blues", ax=ax, xticklabels=names, yticklabels=names)
        ax.set_title(model, fontsize=9)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_ylabel("true", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _icc_bands(ax, horizontal: bool = True) -> None:
    """Shade the Fleiss categories (low < 0.40 ≤ fair to good ≤ 0.75 < excellent) behind an ICC axis."""
    from .reliability import ICC_CATEGORIES

    span = ax.axhspan if horizontal else ax.axvspan
    bounds = [-1.0] + [min(upper, 1.0) for upper, _ in ICC_CATEGORIES]
    for lo, hi, (_, name), shade in zip(bounds, bounds[1:], ICC_CATEGORIES, (0.10, 0.05, 0)):
        if shade:
            span(lo, hi, color="grey", alpha=shade, lw=0)
        if horizontal:
            ax.text(1.01, (max(lo, 0) + hi) / 2, name, transform=ax.get_yaxis_transform(), fontsize=7, va="center")
        else:  # narrow bands side by side: a two-line label keeps "fair to good" clear of "excellent"
            label = name.replace(" to ", " to\n")
            ax.text((max(lo, 0) + hi) / 2, 1.01, label, transform=ax.get_xaxis_transform(), fontsize=7, ha="center")


def _drawn_low(ci_low: pd.Series) -> pd.Series:
    """Lower confidence bounds as drawn: an unbounded one (−∞, see ``reliability._spearman_brown``) reaches −1."""
    return ci_low.clip(lower=-1.0)


@readable_figure
def icc_forest(
    summary: pd.DataFrame, paper: pd.DataFrame | None = None, by: str = "stimulus", title: str | None = None
):
    """ICC with 95 % CI per scale (panels) and group (rows), from :func:`painlib.reliability.icc_summary`.

    ``paper`` (groups × scales, e.g. :data:`painlib.published.CP_TABLE4_ICC` plus an overall row) is drawn as
    open diamonds labelled as the paper's values.
    """
    scales = list(dict.fromkeys(summary["scale"]))
    groups = list(dict.fromkeys(summary[by]))
    fig, axes = plt.subplots(1, len(scales), figsize=(3.1 * len(scales), 0.45 * len(groups) + 1.4), sharey=True)
    for ax, scale in zip(np.atleast_1d(axes), scales):
        rows = summary[summary["scale"] == scale].set_index(by).reindex(groups)
        y = np.arange(len(groups))
        low = _drawn_low(rows["ci_low"])
        err = np.vstack([rows["ICC"] - low, rows["ci_high"] - rows["ICC"]]).clip(0)
        ax.errorbar(rows["ICC"], y, xerr=err, fmt="o", color="C0", capsize=3, label="synthetic raters (ours)")
        if paper is not None and scale in paper:
            ref = paper[scale].reindex(groups)
            ax.plot(ref, y, "D", mfc="none", color="C3", ms=7, label="paper (real raters)")
        ax.set_xlim(min(0.0, float(low.min()) - 0.05), 1.0)
        _icc_bands(ax, horizontal=False)
        ax.set_yticks(y, groups)
        ax.invert_yaxis()
        ax.set_xlabel("ICC")
        ax.set_title(display_name(scale), pad=24)
    np.atleast_1d(axes)[0].legend(loc="lower left", fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@readable_figure
def bland_altman_grid(scores: pd.DataFrame, raters: tuple[str, str] | None = None, hue: str | None = "stimulus"):
    """Bland–Altman plot per scale for two raters (:func:`pingouin.plot_blandaltman`), points coloured by ``hue``,
    whose legend runs below the panels in type as large as the axes' labels (chapter 02).

    ``scores`` is the long output of :func:`painlib.reliability.score_ratings`.
    """
    import pingouin  # imported here: only this figure needs it

    raters = raters or tuple(sorted(scores["rater"].unique())[:2])
    scales = list(dict.fromkeys(scores["scale"]))
    fig, axes = plt.subplots(1, len(scales), figsize=(3.7 * len(scales), 3.6), squeeze=False)
    handles, labels = [], []
    for ax, scale in zip(axes.flat, scales):
        wide = scores[scores["scale"] == scale].pivot(index="target", columns="rater", values="score")
        extra = scores[(scores["scale"] == scale) & (scores["rater"] == raters[0])].set_index("target")
        # pingouin's lines and bands; its labels would sit on the points, so the values go in the title instead
        pingouin.plot_blandaltman(wide[raters[0]], wide[raters[1]], ax=ax, alpha=0, annotate=False)
        differences = wide[raters[0]] - wide[raters[1]]
        bias, half = differences.mean(), 1.96 * differences.std(ddof=1)
        jitter = np.random.default_rng(0).uniform(-0.15, 0.15, (2, len(wide)))  # whole-number scores overlap
        mean = (wide[raters[0]] + wide[raters[1]]) / 2 + jitter[0]
        diff = differences + jitter[1]
        groups = extra[hue].reindex(wide.index) if hue else None
        sns.scatterplot(x=mean, y=diff, hue=groups, hue_order=sorted(groups.unique()) if hue else None, ax=ax, s=22)
        if ax.get_legend() is not None:
            handles, labels = ax.get_legend_handles_labels()
            ax.get_legend().remove()
        ax.set_title(
            f"{display_name(scale)}\nmean difference {bias:.2f}, limits {bias - half:.2f} to {bias + half:.2f}",
            fontsize=10,
        )
        ax.set_xlabel(f"mean of {raters[0]} and {raters[1]}")
        ax.set_ylabel(f"{raters[0]} − {raters[1]}")
    if handles:  # one legend for all panels, below them: the same colours in each
        title = {"stimulus": "source of pain"}.get(hue, hue)
        fig.legend(
            handles,
            labels,
            title=title,
            loc="lower center",
            ncol=len(labels),
            frameon=False,
            markerscale=1.6,
            fontsize=11,
            title_fontsize=11,
        )
        fig.tight_layout(rect=(0, 0.17, 1, 1))
    else:
        fig.tight_layout()
    return fig


@readable_figure
def icc_noise_curves(
    sweep: pd.DataFrame, paper_overall: pd.Series | None = None, marker: float | None = None, title: str | None = None
):
    """ICC of each scale against rater noise (:func:`painlib.reliability.icc_per_level`), 95 % CI bands.

    ``paper_overall`` (scale → ICC) is drawn as dotted lines; ``marker`` marks the noise used in the chapter.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for i, (scale, rows) in enumerate(sweep.groupby("scale", sort=False)):
        ax.plot(rows["noise"], rows["ICC"], "o-", color=f"C{i}", label=f"{display_name(scale)} (synthetic)")
        ax.fill_between(rows["noise"], _drawn_low(rows["ci_low"]), rows["ci_high"], color=f"C{i}", alpha=0.15, lw=0)
        if paper_overall is not None and scale in paper_overall:
            ax.axhline(paper_overall[scale], color=f"C{i}", ls=":", lw=1.2)
    if paper_overall is not None:
        ax.plot([], [], color="grey", ls=":", label="paper, overall")
    if marker is not None:
        ax.axvline(marker, color="k", lw=0.8)
    _icc_bands(ax)
    ax.set_ylim(min(0.0, float(_drawn_low(sweep["ci_low"]).min())), 1.0)
    ax.set_xlabel("rater perception noise (SD, AU intensity units)")
    ax.set_ylabel("ICC(2,k)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


@readable_figure
def pipeline_steps(rgb: np.ndarray, result: dict, title: str | None = None):
    """The preprocessing of one image, left to right: detection, square crop, foreground, white background,
    resized. ``result`` is :func:`painlib.faces.process_image`'s output for ``rgb``."""
    fig, axes = plt.subplots(1, 5, figsize=(12.5, 2.9))
    for ax in axes:
        ax.axis("off")
    axes[0].imshow(rgb)
    axes[0].set_title("1 · MTCNN face box", fontsize=9)
    if result["status"] != "ok":
        axes[1].text(0.5, 0.5, "no face found:\nimage excluded", ha="center", va="center", fontsize=10)
        return fig
    x, y, w, h = result["box"]
    sx, sy, side = result["square"]
    axes[0].add_patch(plt.Rectangle((x, y), w, h, fill=False, color="C1", lw=1.5))
    axes[0].add_patch(plt.Rectangle((sx, sy), side, side, fill=False, color="C0", lw=1.2, ls="--"))
    axes[0].text(x, y - 3, f"{result['confidence']:.2f}", color="C1", fontsize=8)
    axes[1].imshow(result["crop"])
    axes[1].set_title("2 · square crop with margin", fontsize=9)
    overlay = result["crop"].astype(float)
    overlay[~result["foreground"]] = overlay[~result["foreground"]] * 0.35 + np.array([230, 60, 60]) * 0.65
    axes[2].imshow(overlay.astype(np.uint8))
    axes[2].set_title(f"3 · background ({result['background']})", fontsize=9)
    axes[3].imshow(np.where(result["foreground"][..., None], result["crop"], 255).astype(np.uint8))
    axes[3].set_title("4 · background to white", fontsize=9)
    axes[4].imshow(result["image"])
    axes[4].set_title(f"5 · resized {result['image'].shape[0]} px", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


@readable_figure
def class_level_distribution(manifest: pd.DataFrame, title: str | None = None):
    """Images per class (left) and per pain level (right) for each dataset of a Manifest."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), gridspec_kw={"width_ratios": [1, 1.6]})
    classes = manifest.assign(cls=manifest["label"].map({0: "no pain", 1: "pain"}))
    sns.countplot(classes, x="dataset", hue="cls", hue_order=["no pain", "pain"], ax=axes[0])
    axes[0].set_title("images per class")
    axes[0].legend(title="")
    sns.countplot(manifest, x="level", hue="dataset", ax=axes[1])
    axes[1].set_title("images per pain level (0 = none; UNBC: PSPI)")
    for ax in axes:
        ax.set_ylabel("images")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@readable_figure
def roc_curves(predictions: pd.DataFrame, title: str | None = None):
    """One panel per model: the ROC curve of each run (thin) and their vertical mean (thick), with the mean
    AUC over runs. ``predictions`` has columns model, run, label (0/1) and prob_pain; runs whose test set holds
    one class are left out."""
    from sklearn.metrics import roc_auc_score, roc_curve

    models = list(dict.fromkeys(predictions["model"]))
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 4.0), squeeze=False)
    grid = np.linspace(0, 1, 101)
    for ax, model in zip(axes.flat, models):
        curves, aucs = [], []
        for _, run in predictions[predictions["model"] == model].groupby("run"):
            if run["label"].nunique() < 2:
                continue
            fpr, tpr, _ = roc_curve(run["label"], run["prob_pain"])
            ax.plot(fpr, tpr, color="0.6", lw=0.8)
            curves.append(np.interp(grid, fpr, tpr))
            aucs.append(roc_auc_score(run["label"], run["prob_pain"]))
        if curves:
            ax.plot(grid, np.mean(curves, axis=0), color="C0", lw=2.2, label=f"mean of {len(curves)} folds")
        ax.plot([0, 1], [0, 1], ls="--", color="0.3", lw=0.8, label="chance")
        name = display_name(model)
        ax.set_title(f"{name}: AUC {np.mean(aucs):.2f} ± {np.std(aucs):.2f}" if aucs else name, fontsize=9)
        ax.set_xlabel("false-positive rate\n(no pain called pain)")
        ax.set_ylabel("true-positive rate (pain found)")
        ax.set_aspect("equal")
        ax.legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _heat_on(ax, face: np.ndarray, heatmap: np.ndarray, alpha: float = 0.55, cmap="inferno") -> None:
    """Draw a [0, 1] heatmap over a face (grey, so the map's colours read as relevance only), zero transparent."""
    grey = cv2.cvtColor(np.asarray(face, np.uint8), cv2.COLOR_RGB2GRAY)
    ax.imshow(grey, cmap="gray", vmin=0, vmax=255)
    ax.imshow(np.ma.masked_less_equal(heatmap, 0), cmap=cmap, vmin=0, vmax=1, alpha=alpha)
    ax.set_xticks([])
    ax.set_yticks([])


@readable_figure
def global_heatmaps(groups: pd.DataFrame, maps: np.ndarray, face: np.ndarray, rows, columns, size_in: float = 1.25):
    """The CP paper's Figure 6: one global map per network (rows) and class × dataset (``columns``: tuples of
    (class, set)) on the average face; each panel says how many images it averages, an empty panel none."""
    index = {(g["model"], g["class"], g["set"]): i for i, g in enumerate(groups.to_dict("records"))}
    fig, axes = plt.subplots(
        len(rows), len(columns), figsize=(len(columns) * size_in, len(rows) * size_in), squeeze=False
    )
    for r, model in enumerate(rows):
        for c, (cls, dataset) in enumerate(columns):
            ax = axes[r, c]
            i = index.get((model, cls, dataset))
            _heat_on(ax, face, maps[i] if i is not None else np.zeros(face.shape[:2]))
            n = int(groups["n_images"].iloc[i]) if i is not None else 0
            label = dict(facecolor="black", alpha=0.6, pad=1.5, linewidth=0)
            ax.text(
                0.97, 0.03, f"n={n}", transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="w", bbox=label
            )
            if r == 0:
                ax.set_title(f"{dataset}\n{cls.replace('_', ' ')}", fontsize=8)
            if c == 0:
                ax.set_ylabel(model, fontsize=8)
    fig.tight_layout(pad=0.3)
    scale = plt.cm.ScalarMappable(cmap="inferno", norm=plt.Normalize(0, 1))
    fig.colorbar(scale, ax=axes, fraction=0.03, pad=0.02, label="relevance\n(each panel scaled to its maximum)")
    return fig


@readable_figure
def lime_examples(images: np.ndarray, maps: np.ndarray, titles, ncols: int = 6, size_in: float = 1.5):
    """Local explanations (the CP paper's Figures 7–10): each image with its LIME relevance over it."""
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size_in, nrows * size_in * 1.15), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        ax = axes.flat[i]
        _heat_on(ax, images[i], normalise(maps[i]))
        ax.set_title(titles[i], fontsize=7)
    fig.tight_layout(pad=0.3)
    scale = plt.cm.ScalarMappable(cmap="inferno", norm=plt.Normalize(0, 1))
    label = "relevance for pain\n(each panel scaled to its maximum;\nuncoloured: none)"
    fig.colorbar(scale, ax=axes, fraction=0.03, pad=0.02, label=label)
    return fig


@readable_figure
def face_regions(face: np.ndarray, regions: dict, template: np.ndarray | None = None, size_in: float = 3.0):
    """The average face of the common frame with the outline of each named region (and the template's
    landmarks), so a reader sees what "forehead" or "mouth" means in the checks that use them."""
    fig, ax = plt.subplots(figsize=(size_in * 1.35, size_in))
    ax.imshow(np.asarray(face, np.uint8))
    colours = sns.color_palette("colorblind", len(regions))
    handles = []
    for colour, (name, region) in zip(colours, regions.items()):
        ax.contour(np.asarray(region, float), levels=[0.5], colors=[colour], linewidths=1.5)
        handles.append(plt.Line2D([], [], color=colour, label=name.replace("_", " ")))
    if template is not None:
        ax.plot(template[:, 0], template[:, 1], "w+", markersize=8, mew=1.5)
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, frameon=False)
    ax.axis("off")
    fig.tight_layout()
    return fig


@readable_figure
def deletion_curves(curves: pd.DataFrame, ncols: int = 5, size_in: float = 2.0):
    """Mean deletion curve per network: the probability of pain as the segments are hidden in the map's order and
    in random order (``curves``: model, order, hidden (share 0–1), prob)."""
    models = list(dict.fromkeys(curves["model"]))
    nrows = max(1, int(np.ceil(len(models) / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size_in, nrows * size_in), sharey=True, squeeze=False)
    for ax in axes.flat[len(models) :]:
        ax.axis("off")
    for ax, model in zip(axes.flat, models):
        part = curves[curves["model"] == model]
        sns.lineplot(data=part, x="hidden", y="prob", hue="order", ax=ax, errorbar=None, legend=ax is axes.flat[0])
        ax.set_title(model, fontsize=9)
        ax.set_xlabel("")
        ax.set_ylabel("p(pain)")
    if models and axes.flat[0].get_legend() is not None:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        axes.flat[0].get_legend().remove()
        names = {"map": "hidden in the map's order", "random": "hidden in a random order"}
        fig.legend(handles, [names.get(label, label) for label in labels], loc="upper center", ncols=2)
    fig.supxlabel("share of superpixels hidden")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig


#: Tobii Studio's heatmap colours (few fixations → many), which the dissertation gave the attribution maps too.
GAZE_CMAP = LinearSegmentedColormap.from_list("green_yellow_red", ["#1a9641", "#ffff33", "#d7191c"])


def _map_on(ax, face: np.ndarray, heatmap: np.ndarray, floor: float = 0.0) -> None:
    """A map scaled to its maximum over a grey face; values at or below ``floor`` (0–1) are left uncoloured."""
    scaled = normalise(heatmap)
    _heat_on(ax, face, np.where(scaled > floor, scaled, 0.0), alpha=0.6, cmap=GAZE_CMAP)


@readable_figure
def attribution_grid(
    faces: np.ndarray,
    maps: dict[str, np.ndarray],
    titles,
    size_in: float = 1.3,
    floor: float = 0.0,
    what: str = "relevance",
):
    """Rows of maps (``maps``: row label → (N, H, W)) over the N ``faces`` (columns titled ``titles``), each map
    scaled to its own maximum, in the green–yellow–red of the gaze heatmaps; values at or below ``floor`` of the
    maximum are left uncoloured. ``what`` the maps measure names the colour bar (a network's relevance, people's
    fixation time)."""
    fig, axes = plt.subplots(len(maps), len(faces), figsize=(len(faces) * size_in, len(maps) * size_in), squeeze=False)
    for r, (label, stack) in enumerate(maps.items()):
        for c in range(len(faces)):
            _map_on(axes[r, c], faces[c], stack[c], floor)
            if r == 0:
                axes[r, c].set_title(titles[c], fontsize=7)
        axes[r, 0].set_ylabel(label, fontsize=7)
    fig.tight_layout(pad=0.3)
    scale = plt.cm.ScalarMappable(cmap=GAZE_CMAP, norm=plt.Normalize(0, 1))
    fig.colorbar(scale, ax=axes, fraction=0.03, pad=0.02, label=f"{what}\n(each panel scaled to its maximum)")
    return fig


@readable_figure
def postprocessing_figure(face: np.ndarray, rows: dict[str, dict[str, np.ndarray]], size_in: float = 1.6):
    """The dissertation's Figures 10–12 for one image: per row (a method) the raw map, its five clusters, the
    blurred map and the binary mask kept (``rows``: label → :func:`painlib.attention.postprocess_steps`)."""
    steps = {"scaled": "1 · map (colour mapped)", "clustered": "2 · k-means, 5 clusters", "processed": "3 · blurred"}
    fig, axes = plt.subplots(len(rows), 4, figsize=(4 * size_in, len(rows) * size_in), squeeze=False)
    for r, (label, out) in enumerate(rows.items()):
        for c, (step, title) in enumerate(steps.items()):
            _map_on(axes[r, c], face, out[step])
            axes[0, c].set_title(title, fontsize=8)
        _heat_on(axes[r, 3], face, out["mask"].astype(float), alpha=0.6, cmap=GAZE_CMAP)
        axes[0, 3].set_title("4 · kept: L ≥ μ + cσ", fontsize=8)
        axes[r, 0].set_ylabel(label, fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig


@readable_figure
def overlap_violins(scores: pd.DataFrame, humans=("experts", "parents"), names: dict | None = None):
    """The dissertation's Figure 17: the overlap of each pair of sources on pain and no-pain images as split
    violins (median dashed, quartiles dotted); panel (a) the pairs of networks' maps and experts–parents,
    panel (b) each network's map against each human group."""
    names = names or {}
    part = scores[scores["metric"] == "overlap"].copy()
    human_pair = part["first"].isin(humans) & part["second"].isin(humans)
    mixed = part["first"].isin(humans) ^ part["second"].isin(humans)
    part["pair"] = [f"{names.get(a, a)} – {names.get(b, b)}" for a, b in zip(part["first"], part["second"])]
    part["class"] = part["class"].map({"pain": "pain", "no_pain": "no pain"})
    panels = {"(a) networks' maps with each other, and experts – parents": part[~mixed | human_pair]}
    panels["(b) networks' maps with people's"] = part[mixed]
    fig, axes = plt.subplots(2, 1, figsize=(11, 7.5))
    for ax, (title, data) in zip(axes, panels.items()):
        sns.violinplot(
            data=data, x="pair", y="value", hue="class", split=True, inner="quart", cut=0, ax=ax,
            hue_order=["pain", "no pain"], palette=["#d7191c", "#1a9641"], density_norm="width", linewidth=0.8,
        )  # fmt: skip
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("overlap")
        ax.set_ylim(0, 1)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        for label in ax.get_xticklabels():  # the label's end, not its middle, under its violin
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
        ax.legend(loc="lower left", fontsize=8, title=None)
    fig.tight_layout()
    return fig
