"""004 Sect. 4 (Figs. 9–11): one-hidden-layer ReLU classifiers of growing width on scikit-learn's
synthetic binary data — the gap between training and validation error over 95:5 splits (Fig. 9),
and the validation loss and accuracy over the epochs by width (Figs. 10–11).

004's own setting where it states one: n = 10,000 samples of d = 20 features from scikit-learn's
generator, "the majority of d parameters don't predict output and act as noise" (make_classification's
defaults: 2 informative, 2 redundant, 16 noise features), 95:5 training–validation splits, 2-layer nets
(one hidden layer) of widths up to m = 10,000, Fig. 9 at m = 1000 over 20 trials of 1000 epochs, Figs.
10–11 the first 10 and 2000 epochs. Where it states none, fastntk takes the defaults of the framework
004 says it used ("basic TensorFlow functions", its Sect. 2): a Keras Dense layer's Glorot-uniform
weights and zero biases (biases trained), a sigmoid output with the binary cross-entropy (fastntk's
logistic loss on labels {0, 1}), Adam at Keras's 10⁻³ with β = (0.9, 0.999) and ε = 10⁻⁷, mini-batches
of 32 reshuffled every epoch (the last one short: 9500 = 296·32 + 28), float32, widths 10, 100, 1000 and
10,000 (004's other experiments'). fastntk's Adam is PyTorch's, θ −= η·m̂/(√v̂ + ε); Keras's adds ε to
√v before the bias correction of v̂ (an ε scaled by √(1 − β₂ᵗ)): the two differ only where √v̂ is
within a few ε. Keras computes the binary cross-entropy of a sigmoid Dense output from its logits
(tf.keras 2, and Keras 3 on its TensorFlow backend), unclipped as fastntk's logistic loss; older
versions and other backends clipped the
probability to [10⁻⁷, 1 − 10⁻⁷] (with ε inside the logs a sample's loss at most 15.4), so the validation
loss is recorded both
ways and the clipped one reported beside. The errors are 1 − accuracy at the sigmoid's 0.5 (the logit's
sign). The claims are indexed by epochs, so the rows compare the widths at equal epochs, as 004 does,
not at equal training loss; each row gives the widths' training losses at the epochs it reads.

The records are per epoch, at its end: the training loss on the whole training set, the validation
loss and error on the 5 % split, and the training error on 1000 training points drawn once per seed
(the same points for every width of the seed, so that the widths' differences are paired; the error
on the whole training set at the last epoch comes from the final net). Keras's history would give an
epoch's training loss and accuracy as the mean over its batches while the net changes; fastntk reads
the net at the epoch's end.

Every seed draws its own split of the one dataset (data_seed) and its own initialization; the curve
runs of a seed share its split across the widths, so the widths are compared on the same data.
"""
from __future__ import annotations

import math

import numpy as np

from .. import plots
from ..dynamics import train
from ..model import MLP
from ._base import Experiment, legend, save_figure
from ._verdict import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Claim, direction, spread, too_few
from .width import _glorot

KERAS_ADAM = dict(betas=(0.9, 0.999), eps=1e-7)
KERAS_EPSILON = 1e-7   # older Keras clipped a predicted probability to [ε, 1 − ε] in its binary cross-entropy
TRAIN_PROBE = 1000     # training points whose error is recorded every epoch
LEAD_EPOCHS = 5        # 004 Fig. 10: the widest net leads "initially", and "past epoch 5" starts to lose it


def _errors(logits, y) -> float:
    return float(np.mean((np.asarray(logits, np.float64) > 0) != (np.asarray(y) > 0.5)))


def _log_loss(logits, y) -> float:
    f = np.asarray(logits, np.float64)
    s = np.where(np.asarray(y) > 0.5, 1.0, -1.0)
    return float(np.mean(np.logaddexp(0.0, -s * f)))


