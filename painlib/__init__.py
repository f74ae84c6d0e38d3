"""painlib — the helper package behind the pain-face book.

Notebooks call small, plain functions from here; each module owns one stage (see ``book/reading.md``).
"""

from .session import setup

__version__ = "0.1.0"
__all__ = ["setup", "__version__"]
