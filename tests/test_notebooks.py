"""Every notebook executes under the smoke profile (the same code path as `python -m painlib run`)."""

import pytest

from painlib import run


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", run.list_notebooks(), ids=lambda p: p.stem)
def test_notebook_executes_under_smoke(notebook, tmp_path):
    params = run.notebook_parameters(run.load_profile("smoke"), notebook, {"data_dir": str(tmp_path / "data")})
    out = run.execute_notebook(notebook, tmp_path / "executed", params, progress=False)
    assert out.exists()
