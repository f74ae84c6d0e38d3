"""The book's figures, one function per kind of figure (matplotlib / seaborn)."""

from __future__ import annotations

import cv2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .images import read_rgb
from .synth.render import AUS, unpack_masks

#: One colour per AU region (RGB 0–1), shared by every figure that shows AU masks.
AU_COLORS = dict(zip(AUS, sns.color_palette("colorblind", len(AUS))))


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
                titles.append(f"{group} · {'pain' if label else 'no pain'}{extra}")
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


def au_legend(ax) -> None:
    """Add a legend of the AU region colours to ``ax``."""
    handles = [plt.Rectangle((0, 0), 1, 1, color=AU_COLORS[au]) for au in AUS]
    ax.legend(handles, [au.upper() for au in AUS], loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)


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


def scenario_bars(
    results: pd.DataFrame, metric: str = "accuracy", reference: dict | None = None, title: str | None = None
):
    """Bars of ``metric`` per scenario (mean ± sd over runs), with a chance line and optional reference values."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    order = list(dict.fromkeys(results["scenario"]))
    sns.barplot(results, x="scenario", y=metric, order=order, errorbar="sd", ax=ax, color="C0", alpha=0.85)
    sns.stripplot(results, x="scenario", y=metric, order=order, ax=ax, color="k", size=4)
    ax.axhline(0.5, ls="--", color="grey", lw=1)
    ax.text(len(order) - 0.5, 0.505, "chance", ha="right", va="bottom", color="grey", fontsize=8)
    if reference:
        for i, sc in enumerate(order):
            if sc in reference:
                ax.plot([i - 0.4, i + 0.4], [reference[sc]] * 2, color="C3", lw=2)
        ax.plot([], [], color="C3", lw=2, label="paper (best model)")
        ax.legend(loc="lower left", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_xlabel("")
    ax.set_title(title or metric)
    fig.tight_layout()
    return fig
