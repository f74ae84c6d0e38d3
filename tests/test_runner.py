"""The runner: profiles, parameters, failures named, and clean notebook sources."""

import json

import nbformat
import pytest

from painlib import run


def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, src in enumerate(cells):
        cell = nbformat.v4.new_code_cell(src)
        if i == 0:
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def test_profiles_load_and_cover_every_notebook():
    for name in ("smoke", "cpu", "paper"):
        prof = run.load_profile(name)
        for nb in run.list_notebooks():
            params = run.notebook_parameters(prof, nb)
            assert params["profile"] == name


def test_unknown_profile_lists_the_builtin_ones():
    with pytest.raises(FileNotFoundError, match=r"built-in profiles: \['cpu', 'paper', 'smoke'\]"):
        run.load_profile("fast")


def test_overrides_are_typed_and_checked(tmp_path):
    assert run.parse_overrides(["epochs=3", "data_root=null", "name=abc"]) == {
        "epochs": 3,
        "data_root": None,
        "name": "abc",
    }
    with pytest.raises(ValueError, match="key=value"):
        run.parse_overrides(["epochs"])
    nb = _notebook(tmp_path / "01_x.ipynb", ["epochs = 1\nprofile = 'cpu'", "print(epochs)"])
    prof = {"name": "t", "defaults": {"epochs": 2, "seed": 0}, "notebooks": {}}
    assert run.notebook_parameters(prof, nb, {"epochs": 5}) == {"epochs": 5, "profile": "t"}
    with pytest.raises(ValueError, match="01_x.ipynb has no parameter 'epoch'"):
        run.notebook_parameters(prof, nb, {"epoch": 5})


def test_a_failing_notebook_is_named_with_its_cell(tmp_path):
    nb = _notebook(tmp_path / "07_broken.ipynb", ["x = 1", "y = x + 1", "raise RuntimeError('the data is gone')"])
    with pytest.raises(
        run.NotebookError,
        match=r"07_broken.ipynb failed in cell 3 \(`raise RuntimeError.*`\): RuntimeError: the data is gone",
    ):
        run.execute_notebook(nb, tmp_path / "out", {"x": 2}, progress=False)
    assert not (tmp_path / "out" / "07_broken.ipynb").exists()  # no half-executed copy where the book looks


def test_cli_reports_errors_without_a_traceback(capsys):
    assert run.main(["run", "--only", "99_nothing", "--no-build"]) == 1
    assert "no notebook matches ['99_nothing']" in capsys.readouterr().err


def test_a_kernel_that_dies_is_reported_with_its_last_words(tmp_path):
    nb = _notebook(
        tmp_path / "08_dies.ipynb", ["x = 1", "import os\nos.write(2, b'out of memory, say\\n')\nos._exit(3)"]
    )
    with pytest.raises(run.NotebookError, match=r"(?s)08_dies: the kernel stopped.*out of memory, say"):
        run.execute_notebook(nb, tmp_path / "out", {}, progress=False)


def test_ctrl_c_prints_one_line_and_no_traceback(tmp_path):
    """SIGINT to the runner's process group while a cell waits on worker processes, as Ctrl-C in a terminal."""
    import os
    import signal
    import subprocess
    import sys
    import time

    started = tmp_path / "started"
    cell = (
        "import time\nfrom concurrent.futures import ProcessPoolExecutor\n"
        "with ProcessPoolExecutor(2) as pool:\n"
        "    list(pool.map(time.sleep, [0.1, 0.1]))\n"
        f"    open({str(started)!r}, 'w').close()\n"
        "    list(pool.map(time.sleep, [60, 60]))"
    )
    nb = _notebook(tmp_path / "09_slow.ipynb", ["x = 1", cell])
    script = (
        "import sys\nfrom pathlib import Path\nfrom painlib import run\n"
        f"run.run = lambda *a, **k: run.execute_notebook(Path({str(nb)!r}), Path({str(tmp_path / 'out')!r}), {{}})\n"
        "sys.exit(run.main(['run', '--no-build']))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert started.exists(), proc.communicate()[1]
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted; finished runs are kept" in err
    assert "Traceback" not in err and "Task exception" not in err, err


def test_notebook_sources_carry_no_outputs():
    for path in run.list_notebooks():
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
        tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
        assert sum("parameters" in t for t in tags) == 1, f"{path.name} needs exactly one parameters cell"


def test_code_a_reader_reads_comes_in_short_cells():
    """The code cells a page shows (not the parameters, not the setup and glue cells hidden behind a toggle):
    a median of at most 6 lines over the book and none over 20, so that logic lives in painlib."""
    import statistics

    hidden = {"parameters", "hide-input", "remove-input", "remove-cell"}
    lengths = {}
    for path in run.list_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and not hidden & set(cell.metadata.get("tags", [])):
                lengths[f"{path.stem} {cell.get('id')}"] = len(cell.source.splitlines())
    assert statistics.median(lengths.values()) <= 6
    assert not {name: n for name, n in lengths.items() if n > 20}


def test_no_cell_ends_by_printing_a_claims_boolean():
    """``claim`` returns its check; a cell ending with it would print a bare True or False under the cell."""
    import ast

    printing = []
    for path in run.list_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            body = ast.parse(cell.source).body if cell.cell_type == "code" else []
            last = body[-1] if body else None
            call = last.value if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) else None
            name = getattr(call.func, "id", getattr(call.func, "attr", None)) if call else None
            if name == "claim" and not cell.source.rstrip().endswith(";"):
                printing.append(f"{path.stem} {cell.get('id')}")
    assert not printing, printing


