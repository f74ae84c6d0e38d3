"""How often a real detector (MTCNN) finds the synthetic faces, per population and image size.

For each population, ``--subjects`` people are drawn and ``--per-subject`` of their non-occluded images are
picked at random (occluded images — hand, surgical mask — are counted apart: missing those is fair). Every
image goes through ``mtcnn.MTCNN().detect_faces`` one at a time, at the sizes the book uses (96 px smoke,
128 px cpu, 224 px paper). Printed per population and size: the share with exactly one face scoring ≥ 0.9,
and the share with at least one face ≥ 0.8 (the face pipeline's default ``min_confidence``).

python benchmarks/bench_detectable.py [--subjects 20] [--per-subject 2] [--sizes 96 128 224] [--misses DIR]

``--misses DIR`` writes a PNG grid of the images that fail "exactly one ≥ 0.9", per population and size.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

from painlib import synth  # noqa: E402
from painlib.session import keyed_rng, quiet_stderr  # noqa: E402


def sample(population: str, n_subjects: int, per_subject: int, size: int, seed: int):
    """``(image, row)`` pairs: ``per_subject`` random non-occluded images of each of ``n_subjects`` people,
    and separately every occluded image met on the way."""
    picked, occluded = [], []
    for s in range(n_subjects):
        items = synth.render_subject(population, s, seed=seed, size_px=size)
        clear = [(img, row) for img, _, row in items if not row["occluded"]]
        occluded += [(img, row) for img, _, row in items if row["occluded"]]
        rng = keyed_rng(seed, "bench_detectable", population, s)
        for i in rng.choice(len(clear), size=min(per_subject, len(clear)), replace=False):
            picked.append(clear[int(i)])
    return picked, occluded


def score(detector, images) -> tuple[np.ndarray, np.ndarray]:
    """Per image: exactly one face ≥ 0.9; at least one face ≥ 0.8."""
    one, any8 = [], []
    for img in images:
        with quiet_stderr():
            faces = detector.detect_faces(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        conf = np.array([f["confidence"] for f in faces])
        one.append(int((conf >= 0.9).sum()) == 1)
        any8.append(bool((conf >= 0.8).any()))
    return np.array(one), np.array(any8)


def grid(images, cols: int = 8) -> np.ndarray:
    side = images[0].shape[0]
    rows = -(-len(images) // cols)
    out = np.full((rows * side, cols * side, 3), 255, np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        out[r * side : (r + 1) * side, c * side : (c + 1) * side] = img
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=20)
    ap.add_argument("--per-subject", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[96, 128, 224])
    ap.add_argument("--populations", nargs="+", default=list(synth.POPULATIONS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--misses", type=Path, default=None)
    args = ap.parse_args()
    print(f"machine: {describe()}")
    print(
        f"generator version {synth.GENERATOR_VERSION}, seed {args.seed}, {args.subjects} subjects × {args.per_subject}"
    )
    with quiet_stderr():  # TensorFlow's start-up lines
        from mtcnn import MTCNN

        detector = MTCNN()
    print("| population | size | images | exactly one ≥ 0.9 | at least one ≥ 0.8 | occluded: one ≥ 0.9 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for population in args.populations:
        for size in args.sizes:
            t0 = time.perf_counter()
            picked, occluded = sample(population, args.subjects, args.per_subject, size, args.seed)
            one, any8 = score(detector, [img for img, _ in picked])
            occ = (
                f"{score(detector, [img for img, _ in occluded])[0].mean():.2f} of {len(occluded)}" if occluded else "–"
            )
            print(
                f"| {population} | {size} | {len(picked)} | {one.mean():.2f} | {any8.mean():.2f} | {occ} |"
                f"  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            if args.misses is not None and not one.all():
                args.misses.mkdir(parents=True, exist_ok=True)
                missed = [img for (img, _), ok in zip(picked, one) if not ok]
                cv2.imwrite(str(args.misses / f"{population}_{size}.png"), grid(missed))


if __name__ == "__main__":
    main()
