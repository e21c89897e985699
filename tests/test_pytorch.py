"""PyTorch models in and out (fastntk.from_torch / to_torch): exact round trips, the
module's forward pass, and torch.func's Jacobian and NTK against fastntk's."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastntk
from conftest import RTOL, assert_close
from strategies import ACTIVATIONS, problems

torch = pytest.importorskip("torch", reason="PyTorch not installed: from_torch/to_torch tests skipped")
nn = torch.nn
from torch.func import functional_call, jacrev, vmap  # noqa: E402


def torch_jacobian(module, X):
    """φ(X) (N × P) of a module by torch.func, columns in the module's parameter order."""
    params = {n: p.detach() for n, p in module.named_parameters()}

    def f(pr, x):
        return functional_call(module, pr, (x[None],))[0, 0]

    J = vmap(jacrev(f), in_dims=(None, 0))(params, torch.from_numpy(X))
    return torch.cat([J[n].reshape(X.shape[0], -1) for n in params], 1).numpy()


def same_function_settings(a, b):
    assert a.widths == b.widths and a.parametrization == b.parametrization
    if a.depth > 1:  # a one-layer network applies no activation
        assert a.layout.activation == b.layout.activation
    assert a.dtype == b.dtype and a.has_bias == b.has_bias
    if a.parametrization == "ntk":
        assert a.sigma == b.sigma and a.sigma_b == b.sigma_b


@given(problems())
def test_round_trip_is_exact_and_the_module_computes_the_network(prob):
    net, theta, X1, _ = prob
    module = fastntk.to_torch(net, theta)
    assert all(p.dtype == (torch.float32 if net.dtype == np.float32 else torch.float64) for p in module.parameters())
    back, params = fastntk.from_torch(module)
    same_function_settings(back, net)
    np.testing.assert_array_equal(back.flatten(params), theta)
    with torch.no_grad():
        out = module(torch.from_numpy(X1)).numpy()
    assert out.shape == (X1.shape[0], 1)
    assert_close(out[:, 0], net.apply(theta, X1), net.dtype)


@given(problems(dtypes=(np.float64,)))
def test_module_parameters_are_theta_torch_jacobian_and_ntk_equal_fastntks(prob):
    """The module's parameters are θ in both parametrizations, so ∂f/∂(module
    parameters) by torch.func is φ(x) and φφᵀ is fastntk's Gram."""
    net, theta, X1, X2 = prob
    module = fastntk.to_torch(net, theta)
    J = torch_jacobian(module, X1)
    assert_close(J, fastntk.jacobian(net, theta, X1), np.float64)
    assert_close(J @ torch_jacobian(module, X2).T, fastntk.ntk(net, theta, X1, X2), np.float64)


@given(problems(dtypes=(np.float64,), outputs=(2, 5), max_depth=4))
def test_k_output_module_round_trip_jacobian_and_both_kernels_equal_torch_funcs(prob):
    """A k-output last nn.Linear: the module computes (N, k), and torch.func's Jacobian
    (N, k, P) and its kernels — traced and the full (N1, N2, k, k) block — are fastntk's."""
    net, theta, X1, X2 = prob
    module = fastntk.to_torch(net, theta)
    back, params = fastntk.from_torch(module)
    assert back.widths == net.widths
    np.testing.assert_array_equal(back.flatten(params), theta)
    with torch.no_grad():
        assert_close(module(torch.from_numpy(X1)).numpy(), net.apply(theta, X1), np.float64)
    pr = {n: p.detach() for n, p in module.named_parameters()}

    def jac(X):
        J = vmap(jacrev(lambda p, x: functional_call(module, p, (x[None],))[0]), in_dims=(None, 0))(
            pr, torch.from_numpy(X))
        return torch.cat([J[n].reshape(X.shape[0], net.outputs, -1) for n in pr], 2).numpy()

    J1, J2 = jac(X1), jac(X2)
    assert_close(J1, fastntk.jacobian(net, theta, X1), np.float64)
    assert_close(np.einsum("iap,jbp->ijab", J1, J2), fastntk.ntk(net, theta, X1, X2, trace_axes=()), np.float64)
    # traced: the mean over the outputs, neural-tangents' convention
    assert_close(np.einsum("iap,jap->ij", J1, J2) / net.outputs, fastntk.ntk(net, theta, X1, X2), np.float64)


@given(st.sampled_from([np.float32, np.float64]), st.sampled_from([0.5, 1.0, 2.0]), st.booleans(),
       st.sampled_from(ACTIVATIONS), st.integers(0, 1000))
