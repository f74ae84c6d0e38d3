"""How long the `paper` profile's training would take: FLOPs of every training run of chapters 03–04 at the
paper's protocol, and the time at a sustained rate (this CPU's measured images/s, or an assumed GPU rate).

python benchmarks/project_paper.py [--gpu-tflops 60] [--pain-db-images 2583] [--cp-images 109]

A training step costs about 3 × the forward FLOPs (forward + backward). The GPU figure is an assumption stated
on the command line (sustained, not peak: 60 TFLOP/s is a fair guess for mixed precision on one large
data-centre GPU), not a measurement.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import pandas as pd  # noqa: E402
from machine import describe  # noqa: E402

from painlib import models, published  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpu-tflops", type=float, default=60.0, help="assumed sustained GPU throughput")
    ap.add_argument("--pain-db-images", type=int, default=int(published.PAIN_DB_TABLE2.loc["total", "images"]))
    ap.add_argument("--cp-images", type=int, default=published.CP_PAIN_IMAGES)
    args = ap.parse_args()
    print(f"machine: {describe()}")
    protocol = published.CP_TRAINING
    folds, repeats, epochs = protocol["folds"], protocol["repeats"], protocol["epochs"]
    n = args.pain_db_images
    # image-wise and subject-wise: k folds, each training on (k-1)/k of PAIN-DB; cross-dataset: all of it
    image_epochs = epochs * (2 * folds * n * (folds - 1) / folds + repeats * n)
    sweep = len(protocol["sweep_learning_rates"]) * protocol["sweep_epochs"] * 0.8 * n
    rows = []
    for name in models.ADULT_MODELS:
        model = models.build(name, 2, pretrained=False)
        flops = models.flops_per_image(model)
        keras.backend.clear_session()
        total = 3 * flops * (image_epochs + sweep)
        rows.append(
            {
                "model": name,
                "input px": models.MODELS[name][1],
                "GFLOPs / image (forward)": round(flops / 1e9, 2),
                "PFLOPs, 15 runs + sweep": round(total / 1e15, 1),
                f"hours at {args.gpu_tflops:g} TFLOP/s": round(total / (args.gpu_tflops * 1e12) / 3600, 2),
            }
        )
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows).set_index("model")
    print(table.to_string())
    print(f"total: {table.iloc[:, -1].sum():.1f} GPU hours for 150 trainings and the sweep of all ten models")


if __name__ == "__main__":
    main()
