"""The neonatal chapter's costs: training images/s of N-CNN and VGG-Face (with achieved GFLOP/s), VGG-Face's first
stage trained on features computed once against the same stage run through the frozen convolutions every epoch,
and the same for its fine-tuning stage (ratios measured in one run), and augmentation copies/s with and without MTCNN re-detection.

python benchmarks/bench_neonatal.py [--vggface-size 64] [--ncnn-size 120] [--images 256] [--epochs 3] [--copies 100]

FLOPs of a training step where every layer trains are taken as 3 × the forward FLOPs (``painlib.models.
flops_per_image``); where the front of the network is frozen (VGG-Face's stages), as the forward FLOPs plus
twice those of the layers that train.
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
from bench_training import peak_gflops  # noqa: E402
from machine import describe  # noqa: E402

import painlib  # noqa: E402
from painlib import augment, faces, models, neonatal  # noqa: E402
from painlib.models import neonatal as definitions  # noqa: E402
from painlib.storage import write_png  # noqa: E402


def _timed_fit(net, x, y, epochs: int, batch: int) -> float:
    """Seconds for ``epochs`` epochs after one warm-up epoch (graph tracing)."""
    net.fit(x, y, epochs=1, batch_size=batch, verbose=0)
    t0 = time.perf_counter()
    net.fit(x, y, epochs=epochs, batch_size=batch, verbose=0)
    return time.perf_counter() - t0


def ncnn_rate(size: int, x, y, epochs: int, batch: int) -> tuple[float, float]:
    """N-CNN end to end: images/s and GFLOP/s."""
    net = models.build("ncnn", 2, size)
    models.compile_model(net, 1e-4, optimizer="rmsprop")
    rate = len(x) * epochs / _timed_fit(net, x, y, epochs, batch)
    return rate, 3 * models.flops_per_image(net) * rate / 1e9


def vggface_rates(size: int, x, y, epochs: int, batch: int) -> dict:
    """VGG-Face, each stage two ways: through the whole network every epoch, and the book's way — the frozen
    front (all convolutions in stage 1, blocks 1–3 in stage 2) computed once, the rest trained on its output
    (the front's pass counted). Images/s per stage and way, GFLOP/s where the whole network runs."""
    net = models.build("vggface", 2, size, pretrained=False)
    forward = models.flops_per_image(net)
    rates = {}
    for stage, (prepare, layer, rate) in enumerate(
        [(definitions.vggface_stage1, "flatten", 1e-4), (definitions.vggface_stage2, "pool3", 1e-6)], start=1
    ):
        front, back = neonatal.split_chain(prepare(net), layer)
        trained = forward - models.flops_per_image(front)  # the layers after the front: forward and backward
        models.compile_model(net, rate, optimizer="rmsprop")
        through = len(x) * epochs / _timed_fit(net, x, y, epochs, batch)
        models.compile_model(back, rate, optimizer="rmsprop")
        back.fit(front.predict(x[:batch], verbose=0), y[:batch], epochs=1, verbose=0)  # warm-up (tracing)
        t0 = time.perf_counter()
        back.fit(front.predict(x, batch_size=64, verbose=0), y, epochs=epochs, batch_size=batch, verbose=0)
        cached = len(x) * epochs / (time.perf_counter() - t0)
        rates[stage] = {"through": (through, (forward + 2 * trained) * through / 1e9), "front once": (cached, None)}
    return rates


def augmentation_rates(copies: int, folder: Path) -> tuple[float, float]:
    """Copies/s of a 128 px face crop (scikit-image's astronaut): transform only, and transform + MTCNN."""
    from skimage import data

    photo = data.astronaut()
    box = faces.detect_faces(photo, 0.9)[0]["box"]
    path = folder / "face.png"
    write_png(path, faces.resize(faces.crop_square(photo, faces.square_box(box)), 128)[..., ::-1])  # BGR on disk
    list(augment.variants(path, 2))  # warm-up: the detector's graphs
    t0 = time.perf_counter()
    list(augment.variants(path, copies, detect=lambda image: True))
    transform_only = copies / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    kept = sum(found for _, found, _ in augment.variants(path, copies))
    with_detection = copies / (time.perf_counter() - t0)
    print(f"augmentation: {kept} of {copies} copies kept (face re-detected)")
    return transform_only, with_detection


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vggface-size", type=int, default=64)
    ap.add_argument("--ncnn-size", type=int, default=120)
    ap.add_argument("--images", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16, help="the dissertation's mini-batch")
    ap.add_argument("--copies", type=int, default=100)
    args = ap.parse_args()
    info = painlib.setup(0)
    print(f"machine: {describe()}; TensorFlow {info['tensorflow']}, Keras {info['keras']}, {info['device']}")
    print(f"peak (float32 matmul): {peak_gflops():.0f} GFLOP/s")
    rng = np.random.default_rng(0)
    y = (np.arange(args.images) % 2).astype(int)
    x = rng.integers(0, 256, (args.images, args.ncnn_size, args.ncnn_size, 3)).astype(np.uint8)
    rate, gflops = ncnn_rate(args.ncnn_size, x, y, args.epochs, args.batch)
    print(f"ncnn at {args.ncnn_size} px, batch {args.batch}: {rate:.0f} images/s, {gflops:.0f} GFLOP/s")
    x = rng.integers(0, 256, (args.images, args.vggface_size, args.vggface_size, 3)).astype(np.uint8)
    rates = vggface_rates(args.vggface_size, x, y, args.epochs, args.batch)
    for stage, ways in rates.items():
        for way, (rate, gflops) in ways.items():
            extra = f", {gflops:.0f} GFLOP/s" if gflops else ""
            print(
                f"vggface at {args.vggface_size} px, batch {args.batch}, stage {stage}, {way}: {rate:.0f} images/s{extra}"
            )
        ratio = ways["front once"][0] / ways["through"][0]
        print(f"vggface stage {stage}, {args.epochs} epochs: the front computed once is {ratio:.1f}× faster")
    with tempfile.TemporaryDirectory() as tmp:
        transform_only, with_detection = augmentation_rates(args.copies, Path(tmp))
    print(
        f"augmentation at 128 px: {transform_only:.0f} copies/s transformed, {with_detection:.0f} copies/s with "
        f"re-detection (detection is {transform_only / with_detection:.0f}× the cost of the transform)"
    )


if __name__ == "__main__":
    main()
