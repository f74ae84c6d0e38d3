"""Execute the book's notebooks with papermill under a profile, then build the HTML book.

Command line (also installed as ``painbook``)::

    python -m painlib run --profile cpu                       # every notebook, then the book
    python -m painlib run --profile smoke --only 00_synthetic_faces -p n_subjects_cp=8
    python -m painlib build                                   # the book from already-executed notebooks

Profiles are YAML files (``painlib/profiles/*.yml`` or any path): ``defaults`` apply to every notebook, and
a section per notebook overrides them. ``-p key=value`` overrides both; values are read as YAML, so
``-p epochs=3`` is an integer and ``-p data_root=null`` is None. A parameter a notebook does not declare is
an error, not silently ignored.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "book" / "executed"
PROFILES = Path(__file__).resolve().parent / "profiles"


class NotebookError(RuntimeError):
    """A notebook failed; the message names the notebook, the cell and the error."""


def list_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """Notebooks in reading order (``NN_topic.ipynb``)."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def notebook_variants(notebook: Path) -> dict[str, dict]:
    """The pages one notebook makes, in reading order: ``{variant: parameters}`` from its metadata
    ``painlib.variants``, a list of ``{"name": …, "parameters": {…}}`` (e.g. one training notebook executed once
    per scenario), or ``{}`` for a notebook that makes one page."""
    import nbformat

    variants = nbformat.read(notebook, as_version=4).metadata.get("painlib", {}).get("variants", [])
    ok = isinstance(variants, list) and all(
        isinstance(v, dict) and isinstance(v.get("name"), str) and isinstance(v.get("parameters"), dict)
        for v in variants
    )
    if not ok:
        raise ValueError(f'{notebook.name}: metadata painlib.variants must be a list of {{"name", "parameters"}}')
    return {v["name"]: v["parameters"] for v in variants}


def list_pages(notebooks: list[Path] | None = None) -> list[tuple[str, Path, dict]]:
    """Every page the book is built from, in reading order: ``(page name, notebook, variant parameters)``; a
    notebook with variants gives one page ``<stem>_<variant>`` per variant."""
    pages = []
    for nb in list_notebooks() if notebooks is None else notebooks:
        variants = notebook_variants(nb)
        pages += [(f"{nb.stem}_{name}", nb, params) for name, params in variants.items()] or [(nb.stem, nb, {})]
    return pages


def load_profile(profile: str | Path) -> dict:
    """Read a profile by name (``smoke``, ``cpu``, ``paper``) or by path."""
    path = Path(profile)
    if not path.suffix:
        path = PROFILES / f"{profile}.yml"
    if not path.is_file():
        names = sorted(p.stem for p in PROFILES.glob("*.yml"))
        raise FileNotFoundError(f"no profile {profile!r}; built-in profiles: {names}, or give a YAML path")
    data = yaml.safe_load(path.read_text()) or {}
    unknown = set(data) - {"defaults", "notebooks", "description"}
    if unknown:
        raise ValueError(f"profile {path} has unknown sections {sorted(unknown)}; expected defaults, notebooks")
    data.setdefault("defaults", {})
    data.setdefault("notebooks", {})
    data["name"] = path.stem
    return data


