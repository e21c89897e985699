"""Every claim of the five papers fastntk reproduces, and how fastntk judges it.

One entry per numbered theorem, corollary, lemma, example and figure of the papers, and
per section that makes a claim of its own, in each paper's own numbering (``ref``:
"Thm 2", "Fig. 3", "Sect. 6", "App. E", "Thm 3.1", "Cor. 5.1"). A ref that holds several
claims (a figure's panels, a theorem's two bounds) has one entry per claim, told apart by
a ``qualifier``. Each entry says how fastntk judges the claim:

- by rows of an experiment's verdict table (:class:`Row`: the experiment's name and the
  start of the claim cell its ``claims()`` writes), whose latest verdicts are read from
  the committed ``summary.md`` files;
- by tests that check it as an identity (:class:`Test`: a pytest node id);
- or not at all (``judged_by`` None), with the reason.

Rows of the experiments that are no claim of the papers (the empirical NTK's
convergence, the "falls as the training set grows" checks) are entries too, marked
``extra``.

Paper keys, as in :data:`PAPERS`: "000" and "001" are Nonnenmacher, Reeb and Steinwart's
"Which minimizer does my neural network converge to?" (000 the conference main text,
whose numbering the main-text entries use; 001 the arXiv version, whose numbering the
appendix entries use); "002" is the earlier version of that work, "Wide neural networks
are interpolating kernel methods", with numbering of its own; "003" Sankararaman et al.,
"The impact of neural network overparameterization on gradient confusion and stochastic
gradient descent"; "004" Kondracki, Roy and Dwarakanath, "Experimental analysis of
overparameterized neural networks".

:func:`as_json` returns ``{"papers": {KEY: citation}, "claims": [{"id", "paper", "ref",
"claim", "setting", "judged_by", "verdict", "reason", "extra"}, ...]}``: ``paper`` is a
key of PAPERS (None for an extra check that is no paper's); ``judged_by`` is None or a
list of ``{"experiment": NAME, "row": PREFIX}`` and ``{"test": NODE_ID}``; ``verdict`` is
the latest committed verdict (several rows: "label: verdict; …"; a test: "identity,
tested") or None; ``reason`` says why a claim is not judged, else None.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

PAPERS = {
    "000": "Manuel Nonnenmacher, David Reeb, Ingo Steinwart. Which Minimizer Does My Neural Network Converge To? "
           "Machine Learning and Knowledge Discovery in Databases (ECML PKDD), 2021 — main text.",
    "001": "Manuel Nonnenmacher, David Reeb, Ingo Steinwart. Which Minimizer Does My Neural Network Converge To? "
           "arXiv:2011.02408, 2020 — with the supplementary material (Appendices A–G).",
    "002": "Anonymous authors. Wide Neural Networks are Interpolating Kernel Methods: Impact of Initialization on "
           "Generalization. Paper under double-blind review, no venue or year stated: the anonymous submission of "
           "an earlier version of Manuel Nonnenmacher, David Reeb and Ingo Steinwart's work (000/001).",
    "003": "Karthik A. Sankararaman, Soham De, Zheng Xu, W. Ronny Huang, Tom Goldstein. The Impact of Neural Network "
           "Overparameterization on Gradient Confusion and Stochastic Gradient Descent. International Conference "
           "on Machine Learning (ICML), 2020; arXiv:1904.06963.",
    "004": "Brendan Kondracki, Shambhavi Roy, Deepak Dwarakanath. Experimental Analysis of Overparameterized Neural "
           "Networks. Course project, EECS E6699: Mathematics of Deep Learning.",
}

# The same result under another paper's numbering: 001 numbers the main-text theorems by
# section (Thm 3.1 is 000's Thm 1) and its appendix theorems by appendix (0.G.1, which
# 000 calls Thm 7); 000 cites 001's appendix lemmas by 001's numbers.
SAME_AS = {
    ("001", "Thm 3.1"): ("000", "Thm 1"),
    ("001", "Thm 3.2"): ("000", "Thm 2"),
    ("001", "Thm 4.1"): ("000", "Thm 3"),
    ("001", "Thm 5.1"): ("000", "Thm 4"),
    ("001", "Lemma 1"): ("000", "Lemma 1"),
    ("001", "Example 1"): ("000", "Example 1"),
    **{("001", f"Fig. {n}"): ("000", f"Fig. {n}") for n in range(1, 6)},
    ("000", "Lemma 4"): ("001", "Lemma 4"),
    ("000", "Thm 7"): ("001", "Thm G.1"),
}


@dataclass(frozen=True)
class Row:
    """The rows of ``experiment``'s verdict table whose claim cell starts with ``prefix``;
    ``label`` names them where an entry lists several (default: the cell up to its
    first ": ", e.g. "L = 2")."""
    experiment: str
    prefix: str
    label: str = ""

    def name(self) -> str:
        return self.label or self.prefix.split(": ", 1)[0]


@dataclass(frozen=True)
class Test:
    """A test that checks the claim as an identity: a pytest node id."""
    node: str


@dataclass(frozen=True)
class Entry:
    paper: str | None      # a key of PAPERS; None for an extra check
    ref: str               # in the paper's own numbering
    claim: str             # the paper's claim, in a sentence
    setting: str           # the setting the paper states
    judged_by: tuple | None = None  # Rows and Tests, or None
    reason: str | None = None       # why it is not judged, else None
    extra: bool = False    # a row the experiments produce that is no claim of the papers
    qualifier: str = ""    # tells several claims under one ref apart

    @property
    def id(self) -> str:
        head = f"{self.paper} {self.ref}" if self.paper else "extra"
        return f"{head} {self.qualifier}".strip()


# The papers by a short name, for tables (PAPERS has the references).
SHORT = {"000": "Nonnenmacher, Reeb, Steinwart, ECML PKDD 2021", "001": "the same, arXiv:2011.02408 (appendices)",
         "002": "Wide Neural Networks are Interpolating Kernel Methods (earlier version)",
         "003": "Sankararaman et al., ICML 2020 (gradient confusion)",
         "004": "Kondracki, Roy, Dwarakanath (course project)"}


def _rows(experiment, *prefixes, labels=()):
    labels = list(labels) + [""] * (len(prefixes) - len(labels))
    return tuple(Row(experiment, p, lab) for p, lab in zip(prefixes, labels))


def _tests(*nodes):
    return tuple(Test(n) for n in nodes)


def _depths(experiment, text, depths=(2, 3)):
    return _rows(experiment, *(f"L = {L}: {text}" for L in depths))


# 000 Thm 2 / 002 Thms 3–4, judged at the large σ of 000 Fig. 2 over a width sweep.
_BOUND_LOW = _rows("generalization-bounds", *(f"σ = {s}: the trained net's test RMSE is at least the lower bound"
                                               for s in (4, 8, 16)))
_BOUND_UP = _rows("generalization-bounds", *(f"σ = {s}: the trained net's test RMSE is at most the upper bound"
                                              for s in (4, 8, 16)))

_T_THEORY = "tests/test_theory.py::"
_T_IDENT = "tests/test_identities.py::"
_T_DYN = "tests/test_dynamics.py::"

_YET = "not covered yet: "
# 003 Fig. 1's two linear models: the over-parameterized one less confused, and lower where SGD ends (003 Sects. 2–3).
_LR_FLOOR = _rows("linear-regression", "the over-parameterized model has less gradient confusion",
                  "SGD (batch 1) ends lower for the over-parameterized model", labels=["less confusion", "lower floor"])
# 001 App. A's ridge sentence, its readings as the ridge experiment's rows name them.
_RIDGE_READINGS = ("the linear model φ(x)θ with λ‖θ‖²", "the linearized net f₀ + φ(θ − θ₀) with λ‖θ‖²",
                   "the linearized net f₀ + φ(θ − θ₀) with λ‖θ − θ₀‖²")
_ISSUE = " (issue 26)"

# The settings the papers state.
_S000_THM = ("L-layer ReLU MLP in the NTK parametrization (1), standard normal θ₀, squared loss, discrete GD with a "
            "small enough η, non-degenerate data in the unit ball, λ₀ > 0, width m ≥ poly(N, 1/δ, 1/λ₀, 1/σ)")
_S000_THM2 = _S000_THM.replace("standard normal θ₀", "standard normal θ₀ with zero biases") + ", a fixed test set"
_S000_ADA = ("as Thm 1, trained by θ_{t+1} = θ_t − ηD_t∇L with adaptive matrices D_t (AdaGrad, RMSprop, Adam) "
            "concentrating around a D: ‖D_t − D‖/D_max ≤ Z/√m")
# The rows judging these for AdaGrad do so outside the concentration premise (experiments/_concentration.py).
_ADA_OUTSIDE = ("; fastntk's rows run AdaGrad, whose D_t's drift does not fall like 1/√m, so they judge the claim "
                "outside that premise, in the kernel regime (000 App. F.4's approximate linearization), the drift "
                "reported beside")
_S000_SGD = "as Thm 3, mini-batch training (Eq. (10)) with a small enough η, any batch size, shuffled or not"
_S000_MNIST = "MNIST 0 vs 1, N = 100 training and 100 test points, squared loss, trained to training loss < 10⁻⁵"
_S000_FIG1 = ("MNIST 0 vs 1, squared loss, GD, SGD and AdaGrad at several σ, the training-set size varied, every "
             "net trained to 10⁻⁵, 5 repetitions")
_S000_FIG2 = (f"{_S000_MNIST}; L = 2 with m = 4000 and L = 3 with m = 2000, zero biases, σ swept, GD, "
             "10 initializations")
_S000_FIG3 = (f"{_S000_MNIST}; widths m swept, GD against AdaGrad and Adam (η the largest with a monotone loss, "
             "001 App. D), 10 initializations")
_S000_FIG4 = (f"{_S000_MNIST}; L = 2, widths m as in the figure, SGD (left) and AdaGrad (right) with mini-batches "
             "of split ratio 0.1 … 1.0, with and without shuffling, the same 10 initializations for each split")
_S001_A = "the linearized model with P < N (φ(X)ᵀφ(X) invertible), any σ, GD or any adaptive D_t"
_S001_E = ("as 000 Figs. 2–4 (001 App. D: N = 100, 100 test points, to 10⁻⁵, 10 initializations), on "
           "Fashion-MNIST 0 vs 1")
_S002_THM = ("L-layer ReLU MLP (1) in the NTK parametrization, θ₀ ~ N(0, 1), squared loss ½‖f(X) − Y‖², discrete "
            "GD, consistent data in the unit ball, strongly overparameterized (m ≥ some N₀)")
_S002_BUMP = ("the 2-D Gaussian bump f(x) = exp(−‖x‖²) on [−1, 1]², N = 10 training and 300 test points, L = 2 "
             "with m = 10,000, zero biases, GD at η = 1.9/λ_max until the loss first drops below 10⁻⁵, "
             "10 nets per σ²")
_S002_MNIST = ("MNIST 0 vs 1, N = 100 training and 100 test points, squared loss, zero biases, GD at η = 1.9/λ_max "
              "until the loss first drops below 10⁻⁴, 10 nets per σ²")
_S003_INIT = ("fully connected nets of width ℓ and depth β with activations satisfying (P1)–(P2) (sigmoid, tanh, "
             "ReLU), square or logistic loss, Gaussian initialization Strategy 4.1 (W_p ~ N(0, 1/(κℓ_{p−1})))")
_S003_CNN = ("CNN-β-ℓ (wide residual nets without skip connections or batch norm) on CIFAR-10, SGD without momentum, "
            "mini-batches of 128, 200 epochs, learning rate tuned and cut 10× at epochs 80 and 160, 5 runs; "
            "confusion from 100 pairs of mini-batches of 128 at the end of each epoch")
_S003_SGD = "constant-rate SGD on F = (1/N)Σf_i with gradient confusion η, α < 2/(NL)"
_S004 = ("f(x) = Σ_r a_r relu(w_rᵀx) (no 1/√m), loss (1/n)Σ(f − y)², 1000 points x ~ U(−1, 1)^1000, "
        "y ~ N(0, 1), only the hidden layer trained, widths 10 … 10,000, base rate 5·10⁻⁴")
_S004_LAZY = "004 Sect. 1.2's data and net, m = 100 hidden units, SGD, the std of the initial weights varied"
_S004_GEN = ("binary-labelled data from scikit-learn, n = 10,000, d = 20 (most features noise), two-layer nets of "
            "widths up to 10,000")

_NOT_CLAIM = "not a claim: "

CLAIMS: tuple[Entry, ...] = (
    # ---- 000: Nonnenmacher, Reeb, Steinwart, main text -------------------------------------------
    Entry("000", "Lemma 1",
          "A strongly overparameterized net trained by GD stays within O(1/√m) of its linearization around θ₀ at "
          "every step and every input of the unit ball (cited from Lee et al. 2019 and Allen-Zhu et al. 2019).",
          _S000_THM, _depths("initialization", "the nets trained to equal loss are close to their linearizations")),
    Entry("000", "Thm 1",
          "GD on the linearized net converges to f_int(x) + (1/L)φ(x)(1 − P_F)θ₀, Eq. (4): the minimum-complexity "
          "NTK interpolator plus an initialization term that vanishes on the training inputs.",
          _S000_THM, _tests(_T_THEORY + "test_decomposition_identities",
                           _T_DYN + "test_linearized_gd_converges_to_kernel_regressor"),
          qualifier="Eq. (4) decomposition"),
    Entry("000", "Thm 1",
          "The fully trained wide ReLU net equals Eq. (4) up to an O(1/√m) error.",
          _S000_THM, _depths("linearization", "the trained net's distance from Eq. (4) decays at least about as fast as m^(−1/2)"),
          qualifier="O(1/√m)"),
    Entry("000", "Thm 2",
          "With zero biases √L_T(f_NN) ≥ σᴸJ(X_T) − √L_T(f_int) − O(1/√m) with J(X_T) > 0 independent of σ: a large "
          "σ leaves a mark ∼σᴸ on the test error although the training error is 0.",
          _S000_THM2, _BOUND_LOW, qualifier="lower bound"),
    Entry("000", "Thm 2",
          "√L_T(f_NN) ≤ √L_T(f_int) + O(σᴸ + 1/√m): small σ and large m together bring the test error down to the "
          "kernel interpolator's, with a bound independent of the number of parameters.",
          _S000_THM2, _BOUND_UP, qualifier="upper bound"),
    Entry("000", "Thm 2",
          "With standard-normal biases both bounds hold with σᴸ replaced by σ.",
          _S000_THM.replace("standard normal θ₀", "standard normal θ₀ with normal biases")
          + "; judged from θ₀ alone at 000 Fig. 2's widths and σ, through the GD limit of the linearized net (the "
          "init term f₀ − K(x, X)K⁻¹f₀(X), and the excess RMSE(f_lin) − RMSE(f_int) it bounds)",
          _rows("normal-biases", *(f"L = {L}, m = {m}, normal biases: {what}" for L, m in ((2, 4000), (3, 2000))
                                   for what in ("the excess test RMSE of f_lin over f_int grows at most like σ",
                                                "the initialization term grows at least like σ at σ ≥ 1",
                                                "the initialization term shrinks at least like σ at σ ≤ 1")),
                labels=[f"L = {L}, {what}" for L in (2, 3)
                        for what in ("upper bound, σ ≥ 1", "lower bound, σ ≥ 1", "upper bound, σ ≤ 1")]),
          qualifier="normal biases"),
    Entry("000", "Thm 2",
          "Without bias parameters the initialization term scales exactly as σᴸ, measured the same way — the control "
          "of the normal-bias rows (an identity, tested), not a claim of the papers.",
          _S000_THM2, _rows("normal-biases", *(f"L = {L}, m = {m}, no biases: the initialization term scales as σᴸ"
                                               for L, m in ((2, 4000), (3, 2000))), labels=["L = 2", "L = 3"]),
          extra=True, qualifier="normal-bias control (extra check)"),
    Entry("000", "Thm 2",
          "With zero biases the features scale as φ_σ = σᴸφ₁, so f_int does not depend on σ and the initialization "
          "term scales exactly as σᴸ.",
          _S000_THM2, _tests(_T_IDENT + "test_feature_scaling_sigma_to_the_L",
                            _T_THEORY + "test_init_term_scales_as_sigma_to_the_L"), qualifier="σᴸ scaling"),
    Entry("000", "Sect. 3",
          "Training with the same θ₀ at successively smaller σ and keeping the net of least validation loss mitigates "
          "the initialization's harm to the test error \"as much as possible\": from a standard σ′ it finishes when a "
          "smaller σ does not help, so it does not make the test error worse.",
          "start at a standard σ′ ≃ O(1), shrink σ by several ten percent a round while the validation loss falls "
          "by a significant margin, stop when it no longer does or training gets too slow",
          _rows("sigma-selection", "σ-selection from σ′ = 1.41 does not make the test loss worse"), qualifier="σ-selection algorithm"),
    Entry("000", "Sect. 3",
          "The same algorithm started from a large σ′ = 16, where Thm 2's init term dominates — a check fastntk "
          "runs beside Sect. 3, not a claim of the paper.",
          "as the algorithm's, σ′ = 16",
          _rows("sigma-selection", "σ-selection from σ′ = 16 (an extra check"), extra=True,
          qualifier="σ-selection from a large σ′ (extra check)"),
    Entry("000", "Sect. 3",
          "Starting from too small a σ < O(1) is not advisable: vanishing gradients make training slow, although "
          "the upper bound of Thm 2 favours small σ.",
          _S000_FIG2, _depths("initialization", "too small a σ trains slowly"), qualifier="small σ trains slowly"),
    Entry("000", "Thm 3",
          "Adaptive training of the linearized net follows the closed form Eq. (7): an interpolating term weighted "
          "by A_t = D_{t−1}φ(X)ᵀ(φ(X)D_{t−1}φ(X)ᵀ)⁻¹ plus a path-dependent term φ(x)B_t.",
          _S000_ADA, _tests(_T_THEORY + "test_thm3_closed_form_equals_iterated_dynamics"), qualifier="Eq. (7)"),
    Entry("000", "Thm 3",
          "Adaptive methods converge to a minimizer that interpolates the training data but differs from GD's at "
          "test points.",
          _S000_FIG3,
          _rows("adaptive", *(f"L = {L}: the linearization trained by {o} converges to a different minimizer"
                              for L in (2, 3) for o in ("adagrad", "adam")),
                *(f"L = {L}, m = {m}: the net trained by {o} converges to a different minimizer"
                  for L in (2, 3) for m in (250, 500, 1000, 2000, 4000) for o in ("adagrad", "adam")),
                labels=[f"L = {L}, {o}, linearization" for L in (2, 3) for o in ("adagrad", "adam")]
                + [f"L = {L}, m = {m}, {o}, net" for L in (2, 3) for m in (250, 500, 1000, 2000, 4000) for o in ("adagrad", "adam")]),
          qualifier="adaptive minimizer"),
    Entry("000", "Thm 3",
          "A wide net trained adaptively follows Eq. (7) up to O(1/√m) (and, in Example 1's setting, Eq. (9)).",
          _S000_ADA + _ADA_OUTSIDE,
          _rows("adaptive-closed-form", "AdaGrad-trained nets at convergence are Eq. (7)'s up to O(1/√m)",
                "AdaGrad's net differs from GD's from the same θ₀", labels=["O(1/√m)", "not GD's"]),
          qualifier="trained nets"),
    Entry("000", "Example 1",
          "AdaGrad whose gradients keep one direction (e.g. N = 1) converges to the minimum-complexity interpolator "
          "of the kernel K_D = φDφᵀ, Eq. (9), which differs from GD's at test points.",
          "as Thm 3 with AdaGrad and gradients g_t = a_t g (e.g. one training point)",
          _tests(_T_THEORY + "test_example1_constant_direction_adagrad"), qualifier="Eq. (9)"),
    Entry("000", "Thm 4(a)",
          "With constant adaptive matrices, in particular plain SGD, mini-batch training reaches GD's minimizer up "
          "to O(1/√m), for any batch size.",
          _S000_SGD,
          _rows("stochastic", "SGD-trained nets have basically the test loss of GD-trained ones",
                "the linearized model: mini-batch SGD converges to exactly GD's minimizer",
                labels=["networks", "linearized"])
          + _tests(_T_THEORY + "test_thm4_sgd_equals_gd_but_adagrad_differs",
                   _T_DYN + "test_sgd_reaches_gd_minimizer")),
    Entry("000", "Thm 4(b)",
          "With adaptive matrices that change during training, the mini-batch minimizer differs from the full-batch "
          "one by a path- and batch-size-dependent term.",
          _S000_SGD + _ADA_OUTSIDE,
          _rows("stochastic", "network: with AdaGrad the test loss depends on the batch size",
                "linearized: with AdaGrad the test loss depends on the batch size")
          + _tests(_T_THEORY + "test_thm4_sgd_equals_gd_but_adagrad_differs")),
    Entry("000", "Sect. 6",
          "Linearizing at a later iterate θ_T (Eq. (11)) carries Thm 1 over to less overparameterized nets: after an "
          "initial period the trained net follows the linearization at θ_T.",
          "nets whose features change early in training; a T after which ‖θ_t − θ_T‖ stays small, λ_min(K_T) > 0",
          _rows("late-linearization", *(f"m = {m}: after an initial period" for m in (20, 80)),
                labels=[f"m = {m}, at T" for m in (20, 80)]),
          qualifier="Thm 1 at θ_T"),
    Entry("000", "Sect. 6",
          "The later the linearization, the closer it is to the trained net — a check fastntk runs beside Sect. 6 "
          "(which says only that some T exists), not a claim of the paper; it holds by construction as T nears the "
          "end of training.",
          "nets whose features change early in training",
          _rows("late-linearization", *(f"m = {m}: the later the linearization, the closer it is to the trained net"
                                        for m in (20, 80)), labels=[f"m = {m}, trend" for m in (20, 80)]),
          extra=True, qualifier="later is closer (extra check)"),
    Entry("000", "Sect. 6",
          "Nets that differ at T converge to different minimizers, and adaptive and plain updates after T still "
          "differ (Thms 3 and 4 at θ_T).",
          "nets whose features change early in training; a T after which ‖θ_t − θ_T‖ stays small, λ_min(K_T) > 0",
          _rows("late-linearization", *(f"m = {m}: continued from θ_T" for m in (20, 80)),
                labels=[f"m = {m}" for m in (20, 80)]),
          qualifier="Thms 3–4 at θ_T"),
    Entry("000", "Fig. 1",
          "At the same low training error the test performance depends considerably on the optimization method "
          "(GD, SGD, AdaGrad), at every training-set size; adaptive methods seem to generalize worse (Sect. 9).",
          _S000_FIG1, _rows("overparameterization", "adagrad generalizes worse than GD"),
          qualifier="optimizer"),
    Entry("000", "Fig. 1",
          "The test performance depends considerably on the initialization size σ, across the training-set sizes, also "
          "in less overparameterized settings.",
          _S000_FIG1, _rows("sigma-by-size", "GD: the test loss is higher at the larger σ at each training-set size run"),
          qualifier="σ"),
    Entry("000", "Fig. 1",
          "SGD-trained nets test like GD-trained ones at every training-set size (the SGD-vs-GD panel).",
          _S000_FIG1, _rows("overparameterization", "SGD-trained nets have basically GD's test loss"),
          qualifier="SGD vs GD"),
    Entry("000", "Fig. 1",
          "The test loss falls as the training set grows, for GD, SGD and AdaGrad — a check fastntk runs beside "
          "Fig. 1, not a claim of the paper.",
          _S000_FIG1, _rows("overparameterization", *(f"{o}: the test loss falls as the training set grows"
                                                      for o in ("gd", "sgd", "adagrad"))),
          extra=True, qualifier="training-set size (extra check)"),
    Entry("000", "Fig. 2",
          "At large σ the test error grows like σ^(2L), with Thm 2's depth-dependent exponent.",
          _S000_FIG2, _depths("initialization", "at large σ the trained net's test loss grows like σ^(2L)"),
          qualifier="σ^(2L) growth"),
    Entry("000", "Fig. 2",
          "The test error rises with σ: a small initialization generalizes better than a large one at equal "
          "training error.",
          _S000_FIG2, _depths("initialization", "the test loss is higher at σ ="),
          qualifier="small σ better"),
    Entry("000", "Fig. 2",
          "At small σ the trained net is close to the kernel interpolator f_int, which is virtually independent of "
          "θ₀ and σ.",
          _S000_FIG2, _depths("initialization", "at small σ the trained net is close to the kernel interpolator f_int"),
          qualifier="f_NN ≈ f_int at small σ"),
    Entry("000", "Fig. 2",
          "All nets, trained to the same low error, are close to their linearizations f_lin: the overparameterized "
          "limit holds.",
          _S000_FIG2, _depths("initialization", "the nets trained to equal loss are close to their linearizations"),
          qualifier="f_NN ≈ f_lin"),
    Entry("000", "Fig. 3",
          "For L = 2 over several widths, AdaGrad and Adam reach a significantly different, worse test error than "
          "GD at the same low training error.",
          _S000_FIG3, _rows("adaptive", "L = 2: adagrad generalizes worse than GD",
                            "L = 2: adam generalizes worse than GD", labels=["adagrad", "adam"]),
          qualifier="left (L = 2)"),
    Entry("000", "Fig. 3",
          "The same for L = 3.",
          _S000_FIG3, _rows("adaptive", "L = 3: adagrad generalizes worse than GD",
                            "L = 3: adam generalizes worse than GD", labels=["adagrad", "adam"]),
          qualifier="right (L = 3)"),
    Entry("000", "Fig. 4",
          "Without adaptivity, SGD-trained nets have basically GD's test error over a large range of mini-batch "
          "sizes, with and without shuffling.",
          _S000_FIG4, _rows("stochastic", "SGD-trained nets have basically the test loss of GD-trained ones"),
          qualifier="left"),
    Entry("000", "Fig. 4",
          "With AdaGrad the test error depends on the mini-batch size.",
          _S000_FIG4, _rows("stochastic", "network: with AdaGrad the test loss depends on the batch size"),
          qualifier="right"),
    Entry("000", "Fig. 5",
          "ResNet-20 on CIFAR-10 shows comparable effects: the test performance depends on the optimizer (GD, SGD, "
          "AdaGrad) and on σ.",
          "ResNet-20 on CIFAR-10 airplane vs automobile (labels 0 and 1), squared loss, GD, SGD and AdaGrad at several "
          "σ, the training-set size varied, trained to 10⁻⁵, 5 repetitions",
          reason="not covered: needs convolutions and residual blocks (ResNet-20 on CIFAR-10); fastntk's networks "
                 "are MLPs", qualifier="left (ResNet-20)"),
    Entry("000", "Fig. 5",
          "Under the cross-entropy loss Fig. 1's effects persist: the test error depends on the optimizer, AdaGrad "
          "above GD.",
          _S000_FIG1.replace("squared loss", "cross-entropy loss"),
          _rows("overparameterization-ce", "adagrad generalizes worse than GD (test error (0/1)",
                "adagrad generalizes worse than GD (test cross-entropy", labels=["0/1 error", "cross-entropy"]),
          qualifier="right (cross-entropy)"),
    Entry("000", "Fig. 5",
          "The test error falls as the training set grows under the cross-entropy loss, for GD, SGD and AdaGrad — a "
          "check fastntk runs beside Fig. 5, not a claim of the paper.",
          _S000_FIG1.replace("squared loss", "cross-entropy loss"),
          _rows("overparameterization-ce", *(f"{o}: the test {m} falls as the training set grows"
                                             for m in ("error (0/1)", "cross-entropy") for o in ("gd", "sgd", "adagrad"))),
          extra=True, qualifier="right, training-set size (extra check)"),

    # ---- 001: the same paper's appendices (arXiv numbering) --------------------------------------
    Entry("001", "App. A",
          "With fewer parameters than training points the converged linearized model is the unique least-squares "
          "minimizer, the same for every θ₀ scale and every adaptive method.",
          _S001_A, _rows("underparameterized", "P < N: every optimizer that reaches the least-squares loss reaches the same "
                                     "minimizer")
          + _tests(_T_THEORY + "test_underparameterized_minimizer_is_unique"), qualifier="P < N: unique minimizer"),
    Entry("001", "App. A",
          "Once P ≥ N the loss is convex but not strictly, many weights reach zero training loss, and the "
          "initialization and the optimizer choose among them.",
          "the linearized model with P ≥ N", _rows("underparameterized", "P ≥ N: the minimizer depends on the optimizer",
                "P ≥ N: the minimizer depends on θ₀'s scale", labels=["optimizer", "θ₀ scale"]),
          qualifier="P ≥ N: many minimizers"),
    Entry("001", "App. A",
          "For less underparameterized models a ridge term λ‖θ‖² makes the inverse exist; the minimizer is still "
          "independent of θ₀.",
          "P < N with φ(X)ᵀφ(X) singular, plus a ridge term; the sentence's formula is lost in the text fastntk works "
          "from, so each reading is a row: the linear model φ(x)θ with λ‖θ‖² (an identity), the linearized net f₀ + "
          "φ(θ − θ₀) with λ‖θ‖² or with λ‖θ − θ₀‖² (a θ₀ term that no λ > 0 removes; as λ → 0 it vanishes only where "
          "the test points' features lie in φ(X)'s row space); "
          "judged over θ₀'s scale σ from closed forms (no training), at λ relative to φᵀφ's scale",
          _rows("ridge", *(f"L = {L}, m = 4: ridge, read as {r}: the minimizer is the same at every θ₀ scale σ"
                           for L in (2, 3) for r in _RIDGE_READINGS),
                labels=[f"L = {L}, {lab}" for L in (2, 3)
                        for lab in ("linear model, λ‖θ‖²", "linearized, λ‖θ‖²", "linearized, λ‖θ − θ₀‖²")]),
          qualifier="ridge"),
    Entry("001", "Lemma 2",
          "The minimum-2-norm weights interpolating the data with features φ are φ(X)ᵀ(φ(X)φ(X)ᵀ)⁻¹Y.",
          "a linear model φ(x)θ expressive enough to interpolate non-degenerate data",
          _tests(_T_THEORY + "test_last_layer_training_from_zero_is_f_int")),
    Entry("001", "Lemma 3",
          "That minimum-norm solution is the interpolator of least RKHS norm for the kernel K = φφᵀ, i.e. f_int.",
          "as Lemma 2",
          reason="not covered: an equivalence of two optimization problems (the representer theorem), which no "
                 "computation tests; fastntk computes f_int by Lemma 2's closed form, which the tests check"),
    Entry("001", "Thm C.1",
          "Formal Thm 4(a): with constant adaptive matrices, nets trained from the same θ₀ by adaptive GD and by "
          "adaptive mini-batch SGD of any batch size differ by O(1/√m); their linearizations reach the same "
          "minimizer exactly.",
          _S000_SGD,
          _rows("stochastic", "the linearized model: mini-batch SGD converges to exactly GD's minimizer")
          + _tests(_T_DYN + "test_sgd_reaches_gd_minimizer",
                   _T_THEORY + "test_thm4_sgd_equals_gd_but_adagrad_differs")),
    Entry("001", "Thm C.2",
          "Formal Thm 4(b): with changing adaptive matrices, the minimizer of adaptive mini-batch SGD differs from "
          "adaptive GD's by a path-dependent term in which the batches enter.",
          _S000_SGD + _ADA_OUTSIDE,
          _rows("stochastic", "linearized: with AdaGrad the test loss depends on the batch size")
          + _tests(_T_THEORY + "test_thm4_sgd_equals_gd_but_adagrad_differs")),
    *(Entry("001", "App. E",
            f"000 Fig. {n}'s finding holds on Fashion-MNIST: {what}.", _S001_E,
            reason=_YET + "needs the Fashion-MNIST files (`fastntk data fetch fashion` on a networked machine) "
            "and a committed run with --data fashion" + _ISSUE, qualifier=f"Fashion-MNIST, Fig. {n}")
      for n, what in ((2, "the test error grows with σ, like σ^(2L) at large σ, and approaches f_int's at small σ"),
                      (3, "AdaGrad and Adam test worse than GD at equal training error"),
                      (4, "SGD keeps GD's test error at every batch size, AdaGrad's depends on the batch size"))),
    Entry("001", "Fig. 10",
          "The outputs of nets trained by SGD, AdaGrad and Adam deviate from the GD-trained net's: SGD's little, the "
          "adaptive methods' more (Thms 3–4).",
          _S000_MNIST + "; the deviation of each trained net's outputs from GD's on the test points" + _ADA_OUTSIDE,
          _rows("stochastic", "the nets' test outputs deviate from GD's: mini-batch SGD's little, full-batch AdaGrad's "
                "more", "AdaGrad's net differs from GD's as their linear models do")),
    Entry("001", "Lemma 4",
          "A ReLU net with zero biases satisfies f_θ(x) = (1/L)⟨θ, ∇_θf_θ(x)⟩ almost everywhere (positive "
          "homogeneity), which turns the initialization term into (1/L)φ(x)(1 − P_F)θ₀.",
          "fully connected ReLU MLP (1), zero biases", _tests(_T_IDENT + "test_lemma4_euler_identity")),
    Entry("001", "Lemma 5",
          "With N(0, σ²)-initialized weights and zero biases, E‖f_θ₀(X)‖² is bounded by a power of σ independent of "
          "the width, for all data in the unit ball.",
          "fully connected ReLU MLP, weights N(0, σ²), zero biases",
          _tests(_T_THEORY + "test_init_output_energy_is_width_free_and_a_power_of_sigma")),
    Entry("001", "Lemma 6",
          "The same bound with N(0, σ²)-initialized biases.",
          "fully connected ReLU MLP, weights and biases N(0, σ²); the bound's formula is lost in extraction, fastntk "
          "checks the width-free N(1 + σ²)^L that the second-moment recursion gives",
          _tests(_T_THEORY + "test_init_output_energy_is_width_free_and_a_power_of_sigma")),
    Entry("001", "Lemma 7",
          "The Jacobian of a wide net is bounded and locally Lipschitz around θ₀ with high probability (Lee et al. "
          "2019, Lemma 2, with a factor the original omitted).",
          _S000_THM, reason="not covered: cited from Lee et al. 2019, a step of Thm G.1's proof"),
    Entry("001", "Thm G.1",
          "Nets trained adaptively with concentrating adaptive matrices stay within O(1/√m) of their linearizations "
          "trained the same way (000 calls it Thm 7).",
          _S000_ADA + _ADA_OUTSIDE, _rows("adaptive-closed-form", "AdaGrad-trained nets at convergence are Eq. (7)'s up to O(1/√m)"),
          qualifier="Eq. (7) is the linearization trained with the run's own D_t"),
    Entry("001", "Thm G.2",
          "Under such adaptive training the residual decays geometrically and the weights and the NTK stay close to "
          "their initial values, with high probability (the adaptive analogue of Lee et al.'s Thm G.4).",
          _S000_ADA + "; fastntk's test runs AdaGrad, whose D_t does not concentrate (the premise of "
          "Thm G.1's 'such adaptive training'), so it checks the conclusion outside that premise",
          _tests(_T_THEORY + "test_adaptive_training_stays_near_its_initialization")),

    # ---- 002: Wide neural networks are interpolating kernel methods ------------------------------
    Entry("002", "Thm 1",
          "The limit of last-layer GD from zero, ψ(x)ψ(X)ᵀ(ψ(X)ψ(X)ᵀ)⁻¹Y (Eq. (9)), is the minimum-norm "
          "interpolating last layer, i.e. the kernel interpolator f_int^Ψ of the last-layer kernel.",
          _S002_THM + "; only the last layer trained, from θᴸ₀ = 0",
          _tests(_T_THEORY + "test_last_layer_training_from_zero_is_f_int"), qualifier="Eqs. (9)–(11)"),
    Entry("002", "Thm 1",
          "A net whose last layer alone is trained by GD from θᴸ₀ = 0, the other layers frozen at their random "
          "initialization, converges exactly to f_int^Ψ at every input.",
          _S002_THM + "; only the last layer trained, from θᴸ₀ = 0, η < 2/λ_max(ψ(X)ψ(X)ᵀ); judged on Gaussian inputs "
          "on the sphere (N = 20, zero biases; L = 3 at m = 500), since on 002's bump and MNIST Ψ's condition number "
          "(10⁷–10⁸ with zero biases; about 1.8·10⁵ on the bump with 002's N(0, 1) biases) puts the interpolator "
          "millions of GD steps away",
          _rows("last-layer", *(f"L = {L}, m = {m}: the last layer trained alone by GD from θᴸ₀ = 0 converges to "
                                "f_int^Ψ" for L, m in ((2, 500), (3, 500), (2, 1500))),
                labels=[f"L = {L}, m = {m}" for L, m in ((2, 500), (3, 500), (2, 1500))])
          + _tests(_T_THEORY + "test_last_layer_training_from_zero_is_f_int"),
          qualifier="trained last layer"),
    Entry("002", "Lemma 1",
          "A wide net trained by GD stays within O(1/√m) of its linearization (cited from Lee et al. 2019 and Du et "
          "al. 2018).",
          _S002_BUMP, _rows("bump", "L = 2: the nets trained to equal loss are close to their linearizations")),
    Entry("002", "Lemma 2",
          "For ReLU nets the trained linearization is f_int^Φ(x) + (1/L)φ(x)[1 − φ(X)ᵀ(φ(X)φ(X)ᵀ)⁻¹φ(X)]θ₀ "
          "(Eq. (14)).",
          _S002_THM, _tests(_T_THEORY + "test_decomposition_identities")),
    Entry("002", "Lemma 3",
          "With probability ≥ 1 − δ over θ₀ the initialization term is at most σᴸ/√δ at each input.",
          _S002_THM, _tests(_T_THEORY + "test_init_term_markov_bound_over_theta0")),
    Entry("002", "Thm 2",
          "|f_NN(x) − f_int^Φ(x)| ≤ σᴸ/√δ + O(1/√m) with probability ≥ 1 − 2δ: wide nets initialized with small "
          "variance are interpolating kernel methods.",
          _S002_THM,
          _rows("bump", "L = 2: at small σ the trained net is close to the kernel interpolator f_int")
          + _depths("initialization", "at small σ the trained net is close to the kernel interpolator f_int")),
    Entry("002", "Thm 3",
          "√L_test^NN ≤ √L_test^int + σᴸ/√δ + O(1/√m) with probability ≥ 1 − 2δ: generalization bounds of "
          "interpolating kernel methods transfer to nets of small initialization variance.",
          _S002_THM, _BOUND_UP),
    Entry("002", "Thm 4",
          "√L_test^NN ≥ |σᴸJ(X_test) − O(1/√m) − √L_test^int| with probability ≥ 1 − δ: zero training error alone "
          "does not imply a small test error.",
          _S002_THM, _BOUND_LOW),
    Entry("002", "Fig. 1",
          "The trained nets' test losses are very close to their linearizations' at every σ², although the nets are "
          "not in the guaranteed overparameterized regime.",
          f"{_S002_BUMP}; and {_S002_MNIST} at L = 2, m = 4000",
          (Row("bump", "L = 2: the nets trained to equal loss are close to their linearizations"),
           Row("initialization", "L = 2: the nets trained to equal loss are close to their linearizations")),
          qualifier="left (f_NN ≈ f_lin)"),
    Entry("002", "Fig. 1",
          "At large σ² the test error and Thm 4's lower bound both grow like Θ(σ^(2L)).",
          f"{_S002_BUMP}; and {_S002_MNIST} at L = 2, m = 4000",
          (Row("bump", "L = 2: at large σ the trained net's test loss grows like σ^(2L)"),
           Row("initialization", "L = 2: at large σ the trained net's test loss grows like σ^(2L)")),
          qualifier="right (σ^(2L) growth)"),
    Entry("002", "Fig. 1",
          "At small σ² the test error is close to that of the interpolating kernel method, which is almost constant "
          "in σ² (Thm 3).",
          f"{_S002_BUMP}; and {_S002_MNIST} at L = 2, m = 4000",
          (Row("bump", "L = 2: at small σ the trained net is close to the kernel interpolator f_int"),
           Row("initialization", "L = 2: at small σ the trained net is close to the kernel interpolator f_int")),
          qualifier="right (f_NN ≈ f_int at small σ)"),
    Entry("002", "Fig. 1",
          "The test loss depends heavily on θ₀: it rises at larger σ² although every net reaches the same low "
          "training loss.",
          f"{_S002_BUMP}; and {_S002_MNIST} at L = 2, m = 4000",
          (Row("bump", "L = 2: the test loss is higher at σ ="),
           Row("initialization", "L = 2: the test loss is higher at σ =")),
          qualifier="test loss rises with σ"),
    Entry("002", "Fig. 1",
          "The same findings in the third setting, two hidden layers of 1500 units (L = 3) on MNIST.",
          f"{_S002_MNIST}, L = 3 with m = 1500",
          reason=_YET + "the initialization experiment's L = 3 runs are 000 Fig. 2's (m = 2000 in its paper preset, "
          "500 in its standard one, to 10⁻⁵), not m = 1500 at 10⁻⁴; the run (`fastntk run initialization --depths 3 "
          "--widths 1500 --tol 1e-4`, 10 nets per σ) costs about 4 h on 2 cores — a GD step at m = 1500 takes 23 ms "
          "(measured in session 29) and the σ ≤ 1 nets run to the 20,000-step cap — which no session has had"
          + _ISSUE, qualifier="MNIST, L = 3"),
    Entry("002", "Fig. 2",
          "The final training losses of the 2-D bump runs: each net trained until its loss first drops below 10⁻⁵, "
          "where the test loss no longer changes.",
          _S002_BUMP, reason=_NOT_CLAIM + "the stopping rule behind Fig. 1 (App. E); the bump summary lists its runs' "
                                        "final training losses"),
    Entry("002", "Fig. 3",
          "The final training losses of the MNIST runs with one and two hidden layers, each below 10⁻⁴.",
          _S002_MNIST, reason=_NOT_CLAIM + "the stopping rule behind Fig. 1 (App. E); the initialization summary lists "
                                         "its runs' final training losses"),

    # ---- 003: Sankararaman, De, Xu, Huang, Goldstein ---------------------------------------------
    Entry("003", "Def. 2.1",
          "Gradient confusion: objectives {f_i} have confusion bound η ≥ 0 at w when ⟨∇f_i(w), ∇f_j(w)⟩ ≥ −η for "
          "all i ≠ j (a definition; fastntk's measurement of it is tested).",
          "any objectives f_i at a fixed w",
          _tests(_T_THEORY + "test_gradient_confusion_matches_explicit_gradients")),
    Entry("003", "Lemma B.1",
          "Inputs drawn at random from the unit sphere are nearly orthogonal (max |⟨x_i, x_j⟩| = O(1/√d) at fixed "
          "N), so over-parameterized random linear models have low gradient confusion (Sect. 2).",
          "x_i i.i.d. on the unit sphere of ℝ^d, N fixed",
          _tests(_T_THEORY + "test_random_sphere_inputs_give_random_linear_models_low_confusion")),
    Entry("003", "Fig. 1",
          "In linear regression the over-parameterized model (d = 120) converges much faster under SGD and has "
          "lower gradient confusion than the under-parameterized one (d = 80).",
          "linear regression on N = 100 Gaussian samples, d = 120 against d = 80, SGD with mini-batches of 1, "
          "3 runs, cosines over all pairs of gradients",
          _rows("linear-regression", "SGD (batch 1) ends lower for the over-parameterized model",
                "the over-parameterized model has less gradient confusion", labels=["speed", "confusion"])),
    Entry("003", "Thm 3.1",
          "Under smoothness (A1) and the PL inequality (A2), constant-rate SGD converges linearly to a neighbourhood "
          "of the minimum of size αη/(1 − ρ), which grows with the gradient confusion η.",
          _S003_SGD + ", each f_i L-smooth and μ-PL; the bound evaluated by the test (256 SGD chains on 003 Fig. 1's "
          "problem), its comparative reading — more confusion, a higher floor — by linear-regression's rows on 003 "
          "Fig. 1's two models, which 003 Sects. 2–3 read it from (the floor row can hardly fail there: d = 120 "
          "interpolates, d = 80 cannot)",
          _LR_FLOOR + _tests(_T_THEORY + "test_sgd_noise_floor_obeys_003_thms_3_1_and_3_2")),
    Entry("003", "Thm 3.2",
          "For smooth non-convex objectives min_k E‖∇F(w_k)‖² ≤ ρ(F(w₁) − F*)/T + ρη: SGD reaches a neighbourhood of "
          "a stationary point whose size grows with η.",
          _S003_SGD + ", each f_i L-smooth; judged as Thm 3.1 (for least squares the stationary points are the "
          "minimizers)",
          _LR_FLOOR + _tests(_T_THEORY + "test_sgd_noise_floor_obeys_003_thms_3_1_and_3_2")),
    Entry("003", "Thm 4.1",
          "At Gaussian initialization, for arbitrary bounded data (η > 4), the gradient confusion bound holds with a "
          "probability that rises with the width and falls with the depth.",
          _S003_INIT + ", arbitrary data with ‖x_i‖ ≤ 1",
          reason="not covered: part 1 bounds raw inner products for η > 4, and the raw inner products of a "
                 "Strategy 4.1 net grow with the width (its NTK does), so only Sect. 8's normalized form can be "
                 "compared across widths, where η > 4 is out of a cosine's range; the MNIST init rows run that form "
                 "as extra checks",
          qualifier="part 1 (bounded data)"),
    Entry("003", "Thm 4.1",
          "Part 1's trends in Sect. 8's normalized form (cosines) on MNIST — a check fastntk runs beside Thm 4.1, "
          "not a claim of the paper.",
          _S003_INIT + ", MNIST inputs on the unit sphere",
          _rows("gradient-confusion", "mnist, init: wider nets have less gradient confusion",
                "mnist, init: deeper nets have more gradient confusion", labels=["width", "depth"]),
          extra=True, qualifier="part 1, normalized, MNIST (extra check)"),
    Entry("003", "Thm 4.1",
          "The same for data drawn from the unit sphere, for every η > 0, with the input dimension d helping too.",
          _S003_INIT + ", x_i i.i.d. on the unit sphere of ℝ^d",
          _rows("gradient-confusion", "sphere:100, init: wider nets have less gradient confusion",
                "sphere:100, init: deeper nets have more gradient confusion", labels=["width", "depth"]),
          qualifier="part 2 (sphere data)"),
    Entry("003", "Thm 5.1",
          "For weights of operator norm ≤ 1 (Assumption 1) and data on the sphere the dependence of gradient "
          "confusion on the width goes away: the bound rests on per-sample gradients bounded whatever the width.",
          "fully connected nets as in Thm 4.1 at any weights with ‖W_i‖ ≤ 1, x_i i.i.d. on the unit sphere",
          _tests(_T_THEORY + "test_small_weights_bound_gradient_confusion_at_every_width"),
          qualifier="width-free bound"),
    Entry("003", "Thm 5.1",
          "Under Assumption 1 the confusion bound holds with a probability that falls with the depth.",
          "fully connected nets as in Thm 4.1 at any weights with ‖W_i‖ ≤ 1, x_i i.i.d. on the unit sphere",
          reason="not covered: a lower bound 1 − N²exp(−cdη²/(16ζ₀⁴(β + 2)⁴)) on a probability with an unknown "
                 "constant c, which no measurement can contradict; its consequence for training (deeper nets "
                 "train more slowly) is 003 Fig. 2a's, judged by gradient-confusion's speed rows",
          qualifier="depth"),
    Entry("003", "Cor. 5.1",
          "The bound of Thm 5.1 holds uniformly over a ball of radius r around such weights, so very deep models may "
          "be hard to train throughout a neighbourhood of a minimizer.",
          "as Thm 5.1, all W′ in a ball B_r around W",
          reason="not covered: like Thm 5.1's depth trend, a lower bound 1 − N²exp(−cdη²/(64ζ₀⁴(β + 2)⁴) + …) on a "
                 "probability with an unknown constant c, which no measurement can contradict; the width-free "
                 "scale under Assumption 1 it rests on is Thm 5.1's test"),
    Entry("003", "Thm 6.1",
          "For deep linear nets with orthogonal weight matrices (rescaled by 1/√(2β)) the confusion bound holds with "
          "probability 1 − N²exp(−cdη²), independent of depth and width.",
          "linear nets γW_β⋯W₁x, γ = 1/√(2β), orthogonal W_i, squared loss, x_i i.i.d. on the unit sphere; an "
          "identity at every depth and width, ⟨∇f_i, ∇f_j⟩ = ½⟨r_i, r_j⟩⟨x_i, x_j⟩, so the test that checks it is the "
          "verdict (a run would re-measure the identity; the probability over x is Lemma B.1's, tested on the sphere)",
          _tests(_T_THEORY + "test_orthogonal_linear_net_confusion_is_depth_free")),
    Entry("003", "Fig. 2a",
          "Deeper CNN-β-2 (β = 16 … 40) converge more slowly under SGD.",
          _S003_CNN,
          _rows("gradient-confusion", *(f"{d}, trained: deeper nets converge more slowly" for d in ("sphere:100", "mnist")),
                labels=["sphere", "MNIST"])),
    Entry("003", "Fig. 2b",
          "The minimum pairwise gradient cosine at the end of training falls as the depth grows: more confusion.",
          _S003_CNN,
          _rows("gradient-confusion", "sphere:100, trained: deeper nets have more gradient confusion",
                "mnist, trained: deeper nets have more gradient confusion", labels=["sphere", "mnist"])),
    Entry("003", "Fig. 2c",
          "With depth the density of pairwise gradient cosines concentrates less sharply around 0.",
          _S003_CNN,
          _rows("gradient-confusion", "sphere:100, trained: mini-batch gradient cosines concentrate less sharply around 0",
                "mnist, trained: mini-batch gradient cosines concentrate less sharply around 0", labels=["sphere", "mnist"])),
    Entry("003", "Fig. 3a",
          "Wider CNN-16-ℓ (ℓ = 2 … 6) converge faster under SGD.",
          _S003_CNN,
          _rows("gradient-confusion", *(f"{d}, trained: wider nets converge faster" for d in ("sphere:100", "mnist")),
                labels=["sphere", "MNIST"])),
    Entry("003", "Fig. 3b",
          "The minimum pairwise gradient cosine at the end of training rises with the width: less confusion.",
          _S003_CNN,
          _rows("gradient-confusion", "sphere:100, trained: wider nets have less gradient confusion",
                "mnist, trained: wider nets have less gradient confusion", labels=["sphere", "mnist"])),
    Entry("003", "Fig. 3c",
          "With width the pairwise gradient cosines concentrate around 0: SGD decouples across the samples.",
          _S003_CNN,
          _rows("gradient-confusion", "sphere:100, trained: mini-batch gradient cosines concentrate more sharply around 0",
                "mnist, trained: mini-batch gradient cosines concentrate more sharply around 0", labels=["sphere", "mnist"])),
    Entry("003", "Fig. 3c",
          "The density of mini-batch gradient cosines at initialization, against width and depth — a check fastntk "
          "runs beside Figs. 2c/3c (which 003 states at the end of training), not a claim of the paper.",
          _S003_INIT,
          _rows("gradient-confusion", "sphere:100, init: mini-batch gradient cosines concentrate more around 0",
                "sphere:100, init: mini-batch gradient cosines concentrate less around 0",
                "mnist, init: mini-batch gradient cosines concentrate more around 0",
                "mnist, init: mini-batch gradient cosines concentrate less around 0",
                labels=["sphere, width", "sphere, depth", "mnist, width", "mnist, depth"]),
          extra=True, qualifier="at initialization (extra check)"),
    Entry("003", "Fig. 4",
          "Skip connections or batch normalization alone help deeper CNNs train, but their confusion still grows "
          "with depth; together they keep the confusion low up to depth 100.",
          _S003_CNN.replace("without skip connections or batch norm", "with and without skip connections and batch "
                           "norm, β = 16 … 100"),
          reason="not covered: needs residual connections and batch normalization (CNN-β-2 on CIFAR-10); fastntk's "
                 "networks are plain MLPs"),
    Entry("003", "Sect. 8",
          "For mini-batches of size B the confusion is expected to fall as B grows (the inner products' variance "
          "scales as 1/B²).",
          "gradients averaged over mini-batches of size B",
          _tests(_T_THEORY + "test_minibatch_gradient_confusion_falls_with_the_batch_size"), qualifier="batch size"),
    Entry("003", "Sect. 8",
          "The results carry over to averaged and normalized definitions of confusion.",
          "the normalized (cosine) form of Eq. (3)",
          reason="not covered as a claim: gradient-confusion's rows judge the normalized form and report the raw "
                 "inner products beside it, which run against it in the sphere init rows (a known fault there); no "
                 "row compares the two forms", qualifier="normalized definitions"),
    Entry("003", "Lemma D.1",
          "A careful definition of the depth constant ζ₀ ≈ 2√β of Thms 4.1–6.1.",
          "—", reason=_NOT_CLAIM + "a definition in the appendix, which the text fastntk works from does not hold"),
    Entry("003", "App. A",
          "The depth and width effects hold across wide residual nets, CNNs and MLPs on CIFAR-10, CIFAR-100 and "
          "MNIST, and gradient confusion correlates with test accuracy.",
          "WRNs, CNNs and MLPs on CIFAR-10, CIFAR-100 and MNIST",
          reason="not covered: the appendix is not in the text fastntk works from; gradient-confusion's MNIST rows "
                 "are MLP runs in the spirit of its MLP results"),

    # ---- 004: Kondracki, Roy, Dwarakanath ---------------------------------------------------------
    Entry("004", "Fig. 1",
          "Under GD with a fixed step, wider one-hidden-layer ReLU nets converge faster.",
          _S004 + ", GD", _rows("width", "GD: wider networks converge faster"), qualifier="convergence"),
    Entry("004", "Fig. 1",
          "The hidden units move less from their initialization, max_r‖w_r(t) − w_r(0)‖ (Eq. (4)), the wider the "
          "net.",
          _S004 + ", GD", _rows("width", "GD: the hidden units move less from their initialization in wider networks"),
          qualifier="weight movement"),
    Entry("004", "Fig. 2",
          "Under AdaGrad narrow nets (m = 10, 100) converge more slowly and wide nets (m = 1000, 10,000) faster than "
          "under GD.",
          _S004 + ", AdaGrad against GD",
          _rows("width", "AdaGrad: narrow nets converge more slowly than under GD",
                "AdaGrad: wide nets converge faster than under GD", labels=["narrow", "wide"]),
          qualifier="convergence"),
    Entry("004", "Fig. 2",
          "Under AdaGrad too the hidden units move less from their initialization the wider the net.",
          _S004 + ", AdaGrad",
          _rows("width", "AdaGrad: the hidden units move less from their initialization in wider networks"),
          qualifier="weight movement"),
    Entry("004", "Fig. 2",
          "AdaGrad's effective learning rate ends far above the base rate for the wide nets and far below it for "
          "m = 10.",
          _S004 + ", AdaGrad", _rows("width", "AdaGrad: the hidden layer's effective rate ends above the base"),
          qualifier="effective rate"),
    Entry("004", "Fig. 3",
          "Under RMSprop (γ = 0.9) the average effective learning rate is at least 300× the base rate at every "
          "width.",
          _S004 + ", RMSprop γ = 0.9",
          _rows("width", "RMSprop (γ = 0.9): the effective rate is at least 300× the base"),
          qualifier="effective rate ≥ 300×"),
    Entry("004", "Fig. 3",
          "RMSprop's effective learning rate increases over training at every width.",
          _S004 + ", RMSprop γ = 0.9",
          _rows("width", "RMSprop (γ = 0.9): the effective rate increases over training at every width"),
          qualifier="rate grows over time"),
    Entry("004", "Fig. 3",
          "These rate increases make RMSprop's training loss oscillate much more.",
          _S004 + ", RMSprop γ = 0.9", _rows("width", "RMSprop's training loss oscillates more than AdaGrad's"),
          qualifier="oscillating loss"),
    Entry("004", "Fig. 3",
          "RMSprop's inflated rates \"shift the weight vectors of our hidden layer further from their initializations, "
          "when compared to both Adagrad and standard gradient descent\" (Sect. 2.4).",
          _S004 + ", RMSprop γ = 0.9",
          _rows("width", "RMSprop moves the hidden units further from their initialization than AdaGrad",
                "RMSprop moves the hidden units further from their initialization than GD", labels=["AdaGrad", "GD"]),
          qualifier="weight movement"),
    Entry("004", "Fig. 4",
          "The mean of an ensemble of trained finite-width nets agrees with the infinite-width (NTK) prediction "
          "for GD.",
          "1-D data y = sin x + ε, x ~ U(−π, π), ε ~ N(0, 1) (the cookbook's 0.1·N(0, 1)), 5 training and 50 test "
          "points, neural-tangents' fully connected network (its cookbook's: Erf, W_std = 1.5, b_std = 0.05), "
          "10,000 GD steps, the infinite-width GD ensemble",
          _rows("infinite-ensemble", "erf, W_std = 1.5, b_std = 0.05: the trained ensemble's mean follows"),
          qualifier="mean"),
    Entry("004", "Fig. 4",
          "The ensemble's spread agrees with the infinite-width ±2σ band.",
          "as the mean's", _rows("infinite-ensemble", "erf, W_std = 1.5, b_std = 0.05: the ensemble's spread matches"),
          qualifier="spread"),
    Entry("004", "Fig. 4",
          "The same comparison in the cookbook's network with ReLU for Erf — a check fastntk runs beside Fig. 4, "
          "not a claim of the paper.",
          "as the mean's, ReLU",
          _rows("infinite-ensemble", "relu, W_std = 1.5, b_std = 0.05 (an extra check, not a claim of the paper: "
                "004 Fig. 4 follows the cookbook's erf network): the trained ensemble's mean follows",
                "relu, W_std = 1.5, b_std = 0.05 (an extra check, not a claim of the paper: "
                "004 Fig. 4 follows the cookbook's erf network): the ensemble's spread matches",
                labels=["mean", "spread"]),
          extra=True, qualifier="ReLU (extra check)"),
    Entry("004", "Fig. 5",
          "A smaller standard deviation of the initial weights gives lower errors over the epochs.",
          _S004_LAZY, _rows("width", "a smaller initialization std gives a lower loss"), qualifier="loss"),
    Entry("004", "Fig. 5",
          "A smaller standard deviation of the initial weights makes the initial weight changes greater.",
          _S004_LAZY, _rows("width", "a smaller initialization std moves the hidden units more"),
          qualifier="weight movement"),
    Entry("004", "Fig. 6",
          "A larger initialization variance worsens generalization: the gap between training and test loss grows "
          "with the variance.",
          _S004_LAZY, _rows("width", "a larger initialization std widens the gap between test and training loss")),
    Entry("004", "Fig. 7",
          "With the output scaled by α (loss divided by α²) and both layers trained, the hidden weights move less "
          "the wider the net, for any α, and less at α = 10 than at α = 1 (lazier training).",
          "004 Sect. 1.2's data, f = αΣ_r a_r relu(w_rᵀx), loss (1/(nα²))Σ(f − y)², both layers trained, SGD, "
          "α = 1 and 10, widths as in Fig. 1",
          _rows("width", "with the output scaled by α and both layers trained, the hidden units move less the wider",
                "a larger output scale moves the hidden units less", labels=["width", "α"]),
          qualifier="weight movement"),
    Entry("004", "Fig. 7",
          "A smaller scale α converges better on average.",
          "as the weight movement's", _rows("width", "a smaller output scale converges better"),
          qualifier="convergence"),
    Entry("004", "Fig. 8",
          "At width m = 10, depth-5 ReLU nets reach a lower loss than depth-1 nets, whatever the scale α.",
          "004 Sect. 1.2's data, m = 10, depth 1 against 5, scale α varied",
          _rows("width", "at width 10, nets with 5 hidden layers reach a lower loss"), qualifier="loss"),
    Entry("004", "Fig. 8",
          "The depth-5 nets move their weights much less (Eq. (14), the layers' maximal unit movements averaged) "
          "than the depth-1 nets.",
          "as the loss's", _rows("width", "at width 10, nets with 5 hidden layers move their weights less"),
          qualifier="weight movement"),
    Entry("004", "Fig. 9",
          "Over 20 trials with 95:5 training–validation splits, the difference between training and test error of "
          "an m = 1000 net never exceeds 0.07, far below what its VC dimension would allow.",
          _S004_GEN + ", m = 1000, 1000 epochs",
          _rows("classifier-widths", "m = 1000: over 20 95:5 splits the gap between training and validation error "
                "never exceeds 0.07")),
    Entry("004", "Fig. 10",
          "In the first 10 epochs the widest net (m = 10,000) has the lowest training and test error, but its test "
          "loss soon converges with the narrower nets'.",
          _S004_GEN + ", first 10 epochs",
          _rows("classifier-widths", "over epochs 1–5 the widest net (m = 10000) has the lowest training error",
                "over epochs 1–5 the widest net (m = 10000) has the lowest validation error",
                "from epoch 5 to 10 the widest net's validation loss converges towards the narrower nets'",
                labels=["training error lowest", "validation error lowest", "converging after epoch 5"])),
    Entry("004", "Fig. 11",
          "After 2000 epochs the widest net has the lowest test accuracy and a rising test loss.",
          _S004_GEN + ", 2000 epochs",
          _rows("classifier-widths", "after 2000 epochs the widest net (m = 10000) has the highest validation error",
                "the widest net's validation loss rises over the second half of the 2000 epochs",
                labels=["lowest accuracy", "rising loss"])),
    Entry("004", "Fig. 12",
          "On MNIST's ten classes the widest net also does best in the first epochs and generalizes worse later.",
          "MNIST, 10 classes, two-layer nets of several widths",
          reason="not covered yet: classifier-widths runs Figs. 9–11's study on scikit-learn's binary data; the same "
                 "study on ten-class MNIST (k = 10 outputs and the cross-entropy, which fastntk trains since issue 30) "
                 "is not written"),
    Entry("004", "Fig. 13",
          "An L1 penalty with λ = 0.01 makes training and validation error converge for the m = 10,000 net, where "
          "the unregularized net's diverge.",
          _S004_GEN + ", m = 10,000, L1 penalty λΣ|w|",
          reason="not covered: needs L1/L2 weight penalties, which fastntk's training does not have"),

    # ---- checks fastntk runs that are no claim of the five papers ---------------------------------
    Entry(None, "—",
          "The empirical NTK converges to the infinite-width NTK like m^(−1/2) (Jacot et al. 2018; Arora et al. "
          "2019): the limit behind 000's Thms 1–4 and 004's Fig. 4, not a claim of the five papers.",
          "MLPs of depth L = 2, 3, 4 on MNIST inputs, widths 64 … 4096",
          _depths("kernel-convergence", "the empirical NTK converges to K∞ like m^(−1/2)", (2, 3, 4)),
          extra=True, qualifier="kernel convergence"),
)


# ---- the latest verdicts -------------------------------------------------------------------------

def default_results() -> str:
    """The committed results: docs/results of the source checkout fastntk runs from, else of
    the current directory."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.exists(os.path.join(root, "pyproject.toml")):
        return os.path.join(root, "docs", "results")
    return os.path.join("docs", "results")


