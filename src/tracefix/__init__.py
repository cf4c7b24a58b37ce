"""tracefix: fix failing Python functions with an LLM that sees the program's runtime behaviour."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tracefix")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