def _clipped_log_loss(logits, y) -> float:
    """Older Keras's binary cross-entropy of probabilities: p clipped to [ε, 1 − ε], ε inside the logs."""
    p = np.clip(1.0 / (1.0 + np.exp(-np.asarray(logits, np.float64))), KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    y = np.asarray(y, np.float64)
    return float(np.mean(-(y * np.log(p + KERAS_EPSILON) + (1 - y) * np.log(1 - p + KERAS_EPSILON))))


class ClassifierWidths(Experiment):
    name = "classifier-widths"
    title = "Binary classifiers of growing width on scikit-learn data: the generalization gap and the epochs (004 Sect. 4)"
    paper = "Kondracki, Roy, Dwarakanath (004 Sect. 4, Figs. 9–11)"
    presets = {
        "quick": dict(data="classification:20", n_train=380, n_test=20, data_seed=0, widths=[10, 100, 400],
                      curve_seeds=[0, 1, 2, 3, 4], epochs=12, early_epoch=5, late_epoch=10, gap_width=100,
                      gap_seeds=[0, 1, 2], gap_epochs=6, gap_bound=0.07, lr=1e-3, batch_size=32),
        # Seeds 740–747 (curves) and 750–769 (Fig. 9's 20 trials), data seed 0, registered before any run of this
        # experiment; written knowing the cost of a step (Adam, batch 32, float32: 0.83 ms at m = 10⁴, 0.1 ms at
        # m = 1000, measured this session on random data) and a pre-run reviewer's 10-epoch check on other data and
        # seeds (data seed 9100, seeds 9100–9104: m = 1000 and 10⁴ within 0.001–0.01 of each other at epoch 1, the
        # widest not lowest there), which moved the lead rows from the losses at epoch 1 to the errors over epochs
        # 1–5 (004's words: "error", "initially", "past epoch 5") and the curves from 5 seeds to 8.
        "standard": dict(data="classification:20", n_train=9500, n_test=500, data_seed=0,
                         widths=[10, 100, 1000, 10000], curve_seeds=list(range(740, 748)), epochs=2000,
                         early_epoch=5, late_epoch=10, gap_width=1000, gap_seeds=list(range(750, 770)),
                         gap_epochs=1000, gap_bound=0.07, lr=1e-3, batch_size=32),
    }

    def jobs(self, cfg):
        curves = [dict(kind="curve", width=m, seed=s, epochs=cfg["epochs"]) for s in cfg["curve_seeds"]
                  for m in cfg["widths"]]
        gaps = [dict(kind="gap", width=cfg["gap_width"], seed=s, epochs=cfg["gap_epochs"]) for s in cfg["gap_seeds"]]
        return curves + gaps

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        X_all, y_all = np.vstack([ds.X, ds.X_test]), np.concatenate([ds.Y, ds.Y_test])
        rng = np.random.default_rng(job["seed"])
        order = rng.permutation(len(y_all))
        n = cfg["n_train"]
        tr, va = order[:n], order[n:]
        probe = rng.choice(n, size=min(TRAIN_PROBE, n), replace=False)  # the seed's, not the width's
        X, y = X_all[tr].astype(np.float32), y_all[tr].astype(np.float32)
        Xv, yv = X_all[va].astype(np.float32), y_all[va]
        m = job["width"]
        net = MLP([X.shape[1], m, 1], parametrization="standard", bias="zero", dtype=np.float32)
        init = np.random.default_rng([job["seed"], m])
        params = [_glorot(init, m, X.shape[1]), np.zeros(m), _glorot(init, 1, m), np.zeros(1)]
        per_epoch = math.ceil(n / cfg["batch_size"])
        res = ctx.check(train(net, [p.astype(np.float32) for p in params], X, y, X_test=np.vstack([Xv, X[probe]]),
                              loss="logistic", optimizer="adam", lr=cfg["lr"], batch_size=cfg["batch_size"],
                              shuffle=True, seed=job["seed"], tol=1e-300, max_steps=job["epochs"] * per_epoch,
                              record_every=per_epoch, divergence_factor=1e300, callback=ctx.callback, **KERAS_ADAM))
        h = res.history
        steps = np.asarray(h["step"])
        keep = np.flatnonzero(steps % per_epoch == 0)  # the records at epoch ends (and θ₀ at epoch 0), once each
        keep = keep[np.concatenate([[True], np.diff(steps[keep]) > 0])]
        pred = np.asarray(h["test_pred"], np.float64)[keep]
        pv, pt = pred[:, :len(va)], pred[:, len(va):]
        final_train = np.asarray(net.apply(res.params, X), np.float64)
        majority = max(float(np.mean(y)), 1.0 - float(np.mean(y)))
        return dict(status=res.status, steps=int(res.steps), epoch=[int(s // per_epoch) for s in steps[keep]],
                    train_loss=[float(v) for v in np.asarray(h["train_loss"], np.float64)[keep]],
                    val_loss=[_log_loss(p, yv) for p in pv], val_loss_clipped=[_clipped_log_loss(p, yv) for p in pv],
                    val_error=[_errors(p, yv) for p in pv], train_error=[_errors(p, y[probe]) for p in pt],
                    train_error_end=_errors(final_train, y), majority=majority)

    # ------------------------------------------------------------------ reading the records

    @staticmethod
    def _usable(r) -> str | None:
        """Why a run cannot be read (None: it can): it stopped before its epochs, its losses are not
        finite, or it ended no better than predicting the majority class (a net that learnt nothing:
        its train and validation errors agree trivially)."""
        if r["status"] != "max_steps" or r["epoch"][-1] != r["epochs"]:
            return f"status {r['status']}"
        if not all(math.isfinite(v) for v in r["train_loss"] + r["val_loss"] + r["val_loss_clipped"]):
            return "non-finite loss"
        if r["train_error_end"] >= 1.0 - r["majority"]:
            return "no better than the majority class"
        return None

    @staticmethod
    def _at(r, key, epoch):
        return r[key][r["epoch"].index(epoch)] if epoch in r["epoch"] else math.nan

    def _curves(self, cfg, records):
        """{seed: {width: record}} of the usable curve runs, and the reasons for the others."""
        out, why = {}, {}
        for r in records:
            if r["kind"] != "curve":
                continue
            reason = self._usable(r)
            if reason:
                why[reason] = why.get(reason, 0) + 1
            else:
                out.setdefault(r["seed"], {})[r["width"]] = r
        return out, why

    def _complete(self, cfg, records):
        """{seed: {width: record}} of the seeds with every width usable."""
        curves, _ = self._curves(cfg, records)
        return {s: by for s, by in curves.items() if all(m in by for m in cfg["widths"])}

    def _lead(self, cfg, by, key, epochs, against="min"):
        """The narrower nets' ``key`` (their lowest, highest or median: ``against``) minus the widest's,
        averaged over ``epochs``: > 0 where the widest is lower than that."""
        widest = max(cfg["widths"])
        rest = [m for m in cfg["widths"] if m != widest]
        pick = {"min": min, "max": max, "median": lambda v: float(np.median(v))}[against]
        return float(np.mean([pick([self._at(by[m], key, e) for m in rest]) - self._at(by[widest], key, e)
                              for e in epochs]))

    def _late_slope(self, r, first_epoch, key="val_loss"):
        """The least-squares slope of ``key`` over the epochs from ``first_epoch`` on."""
        e = np.asarray(r["epoch"], np.float64)
        v = np.asarray(r[key], np.float64)
        sel = e >= first_epoch
        return float(np.polyfit(e[sel], v[sel], 1)[0]) if sel.sum() >= 3 else math.nan

    def _train_losses(self, cfg, complete, epoch) -> str:
        return ", ".join(f"m = {m}: {np.median([self._at(by[m], 'train_loss', epoch) for by in complete.values()]):.3g}"
                         for m in cfg["widths"]) if complete else "—"

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(4)
        curves, _ = self._curves(cfg, records)
        panels = (("train_loss", "training loss"), ("val_loss", "validation loss"), ("val_error", "validation error"))
        for j, m in enumerate(cfg["widths"]):
            rs = [by[m] for by in curves.values() if m in by]
            if not rs:
                continue
            e = np.asarray(rs[0]["epoch"])
            for ax, (key, _) in zip(axes[:3], panels):
                ax.plot(e[1:], np.median([r[key] for r in rs], axis=0)[1:], color=f"C{j}", label=f"m = {m}")
        for ax, (_, label) in zip(axes[:3], panels):
            ax.set_xscale("log")
            ax.set_xlabel("epoch")
            ax.set_ylabel(f"{label} (median over seeds)")
        legend(axes[0])
        gaps = [r for r in records if r["kind"] == "gap" and not self._usable(r)]
        vals = [abs(r["train_error_end"] - r["val_error"][-1]) for r in gaps]
        axes[3].plot(range(1, len(vals) + 1), vals, "o")
        axes[3].axhline(cfg["gap_bound"], color="k", ls=":", label=f"004's {cfg['gap_bound']}")
        axes[3].set_xlabel("trial")
        axes[3].set_ylabel(f"|training − validation error|, m = {cfg['gap_width']}, {cfg['gap_epochs']} epochs")
        legend(axes[3])
        return save_figure(fig, out, "classifier_widths")

    def summary(self, cfg, records):
        curves, why = self._curves(cfg, records)
        lines = []
        for m in cfg["widths"]:
            rs = [by[m] for by in curves.values() if m in by]
            if not rs:
                continue
            cells = []
            for e in sorted({1, cfg["early_epoch"], cfg["late_epoch"], cfg["epochs"]}):
                med = {k: np.median([self._at(r, k, e) for r in rs])
                       for k in ("train_loss", "train_error", "val_loss", "val_loss_clipped", "val_error")}
                cells.append(f"epoch {e}: training loss {med['train_loss']:.3g}, training error {med['train_error']:.3g}, "
                             f"validation loss {med['val_loss']:.3g} (clipped {med['val_loss_clipped']:.3g}), "
                             f"validation error {med['val_error']:.3g}")
            lines.append(f"- m = {m} ({len(rs)} runs, medians): " + "; ".join(cells)
                         + f"; training error on the whole set at the end {np.median([r['train_error_end'] for r in rs]):.3g}.")
        if why:
            lines.append("- Curve runs not read: " + ", ".join(f"{k}: {v}" for k, v in sorted(why.items())) + ".")
        return lines

    def claims(self, cfg, records):
        curves, why = self._curves(cfg, records)
        complete = self._complete(cfg, records)
        n_seeds = len(cfg["curve_seeds"])
        widest = max(cfg["widths"])
        lead, late, end = cfg["early_epoch"], cfg["late_epoch"], cfg["epochs"]
        first = list(range(1, lead + 1))
        not_read = ", ".join(f"{k}: {v}" for k, v in sorted(why.items()))
        setting = (f"one hidden ReLU layer, widths {cfg['widths']}, Keras's defaults where 004 states nothing "
                   "(Glorot-uniform weights, zero biases, sigmoid output and binary cross-entropy, Adam at 10⁻³, "
                   f"batches of {cfg['batch_size']}); the widths compared at equal epochs, as 004 indexes the claim, "
                   "not at equal training loss")

        def fmt(vals):
            return ", ".join(f"{v + 0.0:.3g}" for v in vals)

        def measured(text, diffs, epoch, beside="", counted="with every width usable"):
            vals = list(diffs.values())
            return (f"{text}; per seed {fmt(vals)} (median {np.median(vals) if vals else math.nan:.3g}, spread "
                    f"{spread(vals):.3g}; {len(vals)} of {n_seeds} seeds {counted}"
                    + (f"; curve runs not read: {not_read}" if why else "") + ")"
                    + (f"; beside it, not judged: {beside}" if beside else "")
                    + f"; median training loss at epoch {epoch} by width: {self._train_losses(cfg, complete, epoch)}")

        out = []
        for key, what, said in (("train_error", "training error", "training"), ("val_error", "validation error", "test")):
            d = {s: self._lead(cfg, by, key, first) for s, by in complete.items()}
            at1 = {s: self._lead(cfg, by, key, [1]) for s, by in complete.items()}
            loss_key = "train_loss" if key == "train_error" else "val_loss"
            losses = {s: self._lead(cfg, by, loss_key, first) for s, by in complete.items()}
            train_note = (f" (on {min(TRAIN_PROBE, cfg['n_train'])} training points drawn once per seed, the net at "
                          "each epoch's end; "
                          "Keras's history would average over the epoch's batches)") if key == "train_error" else ""
            out.append(Claim(
                f"over epochs 1–{lead} the widest net (m = {widest}) has the lowest {what}",
                f"004 Fig. 10 (\"the m = 10000 network … sees the best results initially, for both training and test "
                f"error\", and \"past epoch 5\" starts to lose the lead: its {said} side, the errors{train_note}, "
                f"averaged over epochs 1–{lead}; {setting})",
                measured(f"the narrower nets' lowest {what} minus the widest's, the mean over epochs 1–{lead}, > 0 "
                         "where the widest is lowest", d, lead,
                         f"the same at epoch 1 alone: per seed {fmt(at1.values())}; on the {loss_key.replace('_', ' ')}"
                         f" over epochs 1–{lead}: per seed {fmt(losses.values())}"),
                direction(list(d.values()), n_seeds, "seeds")))

        ahead = {s: self._lead(cfg, by, "val_loss", first, "median") for s, by in complete.items()}
        premise = direction(list(ahead.values()), n_seeds, "seeds")

        def closing(e0):
            return {s: self._lead(cfg, by, "val_loss", [e0], "median") - self._lead(cfg, by, "val_loss", [late], "median")
                    for s, by in complete.items()}
        d, d1 = closing(lead), closing(1)
        verdict = direction(list(d.values()), n_seeds, "seeds")
        if premise != REPRODUCED:
            verdict = (f"{INCONCLUSIVE}: premise not met (the widest net's validation loss below the narrower nets' "
                       f"median over epochs 1–{lead}: {premise}; per seed {fmt(ahead.values())}): no lead to lose")
        out.append(Claim(
            f"from epoch {lead} to {late} the widest net's validation loss converges towards the narrower nets'",
            f"004 Fig. 10 (\"as we move past epoch 5, the test loss for the widest network starts converging with "
            f"the losses for the other networks\": the narrower nets' median validation loss minus the widest's, its "
            f"signed lead, shrinking from epoch {lead} to {late}; read where the widest led over epochs 1–{lead}; "
            f"{setting})",
            measured(f"the lead at epoch {lead} minus at epoch {late}, > 0 where it shrank", d, late,
                     f"from epoch 1 to {late}: per seed {fmt(d1.values())}; the lead over epochs 1–{lead}: per seed "
                     f"{fmt(ahead.values())}; ahead of the narrower nets' median at epoch {lead} in "
                     f"{sum(self._lead(cfg, by, 'val_loss', [lead], 'median') > 0 for by in complete.values())} of "
                     f"{len(complete)} seeds"),
            verdict))

        d = {s: -self._lead(cfg, by, "val_error", [end], "max") for s, by in complete.items()}
        d_med = {s: -self._lead(cfg, by, "val_error", [end], "median") for s, by in complete.items()}
        d_1000 = ({s: self._at(by[widest], "val_error", end) - self._at(by[1000], "val_error", end)
                   for s, by in complete.items()} if 1000 in cfg["widths"] and widest != 1000 else {})
        se = math.sqrt(0.1 * 0.9 / max(1, cfg["n_test"]))
        out.append(Claim(
            f"after {end} epochs the widest net (m = {widest}) has the highest validation error",
            f"004 Fig. 11 (\"at this point, the accuracy for the m = 10000 network is lowest\"; the validation error "
            f"on {cfg['n_test']} points, in steps of {1 / cfg['n_test']:.2g}, its sampling error about {se:.2g} at "
            f"10 %; {setting})",
            measured(f"the widest net's validation error minus the narrower nets' highest at epoch {end}, > 0 where "
                     "the widest is highest", d, end,
                     f"minus their median: per seed {fmt(d_med.values())}"
                     + (f"; minus m = 1000's: per seed {fmt(d_1000.values())}" if d_1000 else "")),
            direction(list(d.values()), n_seeds, "seeds")))

        half = end // 2
        slopes = {s: self._late_slope(by[widest], half) for s, by in curves.items() if widest in by}
        clipped = {s: self._late_slope(by[widest], half, "val_loss_clipped") for s, by in curves.items() if widest in by}
        out.append(Claim(
            f"the widest net's validation loss rises over the second half of the {end} epochs",
            f"004 Fig. 11 (\"the loss is increasing\" at 2000 epochs: the least-squares slope of the widest net's "
            f"validation loss over epochs {half}–{end}, > 0; {setting})",
            measured("slope of the validation loss per epoch", slopes, end,
                     f"with older Keras's clipping of the probability at 10⁻⁷: per seed {fmt(clipped.values())}",
                     "whose widest run is usable"),
            direction(list(slopes.values()), n_seeds, "seeds")))

        gaps = [r for r in records if r["kind"] == "gap"]
        ok = [r for r in gaps if not self._usable(r)]
        vals = [abs(r["train_error_end"] - r["val_error"][-1]) for r in ok]
        worst = max(vals, default=math.nan)
        verdict = too_few(len(ok), len(gaps), "trials")
        if not verdict:
            verdict = REPRODUCED if worst <= cfg["gap_bound"] else NOT_REPRODUCED
        skipped = len(gaps) - len(ok)
        out.append(Claim(
            f"m = {cfg['gap_width']}: over {len(gaps)} 95:5 splits the gap between training and validation error "
            f"never exceeds {cfg['gap_bound']} ({cfg['gap_epochs']} epochs)",
            f"004 Fig. 9 (\"the difference between training and test error … was never more than 0.07\" over 20 "
            f"trials of 1000 epochs, far below what its VC dimension of about 400,000 would allow; the trials are "
            f"new splits and initializations of one dataset; the training error on the whole training set of the "
            f"final net (Keras's history would give the last epoch's running mean over its batches), the validation "
            f"error on {cfg['n_test']} points, its sampling error about {se:.2g} at 10 %; {setting})",
            f"largest ∣training error − validation error∣ at the last epoch {worst:.3g} over the {len(ok)} of "
            f"{len(gaps)} trials that could be read (at least half are needed; a trial not read cannot exceed the "
            f"bound here) (median {np.median(vals) if vals else math.nan:.3g}; validation error median "
            f"{np.median([r['val_error'][-1] for r in ok]) if ok else math.nan:.3g}, training error median "
            f"{np.median([r['train_error_end'] for r in ok]) if ok else math.nan:.3g}"
            + (f"; {skipped} not read" if skipped else "") + ")",
            verdict))
        return out