def test_a_parameter_papermill_cannot_parse_is_an_error(tmp_path):
    nb = _notebook(tmp_path / "08_params.ipynb", ['seed = 0\nroot = ""  # a folder, empty = none', "print(root)"])
    with pytest.raises(ValueError, match=r"cannot parse parameter\(s\) \['root'\]"):
        run.declared_parameters(nb)


def _two_notebooks(tmp_path):
    cells = "seed = 0\nepochs = 25\nrate = 0.5\nname = ''\nnoise_levels = [0.0, 1.0]"
    a = _notebook(tmp_path / "00_a.ipynb", [cells, "1"])
    b = _notebook(tmp_path / "01_b.ipynb", ["seed = 0\nn_subjects_cp = 4\nshow = False", "1"])
    return [a, b]


PROFILE = {"name": "t", "defaults": {"seed": 0}, "notebooks": {}}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"epochs": "abc"}, r"parameter 'epochs' of 00_a must be an integer \(default 25\), got 'abc'"),
        ({"seed": 1.5}, r"parameter 'seed' of 00_a must be an integer .* got 1.5"),
        ({"n_subjects_cp": 0}, r"'n_subjects_cp' of 01_b must be at least 1, got 0"),
        ({"epochs": 0}, r"'epochs' of 00_a must be at least 1"),
        ({"show": 1}, r"'show' of 01_b must be true/false"),
        ({"noise_levels": [-1.0]}, r"'noise_levels' of 00_a must be at least 0"),
        ({"noise_levels": [float("nan")]}, r"'noise_levels' of 00_a must be a finite number, got nan"),
        ({"noise_levels": []}, r"'noise_levels' of 00_a must not be empty"),
        ({"epoch": 3}, r"no selected notebook declares \['epoch'\]"),
        ({"01.epochs": 3}, r"01_b.ipynb has no parameter 'epochs'"),
        ({"07.epochs": 3}, r"'07' names no selected notebook"),
        ({"00_a.epochs": 2, "00.epochs": 3}, r"00_a: 00_a.epochs=2 and 00.epochs=3 disagree"),
    ],
)
def test_bad_parameters_are_named_before_anything_runs(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        run.plan(PROFILE, _two_notebooks(tmp_path), overrides)


def test_overrides_reach_the_notebooks_that_declare_them(tmp_path):
    overrides = {"epochs": 3, "rate": 1, "name": None, "00_a.seed": 7, "n_subjects_cp": 2}
    first, second = run.plan(PROFILE, _two_notebooks(tmp_path), overrides)
    assert first[2] == {"seed": 7, "epochs": 3, "rate": 1, "name": None}
    assert second[2] == {"seed": 0, "n_subjects_cp": 2}


def test_a_notebook_with_variants_makes_one_page_per_variant(tmp_path):
    nb_path = _notebook(tmp_path / "03_t.ipynb", ["seed = 0\nscenario = 'a'", "print(scenario)"])
    nb = nbformat.read(nb_path, as_version=4)
    variants = [{"name": "second", "parameters": {"scenario": "b"}}, {"name": "first", "parameters": {"scenario": "a"}}]
    nb.metadata["painlib"] = {"variants": variants}
    nbformat.write(nb, nb_path)
    planned = run.plan(PROFILE, [nb_path], {"seed": 2})
    assert [(page, params) for page, _, params in planned] == [  # in the order the metadata lists them
        ("03_t_second", {"seed": 2, "scenario": "b"}),
        ("03_t_first", {"seed": 2, "scenario": "a"}),
    ]
    with pytest.raises(ValueError, match=r"03_t_second: \['scenario'\] are set by the page itself"):
        run.plan(PROFILE, [nb_path], {"scenario": "c"})
    out = run.execute_notebook(nb_path, tmp_path / "out", planned[0][2], progress=False, page=planned[0][0])
    injected = [c.source for c in nbformat.read(out, as_version=4).cells if "injected-parameters" in c.metadata.tags]
    assert out.name == "03_t_second.ipynb" and 'scenario = "b"' in injected[0]


def test_a_bad_parameter_stops_the_cli_before_the_first_notebook(capsys):
    assert run.main(["run", "--only", "0", "-p", "epochs=abc", "--no-build"]) == 1
    captured = capsys.readouterr()
    assert "must be an integer (default" in captured.err and "[1/" not in captured.out


def test_interrupt_prints_one_line(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "run", interrupted)
    assert run.main(["run", "--only", "00", "--no-build"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["interrupted; finished runs are kept — run again to resume"]


def test_log_lines_stay_off_the_page_and_warnings_reach_the_terminal(tmp_path, capsys):
    cells = [
        "seed = 0",
        "import logging\nimport painlib\npainlib.setup(seed)",
        'logging.getLogger("painlib.x").info("noted")\nlogging.getLogger("painlib.x").warning("careful")',
    ]
    nb = _notebook(tmp_path / "09_logs.ipynb", cells)
    out = run.execute_notebook(nb, tmp_path / "out", {"seed": 0}, progress=False)
    outputs = str([c.get("outputs", []) for c in nbformat.read(out, as_version=4).cells])
    assert "careful" not in outputs and "noted" not in outputs
    assert "noted" in (tmp_path / "out" / "09_logs.log").read_text()
    assert "WARNING painlib.x: careful" in capsys.readouterr().err


def test_an_executed_page_shows_one_parameters_cell_with_the_values_used(tmp_path):
    path = _notebook(
        tmp_path / "09_p.ipynb", ['seed = 0  # seed = 1 would differ\nname = "a#b"  # a name\nsizes = [1, 2]', "1"]
    )
    nb = nbformat.read(path, as_version=4)
    injected = nbformat.v4.new_code_cell(
        '# Parameters\nseed = 7\nname = "é"\n', metadata={"tags": ["injected-parameters"]}
    )
    nb.cells.insert(1, injected)
    nbformat.write(nb, path)
    run.show_parameters_used(path)
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].source == 'seed = 7  # seed = 1 would differ\nname = "é"  # a name\nsizes = [1, 2]'
    assert cells[1].metadata.tags == ["injected-parameters", "remove-cell"]  # myst-nb leaves it off the page


def test_an_executed_page_ends_with_its_provenance(tmp_path):
    nb = _notebook(tmp_path / "10_prov.ipynb", ['profile = "cpu"\nseed = 0\ndata_root = ""', "x = 1"])
    out = run.execute_notebook(nb, tmp_path / "out", {"seed": 3}, progress=False)
    cells = nbformat.read(out, as_version=4).cells
    assert cells[-2].source.startswith("## Provenance") and "remove-input" in cells[-1].metadata["tags"]
    table = cells[-1].outputs[0]["data"]["text/html"]
    assert "jupyter-book" in table and "data_root = ''" in table  # the last package and parameter: not cut off
    for item in ("git commit", "profile", "packages", "compute", "wall time"):
        assert item in table
    assert "seed = 3" in table and "synthetic faces (generator version" in table
    assert str(run.ROOT) not in table  # no path of the build machine


def test_provenance_names_the_commit_and_the_data():
    import subprocess

    from painlib import provenance

    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=run.ROOT, capture_output=True, text=True)
    assert provenance.git_commit().split()[0] == head.stdout.strip()  # the tests run in a checkout
    assert provenance.git_commit("/") == "unknown (not a git checkout)"
    assert provenance.data_source({"data_root": "/somewhere", "seed": 1}) == "real data (data_root was set)"
    assert "seed 4" in provenance.data_source({"data_root": "", "seed": 4})
    import keras  # noqa: F401  (the page used Keras)

    assert provenance.compute().startswith(f"Keras {keras.backend.backend()} backend, ")
    assert "dtype policy float32" in provenance.compute()


VARIANTS = [{"name": "a", "parameters": {"scenario": "a"}}, {"name": "b", "parameters": {"scenario": "b"}}]


def _variant_notebook(path, sources, pages=None):
    """A notebook with two variant pages whose first cell declares the parameters; ``pages`` maps a cell index to
    its painlib.pages."""
    nb = _notebook(path, sources)
    book = nbformat.read(nb, as_version=4)
    book.metadata["painlib"] = {"variants": VARIANTS}
    for i, pages_of in (pages or {}).items():
        book.cells[i].metadata["painlib"] = {"pages": pages_of}
    nbformat.write(book, nb)
    return nb


def test_cells_for_other_pages_are_left_out(tmp_path):
    path = _variant_notebook(tmp_path / "03_t.ipynb", ["x = 0", "'all'", "'only a'", "'only b'"])
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
    sources = ["seed = 0\nscenario = 'a'", "'only on b'", "raise RuntimeError('broken')"]
    path = _variant_notebook(tmp_path / "03_t.ipynb", sources, pages={1: ["b"]})
    with pytest.raises(run.NotebookError, match=r"03_t_a failed in cell 3 \(`raise RuntimeError"):
        run.execute_notebook(path, tmp_path / "out", {"seed": 0, "scenario": "a"}, progress=False, page="03_t_a")


def _painlib_imports() -> dict[str, set[str]]:
    """Module → the painlib modules it imports, anywhere in its code (imports inside functions too)."""
    import ast

    modules = {}
    for path in (run.ROOT / "painlib").rglob("*.py"):
        parts = path.relative_to(run.ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                found |= {t for t in [target] + [f"{target}.{a.name}" for a in node.names] if t in modules}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
        graph[name] = found - {name}
    return graph


def test_no_painlib_module_imports_one_that_imports_it_back():
    graph = _painlib_imports()
    assert {"painlib.chance", "painlib.compare"} <= graph["painlib.exercises"]  # imports inside functions are seen

    def reaches(start: str, goal: str, seen: set) -> bool:
        return any(n == goal or (n not in seen and not seen.add(n) and reaches(n, goal, seen)) for n in graph[start])

    cycles = sorted(m for m in graph if m != "painlib" and reaches(m, m, {"painlib"}))
    assert not cycles, cycles


def test_a_misspelt_network_stops_the_plan_and_known_ones_pass():
    notebook = [run.NOTEBOOKS / "04_training_scenario.ipynb"]
    with pytest.raises(ValueError, match=r"'models' of 04_training_scenario names unknown networks \['nosuchnet'\]"):
        run.plan(run.load_profile("smoke"), notebook, {"models": ["songnet", "nosuchnet"]})
    with pytest.raises(ValueError, match=r"'control' of 04_training_scenario names unknown networks \['smallcnn'\]"):
        run.plan(run.load_profile("smoke"), notebook, {"control": "smallcnn"})
    planned = run.plan(run.load_profile("smoke"), notebook, {"models": ["vgg16"], "control": ""})
    assert {page[2]["models"][0] for page in planned} == {"vgg16"}


@pytest.mark.parametrize("profile", ["smoke", "cpu", "paper"])
def test_the_profiles_name_only_known_networks(profile):
    loaded = run.load_profile(profile)
    for notebook in run.list_notebooks():
        declared = run.declared_parameters(notebook)
        params = run.notebook_parameters(loaded, notebook, {}, declared)
        for key in set(run.NETWORK_PARAMETERS) & set(params):
            run._check_networks(notebook.stem, key, params[key])
        for name in params.get("model_settings", {}):
            run._check_networks(notebook.stem, "model_settings", [name])


def test_every_glued_name_is_shown_by_its_page():
    """A number or sentence a page glues appears in its prose: nothing is computed for a reader who never sees it
    (and nothing is read back from glue by another page: `painlib.findings` carries that)."""
    import ast
    import re

    unused = {}
    for path in run.list_notebooks():
        cells = nbformat.read(path, as_version=4).cells
        prose = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        shown = set(re.findall(r"\{glue(?::\w+)?\}`(\w+)", prose))
        glued = set()
        for node in (n for c in cells if c.cell_type == "code" for n in ast.walk(ast.parse(c.source))):
            name = getattr(getattr(node, "func", None), "id", getattr(getattr(node, "func", None), "attr", None))
            if name in ("claim", "say") and node.args and isinstance(node.args[0], ast.Constant):
                glued.add(node.args[0].value)
            elif name == "numbers":
                prefix = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else ""
                glued |= {prefix + kw.arg for kw in node.keywords if kw.arg}
        if glued - shown:
            unused[path.stem] = sorted(glued - shown)
    assert not unused, unused


def test_the_pages_face_threshold_is_the_one_named_in_painlib():
    """A parameters cell holds literals; its face threshold must still be the one painlib names."""
    from painlib.faces import MIN_CONFIDENCE

    declared = {p.stem: run.declared_parameters(p) for p in run.list_notebooks()}
    pages = {stem: params["min_confidence"] for stem, params in declared.items() if "min_confidence" in params}
    assert len(pages) >= 2, pages  # chapters 01 and 05
    assert {stem: float(p["default"]) for stem, p in pages.items()} == dict.fromkeys(pages, MIN_CONFIDENCE)
