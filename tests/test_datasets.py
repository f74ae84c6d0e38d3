"""Loaders of the real layouts (on fixture trees built here) and the PAIN-DB / CP-PAIN / neonatal assembly."""

import logging

import cv2
import numpy as np
import pandas as pd
import pytest
from real_layouts import write_real_layouts_counted

from painlib import datasets as ds
from painlib import facs
from painlib.manifest import REQUIRED_COLUMNS


def write_image(path, value=128, size=(24, 32)):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((*size, 3), value, np.uint8))


def unbc_tree(root, subjects=("042-ll042", "043-jh043"), frames=3, label_missing=None):
    for s in subjects:
        seq = f"{s.split('-')[1]}t1aaaff"
        for f in range(1, frames + 1):
            write_image(root / "Images" / s / seq / f"{seq}{f:03d}.png")
            label = root / "Frame_Labels" / "PSPI" / s / seq / f"{seq}{f:03d}_facs.txt"
            if label_missing != (s, f):
                label.parent.mkdir(parents=True, exist_ok=True)
                label.write_text(f"   {float(f - 1):.7e}\n")
    return root


def test_unbc_loader_reads_frames_and_pspi(tmp_path):
    m = ds.load_unbc(unbc_tree(tmp_path / "UNBC"))
    assert set(REQUIRED_COLUMNS) <= set(m.columns) and len(m) == 6
    assert sorted(m["pspi"].unique()) == [0.0, 1.0, 2.0]
    assert m.groupby("subject")["label"].sum().tolist() == [2, 2]
    assert set(m["subject"]) == {"unbc-042-ll042", "unbc-043-jh043"} and set(m["frame"]) == {1, 2, 3}


def test_unbc_loader_names_what_is_missing(tmp_path):
    with pytest.raises(ds.DatasetLayoutError, match="Frame_Labels/PSPI"):
        root = tmp_path / "a"
        write_image(root / "Images" / "s" / "q" / "q001.png")
        ds.load_unbc(root)
    with pytest.raises(ds.DatasetLayoutError, match=r"1 frame\(s\) have no PSPI file: .*jh043t1aaaff002_facs.txt"):
        ds.load_unbc(unbc_tree(tmp_path / "b", label_missing=("043-jh043", 2)))
    with pytest.raises(ds.DatasetLayoutError, match="Images/"):
        ds.load_unbc(tmp_path / "empty")
    root = unbc_tree(tmp_path / "c")
    (root / "Frame_Labels" / "PSPI" / "042-ll042" / "ll042t1aaaff" / "ll042t1aaaff003_facs.txt").write_text("n/a")
    with pytest.raises(ds.DatasetLayoutError, match="do not start with a number: .*ll042t1aaaff003_facs.txt"):
        ds.load_unbc(root)


def pspi_file(root, subject, frame):
    seq = f"{subject.split('-')[1]}t1aaaff"
    return root / "Frame_Labels" / "PSPI" / subject / seq / f"{seq}{frame:03d}_facs.txt"


def test_unbc_level_is_the_pspi_bin_and_pspi_is_kept(tmp_path):
    root = unbc_tree(tmp_path / "UNBC", subjects=("042-ll042",), frames=7)
    values = [0, 1, 2, 3, 4, 5, 16]
    for frame, value in enumerate(values, 1):
        pspi_file(root, "042-ll042", frame).write_text(f"   {float(value):.7e}\n")
    m = ds.load_unbc(root).sort_values("frame")
    assert m["pspi"].tolist() == values  # the archive's PSPI, 0–16
    assert m["level"].tolist() == [0, 1, 2, 3, 3, 4, 4]  # facs.pspi_level: 0, 1, 2, 3–4, ≥ 5
    assert m["level"].tolist() == list(facs.pspi_level(m["pspi"]))
    assert m["label"].tolist() == [0, 1, 1, 1, 1, 1, 1]


