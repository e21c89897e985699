"""Every figure of the committed results, rendered at its default size: no two texts (titles,
axis labels, the tick labels drawn) overlap, and no legend covers one (issue 31)."""
import itertools
import json
import os

import pytest

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib not installed: the figures are not drawn")

from fastntk import plots  # noqa: E402
from fastntk.experiments import REGISTRY, _base, load  # noqa: E402

RESULTS = os.path.join(os.path.dirname(__file__), "..", "docs", "results")
NAMES = sorted(d for d in os.listdir(RESULTS) if os.path.isfile(os.path.join(RESULTS, d, "config.json")))


def _drawn_texts(fig):
    """(text, its window extent) of every text the figure draws."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    items = list(fig.texts)
    for ax in fig.axes:
        items += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = sorted(lim)
            slack = (hi - lo) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if lo - slack <= tick.get_loc() <= hi + slack:  # ticks outside the view are not drawn
                    items += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    out = []
    for t in items:
        if t.get_visible() and t.get_text().strip():
            box = t.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                out.append((t.get_text(), box))
    # A legend is one box: its frame may cover no other text.
    out += [(f"legend of {ax.get_title()!r}", ax.get_legend().get_window_extent(renderer))
            for ax in fig.axes if ax.get_legend() is not None]
    return out


@pytest.mark.parametrize("name", NAMES)
def test_no_texts_overlap(name, monkeypatch, tmp_path):
    figures = []
    monkeypatch.setattr(_base, "save_figure", lambda fig, out, stem: figures.append((stem, fig)) or [])
    for module in {type(e).__module__ for e in REGISTRY.values()}:
        monkeypatch.setattr(f"{module}.save_figure", lambda fig, out, stem: figures.append((stem, fig)) or [],
                            raising=False)
    path = os.path.join(RESULTS, name)
    with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    with plots.style():
        REGISTRY[cfg["experiment"]].plot(cfg, load(path), str(tmp_path))
    assert figures, f"{name}: no figure drawn"
    for stem, fig in figures:
        clashes = []
        for (a, ba), (b, bb) in itertools.combinations(_drawn_texts(fig), 2):
            width = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            height = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if width > 1 and height > 1:  # a pixel of antialiasing is no overlap
                clashes.append(f"{a!r} / {b!r}")
        assert not clashes, f"{name}/{stem}: overlapping texts: " + "; ".join(clashes[:5])
