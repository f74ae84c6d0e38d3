"""Every notebook executes under the smoke profile (the same code path as `python -m painlib run`), and what
its pages glue into the prose is there, finite, and its checks tables hold booleans."""

import math
import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from painlib import run

PREFIX = "application/papermill.record/"
#: Checks tables whose rows hold by construction (no leak between folds, every image explained by its fold's
#: network, every map counted once, every pair compared), whatever the profile: each must be True.
INVARIANT_CHECKS = {"checks_folds", "checks_ground_truth", "checks_images", "checks_maps", "checks_pairs"}


def glued(executed) -> dict[str, dict[str, str]]:
    """name → {mime type: data} of every value a notebook glued (myst-nb stores them as scrapbook outputs)."""
    out = {}
    for cell in nbformat.read(executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                # One value per name: a second glue would silently replace what the prose (or a reader of this
                # page's glue, such as an exercise's solution) takes for the first.
                assert name not in out, f"{executed.name}: {name!r} glued twice"
                out[name] = {k.removeprefix(PREFIX): v for k, v in output.get("data", {}).items()}
    return out


def check_glue(executed) -> dict[str, dict[str, str]]:
    """Every ``{glue:…}`name``` of the page was glued; numbers are finite; checks tables are booleans."""
    nb = nbformat.read(executed, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    referenced = set(re.findall(r"\{glue(?::\w+)?\}`([^`:]+)", prose))
    values = glued(executed)
    assert referenced <= set(values), f"{executed.name}: not glued: {sorted(referenced - set(values))}"
    for name, data in values.items():
        plain = data.get("text/plain", "")
        try:
            number = float(plain)
        except ValueError:
            number = None
        assert number is None or math.isfinite(number), f"{executed.name}: {name} = {plain}"
        if "text/markdown" in data:
            assert data["text/markdown"].strip(), f"{executed.name}: {name} is an empty sentence"
        if name.startswith("checks"):
            rows = plain.splitlines()[1:]
            assert rows and all(r.split()[-1] in ("True", "False") for r in rows), f"{executed.name}: {plain}"
            # most checks tables are findings, which a smoke-sized run may not reproduce; these hold by construction
            if name in INVARIANT_CHECKS:
                assert all(r.split()[-1] == "True" for r in rows), f"{executed.name}: an invariant fails: {plain}"
    return values


def check_outputs(executed) -> None:
    """No cell shows a bare Python value — a path, a dict, a tuple, a boolean: what a cell's last expression
    returns reaches the page only as a table (HTML), a figure, or Markdown."""
    stray = [
        f"`{cell.source.strip().splitlines()[-1][:60]}` shows {output['data']['text/plain'][:60]!r}"
        for cell in nbformat.read(executed, as_version=4).cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "execute_result" and set(output.get("data", {})) <= {"text/plain"}
    ]
    assert not stray, f"{executed.name}: " + "; ".join(stray)


@pytest.mark.notebook
@pytest.mark.parametrize("page", [pytest.param(p[0], id=p[0]) for p in run.list_pages()])
def test_page_executes_under_smoke(page, smoke_book):
    """Executed through the session's `smoke_book` (conftest.py), whose pages test_site.py then builds and reads."""
    executed = smoke_book.execute(page)
    check_glue(executed)
    check_outputs(executed)


@pytest.mark.notebook
def test_dataset_chapter_runs_on_real_layouts(tmp_path):
    """Chapter 01 with `data_root`: every loader, the CP ratings file and the assembly, end to end."""
    from real_layouts import write_real_layouts

    root = write_real_layouts(tmp_path / "raw", tmp_path / "work")
    notebook = next(p for p in run.list_notebooks() if p.stem == "01_dataset_construction")
    overrides = {"data_dir": str(tmp_path / "data"), "data_root": str(root)}
    params = run.notebook_parameters(run.load_profile("smoke"), notebook, overrides)
    run.execute_notebook(notebook, tmp_path / "executed", params, progress=False)
    written = sorted(p.name for p in (tmp_path / "data" / "datasets" / "real").iterdir())
    assert written == ["cp-pain.csv", "excluded.csv", "neonatal.csv", "pain-db.csv"]
    pain_db = pd.read_csv(tmp_path / "data" / "datasets" / "real" / "pain-db.csv")
    assert set(pain_db["dataset"]) == {"unbc", "mint", "delaware"} and not pain_db["synthetic"].any()


@pytest.mark.notebook
def test_reliability_chapter_runs_on_a_ratings_csv(tmp_path):
    """Chapter 02 with `ratings_csv`: the real-ratings path, from the documented CSV schema."""
    from painlib.synth import make_dataset, raters

    cp = make_dataset("cp", 6, tmp_path / "work", seed=1, image_size_px=96, n_jobs=1, progress=False)
    ratings = raters.rate_targets(raters.video_targets(cp), n_raters=3, seed=1)
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    notebook = next(p for p in run.list_notebooks() if p.stem == "02_rater_reliability")
    overrides = {"data_dir": str(tmp_path / "data"), "ratings_csv": str(tmp_path / "ratings.csv")}
    params = run.notebook_parameters(run.load_profile("smoke"), notebook, overrides)
    out = run.execute_notebook(notebook, tmp_path / "executed", params, progress=False)
    assert "54 item sheets from 3 raters: real ratings" in out.read_text()


@pytest.mark.notebook
def test_the_findings_page_finds_every_value_the_chapters_record(smoke_book):
    """Every number 'What this book reproduces' sets beside a paper's is recorded by its chapter (so it has a
    verdict other than "not executed"), and every page it names exists."""
    from painlib import reproduces

    smoke_book.execute_all()
    values = reproduces.side_by_side(run.ROOT / smoke_book.data_dir)
    assert values["verdict"].isin(reproduces.VERDICTS[:3]).all(), values[values["verdict"] == "not executed"]
    assert values["this build"].notna().mean() > 0.75  # a few are undefined on the smoke profile's tiny sets
    assert {item.page for item in reproduces.ITEMS if item.page} <= {page for page, _, _ in run.list_pages()}
    assert not reproduces.coverage(smoke_book.executed)["status"].eq("not executed").any()


@pytest.mark.notebook
def test_attention_chapter_runs_on_recorded_fixations(smoke_book, tmp_path):
    """Chapter 08 with `fixations_csv`: recordings on the original images, in the documented schema, moved into
    the face crops; every fixation the study's criteria keep is counted on the page."""
    from painlib import attention, faces, images
    from painlib.manifest import read_manifest
    from painlib.synth import gaze

    smoke_book.execute("08_human_and_machine_attention")
    data_dir = run.ROOT / smoke_book.data_dir
    chosen = read_manifest(data_dir / "results" / "07_neonatal_explanations" / "images.csv")
    size = 64
    masks = {au: np.ones((len(chosen), size, size), bool) for au in ("au4", "au6", "au7", "au9", "au10", "au43")}
    masks["face"] = np.ones((len(chosen), size, size), bool)
    names = attention.media_names(chosen)
    records = gaze.simulate_fixations(
        names, gaze.region_masks(masks), gaze.Viewing(viewers=gaze.viewers(experts=3, parents=2))
    )
    for name, box in zip(names, chosen["face_box"]):  # back into the original images' pixels, as a tracker records
        x0, y0, side = faces.square_box([float(v) for v in box.split()], 0.25)
        at = records["image"] == name
        records.loc[at, "x"] = x0 + records.loc[at, "x"] * side / size
        records.loc[at, "y"] = y0 + records.loc[at, "y"] * side / size
    records.to_csv(tmp_path / "fixations.csv", index=False)
    notebook = next(p for p in run.list_notebooks() if p.stem == "08_human_and_machine_attention")
    overrides = {"data_dir": smoke_book.data_dir, "fixations_csv": str(tmp_path / "fixations.csv")}
    params = run.notebook_parameters(run.load_profile("smoke"), notebook, overrides)
    out = run.execute_notebook(notebook, tmp_path / "executed", params, progress=False)
    values = check_glue(out)
    face_px = images.read_rgb(chosen["path"].iloc[0]).shape[0]  # the side of the face crops the page reads
    moved = attention.to_face_crop(records, chosen, names, 0.25, face_px)
    kept, _ = attention.clean_fixations(moved, face_px, face_px)
    assert int(values["n_kept"]["text/plain"]) == len(kept) > 0
    assert int(values["n_records"]["text/plain"]) == len(records)
