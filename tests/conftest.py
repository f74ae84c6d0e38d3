import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from painlib import run  # noqa: E402

#: Pages whose files a chapter reads (by its number): chapter 01's manifests for every training chapter, the
#: networks that chapter 04's PAIN-DB → CP-PAIN page and chapter 05 keep, chapter 07's maps.
NEEDS = {
    **{n: ("01_dataset_construction",) for n in ("03", "04", "05")},
    "06": ("01_dataset_construction", "04_training_scenario_cross_dataset"),
    "07": ("01_dataset_construction", "05_neonatal_models"),
    "08": ("07_neonatal_explanations",),
}


class SmokeBook:
    """The book's pages executed under the smoke profile, each at most once per test session (as
    ``python -m painlib run`` executes them).

    ``root`` holds a copy of the book's sources (``_config.yml``, ``_toc.yml``, ``book/``,
    ``benchmarks/RESULTS.md``) and the executed pages in ``root/book/executed``, so the notebook tests check the
    pages and the site test builds and reads that same copy: nothing is executed twice, and the reader's ``book/executed`` and ``_build`` are left alone. Every page shares one
    data folder, as ``python -m painlib run`` does (later chapters read chapter 01's files). It lies under
    ``data/`` and is given relative to the repository, as the default ``data_dir = "data"`` is, so the pages print
    what a reader's build prints.
    """

    def __init__(self, root: Path):
        self.root = root
        self.executed = root / "book" / "executed"
        self.data_dir = f"data/.pytest-smoke-{os.getpid()}"  # relative to the repository, where notebooks run
        self._done: dict[str, Path | BaseException] = {}
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy2(run.ROOT / name, root / name)
        shutil.copytree(run.ROOT / "book", root / "book", ignore=shutil.ignore_patterns("executed", ".*"))
        (root / "benchmarks").mkdir()
        shutil.copy2(run.ROOT / "benchmarks" / "RESULTS.md", root / "benchmarks" / "RESULTS.md")  # a page of the book

    def execute(self, page: str) -> Path:
        """The executed copy of ``page`` (a name from :func:`painlib.run.list_pages`); a failure is raised again
        for every later request, without executing the page a second time."""
        if page not in self._done:
            for needed in NEEDS.get(page[:2], ()):  # the pages whose files this one reads
                self.execute(needed)
            _, notebook, variant = next(p for p in run.list_pages() if p[0] == page)
            try:
                declared = run.declared_parameters(notebook)
                shared = {"data_dir": self.data_dir} if "data_dir" in declared else {}
                shared |= {"executed_dir": self._executed_link()} if "executed_dir" in declared else {}
                params = run.notebook_parameters(run.load_profile("smoke"), notebook, {**variant, **shared})
                self._done[page] = run.execute_notebook(notebook, self.executed, params, page=page, progress=False)
            except Exception as err:
                self._done[page] = err
        done = self._done[page]
        if isinstance(done, BaseException):
            raise done
        return done

    def _executed_link(self) -> str:
        """The executed pages' folder as the page that reads them is told it: through a link under the data
        folder, relative to the repository as a reader's build gives it (a page prints its parameters)."""
        link = run.ROOT / self.data_dir / "executed"
        if not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(self.executed, target_is_directory=True)
        return f"{self.data_dir}/executed"

    def execute_all(self) -> list[Path]:
        return [self.execute(page) for page, _, _ in run.list_pages()]

    def cleanup(self) -> None:
        shutil.rmtree(run.ROOT / self.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def smoke_book(tmp_path_factory):
    """One :class:`SmokeBook` for the session (used by test_notebooks.py and test_site.py)."""
    book = SmokeBook(tmp_path_factory.mktemp("smoke-book"))
    yield book
    book.cleanup()
