"""Matplotlib helpers for figures in the papers' style (log axes, error bars)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"nn": "C0", "lin": "C1", "int": "C2", "bound": "0.4", "gd": "C0", "sgd": "C3",
          "adagrad": "C1", "adam": "C2", "rmsprop": "C4", "momentum": "C5"}


def figure(ncols: int = 1, width: float = 4.2, height: float = 3.2):
    plt.rcParams.update({"font.size": 9, "axes.grid": True, "grid.alpha": 0.3, "legend.fontsize": 8})
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, list(axes[0])


def errorbar(ax, x, mean, std, label, color=None, **kw):
    ax.errorbar(x, mean, yerr=std, label=label, color=color, marker="o", ms=3, capsize=2, lw=1.2, **kw)
