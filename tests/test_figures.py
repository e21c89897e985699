"""Every figure of the committed results, rendered at its default size: no two texts (titles,
axis labels, the tick labels drawn) overlap, and no legend covers one (issue 31)."""
import itertools
import json
import os

import pytest

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib not installed: the figures are not drawn")

from fastntk import plots  # noqa: E402
from fastntk.experiments import REGISTRY, _base, _curves, load  # noqa: E402

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
    monkeypatch.setattr(_curves, "save_figure", lambda fig, out, stem: figures.append((stem, fig)) or [])
    with plots.style():
        REGISTRY[cfg["experiment"]].plot(cfg, load(path), str(tmp_path))
        _curves.plot_loss_curves(REGISTRY[cfg["experiment"]], cfg, load(path), str(tmp_path))
    assert figures, f"{name}: no figure drawn"
    for stem, fig in figures:
        clashes = []
        for (a, ba), (b, bb) in itertools.combinations(_drawn_texts(fig), 2):
            width = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            height = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if width > 1 and height > 1:  # a pixel of antialiasing is no overlap
                clashes.append(f"{a!r} / {b!r}")
        assert not clashes, f"{name}/{stem}: overlapping texts: " + "; ".join(clashes[:5])


def test_loss_curves_drawn_from_made_records(tmp_path):
    """Records that kept a curve draw loss_curves (one panel per depth, a colour per σ, the
    runs that did not converge counted apart); records without one draw nothing."""
    exp = REGISTRY["initialization"]
    cfg = {**exp.presets["quick"], "depths": [2, 3], "widths": [50, 50], "sigmas": [1.0, 4.0], "seeds": [0, 1]}
    records = []
    for job in exp.jobs(cfg):
        capped = job["sigma"] == 1.0 and job["seed"] == 1
        steps = [0, 1, 2, 3, 4, 6, 10, 100, 1000]
        records.append(dict(job, status="max_steps" if capped else "converged",
                            curve=dict(step=steps, train_loss=[1.0 / (1 + t) for t in steps])))
    with plots.style():
        paths = _curves.plot_loss_curves(exp, cfg, records, str(tmp_path))
    assert sorted(os.path.basename(p) for p in paths) == ["loss_curves.pdf", "loss_curves.png", "loss_curves.svg"]
    figures = []
    import unittest.mock as mock
    with mock.patch.object(_curves, "save_figure", lambda fig, out, stem: figures.append(fig) or []), plots.style():
        _curves.plot_loss_curves(exp, cfg, records, str(tmp_path))
    (fig,) = figures
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["depth = 2", "depth = 3"], titles
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "sigma = 1: not converged (1)" in labels and "sigma = 1 (1 runs)" in labels and "sigma = 4 (2 runs)" in labels
    texts = _drawn_texts(fig)
    for (a, ba), (b, bb) in itertools.combinations(texts, 2):
        assert not ba.overlaps(bb), (a, b)
    assert _curves.plot_loss_curves(exp, cfg, [{k: v for k, v in r.items() if k != "curve"} for r in records],
                                    str(tmp_path)) == []


def test_loss_curves_of_fixed_step_runs_say_so(tmp_path):
    """A preset without a tolerance (infinite-ensemble's members train a fixed number of steps)
    labels its runs as having trained the preset's steps, not as unconverged, and draws no
    tolerance line; the members' loss curves are drawn per activation."""
    exp = REGISTRY["infinite-ensemble"]
    cfg = dict(exp.presets["quick"], members=[0, 1, 2])
    steps = [0, 1, 2, 5, 10, 100]
    records = [dict(job, status="max_steps", curve=dict(step=steps, train_loss=[1.0 / (1 + t) for t in steps]))
               for job in exp.jobs(cfg) if job["kind"] == "member"]
    figures = []
    import unittest.mock as mock
    with mock.patch.object(_curves, "save_figure", lambda fig, out, stem: figures.append(fig) or []), plots.style():
        _curves.plot_loss_curves(exp, cfg, records, str(tmp_path))
    (fig,) = figures
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["activation = erf: trained the preset's steps (3)",
                      "activation = relu: trained the preset's steps (3)"], labels


def test_loss_curves_drawn_per_round_of_a_path(tmp_path):
    """sigma-selection keeps a curve per round of its σ path: one panel per starting σ, a colour
    per round's σ, the round that did not converge counted apart."""
    exp = REGISTRY["sigma-selection"]
    cfg = dict(exp.presets["quick"], sigma_starts=[8.0, 16.0], seeds=[0, 1])
    steps = [0, 1, 2, 5, 10, 100]
    records = []
    for job in exp.jobs(cfg):
        path = [dict(sigma=job["sigma_start"] / 2 ** i, status="converged" if i < 2 else "max_steps",
                     curve=dict(step=steps, train_loss=[(1 + i) / (1 + t) for t in steps])) for i in range(3)]
        records.append(dict(job, status="converged", path=path))
    figures = []
    import unittest.mock as mock
    with mock.patch.object(_curves, "save_figure", lambda fig, out, stem: figures.append(fig) or []), plots.style():
        _curves.plot_loss_curves(exp, cfg, records, str(tmp_path))
    (fig,) = figures
    assert [ax.get_title() for ax in fig.axes] == ["sigma_start = 8", "sigma_start = 16"]
    labels = fig.axes[1].get_legend_handles_labels()[1]
    assert "round σ = 16 (2 runs)" in labels and "round σ = 4: not converged (2)" in labels, labels
    assert _curves.plot_loss_curves(exp, cfg, [dict(r, path=[{k: v for k, v in p.items() if k != "curve"}
                                                            for p in r["path"]]) for r in records],
                                    str(tmp_path)) == []
