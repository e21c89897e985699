"""bench/paper_estimates.py: the table covers every paper preset, and its scaling model."""
import importlib.util
import os

import pytest

from fastntk import experiments

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def _load():
    spec = importlib.util.spec_from_file_location("paper_estimates", os.path.join(ROOT, "bench", "paper_estimates.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


pe = _load()


def test_table_lists_every_paper_preset_with_a_positive_estimate(capsys):
    assert pe.main([]) == 0
    out = capsys.readouterr().out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines()
            if line.startswith("| ") and not line.startswith("| experiment")}
    names = [n for n, e in experiments.REGISTRY.items() if "paper" in e.presets]
    assert names and set(rows) == set(names)
    for r in pe.rows(os.path.join(ROOT, "docs", "results"), 97, 30, 50):
        assert r["seconds"] is not None and r["seconds"] > 0, r["name"]
        assert r["floor_seconds"] <= r["seconds"] * (1 + 1e-12), r["name"]
        assert r["jobs"] == len(experiments.REGISTRY[r["name"]].jobs(experiments.resolve_config(r["name"], "paper")))
        assert "never run" not in rows[r["name"]]  # the GPU caveat is stated once, below the table
    assert "never run on a GPU" in out


class _Fake:
    def __init__(self, widths):
        self.widths = widths

    def jobs(self, cfg):
        return [dict(width=m, seed=s) for m in cfg["widths"] for s in cfg["seeds"]]


def _est(pcfg, scfg, records, wall=100.0):
    return pe.estimate("fake", _Fake(None), pcfg, scfg, records, wall)["seconds"]


BASE = dict(data="sphere:10", n_train=100, depth=2, widths=[50], seeds=[0], tol=1e-5, max_steps=1000)
RECS = [dict(key='{"seed": 0, "width": 50}', steps=400, steps_tried=400, status="converged")]


def test_same_preset_gives_the_standard_wall_time():
    assert _est(BASE, BASE, RECS) == pytest.approx(100.0)


def test_doubling_n_doubles_a_full_batch_estimate():
    assert _est(dict(BASE, n_train=200), BASE, RECS) == pytest.approx(200.0)


def test_width_and_job_count_scale_the_estimate():
    # P = d·m + m: a width-100 run costs twice a width-50 one at the same steps; seeds add jobs
    recs = RECS + [dict(RECS[0], key='{"seed": 0, "width": 100}')]
    std = dict(BASE, widths=[50, 100])  # work 400·(1 + 2) units in 100 s
    assert _est(dict(BASE, widths=[100], seeds=[0, 1]), std, recs) == pytest.approx(100.0 * 4 / 3)


def test_missing_setting_takes_the_cap_and_the_floor_the_nearest():
    e = pe.estimate("fake", _Fake(None), dict(BASE, widths=[100]), BASE, RECS, 100.0)
    # no width-100 run in the standard: 1000 steps (the cap) at twice the P
    assert e["seconds"] == pytest.approx(100.0 * 2 * 1000 / 400)
    assert e["floor_seconds"] == pytest.approx(200.0)


def test_capped_or_tighter_standard_runs_take_the_paper_cap():
    capped = [dict(RECS[0], steps=1000, steps_tried=1000, status="max_steps")]
    assert _est(dict(BASE, max_steps=5000), BASE, capped) == pytest.approx(500.0)
    assert _est(dict(BASE, tol=1e-7), BASE, RECS) == pytest.approx(250.0)


def test_params_and_input_dim():
    assert pe.params(784, 100, 2) == 784 * 100 + 100
    assert pe.params(10, 100, 3) == 10 * 100 + 100 * 100 + 100
    assert pe.input_dim("mnist") == 784 and pe.input_dim("sphere:16") == 16 and pe.input_dim("bump") == 2
