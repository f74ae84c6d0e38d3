"""Grad-CAM and Integrated Gradients explanations per second: batched against one image at a time, in one run.

python benchmarks/bench_gradients.py [--images 16] [--vggface-px 64] [--ncnn-px 60] [--steps 64]

Both neonatal networks (random weights: the speed of an explanation does not depend on what the network
learned) explain the same images with ``painlib.gradients``: once with every image in one call (the book's way:
Grad-CAM in batches of 32, the interpolated images of Integrated Gradients in batches of 256) and once calling
the same function image by image. It prints explanations per second for both, their ratio, and checks that both
gave the same maps.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
from machine import describe  # noqa: E402

import painlib  # noqa: E402
from painlib import gradients  # noqa: E402
from painlib.models import neonatal  # noqa: E402


def timed(fn) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--vggface-px", type=int, default=64)
    parser.add_argument("--ncnn-px", type=int, default=60)
    parser.add_argument("--steps", type=int, default=gradients.IG_STEPS)
    args = parser.parse_args()
    painlib.setup(0)
    print(f"machine: {describe()}")
    rng = np.random.default_rng(0)
    nets = {
        "vggface": neonatal.vggface(input_size_px=args.vggface_px),
        "ncnn": neonatal.ncnn(input_size_px=args.ncnn_px),
    }
    for name, model in nets.items():
        side = model.input_shape[1]
        x = rng.uniform(0, 255, (args.images, side, side, 3)).astype(np.float32)
        layer = gradients.MAIN_LAYER[name]
        methods = {
            "Grad-CAM": lambda batch, model=model, layer=layer: gradients.grad_cam(model, batch, layer),
            "IG": lambda batch, model=model: gradients.integrated_gradients(model, batch, steps=args.steps),
        }
        for method, explain in methods.items():
            explain(x[:1])  # trace once before timing, as a chapter's first image would
            batched_s, batched = timed(lambda explain=explain, x=x: explain(x))
            single_s, single = timed(
                lambda explain=explain, x=x: np.concatenate([explain(x[i : i + 1]) for i in range(len(x))])
            )
            same = np.allclose(batched, single, rtol=1e-3, atol=1e-6 * max(1.0, float(np.abs(batched).max())))
            print(
                f"{name:8s} {method:8s} batched {args.images / batched_s:7.2f}/s  one at a time {args.images / single_s:7.2f}/s  "
                f"ratio {single_s / batched_s:5.2f}x  same maps: {same}"
            )


if __name__ == "__main__":
    main()
