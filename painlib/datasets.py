"""Real dataset layouts → Manifest, and the studies' dataset assembly (chapter 01).

Loaders read the folders as their distributors ship them (``book/data.md`` lists each layout) and return the
Manifest table (see :mod:`painlib.manifest`). A wrong or partial layout raises :class:`DatasetLayoutError`
naming the folder or files that are missing. The assembly functions work the same on real and synthetic
Manifests:

* :func:`assemble_pain_db` — UNBC-McMaster + MInt PAIN + Delaware, twenty frames per person and class from the
  video sources (seeded), every level above 0 relabelled "pain" (the CP paper's Table 2);
* :func:`assemble_cp_pain` — two frames per CP video (moment of pain, moment of rest), occluded videos left
  out, the moment of pain labelled by the raters' unanimous-zero consensus (chapter 02);
* :func:`assemble_neonatal` — UNIFESP + iCOPE, iCOPE's rest and pain images only (the dissertation).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .facs import pspi_level
from .images import UnreadableImageError, read_rgb
from .manifest import validate_manifest
from .scales import video_target
from .session import keyed_rng

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")

#: Dataset name → folder under ``data_root`` where its files go.
REAL_FOLDERS: dict[str, str] = {
    "unbc": "UNBC-McMaster",
    "mint": "MInt-PAIN",
    "delaware": "Delaware",
    "cp": "CP-PAIN",
    "unifesp": "UNIFESP",
    "icope": "iCOPE",
}
ICOPE_STIMULI = ("rest", "cry", "air", "friction", "pain")


class DatasetLayoutError(FileNotFoundError):
    """A dataset folder does not have the layout its loader expects; the message says what is missing."""


def _images_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _require(path: Path, what: str, dataset: str) -> Path:
    if not path.exists():
        raise DatasetLayoutError(f"{dataset}: {what} not found at {path}")
    return path


def _listing(items, limit: int = 5) -> str:
    items = [str(i) for i in items]
    return ", ".join(items[:limit]) + (f" … ({len(items)} in all)" if len(items) > limit else "")


def _manifest(rows: list[dict], dataset: str, population: str) -> pd.DataFrame:
    if not rows:
        raise DatasetLayoutError(f"{dataset}: no images found")
    df = pd.DataFrame(rows)
    df.insert(1, "dataset", dataset)
    df["population"] = population
    df["subject"] = dataset + "-" + df["subject"].astype(str)  # unique across datasets
    df["synthetic"] = False
    return validate_manifest(df)


# ---------------------------------------------------------------------------------------------- loaders


def load_unbc(root: str | os.PathLike) -> pd.DataFrame:
    """UNBC-McMaster Shoulder Pain Expression Archive.

    Layout: ``Images/<subject>/<sequence>/<sequence><frame>.png`` and the frame's PSPI in
    ``Frame_Labels/PSPI/<subject>/<sequence>/<sequence><frame>_facs.txt`` (one number). ``pspi`` is that PSPI
    (0–16), ``level`` its pain level 0–4 (:func:`painlib.facs.pspi_level`: PSPI 0, 1, 2, 3–4, ≥ 5 — the same
    bins the synthetic generator uses), ``label`` is PSPI > 0, ``video`` the sequence.

    Every bad frame is reported at once in one :class:`DatasetLayoutError`: frames without a PSPI file, PSPI
    files that do not start with a number, and PSPI values that are not finite or are negative.
    """
    root = Path(root)
    images = _require(root / "Images", "folder Images/", "UNBC-McMaster")
    labels = _require(root / "Frame_Labels" / "PSPI", "folder Frame_Labels/PSPI/", "UNBC-McMaster")
    rows, unlabeled, unreadable, invalid = [], [], [], []
    for img in _images_under(images):
        rel = img.relative_to(images)
        if len(rel.parts) != 3:
            raise DatasetLayoutError(f"UNBC-McMaster: expected Images/<subject>/<sequence>/<frame>, found {rel}")
        label_file = labels / rel.parent / f"{img.stem}_facs.txt"
        if not label_file.is_file():
            unlabeled.append(label_file.relative_to(root))
            continue
        try:
            pspi = float(label_file.read_text().split()[0])
        except (IndexError, ValueError):  # UnicodeDecodeError is a ValueError too
            unreadable.append(label_file.relative_to(root))
            continue
        if not np.isfinite(pspi) or pspi < 0:
            invalid.append(f"{label_file.relative_to(root)} (value {pspi:g})")
            continue
        frame = re.search(r"(\d+)$", img.stem)
        rows.append(
            dict(
                path=str(img),
                subject=rel.parts[0],
                video=rel.parts[1],
                frame=int(frame.group(1)) if frame else 0,
                pspi=pspi,
                level=pspi_level(pspi),
                label=int(pspi > 0),
                stimulus="shoulder_motion",
            )
        )
    problems = []
    if unlabeled:
        problems.append(f"{len(unlabeled)} frame(s) have no PSPI file: {_listing(unlabeled)}")
    if unreadable:
        problems.append(f"{len(unreadable)} PSPI file(s) do not start with a number: {_listing(unreadable)}")
    if invalid:
        problems.append(
            f"{len(invalid)} PSPI file(s) hold a value that is not a finite number ≥ 0 (PSPI runs 0–16): "
            f"{_listing(invalid)}"
        )
    if problems:
        raise DatasetLayoutError("UNBC-McMaster: " + "; ".join(problems))
    return _manifest(rows, "unbc", "adult")


def load_mint(root: str | os.PathLike) -> pd.DataFrame:
    """MInt PAIN (RGB frames).

    Layout: ``<subject>/<trial>/…/Label<L>/…/<frame>.jpg`` — the first folder is the person, the second the
    trial, and a folder named ``Label0`` … ``Label4`` on the way gives the stimulation level (0 = no pain).
    Folders of other modalities (``Depth``, ``Thermal``) are skipped.
    """
    root = Path(root)
    _require(root, "dataset folder", "MInt PAIN")
    rows, unlabeled = [], []
    for img in _images_under(root):
        rel = img.relative_to(root)
        if any(part.lower() in ("depth", "thermal", "d", "t") for part in rel.parts[:-1]):
            continue
        levels = [int(m.group(1)) for part in rel.parts[:-1] if (m := re.fullmatch(r"(?i)label[_-]?([0-4])", part))]
        if len(rel.parts) < 3 or len(levels) != 1:
            unlabeled.append(rel)
            continue
        video = "/".join(rel.parts[1:-1])
        rows.append(
            dict(
                path=str(img),
                subject=rel.parts[0],
                video=video,
                frame=len(rows),
                level=levels[0],
                label=int(levels[0] > 0),
                stimulus="electrical",
            )
        )
    if unlabeled:
        raise DatasetLayoutError(
            f"MInt PAIN: {len(unlabeled)} image(s) are not under <subject>/<trial>/…/Label<0-4>/: {_listing(unlabeled)}"
        )
    return _manifest(rows, "mint", "adult")


def load_delaware(root: str | os.PathLike) -> pd.DataFrame:
    """Delaware Pain Database.

    Layout: photographs anywhere under the folder named ``<person>_<expression>[_<n>]`` — the expression
    ``pain`` or ``neutral`` as a separate word (``AF-001_pain.jpg``, ``AF-001 neutral 2.jpg``); the words
    before it name the person.
    """
    root = Path(root)
    _require(root, "dataset folder", "Delaware")
    rows, unknown = [], []
    for img in _images_under(root):
        words = re.split(r"[_\-\s.]+", img.stem)
        expression = [w.lower() for w in words if w.lower() in ("pain", "neutral")]
        if len(expression) != 1:
            unknown.append(img.relative_to(root))
            continue
        position = next(i for i, w in enumerate(words) if w.lower() == expression[0])
        subject = "-".join(words[:position])
        if not subject:
            unknown.append(img.relative_to(root))
            continue
        is_pain = int(expression[0] == "pain")
        rows.append(
            dict(
                path=str(img),
                subject=subject,
                video="photo",
                frame=is_pain,
                level=is_pain,
                label=is_pain,
                stimulus="posed",
            )
        )
    if unknown:
        raise DatasetLayoutError(
            f"Delaware: {len(unknown)} image name(s) are not <person>_<pain|neutral>[_<n>]: {_listing(unknown)}"
        )
    return _manifest(rows, "delaware", "adult")


def _table_with_files(root: Path, csv_name: str, columns: tuple[str, ...], dataset: str) -> pd.DataFrame:
    table_path = _require(root / csv_name, f"table {csv_name}", dataset)
    table = pd.read_csv(table_path, dtype={"file": str, "subject": str, "neonate": str, "video": str})
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DatasetLayoutError(f"{dataset}: {csv_name} lacks column(s) {missing}; expected {list(columns)}")
    absent = [f for f in table["file"] if not (root / f).is_file()]
    if absent:
        raise DatasetLayoutError(
            f"{dataset}: {len(absent)} file(s) listed in {csv_name} are missing: {_listing(absent)}"
        )
    return table


def _require_binary(table: pd.DataFrame, column: str, csv_name: str, dataset: str) -> None:
    bad = table.index[~table[column].isin([0, 1])]
    if len(bad):
        rows = [f"row {i + 2}: {table.at[i, column]!r}" for i in bad[:5]]  # +2: header line, 1-based lines
        raise DatasetLayoutError(f"{dataset}: column {column!r} of {csv_name} must be 0 or 1; {', '.join(rows)}")


def load_cp_pain(root: str | os.PathLike) -> pd.DataFrame:
    """CP-PAIN frames (the CP study's own data, shared under its consent terms only).

    Layout: ``cp_pain.csv`` with columns file, subject, video, stimulus, moment (``pain`` or ``rest``),
    occluded (0/1), and the image files it names (relative to the folder). Labels come from a ``label`` column
    if present; otherwise from raters' item sheets in ``ratings.csv`` (schema of chapter 02, targets named
    ``<subject>/<video>``) by the unanimous-zero FACS consensus — see :func:`assemble_cp_pain`.
    """
    root = Path(root)
    table = _table_with_files(
        root, "cp_pain.csv", ("file", "subject", "video", "stimulus", "moment", "occluded"), "CP-PAIN"
    )
    for column in ("occluded", "label"):
        if column in table:
            _require_binary(table, column, "cp_pain.csv", "CP-PAIN")
    bad = sorted(set(table["moment"]) - {"pain", "rest"})
    if bad:
        raise DatasetLayoutError(f"CP-PAIN: column 'moment' must be 'pain' or 'rest', found {bad}")
    out = table.assign(
        path=[str(root / f) for f in table["file"]],
        frame=(table["moment"] == "rest").astype(int),
        target=table["subject"].astype(str) + "/" + table["video"].astype(str),  # as the raters name the video
    )
    if "label" not in out:
        out["label"] = (out["moment"] == "pain").astype(int)  # provisional: replaced by the raters' consensus
        out.attrs["ratings"] = str(root / "ratings.csv") if (root / "ratings.csv").is_file() else ""
        if not out.attrs["ratings"]:
            log.warning("CP-PAIN: no 'label' column and no ratings.csv; every moment of pain is labelled pain")
    out["level"] = out["label"]
    out["occluded"] = out["occluded"].astype(bool)
    cols = ["path", "subject", "video", "target", "frame", "stimulus", "moment", "occluded", "label", "level"]
    manifest = _manifest(out[cols].to_dict("records"), "cp", "cp")
    manifest.attrs.update(out.attrs)
    return manifest


def load_unifesp(root: str | os.PathLike) -> pd.DataFrame:
    """UNIFESP Face Image Dataset. Layout: ``labels.csv`` with columns file, neonate, label (1 pain, 0 no pain)
    and the image files it names."""
    root = Path(root)
    table = _table_with_files(root, "labels.csv", ("file", "neonate", "label"), "UNIFESP")
    _require_binary(table, "label", "labels.csv", "UNIFESP")
    rows = [
        dict(
            path=str(root / r.file),
            subject=r.neonate,
            video="frames",
            frame=i,
            label=int(r.label),
            level=int(r.label),
            stimulus="pain" if r.label else "rest",
        )
        for i, r in enumerate(table.itertuples())
    ]
    return _manifest(rows, "unifesp", "neonate")


def load_icope(root: str | os.PathLike) -> pd.DataFrame:
    """iCOPE. Layout: photographs whose name is ``<neonate>_<stimulus>_<n>`` (``-``, ``_`` or spaces between
    parts), the stimulus one of rest, cry, air, friction, pain as a separate word; the words before it name
    the neonate (``icope-0001_rest_3.png`` → ``icope-0001``, ``Baby 2 pain 1.jpg`` → ``Baby-2``), as
    :func:`load_delaware` reads the person. ``label`` and ``level`` are 1 for pain only."""
    root = Path(root)
    _require(root, "dataset folder", "iCOPE")
    rows, unknown = [], []
    for img in _images_under(root):
        words = [w for w in re.split(r"[_\-\s]+", img.stem) if w]
        positions = [i for i, w in enumerate(words) if w.lower() in ICOPE_STIMULI]
        if len(positions) != 1 or positions[0] == 0:
            unknown.append(img.relative_to(root))
            continue
        stimulus = words[positions[0]].lower()
        rows.append(
            dict(
                path=str(img),
                subject="-".join(words[: positions[0]]),
                video="session",
                frame=len(rows),
                stimulus=stimulus,
                label=int(stimulus == "pain"),
                level=int(stimulus == "pain"),
            )
        )
    if unknown:
        raise DatasetLayoutError(
            f"iCOPE: {len(unknown)} image name(s) are not <neonate>_<stimulus>_<n> with a stimulus in "
            f"{ICOPE_STIMULI}: {_listing(unknown)}"
        )
    return _manifest(rows, "icope", "neonate")


LOADERS: dict[str, Callable[[str | os.PathLike], pd.DataFrame]] = {
    "unbc": load_unbc,
    "mint": load_mint,
    "delaware": load_delaware,
    "cp": load_cp_pain,
    "unifesp": load_unifesp,
    "icope": load_icope,
}


def load_real(data_root: str | os.PathLike, names) -> dict[str, pd.DataFrame]:
    """Load the named datasets from ``data_root/<folder>`` (folders in :data:`REAL_FOLDERS`; chapter 01).

    A ``data_root`` that does not exist is reported once, as such; otherwise every missing dataset folder is
    named in one :class:`DatasetLayoutError`.
    """
    unknown = [n for n in names if n not in LOADERS]
    if unknown:
        raise ValueError(f"unknown dataset(s) {unknown}; known: {list(LOADERS)}")
    root = Path(data_root)
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise DatasetLayoutError(
            f"data_root {root} ({root.absolute()}) {what}; it should hold one folder per dataset "
            f"({', '.join(REAL_FOLDERS[n] + '/' for n in names)}) as book/data.md describes"
        )
    missing = [f"{REAL_FOLDERS[n]}/ ({n})" for n in names if not (root / REAL_FOLDERS[n]).is_dir()]
    if missing:
        raise DatasetLayoutError(f"under {root}: missing dataset folder(s) {missing}")
    return {n: LOADERS[n](root / REAL_FOLDERS[n]) for n in names}


# --------------------------------------------------------------------------------------------- assembly


def _sample_per_subject_class(manifest: pd.DataFrame, per_class: int, seed: int = 0) -> pd.DataFrame:
    """Up to ``per_class`` images per (dataset, subject, label), drawn without replacement.

    Each group draws from its own random stream keyed by ``(seed, dataset, subject, label)``, so a person's
    sample does not change when other people are added. Rows keep the Manifest's order and index; rows are
    picked by position, so an index with repeated labels (Manifests concatenated without ``ignore_index``)
    gives the same rows as a fresh one.
    """
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    keep = []
    groups = manifest.groupby(["dataset", "subject", "label"], sort=False).indices  # key → row positions
    for (dataset, subject, label), positions in groups.items():
        rng = keyed_rng(seed, dataset, subject, label)
        keep.extend(positions[rng.permutation(len(positions))[:per_class]])
    return manifest.iloc[np.sort(np.asarray(keep, dtype=np.intp))]


def _binary_relabel(manifest: pd.DataFrame) -> pd.DataFrame:
    """``label`` = 1 for every level above 0 (pain of any intensity), 0 otherwise; ``level`` is kept."""
    return manifest.assign(label=(manifest["level"] > 0).astype(int))


def assemble_pain_db(sources: dict[str, pd.DataFrame], frames_per_class: int = 20, seed: int = 0) -> pd.DataFrame:
    """PAIN-DB: UNBC-McMaster and MInt PAIN sampled to ``frames_per_class`` per person and class, all of
    Delaware, every level above 0 relabelled pain. ``sources`` maps unbc / mint / delaware to Manifests."""
    missing = [n for n in ("unbc", "mint", "delaware") if n not in sources]
    if missing:
        raise ValueError(f"PAIN-DB needs unbc, mint and delaware; missing {missing}")
    videos = [_sample_per_subject_class(_binary_relabel(sources[n]), frames_per_class, seed) for n in ("unbc", "mint")]
    return pd.concat([*videos, _binary_relabel(sources["delaware"])], ignore_index=True)


def assemble_cp_pain(
    cp: pd.DataFrame,
    consensus: pd.Series | None = None,
    *,
    ratings: pd.DataFrame | None = None,
    missing: str = "raise",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CP-PAIN from CP frames: occluded videos out, two frames per video, the pain moment labelled by consensus.

    The label of each moment of pain comes from the raters: pass their item sheets as ``ratings`` (a ratings
    table, :mod:`painlib.scales`; scored on FACS, "no pain" only if every rater scored 0 —
    :func:`painlib.reliability.consensus_labels`), or the finished ``consensus`` (video target → 0/1). The moment
    of rest is "no pain". With neither, the Manifest's labels are kept. Only the FACS items are read, so a gap
    in another scale's items does not matter; with ``missing="drop"`` a video whose FACS sheets are incomplete
    is left out (listed in ``excluded``) instead of stopping. Returns ``(cp_pain, excluded)``, ``excluded`` with
    a ``reason`` (chapter 01).
    """
    if ratings is not None:
        if consensus is not None:
            raise ValueError("give either ratings or consensus, not both")
        from .reliability import consensus_labels, facs_pain_score

        facs = facs_pain_score(ratings, missing)
        sheets = ratings.loc[facs.index, ["target", "rater"]].assign(score=facs.to_numpy())
        consensus = consensus_labels(sheets, "target", "rater", "score", missing=missing)
    cp = cp.copy()
    target = video_target(cp)
    occluded_videos = set(target[cp["occluded"].astype(bool)])
    out = target.isin(occluded_videos)
    excluded = cp[out].assign(reason="occluded video (hand or surgical mask)")
    kept, target = cp[~out], target[~out]
    if consensus is not None:
        unlabelled = target[~target.isin(consensus.index)]
        if len(unlabelled) and missing == "raise":
            raise ValueError(f"no consensus label for {unlabelled.nunique()} video(s): {_listing(unlabelled.unique())}")
        if len(unlabelled):
            rows = target.isin(consensus.index)
            excluded = pd.concat([excluded, kept[~rows].assign(reason="incomplete ratings (missing='drop')")])
            log.warning("CP-PAIN: %d video(s) left out for incomplete ratings", unlabelled.nunique())
            kept, target = kept[rows], target[rows]
        is_pain_moment = kept["frame"] == 0
        kept = kept.assign(label=np.where(is_pain_moment, target.map(consensus), 0).astype(int))
        kept = kept.assign(level=kept["label"])
    counts = kept.groupby(target, sort=False).size()
    if (counts != 2).any():
        log.warning("CP-PAIN: %d video(s) do not have exactly two frames", int((counts != 2).sum()))
    return kept.reset_index(drop=True), excluded.reset_index(drop=True)