def test_unbc_bad_pspi_values_are_all_named_in_one_error(tmp_path):
    root = unbc_tree(tmp_path / "UNBC", frames=3, label_missing=("043-jh043", 3))
    pspi_file(root, "042-ll042", 1).write_text("nan\n")
    pspi_file(root, "042-ll042", 2).write_text("   inf\n")
    pspi_file(root, "042-ll042", 3).write_text("  -3.0000000e+00\n")
    pspi_file(root, "043-jh043", 1).write_text("n/a")
    with pytest.raises(ds.DatasetLayoutError) as err:
        ds.load_unbc(root)
    message = str(err.value)
    assert message.count("UNBC-McMaster") == 1  # one error for every bad frame
    assert "1 frame(s) have no PSPI file: " in message and "jh043t1aaaff003_facs.txt" in message
    assert "1 PSPI file(s) do not start with a number: " in message and "jh043t1aaaff001_facs.txt" in message
    assert "3 PSPI file(s) hold a value that is not a finite number ≥ 0" in message
    for frame, value in ((1, "nan"), (2, "inf"), (3, "-3")):
        assert f"ll042t1aaaff{frame:03d}_facs.txt (value {value})" in message


def test_mint_loader_reads_levels_and_skips_other_modalities(tmp_path):
    root = tmp_path / "MInt"
    for subject in ("Sub01", "Sub02"):
        for level in range(5):
            write_image(root / subject / "Trial1" / f"Sweep{level:02d}" / f"Label{level}" / "RGB" / "0001.jpg")
            write_image(root / subject / "Trial1" / f"Sweep{level:02d}" / f"Label{level}" / "Depth" / "0001.png")
    m = ds.load_mint(root)
    assert len(m) == 10 and sorted(m["level"].unique()) == [0, 1, 2, 3, 4]
    assert m["label"].sum() == 8
    write_image(root / "Sub03" / "Trial1" / "loose.jpg")
    with pytest.raises(ds.DatasetLayoutError, match=r"1 image\(s\) are not under .*Sub03/Trial1/loose.jpg"):
        ds.load_mint(root)


def test_delaware_loader_reads_expression_from_the_name(tmp_path):
    root = tmp_path / "Delaware"
    for person in ("AF-001", "AM-002"):
        write_image(root / f"{person}_pain.jpg")
        write_image(root / f"{person}_pain_2.jpg")
        write_image(root / "neutral" / f"{person} neutral.jpg")
    m = ds.load_delaware(root)
    assert len(m) == 6 and m["subject"].nunique() == 2
    assert m.groupby("subject")["label"].sum().to_dict() == {"delaware-AF-001": 2, "delaware-AM-002": 2}
    write_image(root / "AF-003.jpg")
    with pytest.raises(ds.DatasetLayoutError, match=r"not <person>_<pain\|neutral>\[_<n>\]: AF-003.jpg"):
        ds.load_delaware(root)


def cp_tree(root, with_label=False):
    rows = []
    for subject in ("P01", "P02"):
        for video, occluded in (("v1", 0), ("v2", int(subject == "P02"))):
            for moment in ("pain", "rest"):
                file = f"frames/{subject}_{video}_{moment}.png"
                write_image(root / file)
                rows.append(
                    dict(
                        file=file, subject=subject, video=video, stimulus="injection", moment=moment, occluded=occluded
                    )
                )
    table = pd.DataFrame(rows)
    if with_label:
        table["label"] = (table["moment"] == "pain").astype(int)
    table.to_csv(root / "cp_pain.csv", index=False)
    return root


def test_cp_pain_loader_and_assembly(tmp_path):
    m = ds.load_cp_pain(cp_tree(tmp_path / "CP"))
    assert len(m) == 8 and m["occluded"].sum() == 2
    consensus = pd.Series({"P01/v1": 0, "P01/v2": 1, "P02/v1": 1, "P02/v2": 1})  # as raters name the videos
    cp_pain, excluded = ds.assemble_cp_pain(m, consensus)
    assert len(cp_pain) == 6 and len(excluded) == 2
    assert set(excluded["video"]) == {"v2"} and set(excluded["subject"]) == {"cp-P02"}
    assert "occluded" in excluded["reason"].iloc[0]
    labels = cp_pain.set_index(["subject", "video", "moment"])["label"]
    assert labels[("cp-P01", "v1", "pain")] == 0  # unanimous zero
    assert labels[("cp-P01", "v2", "pain")] == 1
    assert (cp_pain.loc[cp_pain["moment"] == "rest", "label"] == 0).all()
    with pytest.raises(ValueError, match="no consensus label for 1 video"):
        ds.assemble_cp_pain(m, consensus.drop("P02/v1"))


