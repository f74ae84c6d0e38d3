"""Synthetic faces per second at 224×224 on one core: drawing only, and drawing + writing PNG + masks.

python benchmarks/bench_synth.py [--subjects 30] [--size 224]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

from painlib import synth  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=30)
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    print(f"machine: {describe()}")
    for population in synth.POPULATIONS:
        t0 = time.perf_counter()
        n = sum(len(synth.render_subject(population, s, seed=0, size_px=args.size)) for s in range(args.subjects))
        draw = n / (time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            df = synth.make_dataset(population, args.subjects, tmp, image_size_px=args.size, n_jobs=1, progress=False)
            write = len(df) / (time.perf_counter() - t0)
        print(
            f"{population:9s} {args.size}px, 1 core: draw {draw:6.0f} images/s · draw+write {write:6.0f} images/s ({n} images)"
        )


if __name__ == "__main__":
    main()