def parse_overrides(items: list[str] | None) -> dict:
    """``["epochs=3", "data_root=null"]`` → ``{"epochs": 3, "data_root": None}``."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"override {item!r} is not of the form key=value")
        key, value = item.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out


def declared_parameters(notebook: Path) -> dict:
    """Parameters declared in the notebook's ``parameters`` cell (papermill's own parser).

    Papermill skips, with only a log line, an assignment it cannot parse (for example one whose comment holds
    an ``=``); such a parameter could then never be set, so it is an error here.
    """
    import ast

    import nbformat
    import papermill as pm

    found = dict(pm.inspect_notebook(str(notebook)))
    cells = nbformat.read(notebook, as_version=4).cells
    source = next((c.source for c in cells if "parameters" in c.metadata.get("tags", [])), "")
    assigned = [
        t.id
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    ]
    missed = [name for name in assigned if name not in found]
    if missed:
        raise ValueError(
            f"{notebook.name}: papermill cannot parse parameter(s) {missed}; write each as one line "
            "`name = literal  # comment` without '=' in the comment"
        )
    return found


#: Allowed ranges of parameters, in one place: name (or a name ending in ``_``, a prefix) → (lowest, highest),
#: ``None`` for no bound. Checked for every selected notebook before any of them runs.
PARAMETER_RANGES: dict[str, tuple[float | None, float | None]] = {
    "seed": (0, None),
    "split_seed": (-1, None),  # chapter 05: -1 draws the folds with `seed`
    "epochs": (1, None),
    "folds": (2, None),
    "repeats": (1, None),
    "image_size_px": (48, None),
    "input_size_px": (0, None),  # 0: each model's own input size
    "face_size_px": (16, None),
    "frames_per_class": (1, None),
    "n_subjects_": (1, None),
    "n_raters": (2, None),
    "n_jobs": (-1, None),
    "margin": (0, None),
    "min_confidence": (0, 1),
    "noise": (0, None),
    "injection_noise": (0, None),
    "stretching_noise": (0, None),
    "other_noise": (0, None),
    "noise_levels": (0, None),
    "learning_rate": (0, None),
    "max_train_images": (0, None),
    "n_workers": (1, None),
    "validation_share": (0, 0.5),  # chapter 04: 0 keeps the paper's threshold
    "03_models_and_learning_rate.validation_share": (0.05, 0.34),
    "alpha": (0.001, 0.2),
    "learning_rates": (0, None),
    "batch_size": (1, None),
    "copies": (0, None),
    "vggface_input_px": (32, None),
    "ncnn_input_px": (20, None),
    "vggface_max_epochs": (1, None),
    "vggface_fine_tune_epochs": (0, None),
    "ncnn_max_epochs": (1, None),
    "vggface_patience": (0, None),  # 0: the dissertation's
    "ncnn_patience": (0, None),
    "images_per_group": (1, None),
    "n_samples": (2, None),
    "n_segments": (2, None),
    "explain_px": (32, None),
    "template_px": (32, None),
    "n_neonates": (1, None),
    "ig_steps": (1, None),
    "ig_baseline": (0, 255),
    "lime_samples": (0, None),
    "lime_segments": (2, None),
    "experts": (1, None),
    "parents": (1, None),
    "seconds_per_image": (0.1, None),
    "min_fixation_ms": (0, None),
    "min_valid_share": (0, 1),
    "gaze_sigma": (0.001, 0.5),
}


def _range_for(name: str, notebook: str = "") -> tuple[float | None, float | None] | None:
    for key in (f"{notebook}.{name}", name):
        if key in PARAMETER_RANGES:
            return PARAMETER_RANGES[key]
    return next((r for key, r in PARAMETER_RANGES.items() if key.endswith("_") and name.startswith(key)), None)


def _type_name(value) -> str:
    return {bool: "true/false", int: "an integer", float: "a number", str: "text", list: "a list"}.get(
        type(value), type(value).__name__
    )


def _check_parameter(notebook: str, name: str, value, default):
    """Return ``value`` if it suits parameter ``name`` of ``notebook`` (declared with ``default``), else raise
    ``ValueError`` naming both: the type must match the default's (an integer is accepted for a number, ``None``
    for text), and the value must lie in :data:`PARAMETER_RANGES`."""
    where = f"parameter {name!r} of {notebook}"
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    if isinstance(default, list) and default and isinstance(value, list) and not value:
        raise ValueError(f"{where} must not be empty (default {default!r})")
    if default is not None and value is not None:
        ok = (
            isinstance(value, bool)
            if isinstance(default, bool)
            else (isinstance(value, int) and not isinstance(value, bool))
            if isinstance(default, int)
            else (isinstance(value, int | float) and not isinstance(value, bool))
            if isinstance(default, float)
            else isinstance(value, type(default))
        )
        if not ok:
            raise ValueError(f"{where} must be {_type_name(default)} (default {default!r}), got {value!r}")
        if isinstance(default, list) and default:
            for item in value:
                _check_parameter(notebook, name, item, default[0])
            return value
    elif value is None and default is not None and not isinstance(default, str):
        raise ValueError(f"{where} must be {_type_name(default)} (default {default!r}), got None")
    bounds = _range_for(name, notebook)
    if bounds and isinstance(value, int | float) and not isinstance(value, bool):
        low, high = bounds
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"between {low} and {high}"
            raise ValueError(f"{where} must be {span}, got {value!r}")
    return value


def _split_overrides(overrides: dict | None) -> tuple[dict, dict[str, dict]]:
    """``{"epochs": 3, "00_synthetic_faces.folds": 2}`` → ``({"epochs": 3}, {"00_synthetic_faces": {"folds": 2}})``.

    A key ``<notebook>.<name>`` (the notebook's stem or its number, e.g. ``00.epochs``) sets one notebook only.
    """
    common, per_notebook = {}, {}
    for key, value in (overrides or {}).items():
        if "." in key:
            notebook, name = key.split(".", 1)
            per_notebook.setdefault(notebook, {})[name] = value
        else:
            common[key] = value
    return common, per_notebook


def notebook_parameters(
    profile: dict, notebook: Path, overrides: dict | None = None, declared: dict | None = None
) -> dict:
    """The parameters a notebook receives: profile defaults, its own section, then overrides — checked.

    Only parameters the notebook declares are passed. Overrides given here must all be declared (see
    :func:`plan` for overrides spread over several notebooks); every value is checked by :func:`_check_parameter`.
    """
    import ast

    declared = declared_parameters(notebook) if declared is None else declared
    section = profile["notebooks"].get(notebook.stem, {})
    stray = [k for k in section if k not in declared]
    if stray:
        raise ValueError(f"profile {profile['name']!r} sets {stray} for {notebook.name}, which does not declare them")
    for key in overrides or {}:
        if key not in declared:
            raise ValueError(f"{notebook.name} has no parameter {key!r}; it declares {sorted(declared)}")
    merged = {**profile["defaults"], **section, **(overrides or {}), "profile": profile["name"]}
    params = {k: v for k, v in merged.items() if k in declared}
    for key, value in params.items():
        _check_parameter(notebook.stem, key, value, ast.literal_eval(declared[key]["default"]))
    for key in set(overrides or {}) & set(NETWORK_PARAMETERS):
        _check_networks(notebook.stem, key, params[key])
    return params


#: Parameters that name networks, checked against painlib.models when a user sets them (the profiles' own
#: values are checked by the tests), so that a misspelt name stops the run before anything trains.
NETWORK_PARAMETERS = ("models", "sweep_models", "control")


def _check_networks(notebook: str, name: str, value) -> None:
    from .models import MODELS  # imports Keras: only when a user names networks

    names = [value] if isinstance(value, str) else list(value)
    unknown = [n for n in names if n and n not in MODELS]
    if unknown:
        raise ValueError(f"parameter {name!r} of {notebook} names unknown networks {unknown}; known: {sorted(MODELS)}")


def plan(profile: dict, notebooks: list[Path], overrides: dict | None = None) -> list[tuple[str, Path, dict]]:
    """Resolve and check the parameters of every page before any runs: ``[(page, notebook, parameters), …]``.

    A plain override (``epochs=3``) goes to each selected notebook that declares it and must be declared by at
    least one; ``<notebook>.<name>=value`` goes to that notebook only. A notebook with variants
    (:func:`notebook_variants`) gives one page per variant, whose parameters no override may change. All
    problems are reported together.
    """
    common, per_notebook = _split_overrides(overrides)
    declared = {nb: declared_parameters(nb) for nb in notebooks}
    problems = []
    unused = [k for k in common if not any(k in d for d in declared.values())]
    if unused:
        problems.append(f"no selected notebook declares {unused} ({', '.join(nb.stem for nb in notebooks)})")
    for key in per_notebook:
        if not any(nb.stem == key or nb.stem.startswith(key + "_") for nb in notebooks):
            problems.append(f"override for {key!r} names no selected notebook")
    out = []
    for page, nb, variant in list_pages(notebooks):
        own = {k: v for k, v in common.items() if k in declared[nb]}
        named = {}  # parameter → (how the override named this notebook, value), to catch two that disagree
        for key, values in per_notebook.items():
            if nb.stem == key or nb.stem.startswith(key + "_"):
                for name, value in values.items():
                    if name in named and named[name][1] != value:
                        first, earlier = named[name]
                        clash = f"{nb.stem}: {first}.{name}={earlier!r} and {key}.{name}={value!r} disagree"
                        problems += [clash] if clash not in problems else []  # once per notebook, not per page
                    named[name] = (key, value)
                own.update(values)
        fixed = sorted(set(own) & set(variant))
        if fixed:
            problems.append(f"{page}: {fixed} are set by the page itself (variant of {nb.name}); select pages instead")
            continue
        try:
            out.append((page, nb, notebook_parameters(profile, nb, {**variant, **own}, declared[nb])))
        except ValueError as err:
            problems.append(f"{page}: {err}" if variant else str(err))
    if problems:
        raise ValueError("; ".join(problems))
    return out


def variant_of(notebook: Path, page: str) -> str | None:
    """The variant name of ``page`` (``04_training_scenario_image_wise`` → ``image_wise``), ``None`` for a
    notebook's only page."""
    return page[len(Path(notebook).stem) + 1 :] or None


def execute_notebook(
    notebook: Path,
    out_dir: Path,
    parameters: dict,
    *,
    progress: bool = True,
    page: str | None = None,
) -> Path:
    """Execute one notebook with papermill into ``out_dir/<page>.ipynb`` (``page`` defaults to the notebook's
    name); raise :class:`NotebookError` on failure."""
    import papermill as pm
    from nbclient.exceptions import DeadKernelError

    out_dir.mkdir(parents=True, exist_ok=True)
    page = page or notebook.stem
    output = out_dir / f"{page}.ipynb"
    partial = out_dir / f".{page}.running.ipynb"
    # Two settings of the kernel's process, not data: progress bars belong in the terminal (the runner shows one
    # per notebook), not in the published pages, and painlib's log lines go to a file beside the page (see
    # painlib.progress and painlib.session). Everything a page computes with comes in as a parameter.
    previous = {k: os.environ.get(k) for k in ("PAINLIB_PROGRESS", "PAINLIB_LOG_FILE")}
    log_file = out_dir / f"{page}.log"
    log_file.unlink(missing_ok=True)
    kernel_log = out_dir / f"{page}.kernel.log"
    os.environ["PAINLIB_PROGRESS"] = "0"
    os.environ["PAINLIB_LOG_FILE"] = str(log_file)
    try:
        pm.execute_notebook(
            with_provenance(notebook, time.time(), variant=variant_of(notebook, page)),
            str(partial),
            parameters=parameters,
            cwd=str(ROOT),
            kernel_name="python3",
            progress_bar=progress,
            request_save_on_cell_execute=False,
            kernel_manager_class=_kernel_writing_to(kernel_log),
        )
    except pm.PapermillExecutionError as err:
        number, first_line = _source_cell(partial, err.cell_index, notebook)
        raise NotebookError(
            f"{page if page != notebook.stem else notebook.name} failed in cell {number} (`{first_line}`): "
            f"{err.ename}: {err.evalue}\nPartial output kept at {partial}"
        ) from None
    except DeadKernelError as err:  # the process's last words are in its own log
        last = kernel_log.read_text(errors="replace").strip().splitlines()[-5:] if kernel_log.is_file() else []
        raise NotebookError(
            f"{page}: the kernel stopped ({err}); its last lines, from {kernel_log}:\n" + "\n".join(last)
        ) from None
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _show_warnings(log_file)
    show_parameters_used(partial)
    partial.replace(output)  # the executed copy appears only once complete
    return output


def cells_for_page(nb, variant: str | None):
    """``nb`` without the cells meant for other pages: a cell whose metadata ``painlib.pages`` lists variant names
    appears only on those pages of a notebook with variants (e.g. one training page holds the chapter's
    exercises). Raises ``ValueError`` for a name the notebook's variants do not have."""
    names = {v["name"] for v in nb.metadata.get("painlib", {}).get("variants", [])}
    kept = []
    for cell in nb.cells:
        pages = cell.metadata.get("painlib", {}).get("pages")
        if pages is not None and (not isinstance(pages, list) or set(pages) - names):
            raise ValueError(
                f"cell {cell.get('id')}: metadata painlib.pages {pages!r} names no page of {sorted(names)}"
            )
        if pages is None or variant in pages:
            kept.append(cell)
    nb.cells = kept
    return nb


def with_provenance(notebook: Path, started: float, variant: str | None = None):
    """The notebook as ``variant``'s page (:func:`cells_for_page`) with two cells appended: a heading and a cell
    (its code hidden on the page) that shows :func:`painlib.provenance.provenance` for the page's parameters,
    ``started`` being when execution began."""
    import ast

    import nbformat

    nb = cells_for_page(nbformat.read(notebook, as_version=4), variant)
    declared = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    names = []
    if declared is not None:
        for node in ast.parse(declared.source).body:
            if isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    heading = nbformat.v4.new_markdown_cell(
        "## Provenance\n\nHow this page was made: the code, the settings, the software, the machine and the data."
    )
    values = "{name: globals()[name] for name in " + repr(names) + "}"
    cell = nbformat.v4.new_code_cell(  # shown whole: pandas would cut the parameters and packages at 50 characters
        "import pandas as pd\nfrom IPython.display import display\n\nfrom painlib.provenance import provenance\n\n"
        f'with pd.option_context("display.max_colwidth", None):\n    display(provenance({values}, started={started!r}))'
    )
    cell.metadata["tags"] = ["remove-input"]
    heading.id, cell.id = "provenance-heading", "provenance"
    nb.cells += [heading, cell]
    return nb


def show_parameters_used(executed: Path) -> None:
    """Make an executed notebook show one parameters cell, holding the values the page ran with.

    Papermill inserts an ``injected-parameters`` cell after the declared ``parameters`` cell, so a page would
    show two cells with different subsets (and the declared one with values that were overridden). Here each
    assignment of the declared cell takes the value that was injected (its comment is kept), and the injected
    cell is tagged ``remove-cell`` so the book leaves it out; the notebook file keeps both cells.
    """
    import ast

    import nbformat

    nb = nbformat.read(executed, as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    declared = next((c for c, t in zip(nb.cells, tags, strict=True) if "parameters" in t), None)
    injected = next((c for c, t in zip(nb.cells, tags, strict=True) if "injected-parameters" in t), None)
    if injected is None:
        return
    injected.metadata["tags"] = [*injected.metadata.get("tags", []), "remove-cell"]
    if declared is not None:
        values = {}
        for node in ast.parse(injected.source).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                values[node.targets[0].id] = ast.get_source_segment(injected.source, node.value)
        lines = declared.source.splitlines(keepends=True)
        for node in reversed(ast.parse(declared.source).body):  # from the end, so earlier offsets stay valid
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
            if isinstance(target, ast.Name) and target.id in values and node.lineno == node.value.end_lineno:
                line = lines[node.lineno - 1].encode()
                start, end = node.value.col_offset, node.value.end_col_offset  # byte offsets
                lines[node.lineno - 1] = (line[:start] + values[target.id].encode() + line[end:]).decode()
        declared.source = "".join(lines)
    nbformat.write(nb, executed)


def _kernel_writing_to(path: Path):
    """A kernel manager whose kernel process writes its own stdout and stderr to ``path``.

    A cell's output reaches the page through the kernel's messages, not through these streams; what the process
    writes there directly is ipykernel's start-up notices, and, when a run is interrupted, the tracebacks of a
    kernel and its worker processes shutting down mid-cell, which would bury the runner's one-line message.
    """
    from jupyter_client.manager import AsyncKernelManager

    class KernelWithLog(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            with open(path, "ab") as stream:  # the kernel keeps its own copy of the descriptor
                kw.update(stdout=stream, stderr=stream)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return KernelWithLog


def _show_warnings(log_file: Path) -> None:
    """Print the warnings a page logged (its log file is kept beside the executed copy)."""
    if not log_file.is_file():
        return
    warnings = [line for line in log_file.read_text().splitlines() if line.startswith(("WARNING", "ERROR"))]
    for line in warnings:
        print(f"  {line}", file=sys.stderr)


def _source_cell(executed: Path, index: int, source: Path) -> tuple[int, str]:
    """1-based number of a cell in the *source* notebook (papermill inserts a cell, and a variant page leaves out
    cells meant for other pages; see :func:`cells_for_page`) and its first line."""
    import nbformat

    cells = [  # as papermill counted them: without the error cells it adds once a cell failed
        c
        for c in nbformat.read(executed, as_version=4).cells
        if "papermill-error-cell-tag" not in c.metadata.get("tags", [])
    ]
    failed = cells[index]
    ids = [c.get("id") for c in nbformat.read(source, as_version=4).cells]
    if failed.get("id") in ids:
        number = ids.index(failed.get("id")) + 1
    else:  # an executed copy without the source's cell ids: count the cells papermill inserted
        number = index - sum("injected-parameters" in c.metadata.get("tags", []) for c in cells[:index]) + 1
    first = next((line for line in failed.source.splitlines() if line.strip()), "")
    return number, first[:80]


def build_book(*, strict: bool = True, source: Path = ROOT) -> Path:
    """Build the HTML book from ``book/`` and the executed notebooks into ``source/_build/html``; return its index
    page. ``strict`` (the default) turns every Sphinx warning into an error (``-W -n --keep-going``).

    ``source`` is the folder holding ``_config.yml``, ``_toc.yml`` and ``book/`` with ``book/executed/`` (the
    test suite builds a copy of the sources there, leaving the reader's ``_build`` alone).
    """
    source = Path(source)
    missing = [page for page, _, _ in list_pages() if not (source / "book" / "executed" / f"{page}.ipynb").exists()]
    if missing:
        raise FileNotFoundError(f"not executed yet: {missing}; run `python -m painlib run` first")
    # The console script installed beside this interpreter, so the book builds with the same environment.
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(source), "--path-output", str(source)]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    log.info("building the book: %s", " ".join(cmd))
    done = subprocess.run(cmd, cwd=source)
    if done.returncode:
        raise RuntimeError(f"jupyter-book build failed (exit {done.returncode}); see the messages above")
    return source / "_build" / "html" / "index.html"


def run(
    profile: str = "cpu",
    *,
    only: list[str] | None = None,
    overrides: dict | None = None,
    build: bool = True,
    out_dir: Path = EXECUTED,
    progress: bool = True,
) -> list[Path]:
    """Execute the notebooks (all, or those whose name starts with one of ``only``) into ``out_dir`` and build
    the book. A notebook that declares ``executed_dir`` (the page that reads the other pages) is told ``out_dir``."""
    prof = load_profile(profile)
    notebooks = list_notebooks()
    if only:
        pages = {page: nb for page, nb, _ in list_pages()}
        wanted = {p for p in pages if any(p.startswith(o) or o in (f"{p}.ipynb", pages[p].name) for o in only)}
        if not wanted:
            raise ValueError(f"no notebook matches {only}; available: {list(pages)}")
        notebooks = [nb for nb in notebooks if nb in set(pages[p] for p in wanted)]
    planned = plan(prof, notebooks, overrides)
    if only:
        planned = [item for item in planned if item[0] in wanted]
    outputs = []
    for i, (page, nb, params) in enumerate(planned, 1):
        if "executed_dir" in declared_parameters(nb):  # relative to the repository when inside it, as pages print it
            where = Path(out_dir).resolve()
            params = {**params, "executed_dir": str(where.relative_to(ROOT) if where.is_relative_to(ROOT) else where)}
        print(f"[{i}/{len(planned)}] {page} — profile {prof['name']}", flush=True)
        t0 = time.perf_counter()
        outputs.append(execute_notebook(nb, Path(out_dir), params, progress=progress, page=page))
        print(f"[{i}/{len(planned)}] {page} done in {time.perf_counter() - t0:.0f} s", flush=True)
    if build:
        index = build_book()
        print(f"book built: {index}")
    return outputs


def _has_gpu() -> bool:
    return (
        shutil.which("nvidia-smi") is not None
        and subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="painbook", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="execute notebooks under a profile, then build the book")
    r.add_argument("--profile", default=None, help="smoke, cpu, paper or a YAML path (default: cpu)")
    r.add_argument("--only", nargs="+", help="notebook names or prefixes, e.g. 00 or 00_synthetic_faces")
    r.add_argument("-p", "--param", action="append", metavar="KEY=VALUE", help="override a parameter")
    r.add_argument("--no-build", action="store_true", help="execute only; do not build the book")
    r.add_argument("--out-dir", default=str(EXECUTED), help="where executed notebooks go")
    sub.add_parser("build", help="build the book from executed notebooks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("papermill").setLevel(logging.WARNING)  # "Input Notebook: …" per inspection
    try:
        if args.command == "build":
            print(f"book built: {build_book()}")
            return 0
        profile = args.profile or "cpu"
        if args.profile is None and _has_gpu():
            print("A GPU is present; `--profile paper` runs the studies' full protocol on it.")
        run(
            profile,
            only=args.only,
            overrides=parse_overrides(args.param),
            build=not args.no_build,
            out_dir=Path(args.out_dir),
        )
    except (NotebookError, FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # The kernel writes to its own log (see _kernel_writing_to); asyncio would still log the cell's abandoned
        # task with pages of traceback. Nothing is lost, since every stage keeps its finished work (result
        # store, face cache, synthetic images) and the executed copy appears only when done.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)
        print("\ninterrupted; finished runs are kept — run again to resume", file=sys.stderr)
        return 130
    return 0
