"""Face preprocessing throughput: time per step, and faces per second cold (1 and 2 workers) and from the cache.

MTCNN detects one image at a time; the speed of its batched mode, which the pipeline does not use because an
image's result depends on the rest of the batch, is printed for reference.

python benchmarks/bench_faces.py [--images 240] [--size 128]

Ratios within one run are the figures to compare: the cache against a cold run, two workers against one,
detection against background removal on the same images.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

from painlib import faces, synth  # noqa: E402
from painlib.session import quiet_stderr  # noqa: E402


def time_steps(paths, params: faces.FaceParams) -> dict[str, float]:
    """Seconds per image of each step, on the images where a face is found."""
    steps = {"read": [], "detect": [], "crop": [], "grabcut": [], "resize": []}
    for p in paths:
        t0 = time.perf_counter()
        rgb = cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB)
        t1 = time.perf_counter()
        found = faces.detect_faces(rgb, params.min_confidence)
        t2 = time.perf_counter()
        if not found:
            continue
        square = faces.square_box(found[0]["box"], params.margin)
        crop = faces.crop_square(rgb, square)
        t3 = time.perf_counter()
        box = (found[0]["box"][0] - square[0], found[0]["box"][1] - square[1], *found[0]["box"][2:])
        fg = faces.grabcut_foreground(crop, box, params.grabcut_iterations)
        t4 = time.perf_counter()
        faces.resize(faces.whiten_background(crop, fg), params.size_px)
        t5 = time.perf_counter()
        for name, dt in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            steps[name].append(dt)
    return {k: float(np.mean(v)) for k, v in steps.items()}


def mtcnn_batched_mode(paths, one_by_one_s: float, batch_size: int = 16) -> None:
    """For reference, MTCNN's own batched mode, which the pipeline does not use: its speed, and how many
    images get a result other than what they get alone (see ``faces.detect_faces_batch``)."""
    rgbs = [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in paths]
    alone = [faces.detect_faces(rgb) for rgb in rgbs]
    t0 = time.perf_counter()
    batched = []
    for i in range(0, len(rgbs), batch_size):
        with quiet_stderr():
            batched.extend(faces.detector().detect_faces(rgbs[i : i + batch_size]))
    dt = (time.perf_counter() - t0) / len(rgbs)

    def summary(found):
        found = [f for f in found if f["box"][2] > 0 and f["box"][3] > 0]
        return sorted((f["box"], float(f["confidence"])) for f in found)

    pairs = [(summary(a), summary(b)) for a, b in zip(alone, batched)]
    boxes = sum([f[0] for f in a] != [f[0] for f in b] for a, b in pairs)
    scores = sum(a != b for a, b in pairs) - boxes
    print(
        f"MTCNN's batched mode by {batch_size} (not used): {1000 * dt:.1f} ms per image "
        f"({one_by_one_s / dt:.1f}× one by one); {boxes} of {len(rgbs)} images get other boxes or faces, "
        f"{scores} only other scores"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=240)
    ap.add_argument("--size", type=int, default=128, help="side of the synthetic source images")
    args = ap.parse_args()
    print(f"machine: {describe()}")
    with tempfile.TemporaryDirectory() as tmp:
        per_pop = args.images // 4
        parts = []
        for population in ("unbc", "delaware", "cp", "neonate"):
            m = synth.make_dataset(population, 40, tmp, seed=0, image_size_px=args.size, progress=False)
            parts.append(m.sample(min(per_pop, len(m)), random_state=0))
        manifest = pd.concat(parts, ignore_index=True)
        n = len(manifest)
        params = faces.FaceParams(size_px=args.size)
        faces.detector()  # load MTCNN before timing
        steps = time_steps(list(manifest["path"][:60]), params)
        print(f"per image, {args.size} px source: " + ", ".join(f"{k} {1000 * v:.1f} ms" for k, v in steps.items()))
        mtcnn_batched_mode(manifest["path"][:64], steps["detect"])
        for label, jobs in (("cold, 1 worker", 1), ("cold, 2 workers", 2)):
            t0 = time.perf_counter()
            kept, excluded = faces.preprocess_faces(manifest, f"{tmp}/cache{jobs}", params, n_jobs=jobs, progress=False)
            dt = time.perf_counter() - t0
            print(
                f"{label:16s}: {n / dt:6.1f} images/s ({n} images, {len(kept)} faces, {len(excluded)} excluded, {dt:.1f} s)"
            )
        t0 = time.perf_counter()
        kept, _ = faces.preprocess_faces(manifest, f"{tmp}/cache1", params, n_jobs=1, progress=False)
        dt = time.perf_counter() - t0
        print(f"{'cached':16s}: {n / dt:6.1f} images/s ({kept.attrs['cache_hits']} of {n} cache hits, {dt:.2f} s)")


if __name__ == "__main__":
    main()
