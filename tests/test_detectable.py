"""The synthetic faces are faces to a real detector (MTCNN), as DESIGN.md requires."""

import cv2
import pytest

from painlib import synth

mtcnn = pytest.importorskip("mtcnn")


@pytest.fixture(scope="module")
def detector():
    return mtcnn.MTCNN()


@pytest.mark.parametrize("population", synth.POPULATIONS)
def test_mtcnn_finds_most_synthetic_faces(detector, population):
    images = [img for s in range(4) for img, _, _ in synth.render_subject(population, s, seed=11, size_px=160)[:3]]
    found = [bool(detector.detect_faces(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))) for img in images]
    assert sum(found) >= 0.75 * len(found), f"{population}: MTCNN found {sum(found)} of {len(found)} faces"
