"""Matplotlib helpers for figures in the papers' style (log axes, error bars).

Figures are :class:`matplotlib.figure.Figure` objects, drawn under :func:`style` and
saved by format: nothing here touches pyplot or matplotlib's global state (its
backend, its rcParams), so a notebook's plotting stays as it was."""
from __future__ import annotations

from ._optional import require

COLORS = {"nn": "C0", "lin": "C1", "int": "C2", "bound": "0.4", "gd": "C0", "sgd": "C3",
          "adagrad": "C1", "adam": "C2", "rmsprop": "C4", "momentum": "C5"}
STYLE = {"font.size": 9, "axes.grid": True, "grid.alpha": 0.3, "legend.fontsize": 8}

# matplotlib is imported by the functions that draw, not here: the command line and the
# experiments' registry load this module without paying for it.


def style():
    """The figures' style for the drawing in a ``with`` block (restored after it)."""
    return require("matplotlib", "drawing the figures").rc_context(STYLE)


def viridis(x: float):
    """The colour at x ∈ [0, 1] of the viridis map."""
    from matplotlib import colormaps
    return colormaps["viridis"](x)


def figure(ncols: int = 1, width: float = 4.2, height: float = 3.2, nrows: int = 1):
    """A figure of nrows × ncols panels, each width × height inches; the axes row by row."""
    from matplotlib.figure import Figure
    # Constrained layout keeps the axes' labels, ticks and titles apart (tests/test_figures.py).
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, list(axes.ravel())


def errorbar(ax, x, mean, std, label, color=None, **kw):
    ax.errorbar(x, mean, yerr=std, label=label, color=color, marker="o", ms=3, capsize=2, lw=1.2, **kw)
