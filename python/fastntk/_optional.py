"""The optional libraries, imported where they are used: `import fastntk` needs only
NumPy, threadpoolctl and the compiled core. A missing one is an ImportError that says
which extra installs it."""
from __future__ import annotations

import importlib

# module → the extra of pyproject.toml that installs it (others: pip install the module)
EXTRA = {"matplotlib": "experiments", "tqdm": "experiments", "dask": "distributed", "distributed": "distributed",
         "zarr": "distributed", "torch": "torch", "sklearn": "sklearn"}


def require(module: str, what: str):
    """``module`` imported, or ImportError naming ``what`` needs it and the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        top = module.split(".")[0]
        how = f"'fastntk[{EXTRA[top]}]'" if top in EXTRA else top
        raise ImportError(f"{what} needs {top}: pip install {how}") from e
