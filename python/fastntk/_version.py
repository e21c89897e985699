"""The package's version, in a leaf module: ``fastntk.__version__``, ``show_config``, the
tile store's metadata and the build (pyproject.toml reads this line) take it from here."""
__version__ = "0.1.0"
