"""The synthetic faces are faces to a real detector (MTCNN), as DESIGN.md requires.

The face pipeline keeps a face when MTCNN scores it ≥ 0.8; here each non-occluded image must give exactly one
face scoring ≥ 0.9, in at least 90 % of a sample of every population. Images go through MTCNN one at a time.

Why 0.9 on 40 images: ``benchmarks/bench_detectable.py`` (RESULTS.md, "Synthetic faces") measures 0.97–0.99
per population at 128 px on 80 images of a held-out seed (≈ 1 miss expected in 40; the test fails from 5). One
image per person, so that the 40 are independent: a person the detector misses is missed in most of their
images. The generator before the detectability fixes scored 0.74–0.91 on the same measure and fails here.
Occluded images (a hand, a surgical mask) are left out: missing those is what real detectors do too.
"""

import cv2
import mtcnn  # a dependency: a broken install must fail, not skip
import pytest

from painlib import synth
from painlib.session import keyed_rng, quiet_stderr

SIZE_PX = 128  # the cpu profile's image size
SUBJECTS = 40  # one image each
SEED = 11  # not the seed the generator was tuned on (bench_detectable.py uses 0)
MIN_RATE = 0.9


@pytest.fixture(scope="module")
def detector():
    with quiet_stderr():
        return mtcnn.MTCNN()


def _sample(population: str) -> list:
    """One random non-occluded image of each of ``SUBJECTS`` people."""
    images = []
    for subject in range(SUBJECTS):
        items = synth.render_subject(population, subject, seed=SEED, size_px=SIZE_PX)
        clear = [image for image, _, row in items if not row["occluded"]]
        images.append(clear[int(keyed_rng(SEED, "test_detectable", population, subject).integers(len(clear)))])
    return images


@pytest.mark.parametrize("population", synth.POPULATIONS)
def test_mtcnn_finds_exactly_one_confident_face(detector, population):
    images = _sample(population)
    found = []
    for image in images:  # one at a time: the batched path of the mtcnn package is not used here
        with quiet_stderr():
            faces = detector.detect_faces(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        found.append(sum(face["confidence"] >= 0.9 for face in faces) == 1)
    rate = sum(found) / len(found)
    assert rate >= MIN_RATE, f"{population}: exactly one face ≥ 0.9 in {sum(found)} of {len(found)} images"
