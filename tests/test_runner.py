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


def test_notebook_sources_carry_no_outputs():
    for path in run.list_notebooks():
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
        tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
        assert sum("parameters" in t for t in tags) == 1, f"{path.name} needs exactly one parameters cell"


def test_a_parameter_papermill_cannot_parse_is_an_error(tmp_path):
    nb = _notebook(tmp_path / "08_params.ipynb", ['seed = 0\nroot = ""  # a folder, empty = none', "print(root)"])
    with pytest.raises(ValueError, match=r"cannot parse parameter\(s\) \['root'\]"):
        run.declared_parameters(nb)
