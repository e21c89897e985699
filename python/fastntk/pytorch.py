"""PyTorch models in and out: an ``nn.Sequential`` of linear layers and one
activation ↔ an :class:`~fastntk.MLP` and its parameters θ.

PyTorch is optional; this module imports it and is itself imported only when
:func:`fastntk.from_torch` or :func:`fastntk.to_torch` is called.

The correspondence is exact in both directions:

* a plain ``nn.Linear`` holds the effective weight c_l Wˡ and bias β_l bˡ, which are
  θ itself in the standard parametrization (c_l = β_l = 1);
* :class:`NTKLinear` holds Wˡ and bˡ of the NTK parametrization and multiplies by
  c_l = σ/√m_{l−1} and β_l = σ_b in its forward pass, so that its parameters *are* θ
  and ``torch.func`` gradients with respect to them equal fastntk's Jacobian φ(x).
"""
from __future__ import annotations

import math

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError("fastntk.from_torch/to_torch need PyTorch (pip install torch)") from exc

from ._dispatch import backend_for
from ._validate import choice, positive
from .model import MLP

class Erf(nn.Module):
    """erf as a layer (PyTorch has torch.erf but no module for it)."""

    def forward(self, x):
        return torch.erf(x)


_TORCH_ACTIVATION = {"relu": nn.ReLU, "identity": nn.Identity, "tanh": nn.Tanh, "erf": Erf}
_ACTIVATIONS = {cls: name for name, cls in _TORCH_ACTIVATION.items()}
_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