def test_cp_pain_loader_errors(tmp_path):
    root = cp_tree(tmp_path / "CP")
    table = pd.read_csv(root / "cp_pain.csv")
    table.drop(columns="moment").to_csv(root / "cp_pain.csv", index=False)
    with pytest.raises(ds.DatasetLayoutError, match=r"lacks column\(s\) \['moment'\]"):
        ds.load_cp_pain(root)
    table.to_csv(root / "cp_pain.csv", index=False)
    (root / "frames" / "P01_v1_rest.png").unlink()
    with pytest.raises(ds.DatasetLayoutError, match="1 file.*missing: frames/P01_v1_rest.png"):
        ds.load_cp_pain(root)
    write_image(root / "frames" / "P01_v1_rest.png")
    table.assign(occluded=["yes"] + [0] * (len(table) - 1)).to_csv(root / "cp_pain.csv", index=False)
    with pytest.raises(ds.DatasetLayoutError, match="'occluded' of cp_pain.csv must be 0 or 1; row 2: 'yes'"):
        ds.load_cp_pain(root)
    with pytest.raises(ds.DatasetLayoutError, match="cp_pain.csv not found"):
        ds.load_cp_pain(tmp_path / "nowhere")


def test_neonatal_loaders_and_assembly(tmp_path):
    uni = tmp_path / "UNIFESP"
    rows = []
    for n in ("N01", "N02"):
        for k in range(3):
            write_image(uni / f"{n}_{k}.jpg")
            rows.append(dict(file=f"{n}_{k}.jpg", neonate=n, label=int(k == 2)))
    pd.DataFrame(rows).to_csv(uni / "labels.csv", index=False)
    ico = tmp_path / "iCOPE"
    for n in ("S01", "S02"):
        for stimulus in ds.ICOPE_STIMULI:
            write_image(ico / f"{n}-{stimulus}-1.jpg")
    sources = ds.load_real(tmp_path, ["unifesp", "icope"])
    assert len(sources["unifesp"]) == 6 and len(sources["icope"]) == 10
    neonatal = ds.assemble_neonatal(sources)
    assert len(neonatal) == 6 + 4 and set(neonatal.loc[neonatal.dataset == "icope", "stimulus"]) == {"rest", "pain"}
    assert set(neonatal["population"]) == {"neonate"}
    write_image(ico / "S03-sleep-1.jpg")
    with pytest.raises(ds.DatasetLayoutError, match="S03-sleep-1.jpg"):
        ds.load_icope(ico)


def test_icope_neonate_is_every_word_before_the_stimulus(tmp_path):
    root = tmp_path / "iCOPE"
    for name in ("icope-0001_rest_3.png", "icope-0002_pain_1.png", "icope-0001_pain_4.png"):
        write_image(root / name)
    for name in ("Baby 01 rest 1.jpg", "Baby 02 pain 2.jpg", "Baby 02_cry_3.jpg"):
        write_image(root / "photos" / name)
    m = ds.load_icope(root)
    assert m.groupby("subject")["stimulus"].apply(sorted).to_dict() == {
        "icope-Baby-01": ["rest"],
        "icope-Baby-02": ["cry", "pain"],
        "icope-icope-0001": ["pain", "rest"],
        "icope-icope-0002": ["pain"],
    }
    write_image(root / "pain_5.png")  # no neonate before the stimulus
    with pytest.raises(
        ds.DatasetLayoutError, match=r"1 image name\(s\) are not <neonate>_<stimulus>_<n>.*: pain_5.png"
    ):
        ds.load_icope(root)


def test_every_loader_reads_back_the_subjects_written(tmp_path):
    root, written = write_real_layouts_counted(tmp_path / "raw", tmp_path / "work", size_px=48)
    sources = ds.load_real(root, list(ds.REAL_FOLDERS))
    assert {name: m["subject"].nunique() for name, m in sources.items()} == written
    assert all(n > 1 for n in written.values())  # a loader that merges people cannot pass by chance
    unbc = sources["unbc"]
    assert (unbc["level"] == facs.pspi_level(unbc["pspi"])).all()  # one definition of the UNBC levels


