"""Exercise solutions read from runs of the page with the exercise's change (painlib.exercises and the runner)."""

import re

import nbformat
import pandas as pd
import pytest

from painlib import exercises, report, run
from painlib.exercises import Exercise

PROFILE = {"name": "t", "defaults": {"seed": 0}, "notebooks": {}}


def _notebook(path, sources, metadata=None, pages=None):
    """A notebook whose first cell declares the parameters; ``pages`` maps a cell index to its painlib.pages."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["painlib"] = metadata or {}
    for i, src in enumerate(sources):
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["tags"] = ["parameters"] if i == 0 else []
        if pages and i in pages:
            cell.metadata["painlib"] = {"pages": pages[i]}
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


VARIANTS = [{"name": "a", "parameters": {"scenario": "a"}}, {"name": "b", "parameters": {"scenario": "b"}}]


@pytest.mark.parametrize(
    "items, message",
    [
        ({"label": "x"}, "must be a list"),
        ([{"parameters": {"seed": 1}}], "has no text label"),
        ([{"label": "x", "parameters": {}}], "changes no parameters"),
        ([{"label": "x", "parameters": {"seed": 1}, "page": ["a"]}], r"unknown keys \['page'\]"),
        ([{"label": "x", "parameters": {"seed": 1}, "pages": "a"}], "pages must be a list"),
        ([{"label": "x", "parameters": {"seed": 1}}, {"label": "x", "parameters": {"seed": 2}}], "labels repeat"),
    ],
)
def test_malformed_exercise_metadata_is_named(tmp_path, items, message):
    path = _notebook(tmp_path / "00_t.ipynb", ["seed = 0"], {"exercises": items})
    with pytest.raises(ValueError, match=f"00_t.ipynb: metadata painlib.exercises (.* )?{message}"):
        exercises.declared_exercises(path)


@pytest.mark.parametrize(
    "exercise, message",
    [
        ({"label": "x", "parameters": {"epoch": 3}}, r"exercise x changes 'epoch', but the notebook does not declare"),
        ({"label": "x", "parameters": {"scenario": "c"}}, r"changes 'scenario', but .* its variant pages set it"),
        ({"label": "x", "parameters": {"epochs": 0}}, r"exercise x: parameter 'epochs' of 03_t must be at least 1"),
        ({"label": "x", "parameters": {"epochs": "many"}}, r"must be an integer \(default 2\), got 'many'"),
        ({"label": "x", "parameters": {"epochs": 3}, "pages": ["c"]}, r"exercise x names unknown pages \['c'\]"),
    ],
)
def test_an_exercise_the_notebook_cannot_run_stops_the_plan(tmp_path, exercise, message):
    meta = {"variants": VARIANTS, "exercises": [exercise]}
    path = _notebook(tmp_path / "03_t.ipynb", ["seed = 0\nscenario = 'a'\nepochs = 2", "1"], meta)
    with pytest.raises(ValueError, match=message):
        run.plan(PROFILE, [path], {})


def test_exercise_runs_follow_pages_and_skip_a_change_already_made(tmp_path):
    items = [
        {"label": "ex-more", "parameters": {"epochs": 5}},
        {"label": "ex-only-b", "parameters": {"epochs": 7, "seed": 1}, "pages": ["b"]},
    ]
    path = _notebook(tmp_path / "03_t.ipynb", ["seed = 0\nscenario = 'a'\nepochs = 2"], {"variants": VARIANTS})
    nb = nbformat.read(path, as_version=4)
    nb.metadata["painlib"]["exercises"] = items
    nbformat.write(nb, path)
    params = {"seed": 0, "scenario": "a", "epochs": 2}
    assert run.exercise_runs(path, "03_t_a", params) == [("03_t_a.ex-more", {"seed": 0, "scenario": "a", "epochs": 5})]
    assert [name for name, _ in run.exercise_runs(path, "03_t_b", {**params, "scenario": "b"})] == [
        "03_t_b.ex-more",
        "03_t_b.ex-only-b",
    ]
    assert run.exercise_runs(path, "03_t_a", {**params, "epochs": 5}) == []  # the page already runs with it


def test_cells_for_other_pages_are_left_out(tmp_path):
    path = _notebook(tmp_path / "03_t.ipynb", ["x = 0", "'all'", "'only a'", "'only b'"], {"variants": VARIANTS})
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].metadata["painlib"] = {"pages": ["a"]}
    nb.cells[3].metadata["painlib"] = {"pages": ["b"]}
    kept = [c.source for c in run.cells_for_page(nb, "a").cells]
    assert kept == ["x = 0", "'all'", "'only a'"]
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].metadata["painlib"] = {"pages": ["c"]}
    with pytest.raises(ValueError, match=r"painlib.pages \['c'\] names no page of \['a', 'b'\]"):
        run.cells_for_page(nb, "a")


def test_a_failure_names_the_source_cell_of_a_variant_page(tmp_path):
    meta = {"variants": VARIANTS}
    sources = ["seed = 0\nscenario = 'a'", "'only on b'", "raise RuntimeError('broken')"]
    path = _notebook(tmp_path / "03_t.ipynb", sources, meta, pages={1: ["b"]})
    with pytest.raises(run.NotebookError, match=r"03_t_a failed in cell 3 \(`raise RuntimeError"):
        run.execute_notebook(path, tmp_path / "out", {"seed": 0, "scenario": "a"}, progress=False, page="03_t_a")


SOLVER = [
    "seed = 0\nepochs = 2",
    "import pandas as pd\nfrom painlib import report\nreport.numbers(doubled=2 * epochs)\n"
    "report.keep('table', pd.DataFrame({'epochs': [epochs], 'name': ['x']}, index=['r']))",
    "from painlib import exercises\nfrom painlib.report import claim\nsolved = exercises.solution('ex-epochs')\n"
    'claim(\'answer\', solved.available, f\'{solved.number("doubled"):g} {solved.table("table").loc["r", "epochs"]}\''
    " if solved.available else '', exercises.unavailable(solved))",
]


def _answer(executed) -> str:
    values, _ = exercises.read_outputs(executed)
    return values["answer"]


def test_a_page_reads_the_numbers_and_tables_of_its_exercise_run(tmp_path, monkeypatch):
    path = _notebook(
        tmp_path / "07_solver.ipynb", SOLVER, {"exercises": [{"label": "ex-epochs", "parameters": {"epochs": 5}}]}
    )
    out = tmp_path / "out"
    page = run.execute_page(path, out, {"seed": 0, "epochs": 2}, progress=False)
    assert (out / "solutions" / "07_solver.ex-epochs.ipynb").is_file()
    assert _answer(page) == "10 5"  # glued by the run with epochs = 5, read back by the page with epochs = 2

    # With a run made from other parameters, or without its run, the solution says so instead of showing numbers.
    stale = run.execute_notebook(path, out, {"seed": 3, "epochs": 2}, progress=False)
    assert "made with other values of ['seed']" in _answer(stale)
    missing = run.execute_page(path, out, {"seed": 0, "epochs": 2}, progress=False, solutions=False)
    assert not (out / "solutions" / "07_solver.ex-epochs.ipynb").exists()  # removed: it may predate the code
    assert "this build did not make the exercise's run" in _answer(missing)
    assert "python -m painlib run --only 07_solver" in _answer(missing)
    same = run.execute_page(path, out, {"seed": 0, "epochs": 5}, progress=False)
    assert "already runs with the exercise's change" in _answer(same)


def test_a_solution_outside_the_runner_names_the_missing_exercise(monkeypatch, tmp_path):
    monkeypatch.delenv("PAINLIB_PAGE", raising=False)  # as in Jupyter's "Run all"
    assert exercises.solution("ex-epochs").reason == exercises.NOT_BY_RUNNER
    path = _notebook(
        tmp_path / "07_solver.ipynb", SOLVER, {"exercises": [{"label": "ex-epochs", "parameters": {"epochs": 5}}]}
    )
    monkeypatch.setenv("PAINLIB_PAGE", "07_solver")  # as the runner sets them
    monkeypatch.setenv("PAINLIB_NOTEBOOK", str(path))
    with pytest.raises(KeyError, match="declares no exercise 'ex-other'"):
        exercises.solution("ex-other")
    monkeypatch.setenv("PAINLIB_SOLUTION_OF", "07_solver")
    assert exercises.solution("ex-epochs").reason == "this run is itself an exercise's run"


def test_an_unavailable_solution_refuses_its_numbers():
    pending = exercises.Solution("ex-x", {"epochs": 5}, False, "this build did not make the exercise's run")
    with pytest.raises(LookupError, match="ex-x is not available"):
        pending.number("doubled")
    ready = exercises.Solution("ex-x", {"epochs": 5}, True, values={"a": "1"})
    with pytest.raises(KeyError, match=r"glued no 'b'; it glued \['a'\]"):
        ready.number("b")


def test_a_kept_table_comes_back_whole(monkeypatch):
    kept = {}
    monkeypatch.setattr(report, "_glue", lambda name, value: kept.update({name: value}))
    table = pd.DataFrame({"model": ["songnet", "vgg16"], "accuracy": [0.5, 0.625], "run": [0, 1]})
    report.keep("results", table)
    back = exercises.Solution("ex", {}, True, values={"results": repr(kept["results"])}).table("results")
    pd.testing.assert_frame_equal(back, table)


def test_exercise_declares_which_pages():
    assert Exercise("x", {"a": 1}).applies_to(None) and Exercise("x", {"a": 1}, ("b",)).applies_to("b")
    assert not Exercise("x", {"a": 1}, ("b",)).applies_to("a")


def _exercise_texts(notebook) -> dict[str, str]:
    """label → the text of each labelled ``{exercise}`` directive in the notebook's Markdown."""
    prose = "\n".join(c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "markdown")
    return dict(re.findall(r":::\{exercise\}\n:label: (\S+)\n(.*?)\n:::", prose, flags=re.S))


@pytest.mark.parametrize("notebook", run.list_notebooks(), ids=lambda p: p.stem)
def test_each_exercise_asks_for_the_change_its_run_makes(notebook):
    """The `-p` settings an exercise's text gives the reader are those of the run behind its solution, read as the
    runner reads them (YAML)."""
    texts = _exercise_texts(notebook)
    for exercise in exercises.declared_exercises(notebook):
        assert exercise.label in texts, f"{notebook.name}: no exercise labelled {exercise.label}"
        settings = re.findall(r"-p\s+(\w+)=('[^']*'|[^\s`]+)", texts[exercise.label])
        asked = run.parse_overrides([f"{key}={value.strip(chr(39))}" for key, value in settings])
        assert asked == exercise.parameters, (
            f"{notebook.name} {exercise.label}: text {asked}, run {exercise.parameters}"
        )
