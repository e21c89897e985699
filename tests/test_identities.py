"""docs/design.md §3 identities that the kernels alone must satisfy."""
import numpy as np
from conftest import TOL, assert_close
from hypothesis import given
from hypothesis import strategies as st
from strategies import problems

import fastntk
from fastntk import reference as ref


@given(problems(activations=("relu", "identity"), biases=("zero", "none")), st.integers(0, 99))
def test_lemma4_euler_identity(p, seed):
    """Lemma 4: with zero biases, f_θ(x) = (1/L)⟨θ, ∇_θ f_θ(x)⟩ (positive homogeneity)."""
    net, _, X1, _ = p
    theta = net.flatten(net.init(seed))  # biases exactly zero
    J = fastntk.jacobian(net, theta, X1)
    f = net.apply(theta, X1)
    scale = np.abs(J).dot(np.abs(theta.astype(np.float64))).max() / net.depth + 1
    assert_close(J.astype(np.float64) @ theta / net.depth, f, net.dtype, scale=scale)


@given(problems(activations=("relu",), biases=("none", "zero")), st.sampled_from([0.25, 2.0, 3.0]))
def test_feature_scaling_sigma_to_the_L(p, sigma):
    """Thm 2: with zero biases φ_σ = σᴸ φ₁ (exactly for the weight columns; bias
    columns of layer l scale as σ^{L−l+1}, β_l = σ_b = σ as in the papers)."""
    net, _, X1, _ = p
    if net.parametrization != "ntk":
        return
    net1 = net.replace(sigma=1.0, sigma_b=None)
    nets = net.replace(sigma=sigma, sigma_b=None)
    theta = net.flatten(net.init(0))
    J1 = fastntk.jacobian(net1, theta, X1).astype(np.float64)
    Js = fastntk.jacobian(nets, theta, X1).astype(np.float64)
    L = net.depth
    expected = J1 * sigma**L
    if net.has_bias:
        for l in range(1, L + 1):
            sl = slice(net.layout.bias_offset[l], net.layout.bias_offset[l] + net.widths[l])
            expected[:, sl] = J1[:, sl] * sigma ** (L - l + 1)
    assert_close(Js, expected, net.dtype)
    if not net.has_bias:
        assert_close(fastntk.ntk(nets, theta, X1), sigma ** (2 * L) * fastntk.ntk(net1, theta, X1).astype(np.float64), net.dtype)


@given(problems(), st.integers(0, 2**16))
def test_jvp_vjp_adjoint(p, seed):
    """⟨φv, r⟩ = ⟨v, φᵀr⟩."""
    net, theta, X1, _ = p
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(net.num_params).astype(net.dtype)
    r = rng.standard_normal(X1.shape[0]).astype(net.dtype)
    a = float(np.dot(fastntk.jvp(net, theta, X1, v).astype(np.float64), r))
    b = float(np.dot(v.astype(np.float64), fastntk.vjp(net, theta, X1, r)))
    J = np.abs(ref.jacobian(net, theta, X1))
    assert_close(a, b, net.dtype, scale=np.abs(r) @ J @ np.abs(v) + 1)


@given(problems(), st.integers(0, 2**16))
def test_gram_is_phi_phiT(p, seed):
    net, theta, X1, X2 = p
    J1 = fastntk.jacobian(net, theta, X1).astype(np.float64)
    J2 = fastntk.jacobian(net, theta, X2).astype(np.float64)
    assert_close(fastntk.ntk(net, theta, X1), J1 @ J1.T, net.dtype)
    assert_close(fastntk.ntk(net, theta, X1, X2), J1 @ J2.T, net.dtype)


@given(problems(activations=("tanh", "relu"), dtypes=(np.float64,)), st.integers(0, 2**16))
def test_jacobian_finite_differences(p, seed):
    """Central differences of f along random directions match φv (float64)."""
    net, theta, X1, _ = p
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(net.num_params)
    eps = 1e-6
    fd = (net.apply(theta + eps * v, X1) - net.apply(theta - eps * v, X1)) / (2 * eps)
    if net.activation == "relu":
        # Skip samples whose ReLU pattern changes within ±eps (the kink).
        _, hs_p, _ = ref.forward(net, theta + eps * v, X1)
        _, hs_m, _ = ref.forward(net, theta - eps * v, X1)
        same = np.ones(X1.shape[0], bool)
        for a, b in zip(hs_p[:-1], hs_m[:-1]):
            same &= ((a > 0) == (b > 0)).all(axis=1)
        fd, X1 = fd[same], X1[same]
        if X1.shape[0] == 0:
            return
    jv = fastntk.jvp(net, theta, X1, v)
    np.testing.assert_allclose(jv, fd, rtol=TOL["finite_diff"], atol=0.1 * TOL["finite_diff"] * (1 + np.abs(jv).max()))