def test_plain_module_read_in_either_parametrization_computes_the_same_function(dtype, sigma, bias, act, seed):
    """Every activation the core knows converts (a new one without its module fails here)."""
    torch.manual_seed(seed)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    act_cls = fastntk.pytorch._TORCH_ACTIVATION[act]
    module = nn.Sequential(nn.Linear(3, 7, bias=bias), act_cls(), nn.Sequential(nn.Linear(7, 5, bias=bias), act_cls()),
                           nn.Linear(5, 1, bias=bias)).to(tdtype)
    X = np.random.default_rng(seed).standard_normal((6, 3)).astype(dtype)
    with torch.no_grad():
        expected = module(torch.from_numpy(X))[:, 0].numpy()
    std, p_std = fastntk.from_torch(module)
    assert std.parametrization == "standard" and std.activation == act and std.dtype == dtype
    assert std.bias == ("normal" if bias else "none")
    np.testing.assert_array_equal(std.flatten(p_std),
                                  np.concatenate([p.detach().numpy().ravel() for p in module.parameters()]))
    assert_close(std.apply(p_std, X), expected, dtype)
    ntk_net, p_ntk = fastntk.from_torch(module, parametrization="ntk", sigma=sigma)
    assert ntk_net.parametrization == "ntk" and ntk_net.sigma == sigma
    assert_close(ntk_net.apply(p_ntk, X), expected, dtype)
    # the NTK reading's θ is the standard one divided by c_l (weights) and β_l (biases)
    lay = ntk_net.layout
    W1 = lay.W(ntk_net.flatten(p_ntk), 1).astype(np.float64)
    np.testing.assert_allclose(W1 * lay.c[1], module[0].weight.detach().double().numpy(), rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", ["zero", "normal", "none"])
def test_round_trip_with_sigma_b_apart_from_sigma(dtype, bias):
    """NTK parametrization with σ_b ≠ σ: to_torch's NTKLinear layers multiply the bias by
    σ_b, from_torch reads σ and σ_b back, and torch.func's φ equals fastntk's."""
    net = fastntk.MLP([3, 6, 4, 1], sigma=1.4, sigma_b=0.3, bias=bias, dtype=dtype)
    theta = net.flatten(net.init(2))
    X = np.random.default_rng(2).standard_normal((5, 3)).astype(dtype)
    module = fastntk.to_torch(net, theta)
    assert all(layer.sigma == 1.4 and layer.sigma_b == 0.3 for layer in module if hasattr(layer, "sigma_b"))
    back, params = fastntk.from_torch(module)
    assert (back.sigma, back.sigma_b, back.parametrization) == (1.4, 0.3, "ntk")
    np.testing.assert_array_equal(back.flatten(params), theta)
    assert back.layout == net.layout
    with torch.no_grad():
        assert_close(module(torch.from_numpy(X))[:, 0].numpy(), net.apply(theta, X), dtype)
    if dtype == np.float64:
        assert_close(torch_jacobian(module, X), fastntk.jacobian(net, theta, X), dtype)
    assert fastntk.from_torch(module, sigma=1.4, sigma_b=0.3)[0].layout == net.layout
    with pytest.raises(ValueError, match="sigma_b: the module's NTKLinear layers have σ_b = 0.3"):
        fastntk.from_torch(module, sigma_b=1.4)


def test_plain_module_read_as_ntk_with_sigma_b():
    """Plain layers read in the NTK parametrization with σ_b: θ's biases are the module's
    divided by β_l = σ_b, and the function is the module's; σ_b = 0 cannot hold nonzero
    biases."""
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)).double()
    X = np.random.default_rng(0).standard_normal((4, 3))
    net, params = fastntk.from_torch(module, parametrization="ntk", sigma=0.8, sigma_b=0.25)
    assert (net.sigma, net.sigma_b) == (0.8, 0.25) and net.layout.beta[1:] == (0.25, 0.25)
    np.testing.assert_allclose(params[1] * 0.25, module[0].bias.detach().numpy(), rtol=RTOL[np.float64])
    with torch.no_grad():
        assert_close(net.apply(params, X), module(torch.from_numpy(X))[:, 0].numpy(), np.float64)
    with pytest.raises(ValueError, match="sigma_b: 0 makes"):
        fastntk.from_torch(module, parametrization="ntk", sigma_b=0.0)
    with torch.no_grad():
        for layer in (module[0], module[2]):
            layer.bias.zero_()
    net, params = fastntk.from_torch(module, parametrization="ntk", sigma_b=0.0)
    assert net.bias == "zero" and not params[1].any()
    assert_close(net.apply(params, X), module(torch.from_numpy(X))[:, 0].detach().numpy(), np.float64)


def test_identity_and_linear_stacks_are_linear_networks():
    module = nn.Sequential(nn.Linear(4, 6), nn.Identity(), nn.Linear(6, 3), nn.Linear(3, 1)).double()
    net, params = fastntk.from_torch(module)
    assert net.activation == "identity" and net.widths == (4, 6, 3, 1)
    X = np.random.default_rng(1).standard_normal((5, 4))
    with torch.no_grad():
        assert_close(net.apply(params, X), module(torch.from_numpy(X))[:, 0].numpy(), np.float64)
    assert fastntk.from_torch(nn.Sequential(nn.Linear(4, 1)))[0].depth == 1
    # "linear" names the identity: to_torch read the alias as a name of its own and raised KeyError
    lin = fastntk.MLP([4, 6, 1], activation="linear", dtype=np.float64)
    theta = lin.init(2)
    with torch.no_grad():
        assert_close(fastntk.to_torch(lin, theta)(torch.from_numpy(X))[:, 0].numpy(), lin.apply(theta, X), np.float64)


