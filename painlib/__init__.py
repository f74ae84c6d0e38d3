"""painlib — the helper package behind the pain-face book.

Notebooks call small, plain functions from here; each module owns one stage (see ``book/reading.md``).
"""

import os
import warnings

# Before anything imports TensorFlow (painlib.models imports Keras): its C++ start-up notices would otherwise
# be written straight to the notebook's output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# tqdm.auto falls back to text bars when ipywidgets is absent; its warning says nothing a reader can act on.
warnings.filterwarnings("ignore", message="IProgress not found")

from .session import setup  # noqa: E402

__version__ = "0.1.0"
__all__ = ["setup", "__version__"]
