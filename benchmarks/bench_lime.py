"""LIME explanations per second: the book's shared explainer against a plain loop of `lime` calls, in one run.

python benchmarks/bench_lime.py [--size 64] [--input-px 48] [--images 2] [--samples 200] [--segments 30]
                                [--models …]

Both explain the same images for the same networks (the ten adult networks of the CP study, random weights:
the speed of an explanation does not depend on what the network learned) with the same segmentation, samples
and seed. The defaults are chapter 06's under the `cpu` profile: faces explained at 64 px, networks at
chapter 04's input side of 48 px (InceptionV3 and Xception at their minimum, 75 and 71 px), 200 samples of
about 30 SLIC segments. The plain loop is what the `lime` documentation shows: one
``LimeImageExplainer.explain_instance`` per image and network, which segments the image (the same SLIC
function, so the same segments) and calls the network by ``model.predict`` in lime's default batches of ten.
The shared explainer (``painlib.xai.explain_image``) segments each image once, makes one set of perturbed
images and feeds it to every network in batches of 256. It prints explanations (image × network) per second
for both and their ratio, and checks that both gave the same segment weights.
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
from painlib import models, synth, xai  # noqa: E402
from painlib.images import read_rgb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, help="side of the explained images, px")
    parser.add_argument("--input-px", type=int, default=48, help="side of the networks' input, px")
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--samples", type=int, default=200, help="LIME's perturbed samples per image")
    parser.add_argument("--segments", type=int, default=30, help="SLIC segments asked for")
    parser.add_argument("--models", nargs="+", default=list(models.ADULT_MODELS))
    args = parser.parse_args()
    painlib.setup(0)
    print(f"machine: {describe()}")

    import tempfile

    from lime.lime_image import LimeImageExplainer

    with tempfile.TemporaryDirectory() as tmp:
        faces = synth.make_datasets({"delaware": max(1, args.images)}, tmp, seed=0, image_size_px=128, progress=False)
        images = np.stack([read_rgb(p) for p in faces["path"][: args.images]])
    import cv2

    images = np.stack([cv2.resize(im, (args.size, args.size), interpolation=cv2.INTER_AREA) for im in images])
    nets = {
        name: models.build(name, input_size_px=max(args.input_px, models.SPECS[name].min_input_px), pretrained=False)
        for name in args.models
    }

    def plain_predict(model):
        side = model.input_shape[1]

        def predict(batch):
            if batch.shape[1] != side:
                batch = np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA) for im in batch])
            return model.predict(batch.astype(np.float32), verbose=0)

        return predict

    shared = {name: xai.keras_predict(model) for name, model in nets.items()}
    # trace each network for the batch shapes both ways will use before timing (a chapter explaining many images
    # traces once per network): lime's batches of ten through model.predict, one batch of all samples through ours
    for name, fn in shared.items():
        fn(np.repeat(images[:1], args.samples, axis=0))
        plain_predict(nets[name])(np.repeat(images[:1], 10, axis=0))

    start = time.perf_counter()
    ours = [
        xai.explain_image(im, shared, n_segments=args.segments, n_samples=args.samples, seed=i)
        for i, im in enumerate(images)
    ]
    t_shared = time.perf_counter() - start

    start = time.perf_counter()
    same = True
    for i, im in enumerate(images):
        for name, model in nets.items():
            plain = LimeImageExplainer(random_state=i).explain_instance(
                im,
                plain_predict(model),
                labels=(1,),
                top_labels=None,
                num_samples=args.samples,
                segmentation_fn=lambda image: xai.slic_segments(image, args.segments),
                random_seed=i,
            )
            segments = plain.segments
            weights = np.zeros(segments.max() + 1)
            for feature, weight in plain.local_exp[1]:
                weights[feature] = weight
            same &= bool(np.allclose(weights, ours[i][name].weights, rtol=1e-4, atol=1e-6))
    t_plain = time.perf_counter() - start

    n = len(images) * len(nets)
    print(
        f"{len(images)} images at {args.size} px × {len(nets)} networks at {args.input_px} px (or their minimum), "
        f"{args.samples} samples, seed per image"
    )
    print(f"plain lime loop : {n / t_plain:.3f} explanations/s ({t_plain:.1f} s)")
    print(f"shared explainer: {n / t_shared:.3f} explanations/s ({t_shared:.1f} s)")
    print(f"ratio: {t_plain / t_shared:.2f}×; same segment weights: {same}")


if __name__ == "__main__":
    main()