def cp_pain_counts(cp: pd.DataFrame, cp_pain: pd.DataFrame, excluded: pd.DataFrame) -> pd.Series:
    """What :func:`assemble_cp_pain` did: videos, videos left out (occluded, or unrated with ``missing="drop"``), images kept, pain images, and moments of pain
    the raters' consensus called "no pain"."""
    return pd.Series(
        {
            "videos": video_target(cp).nunique(),
            "videos left out": video_target(excluded).nunique(),
            "CP-PAIN images": len(cp_pain),
            "of which pain": int(cp_pain["label"].sum()),
            "moments of pain rated 'no pain' by consensus": int(
                ((cp_pain["frame"] == 0) & (cp_pain["label"] == 0)).sum()
            ),
        }
    )


def assemble_neonatal(sources: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """UNIFESP (all images) + iCOPE (rest and pain only), as the neonatal study trains on them."""
    parts = []
    if "unifesp" in sources:
        parts.append(sources["unifesp"])
    if "icope" in sources:
        icope = sources["icope"]
        parts.append(icope[icope["stimulus"].isin(["rest", "pain"])])
    if not parts:
        raise ValueError("neonatal assembly needs unifesp and/or icope")
    return pd.concat(parts, ignore_index=True)


def _image_size(path) -> tuple[int, int] | None:
    """(width, height) in pixels, or None if the file cannot be decoded as an image.

    The whole image is decoded, with the reader the face pipeline uses: a truncated file whose header still
    reads is counted here exactly as the pipeline later excludes it.
    """
    try:
        height, width = read_rgb(path).shape[:2]
    except UnreadableImageError:
        return None
    return width, height


def _resolution(sizes: list[tuple[int, int]]) -> str:
    if not sizes:
        return "none readable"
    sizes = pd.Series(sizes, dtype=object)
    w, h = sizes.mode().iloc[0]
    return f"{w} × {h}" + (" (mixed)" if sizes.nunique() > 1 else "")


def dataset_table(manifest: pd.DataFrame) -> pd.DataFrame:
    """Users, images, pain levels, classes, most common resolution and unreadable files per dataset (chapter 01;
    the CP paper's Table 2, whose total row counts the merged set's two classes as its levels).

    The resolution (width × height, pixels) is read from each decoded image. A file that cannot be decoded does
    not stop the table: it is counted in ``unreadable``, left out of the resolution and named in a logged
    warning; the face pipeline (:func:`painlib.faces.preprocess_faces`) later lists it as excluded.
    """
    table = manifest.groupby("dataset", sort=False).agg(
        users=("subject", "nunique"),
        images=("path", "size"),
        levels=("level", "nunique"),
        classes=("label", "nunique"),
        pain=("label", "sum"),
    )
    sizes = {d: [(p, _image_size(p)) for p in manifest.loc[manifest["dataset"] == d, "path"]] for d in table.index}
    table["resolution"] = [_resolution([s for _, s in sizes[d] if s is not None]) for d in table.index]
    table["unreadable"] = [sum(s is None for _, s in sizes[d]) for d in table.index]
    unreadable = [str(p) for d in table.index for p, s in sizes[d] if s is None]
    if unreadable:
        log.warning(
            "dataset_table: %d image(s) could not be read and are left out of the resolution column "
            "(the face pipeline lists them as excluded): %s",
            len(unreadable),
            _listing(unreadable, limit=20),
        )
    total = table[["users", "images", "pain", "unreadable"]].sum()
    table.loc["total"] = {
        "users": total["users"],
        "images": total["images"],
        "levels": manifest["label"].nunique(),  # the merged set's levels are its classes, as the paper counts them
        "classes": manifest["label"].nunique(),
        "pain": total["pain"],
        "resolution": "mixed",
        "unreadable": total["unreadable"],
    }
    return table
