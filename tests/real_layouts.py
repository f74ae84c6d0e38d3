"""Synthetic images laid out as the real distributors ship them, so the real-data path can run end to end."""

import shutil
from pathlib import Path

import pandas as pd

from painlib import synth
from painlib.synth import raters


def _copy(src, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def write_real_layouts(root: Path, work: Path, seed: int = 0, size_px: int = 96) -> Path:
    """Make small synthetic datasets in ``work`` and copy them into ``root/<dataset folder>/`` layouts."""
    return write_real_layouts_counted(root, work, seed, size_px)[0]


def write_real_layouts_counted(root: Path, work: Path, seed: int = 0, size_px: int = 96) -> tuple[Path, dict[str, int]]:
    """:func:`write_real_layouts`, also returning how many subjects were written per dataset (keys as in
    ``painlib.datasets.REAL_FOLDERS``), counted from what was written, not from what a loader reads back."""
    make = lambda pop, n: synth.make_dataset(pop, n, work, seed=seed, image_size_px=size_px, n_jobs=1, progress=False)  # noqa: E731
    written: dict[str, set] = {name: set() for name in ("unbc", "mint", "delaware", "cp", "unifesp", "icope")}
    for r in make("unbc", 3).itertuples():
        subject, seq = f"0{r.subject[-2:]}-ab0{r.subject[-2:]}", f"ab0{r.subject[-2:]}{r.video}"
        _copy(r.path, root / "UNBC-McMaster" / "Images" / subject / seq / f"{seq}{r.frame:03d}.png")
        label = root / "UNBC-McMaster" / "Frame_Labels" / "PSPI" / subject / seq / f"{seq}{r.frame:03d}_facs.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text(f"   {r.pspi:.7e}\n")
        written["unbc"].add(subject)
    for r in make("mint", 3).itertuples():
        _copy(
            r.path,
            root / "MInt-PAIN" / r.subject / r.video / f"Sweep{r.frame:02d}" / f"Label{r.level}" / "RGB" / "0001.png",
        )
        written["mint"].add(r.subject)
    for r in make("delaware", 6).itertuples():
        _copy(r.path, root / "Delaware" / f"{r.subject}_{'pain' if r.label else 'neutral'}_{r.frame}.png")
        written["delaware"].add(r.subject)
    cp = make("cp", 4)
    rows = []
    for r in cp.itertuples():
        file = f"frames/{r.subject}_{r.video}_{r.frame}.png"
        _copy(r.path, root / "CP-PAIN" / file)
        rows.append(
            dict(
                file=file,
                subject=r.subject,
                video=r.video,
                stimulus=r.stimulus,
                moment="rest" if r.frame else "pain",
                occluded=int(r.occluded),
            )
        )
        written["cp"].add(r.subject)
    pd.DataFrame(rows).to_csv(root / "CP-PAIN" / "cp_pain.csv", index=False)
    raters.rate_targets(raters.video_targets(cp), seed=seed).to_csv(root / "CP-PAIN" / "ratings.csv", index=False)
    neonates = make("neonate", 4)
    rows = []
    for i, r in enumerate(neonates.itertuples()):
        if r.dataset == "unifesp":
            _copy(r.path, root / "UNIFESP" / f"img_{i:03d}.png")
            rows.append(dict(file=f"img_{i:03d}.png", neonate=r.subject, label=r.label))
        else:
            _copy(r.path, root / "iCOPE" / f"{r.subject}_{r.stimulus}_{i}.png")
        written[r.dataset].add(r.subject)
    pd.DataFrame(rows).to_csv(root / "UNIFESP" / "labels.csv", index=False)
    return root, {name: len(subjects) for name, subjects in written.items()}
