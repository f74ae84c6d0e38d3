"""Manifest validation and robust image reading."""

import os
import stat

import cv2
import numpy as np
import pandas as pd
import pytest
import skimage.data

from painlib.images import UnreadableImageError, load_images, read_rgb, to_rgb8
from painlib.manifest import read_manifest, validate_manifest, write_manifest
from painlib.storage import write_png


def _df(tmp_path, n=3):
    return pd.DataFrame(
        {
            "path": [str(tmp_path / f"{i}.png") for i in range(n)],
            "dataset": "x",
            "subject": [f"s{i}" for i in range(n)],
            "label": [0, 1, 0][:n],
            "level": 0,
            "population": "adult",
        }
    )


def test_missing_column_is_named_with_a_hint(tmp_path):
    df = _df(tmp_path).rename(columns={"label": "Label"})
    with pytest.raises(ValueError, match=r"missing column\(s\) \['label'\].*'Label'"):
        validate_manifest(df)


def test_bad_labels_and_empty_subjects(tmp_path):
    df = _df(tmp_path)
    df.loc[1, "label"] = 2
    with pytest.raises(ValueError, match="'label' must be 0 or 1; rows \\[1\\]"):
        validate_manifest(df)
    df = _df(tmp_path)
    df.loc[2, "subject"] = ""
    with pytest.raises(ValueError, match="'subject' is empty in rows \\[2\\]"):
        validate_manifest(df)


def test_round_trip_keeps_paths_relative_on_disk(tmp_path):
    df = _df(tmp_path)
    write_manifest(df, tmp_path / "m.csv")
    assert "0.png" in (tmp_path / "m.csv").read_text() and str(tmp_path) not in (tmp_path / "m.csv").read_text()
    back = read_manifest(tmp_path / "m.csv")
    assert list(back["path"]) == [str((tmp_path / f"{i}.png").resolve()) for i in range(3)]


@pytest.mark.skipif(os.name != "posix", reason="file modes and umask are POSIX")
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_get_the_mode_of_a_plain_open(tmp_path, umask, mode):
    old = os.umask(umask)  # the test runs alone in its process; restored below
    try:
        write_manifest(_df(tmp_path), tmp_path / "m.csv")
        write_png(tmp_path / "i.png", np.zeros((4, 4), np.uint8))
        with open(tmp_path / "plain.txt", "w"):
            pass
    finally:
        os.umask(old)
    for name in ("m.csv", "i.png", "plain.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i.png", "m.csv", "plain.txt"]  # no temporary left


def test_read_rgb_matches_skimage(tmp_path):
    astro = skimage.data.astronaut()
    cv2.imwrite(str(tmp_path / "a.png"), cv2.cvtColor(astro, cv2.COLOR_RGB2BGR))
    np.testing.assert_array_equal(read_rgb(tmp_path / "a.png"), astro)


def test_gray_rgba_16bit_and_float_become_rgb8(tmp_path):
    gray = skimage.data.camera()
    cv2.imwrite(str(tmp_path / "g.png"), gray)
    out = read_rgb(tmp_path / "g.png")
    assert out.shape == (*gray.shape, 3) and (out[..., 0] == gray).all()
    cv2.imwrite(str(tmp_path / "g16.png"), gray.astype(np.uint16) * 257)
    np.testing.assert_array_equal(read_rgb(tmp_path / "g16.png")[..., 1], gray)
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 2] = 200  # red in BGRA
    rgba[:2, :, 3] = 255  # top half opaque, bottom half transparent
    out = to_rgb8(rgba)
    assert tuple(out[0, 0]) == (200, 0, 0) and tuple(out[3, 3]) == (255, 255, 255)
    assert to_rgb8(np.full((2, 2), 0.5, np.float32))[0, 0, 0] == 128


def test_corrupt_and_missing_files_name_the_file(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(UnreadableImageError, match="broken.png"):
        read_rgb(bad)
    with pytest.raises(UnreadableImageError, match="not found: .*nothing.png"):
        read_rgb(tmp_path / "nothing.png")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(UnreadableImageError, match="empty.jpg"):
        read_rgb(tmp_path / "empty.jpg")


def test_load_images_resizes(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((30, 50, 3), np.uint8))
    assert load_images([tmp_path / "a.png"] * 2, 16).shape == (2, 16, 16, 3)