class NTKLinear(nn.Linear):
    """``y = c·x Wᵀ + β·b`` with W, b the NTK parametrization's parameters
    (Jacot et al. 2018; docs/design.md §1): c = σ/√in_features, β = σ_b
    (``sigma_b``, default σ).

    Initialized as fastntk initializes θ: W ~ N(0, 1) and b = 0 (``bias_init="zero"``)
    or b ~ N(0, 1) (``"normal"``), from PyTorch's generator.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, sigma: float = 1.0,
                 bias_init: str = "zero", device=None, dtype=None, sigma_b: float | None = None):
        self.sigma = positive(sigma, "sigma")
        self.sigma_b = self.sigma if sigma_b is None else positive(sigma_b, "sigma_b", allow_zero=True)
        self.bias_init = choice(bias_init, "bias_init", ("zero", "normal"))
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)

    @property
    def weight_scale(self) -> float:
        return self.sigma / math.sqrt(self.in_features)

    def reset_parameters(self) -> None:
        nn.init.normal_(self.weight)
        if self.bias is not None:
            if self.bias_init == "zero":
                nn.init.zeros_(self.bias)
            else:
                nn.init.normal_(self.bias)

    def forward(self, x):
        y = self.weight_scale * (x @ self.weight.T)
        return y if self.bias is None else y + self.sigma_b * self.bias

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, sigma={self.sigma}, sigma_b={self.sigma_b}"


def _layers(module):
    """The leaves of (possibly nested) ``nn.Sequential`` containers, with their names."""
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"module: expected an nn.Sequential of nn.Linear and ReLU/Identity/Tanh/Erf layers, "
                        f"got {type(module).__name__}")
    out = []
    for name, child in module.named_children():
        if isinstance(child, nn.Sequential):
            out += [(f"{name}.{n}", c) for n, c in _layers(child)]
        else:
            out.append((name, child))
    return out


def _structure(module):
    """The linear layers and the one activation of an ``nn.Sequential``, or a
    ValueError naming the first layer that does not fit the MLP of §1."""
    linears, activation, expect_linear = [], None, True
    for name, layer in _layers(module):
        if isinstance(layer, nn.Linear):
            if not expect_linear and activation not in (None, "identity"):
                raise ValueError(f"module: layer {name} ({type(layer).__name__}) follows another linear layer "
                                 "without an activation; fastntk's MLP applies one activation between "
                                 "every two linear layers")
            if not expect_linear:
                activation = "identity"  # Linear, Linear: a linear network
            linears.append((name, layer))
            expect_linear = False
            continue
        kind = next((a for cls, a in _ACTIVATIONS.items() if type(layer) is cls), None)
        if kind is None:
            raise ValueError(f"module: layer {name} ({type(layer).__name__}) is not supported; "
                             "expected nn.Linear, nn.ReLU, nn.Identity, nn.Tanh or fastntk.pytorch.Erf")
        if kind == "identity":
            continue  # a no-op wherever it stands
        if not linears:
            raise ValueError(f"module: layer {name} ({type(layer).__name__}) comes before the first linear layer")
        if expect_linear:
            raise ValueError(f"module: layer {name} ({type(layer).__name__}) follows another activation")
        if activation not in (None, kind):
            raise ValueError(f"module: layer {name} is {type(layer).__name__} but an earlier one is "
                             f"{activation}; fastntk's MLP has one activation throughout")
        activation = kind
        expect_linear = True
    if not linears:
        raise ValueError("module: contains no nn.Linear layer")
    if expect_linear:
        raise ValueError("module: ends with an activation; fastntk's MLP ends with a linear output layer")
    return linears, activation or "relu"  # one linear layer: no activation applies


def _layers_scale(linears, attr, symbol, given, allow_zero):
    """The one σ (or σ_b) of NTKLinear layers, and ``given`` checked against it."""
    values = {getattr(layer, attr) for _, layer in linears}
    if len(values) != 1:
        raise ValueError(f"module: NTKLinear layers with different {attr} {sorted(values)}; "
                         f"fastntk's MLP has one {symbol}")
    value = next(iter(values))
    if given is not None and positive(given, attr, allow_zero=allow_zero) != value:
        raise ValueError(f"{attr}: the module's NTKLinear layers have {symbol} = {value}, got {given}")
    return value


def from_torch(module, *, parametrization: str | None = None, sigma: float | None = None,
               dtype=None, sigma_b: float | None = None) -> tuple[MLP, list[np.ndarray]]:
    """The :class:`~fastntk.MLP` and parameters θ of a PyTorch MLP.

    Parameters
    ----------
    module : ``nn.Sequential`` (nested ones are flattened) of ``nn.Linear`` layers with
        one activation between them, ``nn.ReLU``, ``nn.Tanh``, :class:`Erf` or ``nn.Identity``
        (a linear network), the last layer with k ≥ 1 outputs. Layers are either all
        plain ``nn.Linear`` or all :class:`NTKLinear` (as :func:`to_torch` makes them).
    parametrization : for plain ``nn.Linear`` layers, "standard" (default: θ are the
        module's weights and biases as they are) or "ntk" (θ rescaled so that the
        NTK-parametrized network computes the same function: Wˡ = W_torch/c_l,
        bˡ = b_torch/β_l with c_l = σ/√m_{l−1}, β_l = σ_b). :class:`NTKLinear` layers
        are always "ntk", with their own σ and σ_b.
    sigma : σ of the returned network (for "standard" it sets only the scale of
        :meth:`MLP.init`; default 1). NTKLinear layers carry σ themselves.
    sigma_b : σ_b of the returned network (default σ; see :class:`~fastntk.MLP`).
        NTKLinear layers carry σ_b themselves.
    dtype : np.float32 or np.float64; default the module's parameter dtype.

    Returns
    -------
    (net, params) : an MLP and [W¹, b¹, …] as NumPy arrays (views into one θ), with
        ``net.apply(params, X) == module(X)[:, 0]`` up to rounding. Parameters on a GPU
        are copied to the host.

    A layer of another type, activations that differ, biases on some layers only, or a
    parameter dtype other than float32/float64 is a ValueError or TypeError naming it.
    """
    linears, activation = _structure(module)
    ntk_layers = [isinstance(layer, NTKLinear) for _, layer in linears]
    if any(ntk_layers) and not all(ntk_layers):
        raise ValueError("module: mixes NTKLinear and nn.Linear layers")
    if all(ntk_layers):
        if parametrization not in (None, "ntk"):
            raise ValueError(f"parametrization: the module's NTKLinear layers are NTK-parametrized, "
                             f"got {parametrization!r}")
        sigma = _layers_scale(linears, "sigma", "σ", sigma, allow_zero=False)
        sigma_b = _layers_scale(linears, "sigma_b", "σ_b", sigma_b, allow_zero=True)
        parametrization = "ntk"
    else:
        parametrization = choice("standard" if parametrization is None else parametrization,
                                 "parametrization", ("standard", "ntk"))
        sigma = 1.0 if sigma is None else positive(sigma, "sigma")
        sigma_b = None if sigma_b is None else positive(sigma_b, "sigma_b", allow_zero=True)

    widths = [linears[0][1].in_features]
    for (name, layer) in linears:
        if layer.in_features != widths[-1]:
            raise ValueError(f"module: layer {name} takes {layer.in_features} inputs, "
                             f"the layer before it gives {widths[-1]}")
        widths.append(layer.out_features)
    has_bias = [layer.bias is not None for _, layer in linears]
    if any(has_bias) and not all(has_bias):
        raise ValueError("module: some linear layers have a bias and some do not; expected all or none")

    tensors = [t for _, layer in linears for t in ((layer.weight, layer.bias) if has_bias[0] else (layer.weight,))]
    tdtypes = {t.dtype for t in tensors}
    if len(tdtypes) != 1 or next(iter(tdtypes)) not in _DTYPES:
        raise TypeError(f"module: expected float32 or float64 parameters of one dtype, got {sorted(map(str, tdtypes))}")
    dtype = _DTYPES[next(iter(tdtypes))] if dtype is None else dtype

    host = [t.detach().cpu() for t in tensors]
    if not all(bool(torch.isfinite(h).all()) for h in host):
        raise ValueError("module: its parameters contain NaN or Inf")
    bias = "none" if not has_bias[0] else ("zero" if not any(bool(h.any()) for h in host[1::2]) else "normal")
    net = MLP(widths, sigma=sigma, parametrization=parametrization, bias=bias, activation=activation, dtype=dtype,
              sigma_b=sigma_b)
    params = net.unflatten(np.empty(net.num_params, net.dtype))
    # θ's own layers copy exactly; plain layers read as NTK are rescaled in float64
    rescale = parametrization == "ntk" and not all(ntk_layers)
    if rescale and bias == "normal" and net.sigma_b == 0:
        raise ValueError("sigma_b: 0 makes the NTK parametrization's bias multiplier β_l = 0, so the module's "
                         "nonzero biases cannot be represented")
    step = 2 if has_bias[0] else 1
    for i, (h, p) in enumerate(zip(host, params)):
        if rescale:
            l = i // step + 1
            scale = net.layout.c[l] if i % step == 0 else net.layout.beta[l]
            p[...] = h.to(torch.float64).numpy() / scale if scale else 0.0  # β = 0: zero biases stay 0
        else:
            p[...] = h.numpy()
    return net, params


def to_torch(net: MLP, params, *, device=None) -> "nn.Sequential":
    """A PyTorch ``nn.Sequential`` computing ``net`` with parameters θ.

    Standard parametrization: ``nn.Linear`` layers holding θ. NTK parametrization:
    :class:`NTKLinear` layers holding θ and multiplying by c_l and β_l, so the module's
    parameters are θ (gradients with respect to them are φ(x) = ∂f/∂θ) and
    ``from_torch(to_torch(net, θ))`` gives back ``net`` and θ exactly.
    Activations: ``nn.ReLU``, ``nn.Tanh``, :class:`Erf` or ``nn.Identity``. The output has
    shape (N, k).

    params : [W¹, b¹, …] or θ (P,), NumPy or CuPy; device : where the module's
    tensors live (default the CPU); dtype : the network's.
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    Ws = net.unflatten(net.flatten(backend_for(params=params).host(params)))
    tdtype = torch.float32 if net.dtype == np.float32 else torch.float64
    act = _TORCH_ACTIVATION[net.layout.activation]
    layers = []
    step = 2 if net.has_bias else 1
    for l in range(1, net.depth + 1):
        m_in, m_out = net.widths[l - 1], net.widths[l]
        if net.parametrization == "ntk":
            layer = NTKLinear(m_in, m_out, bias=net.has_bias, sigma=net.sigma, sigma_b=net.sigma_b, device=device,
                              dtype=tdtype)
        else:
            layer = nn.Linear(m_in, m_out, bias=net.has_bias, device=device, dtype=tdtype)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(Ws[step * (l - 1)])))
            if net.has_bias:
                layer.bias.copy_(torch.from_numpy(np.ascontiguousarray(Ws[step * (l - 1) + 1])))
        layers.append(layer)
        if l < net.depth:
            layers.append(act())
    return nn.Sequential(*layers)
