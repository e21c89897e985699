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
    for r in pe.rows(os.path.join(ROOT, "docs", "results"), 48.5, 30, 50):
        assert r["seconds"] is not None and r["seconds"] > 0, r["name"]
        assert r["floor_seconds"] <= r["seconds"] * (1 + 1e-12), r["name"]
        assert r["jobs"] == len(experiments.REGISTRY[r["name"]].jobs(experiments.resolve_config(r["name"], "paper")))
        assert "never run" not in rows[r["name"]]  # the GPU caveat is stated once, below the table
    assert "never run on a GPU" in out


def test_docs_paper_presets_holds_the_scripts_current_output(capsys):
    # a landed standard run or a changed preset changes the output: rerun the script, paste it
    assert pe.main([]) == 0
    out = capsys.readouterr().out.strip()
    with open(os.path.join(ROOT, "docs", "paper-presets.md"), encoding="utf-8") as f:
        doc = f.read()
    assert out in doc, "docs/paper-presets.md is stale: paste `python bench/paper_estimates.py`'s output"


class _Fake:
    def jobs(self, cfg):
        return [dict(width=m, seed=s) for m in cfg["widths"] for s in cfg["seeds"]]


def _est(pcfg, scfg, records, wall=100.0):
    return pe.estimate("fake", _Fake(), pcfg, scfg, records, wall)["seconds"]


BASE = dict(data="sphere:10", n_train=100, depth=2, widths=[50], seeds=[0], tol=1e-5, max_steps=1000)
RECS = [dict(key='{"seed": 0, "width": 50}', steps=400, steps_tried=400, status="converged")]


def test_same_preset_gives_the_standard_wall_time():
    assert _est(BASE, BASE, RECS) == pytest.approx(100.0)


def test_doubling_n_doubles_a_full_batch_estimate():
    # a differing n_train leaves no counterpart: the cap, here the standard run's 400 steps
    assert _est(dict(BASE, n_train=200, max_steps=400), BASE, RECS) == pytest.approx(200.0)


def test_width_and_job_count_scale_the_estimate():
    # P = d·m + m: a width-100 run costs twice a width-50 one at the same steps; seeds add jobs
    recs = RECS + [dict(RECS[0], key='{"seed": 0, "width": 100}')]
    std = dict(BASE, widths=[50, 100])  # work 400·(1 + 2) units in 100 s
    assert _est(dict(BASE, widths=[100], seeds=[0, 1]), std, recs) == pytest.approx(100.0 * 4 / 3)


def test_missing_setting_takes_the_cap_and_the_floor_the_nearest():
    e = pe.estimate("fake", _Fake(), dict(BASE, widths=[100]), BASE, RECS, 100.0)
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
    assert pe.input_dim("sphere") == 10 and pe.input_dim("gaussian") == 1000 and pe.input_dim("digits") == 64
    with pytest.raises(ValueError, match="'nosuch'"):
        pe.input_dim("nosuch:3")


def test_a_differing_config_value_leaves_no_counterpart():
    assert pe.config_mismatch(dict(BASE, sigma=4.0), dict(BASE, sigma=1.0, max_steps=5000, tol=1e-7,
                                                        preset="paper")) == ["sigma 4 → 1"]
    e = pe.estimate("fake", _Fake(), dict(BASE, sigma=1.0), dict(BASE, sigma=4.0), RECS, 100.0)
    assert e["seconds"] == pytest.approx(100.0 * 1000 / 400)  # the cap, though the keys match
    assert e["floor_seconds"] == pytest.approx(100.0)  # the floor: the same keys' steps
    assert e["sources"] == {"cap (presets' configs differ)": 1} and e["mismatch"] == ["sigma 4 → 1"]


def test_a_sigma_selection_record_is_capped_if_any_round_was():
    rounds = [dict(steps=100, status="converged"), dict(steps=1000, status="max_steps"),
              dict(steps=50, status="converged")]
    capped = dict(path=rounds, status="done")
    clean = dict(path=[dict(r, status="converged") for r in rounds], status="done")
    assert pe.is_capped("sigma-selection", capped, 1150, 1000 * 6)
    assert not pe.is_capped("sigma-selection", clean, 1150, 1000 * 6)
    # and a capped record sends the paper run to its cap (same config: the keys match)
    cfg = dict(BASE, shrink=0.5, max_rounds=6)
    recs = [dict(key='{"seed": 0, "width": 50}', **capped)]
    e = pe.estimate("sigma-selection", _Fake(), cfg, cfg, recs, 100.0)
    assert e["sources"] == {"cap (standard hit its cap)": 1}
    assert e["seconds"] == pytest.approx(100.0 * 6000 / 1150)


def test_trained_confusion_runs_cap_at_the_longer_of_steps_and_epochs():
    cfg = dict(max_steps=1000, epochs=200, n_train=300, batch_size=10)
    assert pe.cap(cfg, dict(stage="trained")) == 200 * 30
    assert pe.cap(dict(cfg, max_steps=10000), dict(stage="trained")) == 10000
    assert pe.cap(cfg, dict(stage="init")) == 0