def test_load_real_names_missing_folders_and_unknown_datasets(tmp_path):
    (tmp_path / "UNBC-McMaster").mkdir()
    with pytest.raises(ds.DatasetLayoutError, match=r"MInt-PAIN/ \(mint\)"):
        ds.load_real(tmp_path, ["unbc", "mint"])
    with pytest.raises(ValueError, match="unknown dataset"):
        ds.load_real(tmp_path, ["biovid"])


def test_load_real_says_once_that_data_root_does_not_exist(tmp_path):
    absent = tmp_path / "no-such-folder"
    with pytest.raises(ds.DatasetLayoutError) as err:
        ds.load_real(absent, list(ds.REAL_FOLDERS))
    message = str(err.value)
    assert f"data_root {absent}" in message and "does not exist" in message and "book/data.md" in message
    assert "missing dataset folder" not in message
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ds.DatasetLayoutError, match="is not a folder"):
        ds.load_real(tmp_path / "a-file", ["unbc"])


def video_manifest(n_subjects=4, frames=50, seed=0):
    rng = np.random.default_rng(seed)
    rows = [
        dict(
            path=f"/x/{s}_{f}.png",
            dataset="unbc",
            subject=f"u{s}",
            level=int(rng.integers(0, 5) * (rng.random() < 0.4)),
            population="adult",
            frame=f,
        )
        for s in range(n_subjects)
        for f in range(frames)
    ]
    return ds._binary_relabel(pd.DataFrame(rows).assign(label=0))


