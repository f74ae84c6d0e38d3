"""Progress bars for long work (tqdm), silenced in the published pages.

The runner sets ``PAINLIB_PROGRESS=0`` while papermill executes a notebook, so bars reach the terminal through
the runner's own bar and never the book; interactively they show as usual.
"""

from __future__ import annotations

import os

from tqdm.auto import tqdm


def progress_bar(iterable=None, *, enabled: bool = True, **kwargs) -> tqdm:
    """``tqdm(iterable, **kwargs)``, disabled when ``enabled`` is false or ``PAINLIB_PROGRESS=0``."""
    off = not enabled or os.environ.get("PAINLIB_PROGRESS", "1") == "0"
    return tqdm(iterable, disable=off, **kwargs)