def test_ntk_linear_initializes_as_fastntk_does():
    layer = fastntk.pytorch.NTKLinear(200, 300, sigma=1.3, bias_init="normal", dtype=torch.float64)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01 and abs(b.std() - 1) < 0.3
    assert not fastntk.pytorch.NTKLinear(3, 2).bias.detach().numpy().any()
    with pytest.raises(ValueError, match="sigma"):
        fastntk.pytorch.NTKLinear(3, 2, sigma=0)
    with pytest.raises(ValueError, match="sigma_b"):
        fastntk.pytorch.NTKLinear(3, 2, sigma_b=-1.0)
    layer = fastntk.pytorch.NTKLinear(4, 2, sigma=2.0, sigma_b=0.5, bias_init="normal", dtype=torch.float64)
    assert layer.sigma_b == 0.5 and fastntk.pytorch.NTKLinear(4, 2, sigma=2.0).sigma_b == 2.0
    x = torch.ones(1, 4, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(layer(x).numpy(), (x @ layer.weight.T + 0.5 * layer.bias).numpy(),
                                   rtol=RTOL[np.float64])


@pytest.mark.parametrize("module, match", [
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1)), r"layer 1 \(Sigmoid\) is not supported"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Dropout(), nn.Linear(4, 1))),
     r"layer 2\.0 \(Dropout\)"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1)),
     "one activation throughout"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1), nn.ReLU()), "ends with an activation"),
    (lambda: nn.Sequential(nn.ReLU(), nn.Linear(3, 1)), "before the first linear layer"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.ReLU(), nn.Linear(4, 1)), "follows another activation"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Linear(4, 1)),
     "without an activation"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 1)), "takes 5 inputs"),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1, bias=False)), "some linear layers have a bias"),
    (lambda: nn.Sequential(), "no nn.Linear"),
])
def test_unsupported_modules_are_named(module, match):
    with pytest.raises(ValueError, match=match):
        fastntk.from_torch(module())


def test_other_bad_input_is_named():
    with pytest.raises(TypeError, match="module: expected an nn.Sequential"):
        fastntk.from_torch(nn.Linear(3, 1))
    with pytest.raises(TypeError, match="float32 or float64"):
        fastntk.from_torch(nn.Sequential(nn.Linear(3, 1)).half())
    bad = nn.Sequential(nn.Linear(3, 1))
    with torch.no_grad():
        bad[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        fastntk.from_torch(bad)
    with pytest.raises(ValueError, match="parametrization"):
        fastntk.from_torch(nn.Sequential(nn.Linear(3, 1)), parametrization="mean-field")
    ntk_module = fastntk.to_torch(fastntk.MLP([3, 4, 1], sigma=1.5), fastntk.MLP([3, 4, 1]).init(0))
    with pytest.raises(ValueError, match="NTK-parametrized"):
        fastntk.from_torch(ntk_module, parametrization="standard")
    with pytest.raises(ValueError, match="sigma"):
        fastntk.from_torch(ntk_module, sigma=2.0)
    mixed = fastntk.to_torch(fastntk.MLP([3, 4, 1]), fastntk.MLP([3, 4, 1]).init(0))
    mixed[2].sigma_b = 0.5
    with pytest.raises(ValueError, match="NTKLinear layers with different sigma_b"):
        fastntk.from_torch(mixed)
    with pytest.raises(ValueError, match="sigma_b"):
        fastntk.from_torch(nn.Sequential(nn.Linear(3, 1)), sigma_b=-0.5)
    with pytest.raises(TypeError, match="net: expected a fastntk.MLP"):
        fastntk.to_torch("mlp", None)
    net = fastntk.MLP([3, 4, 1])
    with pytest.raises(ValueError, match="params"):
        fastntk.to_torch(net, np.ones(5))


def test_matches_pytorch_optimizers():
    """fastntk.train and torch.optim on the module to_torch makes, step for step."""
    net = fastntk.MLP([4, 12, 7, 1], bias="normal", sigma=1.3)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((9, 4)), rng.standard_normal(9)
    theta = net.flatten(net.init(5))
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    for name, cls, kw in [("adam", torch.optim.Adam, dict(lr=0.01)), ("rmsprop", torch.optim.RMSprop, dict(lr=0.01)),
                          ("adagrad", torch.optim.Adagrad, dict(lr=0.05)),
                          ("momentum", torch.optim.SGD, dict(lr=0.1, momentum=0.9))]:
        module = fastntk.to_torch(net, theta)
        opt = cls(module.parameters(), **kw)
        for _ in range(10):
            opt.zero_grad()
            loss = 0.5 * ((module(Xt)[:, 0] - Yt) ** 2).mean()
            loss.backward()
            opt.step()
        extra = dict(momentum=0.9) if name == "momentum" else {}
        r = fastntk.train(net, theta, X, Y, optimizer=name, lr=kw["lr"], max_steps=10, tol=1e-300, **extra)
        _, params = fastntk.from_torch(module)
        np.testing.assert_allclose(r.theta, net.flatten(params), atol=RTOL[np.float64])

