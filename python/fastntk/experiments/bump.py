"""002: the 2-D Gaussian bump exp(−‖x‖²), N = 10 training points, σ sweep. Its claims are
initialization's rows (``Initialization.claims``, inherited), judged by the same rules: no row
is restated or rewritten here."""
from __future__ import annotations

from .initialization import Initialization


class Bump(Initialization):
    name = "bump"
    title = "2-D Gaussian bump: initialization scale and the minimizer"
    paper = "Wide neural networks are interpolating kernel methods (002)"
    figure = "002 Fig. 1"
    paper_widths = {2: 10000}
    bound_ref = "Thm 4"
    slow_ref = None  # 002 states no training-time claim across σ
    presets = {
        "quick": dict(data="bump", n_train=10, n_test=300, data_seed=0, depths=[2], widths=[2000],
                      sigmas=[0.5, 1.0, 2.0, 4.0, 8.0], seeds=[0, 1, 2, 3, 4], bias="zero", tol=1e-5,
                      max_steps=50000),
        # Seeds 10–17: new for the rerun under the registered rules (the 2026-12-02 run used 0–4).
        # Seeds 80–87: its run with 70–77 was discarded unread when a row registered for
        # initialization (whose claims bump inherits) changed bump's rules fingerprint.
        # 2026-12-05: seeds 70–77, new for the rerun under the revised rules (a direction claim fails only on
        # evidence against it, a value claim carries its standard error); earlier seeds are named above.
        # Seeds 120–127: new after a review of 110–117 found the small-σ-better row unpassable on differences
        # (their spread grows like σ⁴ with the effect); it is judged on log ratios now.
        # Seeds 110–117: new after a review of 100–107 found "small σ" and Thm 4's bound read from σᴸJ,
        # which with trainable zero biases is not the initialization term (now recorded at each σ), and
        # the small-σ-better floor taken from one end's spread (now the paired differences').
        # Seeds 100–107: new after a third review found the f_int row pooling σ = 1 (where the
        # initialization term is as large as f_int's error) and reading a log-scale figure with a 25 %
        # band; "small σ" is now σᴸJ ≤ ½·RMSE(f_int) and the band a factor 2 (README lists the change).
        # Seeds 130–137: new when initialization's rows, which bump inherits, changed after a review of
        # initialization's seeds 100–104 (the f_int row's control, the laziness row's reading, wording).
        # Seeds 150–157: new when initialization's rows changed after a review of bump's 130–137 (the f_int
        # row's control at the nearest σ that is not small, the laziness band's control f_int at each σ).
        # Seeds 170–177: new after a review of 150–157 found that control holding runs the row judges (now
        # the smallest σ whose every run's initialization term exceeds RMSE(f_int)) and the net testing
        # better than its linearization at σ = 0.5 unstated (the laziness row gives the signed ratio).
        # Seeds 210–217: new with initialization's next13 rows (Lemma 1's function distance with a cross-θ₀
        # control for laziness; the f_int row's control where Thm 2's bound forces the band, its error checked;
        # its premise that the small-σ nets stay in the kernel regime) after a review of 170–177.
        # Seeds 220–227: new with initialization's next16 rows (the slope ungated, the laziness row naming the σ
        # where it fails and counting the nets nearest their own f_lin, Thm 4 cited in the f_int row and the
        # figure) after a review of 210–217.
        # Seeds 230–237: new with initialization's next18 rows (a slope off 2L on nets that are not lazy is
        # premise not met; the f_int premise read on Lemma 1's distance over the small-σ runs made).
        # Seeds 300–307 (next19): initialization's next19 rules (the slope judged only on lazy nets, the f_int
        # premise against f_lin trained the run's own steps) and next19's training procedure.
        # Seeds 310–317 (next20): next19's per-step rule ended a run at any rise of its loss, which halved runs
        # on the single-step blips of a ReLU net's activation pattern (5·10⁻⁷ of the loss) into the step cap; a rise
        # now counts above 10⁻³ of the least loss so far, and SGD's rise above θ₀ is read at the 20-step records only
        # (the loss curve's early records had made it stricter); seeds 300–30x discarded after four experiments.
        # Seeds 320–327 (next21): GD trains at the papers' rate throughout (001 App. D), redone at half the rate only
        # where it diverges (next20 halved it wherever its loss rose above 10⁻³ of its least, which a review of late-
        # linearization found deciding rows); the adaptive methods keep the monotone rule, the papers' own; every
        # record keeps max_climb and steps_tried; the f_int row's premise for capped nets also reads their training
        # loss against f_lin,t's and the slowness row leaves out a seed capped while oscillating (initialization's
        # rules, which bump inherits).
        # Seeds 330–337 (next22): initialization's next22 rules, which bump inherits: the f_int premise is Lemma 1's
        # regime (median max_climb ≤ 10⁻³ and ‖f_NN − f_lin,t‖/‖f_lin,t‖ ≤ 0.1 over the judged runs), the loss
        # ratio f_NN / f_lin,t reported only (a review of 320–327 found it 2.83 on these converged, lazy nets);
        # the λ_max ratio reported over the runs that did not oscillate, η·λ_max(K_T)/N over those that did.
        # Pre-run review of next22 (before any run on 330–337): initialization's f_int premise now needs
        # max_climb ≤ 10⁻³ in every judged run, not the median; bump inherits it.
        # Seeds 350–357 (next23): a review of 330–337 found the slope row's laziness premise pooled over the window
        # (median 0.075) passing while σ = 8's own median was 0.104 ± 0.023; it is now read per σ in the window,
        # each median with its standard error (bump's own rule; initialization's is unchanged).
        # Seeds 380–387 (next24): the per-σ premise moved into initialization's slope row (one place; bump's
        # restatement and its lookup of that row by claim text removed: bump's claims are initialization's), naming
        # the width it would need; initialization's other next24 rules (floors, f_int premise note), which bump inherits.
        # Seeds 390–397 (next25): initialization's next25 rules, which bump inherits (the needed width from the median
        # + its standard error; the f_int premise names the width where the nets leave their linearization).
        # Seeds 460–467 (next27): initialization's next27 rules, which bump inherits (the review of 390–397: the slope
        # row now counts each σ's nets above 0.1; the laziness row's widths per σ).
        # Seeds 490–497 (next28): initialization's next28 rules, which bump inherits (the f_int width per σ, the
        # laziness row's count over the judged σ).
        # Seeds 600–607 (next29-g, session 26): initialization's next29-g rules, which bump inherits (the f_int rows'
        # Lemma 1 premise per small σ with its error, the one-run and no-run texts).
        # Seeds 620–627 (next30, session 27): initialization's next30 rules, which bump inherits (the laziness row's
        # reading said and the figure's reading's control printed; the f_int premise per σ in the paper cell); run
        # unread and discarded when the pre-run review asked for next30-b.
        # Seeds 630–637 (next30-b): initialization's next30-b rules, which bump inherits (the laziness row on the
        # test losses against their control, 002 Fig. 1's own reading); run stopped unread, discarded.
        # Seeds 640–647 (next30-c): initialization's next30-c rules (the control outside the factor by more than its
        # error, over every other θ₀); run stopped unread, discarded.
        # Seeds 650–657 (next30-d): initialization's next30-d rules (the control the mean over every pair of θ₀, with its
        # jackknife error).
        "standard": dict(data="bump", n_train=10, n_test=300, data_seed=0, depths=[2], widths=[10000],
                         sigmas=[0.5, 1.0, 2.0, 4.0, 8.0], seeds=list(range(650, 658)), bias="zero", tol=1e-5,
                         max_steps=50000),
        "paper": dict(data="bump", n_train=10, n_test=300, data_seed=0, depths=[2], widths=[10000],
                      sigmas=[0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0], seeds=list(range(10)), bias="zero",
                      tol=1e-5, max_steps=200000),
    }

    def summary(self, cfg, records):
        return super().summary(cfg, records) + [
            "- Inputs: 002's bump draws x uniformly from [−1, 1]²; fastntk scales them by 1/√2 into the unit ball "
            "(the theorems' x ∈ B₁ᵈ(0)), which 002 does not do; the target is exp(−‖x‖²) of the unscaled x."]
