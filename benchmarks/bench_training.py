"""Training throughput of every model of the zoo: images/s and achieved GFLOP/s against the machine's peak, and
the book's whole path for one run (``training.run_scenario`` from image files) against the same training fed
from in-memory arrays, as a ratio measured in one run.

python benchmarks/bench_training.py [--size 64] [--images 256] [--epochs 2] [--models alexnet vgg16 …]
                                   [--policies float32 mixed_bfloat16] [--top]

``--policies`` measures every model under each Keras dtype policy in the same run and prints the ratio to the
first (mixed precision against float32 on the same machine and inputs). ``--top`` also times, for the six Keras
applications, training only their last block on features of the frozen front (``fine_tune="top"``) against
training the whole network, and the one pass of the front that computes those features.

FLOPs of one training step are taken as 3 × the forward FLOPs (forward + backward ≈ 2 × forward), from
``painlib.models.flops_per_image``. The peak is a float32 matrix product in TensorFlow on all cores.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from machine import describe  # noqa: E402

import painlib  # noqa: E402
from painlib import models, training  # noqa: E402
from painlib.storage import write_png  # noqa: E402


def peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Float32 matrix-product GFLOP/s on all cores (the practical peak a convolution could reach)."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.linalg.matmul(a, b).numpy()  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        tf.linalg.matmul(a, b).numpy()
    return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


def images_per_second(
    name: str, size: int, x: np.ndarray, y: np.ndarray, epochs: int, batch: int, policy: str = "float32"
) -> float:
    """Training images/s of ``name`` on in-memory arrays under the Keras dtype ``policy``, after one warm-up epoch
    (graph tracing)."""
    import keras

    keras.config.set_dtype_policy(policy)
    try:
        net = models.compile_model(models.build(name, 2, size, pretrained=False))
        return _fit_rate(net, x, y, epochs, batch)
    finally:
        keras.config.set_dtype_policy("float32")
        keras.backend.clear_session()


def _fit_rate(net, x, y, epochs: int, batch: int) -> float:
    net.fit(x, y, epochs=1, batch_size=batch, verbose=0)  # warm-up: tracing
    t0 = time.perf_counter()
    net.fit(x, y, epochs=epochs, batch_size=batch, verbose=0)
    return len(x) * epochs / (time.perf_counter() - t0)


def top_against_whole(name: str, size: int, x: np.ndarray, y: np.ndarray, epochs: int, batch: int) -> dict:
    """Images/s of training the last block on the frozen front's features, of training the whole network, and
    of the front's single forward pass that computes the features (chapter 04's ``fine_tune="top"``)."""
    import keras

    whole = images_per_second(name, size, x, y, epochs, batch)
    net = models.build(name, 2, size, pretrained=False)
    front, top = models.split_top(net)
    front.predict(x[:batch], verbose=0)  # warm-up
    t0 = time.perf_counter()
    features = front.predict(x, batch_size=64, verbose=0)
    front_rate = len(x) / (time.perf_counter() - t0)
    top_rate = _fit_rate(models.compile_model(top), features, y, epochs, batch)
    keras.backend.clear_session()
    return {"whole": whole, "top": top_rate, "front_pass": front_rate}


def pipeline_ratio(size: int, n_images: int, epochs: int, folder: Path) -> tuple[float, float]:
    """small_cnn, one training: seconds for a whole ``run_scenario`` run from PNG files (fingerprinting, reading
    and resizing, building, training, predicting) and for the same build + fit + predict on in-memory arrays."""
    import keras

    rng = np.random.default_rng(0)
    paths = []
    for i in range(n_images):
        paths.append(str(folder / f"{i:04d}.png"))
        write_png(paths[-1], rng.integers(0, 256, (size * 2, size * 2, 3), dtype=np.uint8))
    df = pd.DataFrame({"path": paths, "label": np.arange(n_images) % 2, "subject": [f"p{i}" for i in range(n_images)]})
    kw = dict(model_name="small_cnn", input_size_px=size, epochs=epochs, augment=False, progress=False)
    training.run_scenario("cross_dataset", df, test_df=df, repeats=1, **kw)  # warm-up (tracing)
    t0 = time.perf_counter()
    training.run_scenario("cross_dataset", df, test_df=df, repeats=1, seed=1, **kw)
    pipeline = time.perf_counter() - t0
    x = training.load_images(paths, size)
    y = df["label"].to_numpy()
    t0 = time.perf_counter()
    keras.utils.set_random_seed(1)
    net = models.compile_model(models.build("small_cnn", 2, size))
    net.fit(x, y, epochs=epochs, batch_size=32, shuffle=True, verbose=0)
    net.predict(x, batch_size=256, verbose=0)
    memory = time.perf_counter() - t0
    return pipeline, memory


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64, help="input side in pixels (models with a minimum use it)")
    ap.add_argument("--images", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--models", nargs="+", default=list(models.ADULT_MODELS + models.NEONATAL_MODELS))
    ap.add_argument("--policies", nargs="+", default=["float32"], help="Keras dtype policies, e.g. mixed_bfloat16")
    ap.add_argument("--top", action="store_true", help="last block on frozen features against the whole network")
    args = ap.parse_args()
    info = painlib.setup(0)
    print(f"machine: {describe()}; TensorFlow {info['tensorflow']}, Keras {info['keras']}, {info['device']}")
    peak = peak_gflops()
    print(f"peak (float32 matmul): {peak:.0f} GFLOP/s")
    rng = np.random.default_rng(0)
    rows = []
    for name in args.models:
        size = max(args.size, models.SPECS[name].min_input_px)
        x = rng.integers(0, 256, (args.images, size, size, 3)).astype(np.uint8)
        y = (np.arange(args.images) % 2).astype(int)
        flops = models.flops_per_image(models.build(name, 2, size, pretrained=False))
        rates = {p: images_per_second(name, size, x, y, args.epochs, args.batch, p) for p in args.policies}
        rate = rates[args.policies[0]]
        gflops = 3 * flops * rate / 1e9
        rows.append(dict(model=name, input_px=size, images_per_s=round(rate, 1), gflop_per_s=round(gflops, 1)))
        rows[-1]["share_of_peak"] = round(gflops / peak, 3)
        for p in args.policies[1:]:
            rows[-1][f"{p}_images_per_s"] = round(rates[p], 1)
            rows[-1][f"{p}_ratio"] = round(rates[p] / rate, 2)
        if args.top and models.SPECS[name].top is not None:
            timed = top_against_whole(name, size, x, y, args.epochs, args.batch)
            rows[-1] |= {f"{k}_images_per_s": round(v, 1) for k, v in timed.items()}
            rows[-1]["top_over_whole"] = round(timed["top"] / timed["whole"], 1)
        print(pd.DataFrame(rows[-1:]).to_string(index=False, header=True), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        pipeline, memory = pipeline_ratio(args.size, args.images, max(args.epochs, 5), Path(tmp))
    print(
        f"input pipeline, small_cnn at {args.size} px, {args.images} images: run_scenario from files {pipeline:.2f} s, "
        f"the same training on in-memory arrays {memory:.2f} s, ratio {memory / pipeline:.2f}"
    )


if __name__ == "__main__":
    main()
