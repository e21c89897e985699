"""The MLP of docs/design.md §1 and its parameters: a pure description, read by
every backend through its public :attr:`MLP.layout`.

    h¹(x) = c₁ W¹ x + β₁ b¹,   hˡ(x) = c_l Wˡ a(hˡ⁻¹) + β_l bˡ,   f(x) = hᴸ(x) ∈ ℝᵏ

with c_l = σ/√m_{l−1}, β_l = σ_b in the NTK parametrization (W, b ~ N(0, 1)) and
c_l = β_l = 1 in the standard one (W ~ N(0, σ²/m_{l−1}), b ~ N(0, σ_b²)); σ_b = σ
unless given.
θ = [W¹ (row-major, m₁×m₀), b¹, W², b², …, Wᴸ, bᴸ].
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import _core, _dispatch
from ._validate import MAX_INDEX, choice, integer, positive, require_finite, to_host_vector, _real

_DTYPES = (np.float32, np.float64)
# The names the core parses (its tables in cpp/include/fastntk/model.hpp; the activations' in
# elementwise.hpp, beside their rules).
PARAMETRIZATIONS = _core.PARAMETRIZATIONS
BIAS_MODES = _core.BIAS_MODES
ACTIVATIONS = _core.ACTIVATIONS


@dataclass(frozen=True)
class Layout:
    """Where each layer lives in θ and what multiplies it: everything a backend needs
    to run the network. Per-layer tuples are indexed by l = 1 … L (entry 0 is None).

    widths : (d, m₁, …, k); L : depth; P : number of parameters.
    c, beta : the multipliers c_l and β_l of §1 (β_l = 0 without biases).
    weight_offset, bias_offset : where Wˡ (row-major m_l × m_{l−1}) and bˡ start in θ
        (bias_offset is −1 without biases).
    activation : the canonical name, one of ``fastntk.model.ACTIVATIONS`` ("identity" for
        "linear"); dtype : of θ, inputs and outputs.
    """
    widths: tuple
    L: int
    P: int
    c: tuple
    beta: tuple
    weight_offset: tuple
    bias_offset: tuple
    has_bias: bool
    activation: str
    dtype: np.dtype

    def W(self, theta, l):
        """Wˡ as a view into θ (any array type with slicing and reshape)."""
        m, mp = self.widths[l], self.widths[l - 1]
        return theta[self.weight_offset[l]:self.weight_offset[l] + m * mp].reshape(m, mp)

    def b(self, theta, l):
        """bˡ as a view into θ, or None without biases."""
        return theta[self.bias_offset[l]:self.bias_offset[l] + self.widths[l]] if self.has_bias else None


def _layout(widths, sigma, sigma_b, parametrization, has_bias, activation, dtype) -> Layout:
    L = len(widths) - 1
    c, beta, woff, boff = [None], [None], [None], [None]
    off = 0
    for l in range(1, L + 1):
        c.append(1.0 if parametrization == "standard" else sigma / math.sqrt(widths[l - 1]))
        beta.append(0.0 if not has_bias else (1.0 if parametrization == "standard" else sigma_b))
        woff.append(off)
        off += widths[l] * widths[l - 1]
        boff.append(off if has_bias else -1)
        off += widths[l] if has_bias else 0
    return Layout(tuple(widths), L, off, tuple(c), tuple(beta), tuple(woff), tuple(boff), has_bias,
                  _core.CANONICAL_ACTIVATION[activation], np.dtype(dtype))


class MLP:
    """A fully connected network with k ≥ 1 outputs; it holds no parameters itself, and it is
    immutable (its layout is computed once): :meth:`replace` makes a changed copy.

    Parameters
    ----------
    widths : [d, m₁, …, m_{L−1}, k], the layer widths (L = len(widths) − 1 ≥ 1); the last is
        the number of outputs k (1 for the papers' scalar networks; 10 for a 10-class head).
        With k = 1 outputs come as (N,), with k > 1 as (N, k).
    sigma : σ > 0, the parameter scaling of the papers: c_l = σ/√m_{l−1} (NTK
        parametrization) or W ~ N(0, σ²/m_{l−1}) (standard).
    parametrization : "ntk" (the papers') or "standard".
    bias : "zero" (b = 0 at init, trainable), "normal" (b ~ N(0,1)), or "none"
        (no bias parameters at all: then φ_σ = σᴸ φ₁ holds exactly, Thm 2).
    activation : one of ``fastntk.model.ACTIVATIONS`` (the core's list: "relu", "identity"
        or "linear" for a linear network, …); ``fastntk.infinite`` says which of them have
        closed-form infinite-width kernels.
    dtype : np.float32 or np.float64, of parameters, inputs and outputs.
    sigma_b : σ_b ≥ 0, the bias scale (default σ, the papers' convention): the bias
        multiplier β_l = σ_b of the NTK parametrization, the init b ~ N(0, σ_b²) of the
        standard one — in both, β_l bˡ ~ N(0, σ_b²) for bias "normal", as
        neural-tangents' ``stax.Dense(W_std=σ, b_std=σ_b)``.
    """

    def __init__(
        self,
        widths: Sequence[int],
        sigma: float = 1.0,
        parametrization: str = "ntk",
        bias: str = "zero",
        activation: str = "relu",
        dtype=np.float64,
        sigma_b: float | None = None,
    ):
        if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
            raise TypeError(f"widths: expected a sequence of integers [d, m₁, …, k], got {widths!r}")
        widths = [integer(w, f"widths[{i}]", 1) for i, w in enumerate(widths)]
        if dtype is None:
            raise TypeError("dtype: expected np.float32 or np.float64, got None")
        try:
            self.dtype = np.dtype(dtype).type
        except TypeError:
            raise TypeError(f"dtype: expected np.float32 or np.float64, got {dtype!r}") from None
        if self.dtype not in _DTYPES:
            raise TypeError(f"dtype: expected np.float32 or np.float64, got {np.dtype(dtype)}")
        if len(widths) < 2:
            raise ValueError("widths: expected at least [d, 1] (depth L >= 1)")
        sigma = positive(sigma, "sigma")
        for name, value, allowed in (("parametrization", parametrization, PARAMETRIZATIONS),
                                     ("bias", bias, BIAS_MODES), ("activation", activation, ACTIVATIONS)):
            choice(value, name, allowed)
        P = sum(widths[l] * widths[l - 1] + widths[l] for l in range(1, len(widths)))
        if P > MAX_INDEX:
            raise ValueError(f"widths: {widths} make {P:.3g} parameters, more than a 64-bit index can address")
        self.widths = tuple(widths)
        self.sigma = float(sigma)
        self.parametrization = parametrization
        self.bias = bias
        self.activation = activation
        self.sigma_b = self.sigma if sigma_b is None else positive(sigma_b, "sigma_b", allow_zero=True)
        self._layout = _layout(widths, self.sigma, self.sigma_b, parametrization, bias != "none", activation,
                               self.dtype)
        self._frozen = True

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(f"MLP is immutable (its layout is computed once): use net.replace({name}=...) "
                                 "for a changed copy")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        raise AttributeError(f"MLP is immutable: cannot delete {name!r}")

    @property
    def layout(self) -> Layout:
        """Offsets into θ and multipliers of every layer (:class:`Layout`)."""
        return self._layout

    @classmethod
    def uniform(cls, d: int, width: int, depth: int, outputs: int = 1, **kwargs) -> "MLP":
        """L = depth layers, every hidden layer of the same width m, k = outputs."""
        d, width, depth = integer(d, "d", 1), integer(width, "width", 1), integer(depth, "depth", 1, 10**4)
        return cls([d] + [width] * (depth - 1) + [integer(outputs, "outputs", 1)], **kwargs)

    def replace(self, **kwargs) -> "MLP":
        """The same network with some settings changed (e.g. ``sigma``). A σ_b left at its
        default (σ_b = σ) follows a new ``sigma``; one set apart from σ is kept."""
        args = dict(widths=self.widths, sigma=self.sigma, parametrization=self.parametrization,
                    bias=self.bias, activation=self.activation, dtype=self.dtype,
                    sigma_b=None if self.sigma_b == self.sigma else self.sigma_b)
        args.update(kwargs)
        return MLP(**args)

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    @property
    def input_dim(self) -> int:
        return self.widths[0]

    @property
    def outputs(self) -> int:
        """k, the number of outputs (the last width)."""
        return self.widths[-1]

    def output_array(self, f):
        """Outputs of shape (…, N, k) as the network gives them: (…, N) when k = 1, else
        unchanged. The one place that rule lives; every backend returns outputs through it."""
        return f.reshape(f.shape[:-1]) if self.widths[-1] == 1 else f

    @property
    def num_params(self) -> int:
        return self._layout.P

    @property
    def has_bias(self) -> bool:
        return self.bias != "none"

    def shapes(self) -> list[tuple[int, ...]]:
        """Shapes of [W1, b1, …, WL, bL] (no b's when bias='none')."""
        out = []
        for l in range(1, self.depth + 1):
            out.append((self.widths[l], self.widths[l - 1]))
            if self.has_bias:
                out.append((self.widths[l],))
        return out

    def init(self, seed: int = 0) -> list[np.ndarray]:
        """Draw θ₀ from ``np.random.default_rng(seed)``, layer by layer (W then b), in
        float64 then cast, so float32 and float64 nets from one seed agree to rounding.

        The arrays are views into one flat θ, so passing the list on costs no copy."""
        seed = integer(seed, "seed", 0, 2**128 - 1)
        rng = np.random.default_rng(seed)
        theta = np.empty(self.num_params, self.dtype)
        params = self.unflatten(theta)
        i = 0
        for l in range(1, self.depth + 1):
            m, mp = self.widths[l], self.widths[l - 1]
            w = rng.standard_normal((m, mp))
            if self.parametrization == "standard":
                w *= self.sigma / np.sqrt(mp)
            params[i][...] = w
            i += 1
            if self.has_bias:
                b = rng.standard_normal(m)
                if self.bias == "zero":
                    b[:] = 0.0
                elif self.parametrization == "standard":
                    b *= self.sigma_b
                params[i][...] = b
                i += 1
        return params

    def flatten(self, params, *, check_finite: bool = True) -> np.ndarray:
        """θ (P,) from [W1, b1, …] in the documented order (a flat θ passes through).

        Lists made by :meth:`init` or :meth:`unflatten` (views into one θ, in order)
        give that θ back without a copy; other lists are concatenated. NaN or Inf is an
        error unless ``check_finite`` is False (the kernels detect it in their own pass)."""
        if not isinstance(params, (list, tuple)):
            # a flat θ: any real array-like of shape (P,)
            return to_host_vector(params, "params", self.dtype, self.num_params, finite=check_finite)
        params = list(params)
        base = self._shared_base(params)
        if base is not None:
            return require_finite(base, "params") if check_finite else base
        theta = np.concatenate([p.ravel() for p in self._layer_arrays(params)])
        return require_finite(theta, "params") if check_finite else theta

    def params_in_place(self, params):
        """θ as the compiled core reads it without a copy: the flat θ where ``params`` is one
        or views into one, else the list [W1, b1, …] checked against the network's shapes, each
        a C-contiguous array of its dtype (converted only where it is not one already).
        Neither is scanned for NaN or Inf (the core's forward pass finds them)."""
        if not isinstance(params, (list, tuple)):
            return self.flatten(params, check_finite=False)
        params = list(params)
        base = self._shared_base(params)
        return base if base is not None else self._layer_arrays(params)

    def _layer_arrays(self, params):
        """[W1, b1, …] checked against :meth:`shapes`, each C-contiguous in the network's dtype."""
        shapes = self.shapes()
        if len(params) != len(shapes):
            raise ValueError(f"params: expected {len(shapes)} arrays {shapes}, got {len(params)}")
        arrays = [_real(p, f"params[{i}]") for i, p in enumerate(params)]
        for i, (p, s) in enumerate(zip(arrays, shapes)):
            if p.shape != s:
                raise ValueError(f"params[{i}]: expected shape {s}, got {p.shape}")
        return [np.ascontiguousarray(p, dtype=self.dtype) for p in arrays]

    def _shared_base(self, params):
        """The flat θ that ``params`` are consecutive views of, if they are."""
        base = getattr(params[0], "base", None) if params else None
        if not (isinstance(base, np.ndarray) and base.ndim == 1 and base.dtype == self.dtype
                and base.size == self.num_params and base.flags.c_contiguous):
            return None
        shapes = self.shapes()
        if len(params) != len(shapes):
            return None
        start = base.__array_interface__["data"][0]
        off = 0
        for p, shape in zip(params, shapes):
            if (not isinstance(p, np.ndarray) or p.base is not base or p.shape != shape
                    or p.dtype != self.dtype or not p.flags.c_contiguous
                    or p.__array_interface__["data"][0] != start + off * base.itemsize):
                return None
            off += math.prod(shape)
        return base

    def unflatten(self, theta) -> list[np.ndarray]:
        """[W1, b1, …] as views into θ (P,) (a CuPy θ gives CuPy views)."""
        theta = _dispatch.backend_for(theta=theta).vector(self, theta, "theta", finite=False)
        lay = self._layout
        out = []
        for l in range(1, self.depth + 1):
            out.append(lay.W(theta, l))
            if self.has_bias:
                out.append(lay.b(theta, l))
        return out

    def apply(self, params, X) -> np.ndarray:
        """f(X), shape (N,) for one output or (N, k) for k, for X of shape (N, d) (CuPy arrays: on
        their GPU; PyTorch and JAX CPU arrays: returned as their own kind)."""
        return _dispatch.typed_backend_for(params=params, X=X).apply(self, params, X)

    def __repr__(self) -> str:
        sigma_b = "" if self.sigma_b == self.sigma else f", sigma_b={self.sigma_b}"
        return (f"MLP(widths={list(self.widths)}, sigma={self.sigma}, parametrization="
                f"'{self.parametrization}', bias='{self.bias}', activation='{self.activation}', "
                f"dtype=np.{np.dtype(self.dtype).name}{sigma_b})")


def _net(net) -> MLP:
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    return net