@dataclass
class _Table:
    rows: list           # (claim cell, verdict cell)
    partial: bool        # the run behind it is missing jobs


def _cell(text: str) -> str:
    """A claim as its verdict table writes it (which keeps its cells free of "|")."""
    return text.replace("|", "∣").replace("\n", " ")


def load_tables(results: str | None = None) -> dict[str, _Table]:
    """{experiment: its summary.md's verdict table} for every results/NAME/summary.md that
    opens with one; missing or unreadable summaries are simply absent."""
    results = default_results() if results is None else results
    out = {}
    try:
        names = sorted(os.listdir(results))
    except OSError:
        return out
    for name in names:
        try:
            with open(os.path.join(results, name, "summary.md"), encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        lines = text.splitlines()
        if not lines or not lines[0].startswith("| claim |"):
            continue
        rows = []
        for line in lines[2:]:
            if not line.strip():
                break
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 2:
                rows.append((cells[0], cells[-1]))
        out[name] = _Table(rows, "**Partial:" in text)
    return out


def verdict(entry: Entry, tables: dict[str, _Table]) -> str | None:
    """The latest verdict of ``entry``: its rows' verdicts ("label: verdict; …" where it
    has several), "identity, tested" for its tests; None when nothing has judged it."""
    rows = [s for s in entry.judged_by or () if isinstance(s, Row)]
    tested = any(isinstance(s, Test) for s in entry.judged_by or ())
    several = len({r.experiment for r in rows}) > 1
    found = []
    for r in rows:
        table = tables.get(r.experiment)
        hits = [v for c, v in table.rows if c.startswith(_cell(r.prefix))] if table else []
        text = ", ".join(hits) + (" (partial run)" if table and table.partial else "") if hits else None
        found.append((f"{r.experiment} {r.name()}" if several else r.name(), text))
    parts = []
    if any(text for _, text in found):
        if len(found) == 1:
            parts.append(found[0][1])
        else:
            parts += [f"{label}: {text or 'no committed result'}" for label, text in found]
    if tested:
        parts.append("identity, tested")
    return "; ".join(parts) or None


def _source(s) -> dict:
    return {"experiment": s.experiment, "row": s.prefix} if isinstance(s, Row) else {"test": s.node}


def entries(results: str | None = None) -> list[dict]:
    """Every registered claim with its latest verdict, as the JSON output lists them."""
    tables = load_tables(results)
    return [dict(id=e.id, paper=e.paper, ref=e.ref, claim=e.claim, setting=e.setting,
                 judged_by=[_source(s) for s in e.judged_by] if e.judged_by else None,
                 verdict=verdict(e, tables), reason=e.reason, extra=e.extra) for e in CLAIMS]


def as_json(results: str | None = None) -> dict:
    """{"papers": PAPERS, "claims": entries(results)}."""
    return {"papers": dict(PAPERS), "claims": entries(results)}


def _by_rows(c: dict) -> bool:
    """Judged by experiment rows: rows registered and a committed verdict (rows whose experiment has not run
    yet judge nothing)."""
    return bool(c["judged_by"]) and any("experiment" in s for s in c["judged_by"]) and bool(c["verdict"])


def counts(items: list[dict]) -> str:
    """One line: how many claims each paper has and how they are judged."""
    claims = [c for c in items if not c["extra"]]
    by_paper = ", ".join(f"{k}: {sum(c['paper'] == k for c in claims)}" for k in PAPERS)
    rows = sum(1 for c in claims if _by_rows(c))
    tests = sum(1 for c in claims if c["judged_by"] and all("test" in s for s in c["judged_by"]))
    return (f"{len(claims)} claims of the five papers ({by_paper}): {rows} judged by experiment rows, {tests} by "
            f"tests alone, {len(claims) - rows - tests} not covered; {len(items) - len(claims)} extra checks that "
            "are no claim of the papers.")


def summary(results: str | None = None) -> list[str]:
    """The README's short table: per paper its claims and how they are judged (experiment
    rows, tests alone, not covered), and the extra checks."""
    items = entries(results)
    lines = ["| paper | claims | judged by experiment rows | by tests alone | not covered | extra checks |",
             "|---|---|---|---|---|---|"]
    for key in PAPERS:
        mine = [c for c in items if c["paper"] == key]
        claims = [c for c in mine if not c["extra"]]
        rows = sum(1 for c in claims if _by_rows(c))
        tests = sum(1 for c in claims if c["judged_by"] and all("test" in x for x in c["judged_by"]))
        lines.append(f"| {key}: {SHORT[key]} | {len(claims)} | {rows} | {tests} | {len(claims) - rows - tests} | "
                     f"{len(mine) - len(claims)} |")
    return lines


def _judged_by_cell(sources) -> str:
    if not sources:
        return "—"
    by: dict = {}
    for s in sources:
        key = s.get("experiment", "tests")
        by.setdefault(key, []).append(f"“{s['row']}…”" if "row" in s else f"`{s['test']}`")
    return "; ".join(f"{k}: {' / '.join(v)}" for k, v in by.items())


def markdown(results: str | None = None) -> list[str]:
    """A count line, the table (paper | ref | claim | judged by | verdict or reason) and
    the papers' citations."""
    items = entries(results)
    lines = [counts(items), "", "| paper | ref | claim | judged by | verdict or reason |", "|---|---|---|---|---|"]
    for e, c in zip(CLAIMS, items):
        last = (c["verdict"] or "no committed result") if c["judged_by"] else c["reason"]
        if c["extra"]:
            last = f"extra check, not a claim of the papers: {last}"
        ref = " — ".join(x for x in (e.ref, e.qualifier) if x and x != "—")
        cells = [c["paper"] or "—", ref, c["claim"], _judged_by_cell(c["judged_by"]), last]
        lines.append("| " + " | ".join(_cell(str(x)) for x in cells) + " |")
    lines += ["", "Papers:", ""] + [f"- {k}: {v}" for k, v in PAPERS.items()]
    return lines