def test_sampling_is_seeded_balanced_and_stable():
    m = video_manifest()
    a, b = ds._sample_per_subject_class(m, 20, seed=1), ds._sample_per_subject_class(m, 20, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.index.equals(ds._sample_per_subject_class(m, 20, seed=2).index)
    counts = a.groupby(["subject", "label"]).size()
    available = m.groupby(["subject", "label"]).size()
    assert (counts == np.minimum(available, 20)).all()
    more = pd.concat([m, video_manifest(6, seed=3).query("subject in ['u4', 'u5']")], ignore_index=True)
    again = ds._sample_per_subject_class(more, 20, seed=1)
    assert set(again.loc[again.subject.isin(["u0", "u1", "u2", "u3"]), "path"]) == set(a["path"])
    with pytest.raises(ValueError, match="per_class"):
        ds._sample_per_subject_class(m, 0)


def test_sampling_picks_rows_by_position_when_the_index_repeats():
    first, second = video_manifest(2, frames=30), video_manifest(4, frames=30, seed=7).query("subject >= 'u2'")
    repeated = pd.concat([first, second.set_axis(range(len(second)))])  # labels 0… appear twice
    assert not repeated.index.is_unique
    fresh = repeated.reset_index(drop=True)
    sample = ds._sample_per_subject_class(repeated, 5, seed=1)
    expected = ds._sample_per_subject_class(fresh, 5, seed=1)
    assert sample["path"].tolist() == expected["path"].tolist()  # the same rows, once each, in the same order
    assert sample["path"].is_unique
    assert (
        sample.groupby(["subject", "label"]).size() == np.minimum(fresh.groupby(["subject", "label"]).size(), 5)
    ).all()
    assert sample.index.tolist() == [repeated.index[fresh.index.get_loc(i)] for i in expected.index]


def test_pain_db_assembly_relabels_and_keeps_all_of_delaware():
    unbc = video_manifest()
    mint = video_manifest(seed=5).assign(dataset="mint", subject=lambda d: "m" + d["subject"])
    delaware = pd.DataFrame(
        dict(
            path=[f"/d/{i}.png" for i in range(6)],
            dataset="delaware",
            subject=[f"d{i // 2}" for i in range(6)],
            level=[0, 1] * 3,
            label=[0, 1] * 3,
            population="adult",
        )
    )
    pain_db = ds.assemble_pain_db({"unbc": unbc, "mint": mint, "delaware": delaware}, frames_per_class=5, seed=0)
    assert (pain_db["label"] == (pain_db["level"] > 0)).all()
    assert pain_db.loc[pain_db.dataset == "delaware", "path"].tolist() == delaware["path"].tolist()
    assert pain_db[pain_db.dataset != "delaware"].groupby(["subject", "label"]).size().max() == 5
    with pytest.raises(ValueError, match="missing"):
        ds.assemble_pain_db({"unbc": unbc})


def test_dataset_table_counts_users_images_and_resolution(tmp_path):
    m = ds.load_unbc(unbc_tree(tmp_path / "UNBC"))
    table = ds.dataset_table(m)
    assert table.loc["unbc", ["users", "images", "classes"]].tolist() == [2, 6, 2]
    assert table.loc["unbc", "resolution"] == "32 × 24"
    assert table.loc["total", "images"] == 6
    assert table.loc["total", "levels"] == 2  # the merged set's classes, as the paper's Table 2 counts its total
    assert table.loc["unbc", "unreadable"] == table.loc["total", "unreadable"] == 0


def test_dataset_table_counts_undecodable_images_instead_of_crashing(tmp_path, caplog):
    root = unbc_tree(tmp_path / "UNBC")
    broken = root / "Images" / "042-ll042" / "ll042t1aaaff" / "ll042t1aaaff002.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    m = ds.load_unbc(root)
    with caplog.at_level(logging.WARNING, logger="painlib.datasets"):
        table = ds.dataset_table(m)
    assert table.loc["unbc", ["images", "unreadable"]].tolist() == [6, 1]
    assert table.loc["unbc", "resolution"] == "32 × 24"  # from the five readable frames
    assert table.loc["total", "unreadable"] == 1
    assert "ll042t1aaaff002.png" in caplog.text and "1 image(s) could not be read" in caplog.text
    everything_broken = m.assign(path=str(broken))
    assert ds.dataset_table(everything_broken).loc["unbc", "resolution"] == "none readable"


def test_dataset_table_counts_a_truncated_png_as_the_face_pipeline_does(tmp_path, capfd):
    from painlib.images import UnreadableImageError, read_rgb
    from painlib.session import quiet_opencv

    quiet_opencv()  # as painlib.setup does on every page
    root = unbc_tree(tmp_path / "UNBC")
    frame = root / "Images" / "042-ll042" / "ll042t1aaaff" / "ll042t1aaaff002.png"
    whole = frame.read_bytes()
    frame.write_bytes(whole[: len(whole) // 2])  # its header (and so its size) still reads
    from PIL import Image

    assert Image.open(frame).size == (32, 24)
    with pytest.raises(UnreadableImageError, match="cannot decode"):
        read_rgb(frame)
    table = ds.dataset_table(ds.load_unbc(root))
    assert table.loc["unbc", ["images", "unreadable"]].tolist() == [6, 1]
    assert "PNG input buffer" not in capfd.readouterr().err  # OpenCV's own warning does not reach the page


def test_cp_pain_labels_come_from_the_facs_sheets_alone(tmp_path):
    from painlib.synth import make_dataset, raters

    cp = make_dataset("cp", 4, tmp_path, seed=2, image_size_px=64, n_jobs=1, progress=False)
    cp = cp.assign(occluded=False)
    ratings = raters.rate_targets(raters.video_targets(cp), seed=2)
    gappy = ratings.copy()
    gappy.loc[0, "ncapc_vocal_1"] = np.nan  # another scale's gap does not matter to the FACS consensus
    whole, _ = ds.assemble_cp_pain(cp, ratings=ratings)
    pd.testing.assert_frame_equal(ds.assemble_cp_pain(cp, ratings=gappy)[0], whole)
    gappy.loc[0, "au4"] = np.nan  # a FACS gap stops, or leaves that video out when asked
    with pytest.raises(ValueError, match="missing"):
        ds.assemble_cp_pain(cp, ratings=gappy)
    kept, excluded = ds.assemble_cp_pain(cp, ratings=gappy, missing="drop")
    video = gappy.loc[0, "target"]
    assert video not in set(ds.video_target(kept)) and len(kept) == len(whole) - 2
    assert (excluded.loc[ds.video_target(excluded) == video, "reason"] == "incomplete ratings (missing='drop')").all()
