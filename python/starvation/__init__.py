"""The gradient-starvation engine from Python.

Pezeshki et al., "Gradient Starvation: A Learning Proclivity in Neural Networks" (NeurIPS
2021): gradient flows in responses z, parameters θ and dual variables α, their equilibria, the
starvation matrix, phase portraits and parameter sweeps, computed by the Rust engine of this
repository and returned as NumPy arrays.

Build a model, then ask questions about it::

    import numpy as np
    import starvation as gs

    m = gs.toy(s1=6.0, s2=2.0, delta=0.5, regulariser=gs.l2(0.01))
    sol = gs.integrate(m, t_end=250.0, method="dop853", times=np.linspace(0, 250, 101))
    sol.t.shape, sol.z.shape            # (101,), (101, 2)
    eq = gs.equilibrium(m)
    eq.z, eq.stability, eq.starvation_matrix

Wherever a model is expected, a spec dict (the JSON the command line reads) is accepted too:
``gs.equilibrium({"model": {"features": {"toy": {"s1": 6, "s2": 2, "delta": 0.5}}}})``.

Bad input raises :class:`ValueError` with the command line's one-line message (field: what to
do); a numerical failure raises :class:`NumericalError` (a :class:`RuntimeError`). Long
computations release the GIL. Equation tags (M1 … M19) refer to docs/theory.md.
"""

from __future__ import annotations

import collections.abc as _abc
import json as _json
import os as _os
from dataclasses import dataclass as _dataclass
from dataclasses import field as _field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as _np

from . import _core
from ._core import Model, NumericalError

__all__ = [
    "Model",
    "NumericalError",
    "Solution",
    "EquilibriumResult",
    "SweepResult",
    "PortraitData",
    "OrbitDiagram",
    "toy",
    "explicit",
    "tangent",
    "random",
    "model",
    "l2",
    "sd",
    "integrate",
    "equilibrium",
    "toy_equilibria",
    "sweep",
    "portrait",
    "orbit_diagram",
    "verify",
    "run_spec",
    "check",
    "__version__",
]

__version__ = "0.1.0"

#: Submodules, loaded on first use: ``starvation.plotting`` (needs matplotlib).
_SUBMODULES = ("plotting",)

_SpecLike = Union[Model, Mapping[str, Any], str, "_os.PathLike[str]"]


def _real(x: Any, field: str) -> _np.ndarray:
    """``x`` as a float64 array; a complex array (or complex numbers in a list) is refused with
    a ValueError naming ``field`` instead of being cast (NumPy would drop the imaginary part)."""
    a = _np.asarray(x)
    if _np.iscomplexobj(a):
        raise ValueError(
            f"{field}: is complex; give real numbers (take .real explicitly if that is meant)"
        )
    try:
        return _np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: is not an array of numbers") from None


# ── regularisers and losses: spec fragments ────────────────────────────────────────────────


def l2(lam: float = 0.01) -> Dict[str, Any]:
    """Weight decay (λ/2)‖θ‖² (the paper's default, λ = 0.01), as a spec fragment."""
    return {"l2": {"lambda": lam}}


def sd(
    lam: float,
    *,
    lambda_negative: Optional[float] = None,
    target_positive: Optional[float] = None,
    target_negative: Optional[float] = None,
) -> Dict[str, Any]:
    """Spectral Decoupling (λ/2)‖ŷ − γ‖² with optional per-class λ and targets γ (M9)."""
    body: Dict[str, Any] = {"lambda": lam}
    if lambda_negative is not None:
        body["lambda_negative"] = lambda_negative
    if target_positive is not None:
        body["target_positive"] = target_positive
    if target_negative is not None:
        body["target_negative"] = target_negative
    return {"sd": body}


# ── models ──────────────────────────────────────────────────────────────────────────────────


def _section(features: Dict[str, Any], regulariser, loss, rate, directions) -> Dict[str, Any]:
    section: Dict[str, Any] = {"features": features}
    if directions is not None:
        parameters, seed = directions
        section["directions"] = {"parameters": parameters, "seed": seed}
    if regulariser is not None:
        section["regulariser"] = regulariser
    if loss is not None:
        section["loss"] = loss
    if rate is not None:
        section["rate"] = rate
    return section


def toy(
    s1: float,
    s2: float,
    delta: float,
    *,
    regulariser: Union[str, Dict[str, Any], None] = None,
    loss: Optional[str] = None,
    rate: Optional[float] = None,
    directions: Optional[Tuple[int, int]] = None,
) -> Model:
    """The paper's two-feature toy: strengths s₁, s₂ and coupling U(δ) of M17, labels (+1, +1).

    ``regulariser``: ``"none"``, :func:`l2` (default ``l2(0.01)``) or :func:`sd`; ``loss``:
    ``"exact"`` (default), ``"quadratic"``, ``"exponential_tail"``, ``"squared"`` or
    ``"smooth_hinge"``; ``rate``: η (default 1);
    ``directions``: (parameters, seed) for a random V (does not affect z).
    """
    return Model(
        _section({"toy": {"s1": s1, "s2": s2, "delta": delta}}, regulariser, loss, rate, directions)
    )


def explicit(
    strengths: Sequence[float],
    coupling: Any,
    labels: Optional[Sequence[float]] = None,
    *,
    regulariser: Union[str, Dict[str, Any], None] = None,
    loss: Optional[str] = None,
    rate: Optional[float] = None,
    directions: Optional[Tuple[int, int]] = None,
) -> Model:
    """Explicit strengths s (k,) and coupling U (n × k, orthonormal columns, rows = examples)."""
    body: Dict[str, Any] = {"strengths": strengths, "coupling": _real(coupling, "coupling")}
    if labels is not None:
        body["labels"] = labels
    return Model(_section({"explicit": body}, regulariser, loss, rate, directions))


def tangent(
    phi: Any,
    labels: Sequence[float],
    *,
    regulariser: Union[str, Dict[str, Any], None] = None,
    loss: Optional[str] = None,
    rate: Optional[float] = None,
) -> Model:
    """A model from tangent features Φ (n × m) and labels ±1: the SVD of YΦ (M3)."""
    body = {"phi": _real(phi, "phi"), "labels": labels}
    return Model(_section({"tangent": body}, regulariser, loss, rate, None))


def random(
    examples: int,
    seed: int,
    *,
    strengths: Optional[Sequence[float]] = None,
    power_law: Optional[Tuple[float, float]] = None,
    log_spaced: Optional[Tuple[float, float]] = None,
    labels: Optional[Sequence[float]] = None,
    regulariser: Union[str, Dict[str, Any], None] = None,
    loss: Optional[str] = None,
    rate: Optional[float] = None,
    directions: Optional[Tuple[int, int]] = None,
) -> Model:
    """A seeded Haar-random coupling U with one spectrum: ``strengths``, ``power_law`` =
    (largest, exponent) or ``log_spaced`` = (max s², min s²)."""
    body: Dict[str, Any] = {"examples": examples, "seed": seed}
    if strengths is not None:
        body["strengths"] = strengths
    if power_law is not None:
        body["power_law"] = {"largest": power_law[0], "exponent": power_law[1]}
    if log_spaced is not None:
        body["log_spaced"] = {"max_squared": log_spaced[0], "min_squared": log_spaced[1]}
    if labels is not None:
        body["labels"] = labels
    return Model(_section({"random": body}, regulariser, loss, rate, directions))


def _read_spec(spec: Union[str, "_os.PathLike[str]"]) -> Dict[str, Any]:
    # The engine reads the file with the command line's checks (regular file, size limit, no
    # devices or FIFOs, JSON syntax, duplicate keys); ValueError naming SPEC otherwise.
    return _json.loads(_core.read_spec_text(_os.fspath(spec)))


def _spec_dict(spec: _SpecLike) -> Dict[str, Any]:
    if isinstance(spec, (str, _os.PathLike)):
        return _read_spec(spec)
    if isinstance(spec, _abc.Mapping):
        return dict(spec)
    raise TypeError(
        f"expected a Model, a spec dict or the path of a spec file, got {type(spec).__name__}"
    )


def model(spec: _SpecLike) -> Model:
    """A :class:`Model` from a Model, a ``model`` section, a spec dict with a ``model`` section,
    or the path of a spec file (its base model)."""
    if isinstance(spec, Model):
        return spec
    d = _spec_dict(spec)
    if "features" in d:
        return Model(d)
    if "model" not in d:
        raise ValueError("model: is missing; add a `model` section")
    return Model(d["model"])


_as_model = model


# ── integration ─────────────────────────────────────────────────────────────────────────────


@_dataclass(frozen=True)
class Solution:
    """A trajectory: arrays and the solver's statistics.

    ``t`` (n,) output times; ``z`` (n, k) responses; ``y`` (n, d) states in the integrated
    space (= ``z`` for space "z"); ``stats`` counters (field_evaluations, jacobian_evaluations,
    factorisations, linear_solves, accepted_steps, rejected_steps); ``stop_reason``
    ("reached_end", "steady_state", "level_crossing"); ``events`` (kind, feature, level, time,
    bracket, z, y); ``methods_used`` [(method, from_time)]; ``wall_seconds`` the engine's
    integration time.
    """

    t: _np.ndarray
    z: _np.ndarray
    y: _np.ndarray
    stats: Dict[str, int]
    stop_reason: str
    method: str
    space: str
    methods_used: List[Tuple[str, float]]
    events: List[Dict[str, Any]]
    wall_seconds: float


def _simulation(spec: _SpecLike) -> Tuple[Model, Dict[str, Any]]:
    if isinstance(spec, Model):
        return spec, {}
    d = _spec_dict(spec)
    if "features" in d:
        return Model(d), {}
    for key in ("runs", "vary"):
        if d.get(key):
            raise ValueError(
                f"{key}: integrate() runs one model; use run_spec() for a spec with `runs` or `vary`"
            )
    if "model" not in d:
        raise ValueError("model: is missing; add a `model` section")
    return Model(d["model"]), dict(d.get("simulation") or {})


def integrate(
    model: _SpecLike,
    t_end: Optional[float] = None,
    *,
    method: Optional[str] = None,
    space: Optional[str] = None,
    rtol: Optional[float] = None,
    atol: Optional[float] = None,
    t_start: Optional[float] = None,
    times: Any = None,
    count: Optional[int] = None,
    steps: bool = False,
    initial_state: Any = None,
    step: Optional[float] = None,
    momentum: Optional[float] = None,
    betas: Optional[Tuple[float, float]] = None,
    eps: Optional[float] = None,
    max_steps: Optional[int] = None,
    initial_step: Optional[float] = None,
    max_step: Optional[float] = None,
    steady_state: Union[bool, float, None] = None,
    level_crossings: Optional[Sequence[Mapping[str, Any]]] = None,
) -> Solution:
    """Integrates the gradient flow of ``model`` from ``t_start`` (0) to ``t_end``.

    ``method``: "dop853" (default), "dopri5", "radau5", "bdf", "auto", or an optimiser map with
    ``step`` h: "gd", "heavy_ball" / "nesterov" (with ``momentum`` μ ∈ [0, 1); PyTorch's SGD with
    momentum and ``nesterov=True``), "adam" (``space="theta"`` only; ``betas`` (0.9, 0.999),
    ``eps`` 1e−8; docs/theory.md §8);
    ``space``: "z" (responses, M7/M8, default), "theta" (M5/M6) or "alpha" (M10/M11);
    ``rtol``/``atol`` (1e−8 / 1e−10); output times: ``times`` (array), ``count`` (equally
    spaced, default 101) or ``steps=True`` (every step); events: ``steady_state`` (True or a
    tolerance) and ``level_crossings`` (dicts with feature (1-based), level, direction
    "up"/"down"/"either", terminal). A spec dict's ``simulation`` section is used as the base
    and the keyword arguments override it.
    """
    m, sim = _simulation(model)
    if t_end is not None:
        sim["t_end"] = t_end
    if method is not None:
        sim["method"] = method
    if space is not None:
        sim["space"] = space
    if rtol is not None:
        sim["rtol"] = rtol
    if atol is not None:
        sim["atol"] = atol
    if t_start is not None:
        sim["t_start"] = t_start
    if times is not None:
        sim["output"] = {"times": _real(times, "times").ravel()}
    elif count is not None:
        sim["output"] = {"count": count}
    elif steps:
        sim["output"] = "steps"
    if initial_state is not None:
        sim["initial_state"] = _real(initial_state, "initial_state").ravel()
    if step is not None:
        sim["step"] = step
    if momentum is not None:
        sim["momentum"] = momentum
    if betas is not None:
        sim["betas"] = [float(b) for b in betas]
    if eps is not None:
        sim["eps"] = eps
    if max_steps is not None:
        sim["max_steps"] = max_steps
    if initial_step is not None:
        sim["initial_step"] = initial_step
    if max_step is not None:
        sim["max_step"] = max_step
    if steady_state is not None or level_crossings is not None:
        events = dict(sim.get("events") or {})
        if steady_state is True:
            events["steady_state"] = {}
        elif steady_state not in (None, False):
            events["steady_state"] = {"tolerance": steady_state}
        if level_crossings is not None:
            events["level_crossings"] = [dict(c) for c in level_crossings]
        sim["events"] = events
    r = _core.integrate(m, sim)
    return Solution(**r)


# ── equilibria ──────────────────────────────────────────────────────────────────────────────


@_dataclass(frozen=True)
class EquilibriumResult:
    """The equilibrium z* of the response flow and what the engine knows about it.

    ``z`` (k,); ``margins`` a* = U z* (n,); ``eigenvalues`` (k,) complex, of the Jacobian at z*
    (sorted by real part); ``jacobian`` (k, k); ``stability`` ("stable node", …);
    ``starvation_matrix`` (k, k), row j, column i: ∂z_j*/∂(s_i²) (M16); ``dz_dlambda`` (k,);
    ``delta`` and ``dz_ddelta`` (toy only); ``uncoupled_z`` and ``starvation_ratio`` z*/z⁰
    (L2, λ > 0); ``closed_forms`` (name, source, exact, closed_form, relative_error);
    ``branch`` (continuation table, columns as arrays); ``label``; ``raw`` the data block the
    CLI writes for this model.
    """

    z: _np.ndarray
    margins: _np.ndarray
    eigenvalues: _np.ndarray
    jacobian: _np.ndarray
    stability: str
    starvation_matrix: _np.ndarray
    dz_dlambda: _np.ndarray
    delta: Optional[float]
    dz_ddelta: Optional[_np.ndarray]
    uncoupled_z: Optional[_np.ndarray]
    starvation_ratio: Optional[_np.ndarray]
    closed_forms: List[Dict[str, Any]]
    branch: Optional[Dict[str, _np.ndarray]]
    label: str
    raw: Dict[str, Any] = _field(repr=False)

    @property
    def stable(self) -> bool:
        """True when every eigenvalue has a negative real part."""
        return bool(_np.all(self.eigenvalues.real < 0))


def _opt_array(x):
    return None if x is None else _np.asarray(x, dtype=float)


def _equilibrium_result(d: Dict[str, Any]) -> EquilibriumResult:
    branch = None
    if d.get("branch"):
        branch = {
            k: _np.asarray([_np.nan if v is None else v for v in col], dtype=float)
            for k, col in d["branch"]["table"].items()
        }
    ev = _np.asarray(d["eigenvalues"], dtype=float).reshape(-1, 2)
    return EquilibriumResult(
        z=_np.asarray(d["z"], dtype=float),
        margins=_np.asarray(d["margins"], dtype=float),
        eigenvalues=ev[:, 0] + 1j * ev[:, 1],
        jacobian=_np.asarray(d["jacobian"], dtype=float),
        stability=d["stability"],
        starvation_matrix=_np.asarray(d["starvation_matrix"], dtype=float),
        dz_dlambda=_np.asarray(d["dz_dlambda"], dtype=float),
        delta=d.get("delta"),
        dz_ddelta=_opt_array(d.get("dz_ddelta")),
        uncoupled_z=_opt_array(d.get("uncoupled_z")),
        starvation_ratio=_opt_array(d.get("starvation_ratio")),
        closed_forms=d.get("closed_forms") or [],
        branch=branch,
        label=d["label"],
        raw=d,
    )


def _with_name(d: Dict[str, Any]) -> Dict[str, Any]:
    if "name" not in d:
        d = {"name": "python", **d}
    return d


def equilibrium(
    model: _SpecLike,
    *,
    start: Any = None,
    tolerance: Optional[float] = None,
    max_iterations: Optional[int] = None,
    continuation: Optional[Tuple[str, Any]] = None,
) -> EquilibriumResult:
    """z*, eigenvalues, stability, starvation matrix and sensitivities of one model (Newton on
    the convex z-loss, M12–M16), with closed forms side by side where they exist.

    ``start`` Newton's start (default 0); ``tolerance`` weighted residual (1e−12);
    ``continuation`` = (parameter, values), parameter "s1", "s2", …, "delta" or "lambda". A spec
    dict may carry its own ``equilibrium`` section; keyword arguments override it.
    """
    if isinstance(model, Model):
        d: Dict[str, Any] = {"model": model.spec}
    else:
        d = _spec_dict(model)
        if "features" in d:
            d = {"model": d}
    d = _with_name(d)
    for key in ("simulation", "sweep", "portrait", "plot"):
        d.pop(key, None)
    section = dict(d.get("equilibrium") or {})
    if start is not None:
        section["start"] = _real(start, "start").ravel()
    if tolerance is not None:
        section["tolerance"] = tolerance
    if max_iterations is not None:
        section["max_iterations"] = max_iterations
    if continuation is not None:
        parameter, values = continuation
        section["continuation"] = {
            "parameter": parameter,
            "values": _real(values, "continuation").ravel(),
        }
    d["equilibrium"] = section
    doc = _core.run_spec(_dumps(d), "equilibrium")
    models = doc["data"]["models"]
    if len(models) != 1:
        raise ValueError(
            f"runs: the spec gives {len(models)} models; equilibrium() takes one — use "
            "run_spec() for several"
        )
    return _equilibrium_result(models[0])


def toy_equilibria(
    s1: Any,
    s2: Any = 2.0,
    delta: Any = 0.0,
    lam: Any = 0.01,
    *,
    regulariser: str = "l2",
    rate: float = 1.0,
    tolerance: float = 1e-12,
    max_iterations: int = 100,
    starvation_ratio: bool = True,
) -> Dict[str, _np.ndarray]:
    """Equilibria and starvation matrices of the two-feature toy (M17, exact loss) at every
    point of broadcast NumPy arrays, in one call: the engine's 2 × 2 Newton solver, in parallel,
    without a Python loop.

    ``s1``, ``s2``, ``delta``, ``lam`` broadcast together to a shape S; ``regulariser`` "l2"
    or "sd" (uniform). Returns float64 arrays ``z`` S + (2,), ``starvation_matrix`` S + (2, 2)
    (row j, column i: ∂z_j*/∂(s_i²)), ``eigenvalues`` S + (2,) (ascending, times ``rate``),
    ``starvation_ratio`` S + (2,), ``residual`` S, and ``iterations`` S (uint32), ``converged``
    S (bool); NaN where a point did not converge. The starvation ratio is z_j*/z_j⁰ as the
    sweep metric ``starvation_ratio`` (columns ratio1, ratio2) defines it: z⁰ is the uncoupled
    reference (U = I), the root of λz = s_j²σ(−z) under L2 and the SD margin a*(λ) under SD
    (``starvation_ratio=False`` skips it). Points warm-start from their predecessor in memory order, so pass grids with
    the fastest-varying parameter last (as ``_np.meshgrid(..., indexing="ij")`` does).
    """
    arrays = [_real(a, n) for a, n in ((s1, "s1"), (s2, "s2"), (delta, "delta"), (lam, "lam"))]
    shape = _np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [
        a.reshape(1) if a.size == 1 else _np.ascontiguousarray(_np.broadcast_to(a, shape)).reshape(-1)
        for a in arrays
    ]
    if any(a.size == 0 for a in arrays):
        flat = [_np.zeros(0) for _ in arrays]
    r = _core.toy_equilibria(
        *flat, rate, regulariser, tolerance, max_iterations, bool(starvation_ratio)
    )
    out = {
        "z": r["z"].reshape(shape + (2,)),
        "starvation_matrix": r["starvation_matrix"].reshape(shape + (2, 2)),
        "eigenvalues": r["eigenvalues"].reshape(shape + (2,)),
        "iterations": r["iterations"].reshape(shape),
        "residual": r["residual"].reshape(shape),
        "converged": r["converged"].reshape(shape),
    }
    if starvation_ratio:
        out["starvation_ratio"] = r["starvation_ratio"].reshape(shape + (2,))
    return out


# ── sweeps ──────────────────────────────────────────────────────────────────────────────────


@_dataclass(frozen=True)
class SweepResult:
    """A parameter sweep: every metric column as an array of the grid's shape.

    ``axes`` {name: values} in axis order (outermost first); ``shape`` the grid shape;
    ``columns`` {metric column: float64 array of ``shape``} (NaN where undefined or failed);
    ``status`` object array of ``shape`` (None, or why the cell failed); ``thresholds`` one
    record per line, threshold and crossing; ``threshold_branches`` the threshold curves as the
    command line's figures chain them (two or more axes): one record per branch with
    ``threshold`` (index), ``metric``, ``level``, ``x`` (the axis before last), ``y`` (the last
    axis), ``fixed`` {other axis: value index} and ``points`` (m, 2) — a segment only joins
    crossings of the same direction on neighbouring lines, so branches are never joined;
    ``document`` the JSON document the CLI writes.
    """

    axes: Dict[str, Any]
    shape: Tuple[int, ...]
    columns: Dict[str, _np.ndarray]
    status: _np.ndarray
    thresholds: List[Dict[str, Any]]
    document: Dict[str, Any] = _field(repr=False)
    threshold_branches: List[Dict[str, Any]] = _field(default_factory=list)

    def __getitem__(self, name: str) -> _np.ndarray:
        return self.columns[name]

    def to_frame(self):
        """The cell table as a pandas DataFrame (one row per cell; needs pandas)."""
        import pandas as pd

        grids = _np.meshgrid(*[_np.asarray(v) for v in self.axes.values()], indexing="ij")
        data: Dict[str, Any] = {n: g.reshape(-1) for n, g in zip(self.axes, grids)}
        for n, c in self.columns.items():
            data[n] = c.reshape(-1)
        data["status"] = self.status.reshape(-1)
        return pd.DataFrame(data)

    def thresholds_frame(self):
        """The threshold records as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.thresholds)


def sweep(
    model: _SpecLike,
    axes: Optional[Mapping[str, Any]] = None,
    metrics: Optional[Sequence[Any]] = None,
    *,
    thresholds: Optional[Sequence[Mapping[str, Any]]] = None,
    solver: Optional[Mapping[str, Any]] = None,
    as_frame: bool = False,
):
    """Evaluates metrics on a grid of model parameters, in parallel in the engine.

    ``axes``: {parameter: values} in order, outermost first (the last axis is the line axis:
    warm starts and thresholds run along it); parameters "s1", "s2", …, "s1_over_s2", "delta",
    "lambda", "rate", "regulariser", "loss"; values a NumPy array or list. ``metrics``: e.g.
    ``["z", "starvation_ratio", "starvation_matrix", "stability"]`` or dicts such as
    ``{"time_to_fraction": {"feature": 2, "fraction": 0.9}}``. ``thresholds``: records
    ``{"metric", "level", "precision"}``. A spec dict with a ``sweep`` section runs as is.
    Returns a :class:`SweepResult` (or its :meth:`SweepResult.to_frame` with ``as_frame``).
    """
    if isinstance(model, Model):
        d: Dict[str, Any] = {"model": model.spec}
    else:
        d = _spec_dict(model)
        if "features" in d:
            d = {"model": d}
    d = _with_name(d)
    section = dict(d.get("sweep") or {})
    if axes is not None:
        section["axes"] = [
            {"parameter": k, "values": v if isinstance(v, (list, tuple)) and v and isinstance(v[0], (str, dict)) else _real(v, f"axes[{k!r}]").ravel()}
            for k, v in axes.items()
        ]
    if metrics is not None:
        section["metrics"] = list(metrics)
    if thresholds is not None:
        section["thresholds"] = [dict(t) for t in thresholds]
    if solver is not None:
        section["solver"] = dict(solver)
    if axes is not None:
        section.pop("plots", None)
    d["sweep"] = section
    r = _core.sweep(_dumps(d))
    shape = tuple(len(a["values"]) for a in r["axes"])
    columns = {c: r["values"][:, i].reshape(shape) for i, c in enumerate(r["columns"])}
    status = _np.empty(len(r["status"]), dtype=object)
    status[:] = r["status"]
    result = SweepResult(
        axes={a["name"]: a["values"] for a in r["axes"]},
        shape=shape,
        columns=columns,
        status=status.reshape(shape),
        thresholds=r["thresholds"],
        document=r["document"],
        threshold_branches=r["threshold_branches"],
    )
    return result.to_frame() if as_frame else result


# ── portraits ───────────────────────────────────────────────────────────────────────────────


@_dataclass(frozen=True)
class PortraitData:
    """Phase-portrait data on a 2-D slice of a flow.

    ``base`` the full state the slice passes through; ``arrows`` {x (nx,), y (ny,), u, v
    (ny, nx)} field samples (None if not asked); ``streamlines`` list of (m, 2) polylines;
    ``nullclines`` [ẋ = 0 pieces, ẏ = 0 pieces], each a list of (m, 2) polylines (or None);
    ``equilibria`` dicts (x, y, state, eigenvalues, stability, residual, of_full_flow);
    ``trajectories`` dicts (start, t, xy (m, 2), stop_reason) of the full flow, projected.
    """

    base: _np.ndarray
    arrows: Optional[Dict[str, _np.ndarray]]
    streamlines: List[_np.ndarray]
    nullclines: Optional[List[List[_np.ndarray]]]
    equilibria: List[Dict[str, Any]]
    trajectories: List[Dict[str, Any]]


def portrait(
    model: _SpecLike,
    x_range: Tuple[float, float],
    y_range: Tuple[float, float],
    *,
    space: str = "z",
    coordinates: Tuple[int, int] = (1, 2),
    fixed: Any = None,
    arrows: Optional[Tuple[int, int]] = (21, 21),
    streamlines: Optional[int] = 12,
    nullclines: Optional[Tuple[int, int]] = (161, 161),
    equilibria: bool = True,
    starts: Any = None,
    random_starts: Optional[Tuple[int, int]] = None,
    t_end: float = 250.0,
    method: str = "auto",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    count: int = 201,
) -> PortraitData:
    """Phase-portrait data of the flow in ``space`` on coordinates ``coordinates`` (1-based):
    field samples on an ``arrows`` grid (nx, ny), streamlines (``streamlines`` = density),
    nullclines on a (nx, ny) grid, equilibria with stability, and trajectories of the full flow
    from ``starts`` ((x, y) pairs or full states) and ``random_starts`` = (count, seed). Other
    coordinates are held at ``fixed`` (a full state) or at the equilibrium.
    """
    m = _as_model(model)
    st = [] if starts is None else [list(_real(s, "starts").ravel()) for s in starts]
    r = _core.portrait(
        m,
        space,
        int(coordinates[0]),
        int(coordinates[1]),
        (float(x_range[0]), float(x_range[1])),
        (float(y_range[0]), float(y_range[1])),
        None if fixed is None else list(_real(fixed, "fixed").ravel()),
        None if arrows is None else (int(arrows[0]), int(arrows[1])),
        None if streamlines is None else int(streamlines),
        None if nullclines is None else (int(nullclines[0]), int(nullclines[1])),
        bool(equilibria),
        st,
        None if random_starts is None else (int(random_starts[0]), int(random_starts[1])),
        float(t_end),
        method,
        float(rtol),
        float(atol),
        int(count),
    )
    return PortraitData(**r)


# ── orbit diagrams of the training maps ─────────────────────────────────────────────────────


@_dataclass(frozen=True)
class OrbitDiagram:
    """The attractor of an optimiser map against its step h (docs/theory.md §8).

    ``steps`` (n,) the steps h; ``points`` (n, P) masked array: per step the P iterates of
    coordinate ``coordinate`` (1-based) kept after ``transient`` dropped ones, masked where the
    run diverged; ``diverged_at`` (n,) the iteration at which a run left every bound (−1: it did
    not); ``equilibrium`` z* the runs start next to; ``lambda_min`` the field Jacobian's
    eigenvalue of largest |Re| at z*; ``predicted_flip`` h* = 2/|λ_min| (gd), 2(1 + μ)/|λ_min|
    (heavy ball), 2(1 + μ)/((1 + 2μ)|λ_min|) (Nesterov); ``method``, ``momentum``.
    """

    steps: _np.ndarray
    points: _np.ma.MaskedArray
    diverged_at: _np.ndarray
    equilibrium: _np.ndarray
    lambda_min: float
    predicted_flip: float
    method: str
    momentum: float
    coordinate: int
    transient: int

    def periods(self, tolerance: float = 1e-6) -> _np.ndarray:
        """Distinct kept values per step (to ``tolerance`` relative to 1 + |z|): 1 on the fixed
        point, 2 on the period-2 orbit, …; 0 where the run diverged."""
        out = _np.zeros(len(self.steps), dtype=int)
        for i, row in enumerate(self.points):
            if self.diverged_at[i] >= 0:
                continue
            vals = _np.sort(_np.asarray(row, dtype=float))
            gaps = _np.diff(vals) > tolerance * (1.0 + _np.abs(vals[1:]))
            out[i] = 1 + int(_np.count_nonzero(gaps))
        return out


def orbit_diagram(
    model: _SpecLike,
    steps: Any = None,
    *,
    h_range: Optional[Tuple[float, float]] = None,
    count: int = 200,
    method: str = "gd",
    momentum: Optional[float] = None,
    coordinate: int = 1,
    transient: int = 2000,
    points: int = 64,
) -> OrbitDiagram:
    """The orbit diagram of the training map ``method`` ("gd", "heavy_ball" or "nesterov" with
    ``momentum``) on ``model``'s z-flow: for each step h of ``steps`` (an array), or of ``count``
    evenly spaced steps over ``h_range`` (default 0.5 h* … 1.5 h* around the predicted flip),
    the map is started next to z*, ``transient`` iterations are dropped and the next ``points``
    values of z_``coordinate`` (1-based) are kept. Below the flip they collapse onto z*; past it
    they split into the period-2 orbit, cascades or divergence. Same engine as the command
    line's orbit diagrams and the explorer's panel.
    """
    m = _as_model(model)
    if isinstance(coordinate, bool) or not isinstance(coordinate, (int, _np.integer)):
        raise ValueError(f"coordinate: must be a feature number 1…k, got {coordinate!r}")
    if coordinate < 1:
        raise ValueError(f"coordinate: is {coordinate}; features are numbered from 1 (z1)")
    for name, v in (("transient", transient), ("points", points), ("count", count)):
        if isinstance(v, bool) or not isinstance(v, (int, _np.integer)) or v < 0:
            raise ValueError(f"{name}: must be a whole number ≥ 0, got {v!r}")
    if steps is not None and h_range is not None:
        raise ValueError("steps: give either steps or h_range, not both")
    if steps is None:
        if h_range is None:
            probe = _core.orbit_diagram(m, method, momentum, [1.0], int(coordinate) - 1, 0, 1)
            flip = probe["predicted_flip"]
            h_range = (0.5 * flip, 1.5 * flip)
        low, high = float(h_range[0]), float(h_range[1])
        if count < 2:
            raise ValueError(f"count: is {count}; give at least 2 steps over h_range")
        steps = _np.linspace(low, high, int(count))
    h = _real(steps, "steps").ravel()
    r = _core.orbit_diagram(
        m, method, momentum, [float(x) for x in h], int(coordinate) - 1, int(transient), int(points)
    )
    diverged = _np.asarray(r["diverged_at"], dtype=int)
    mask = _np.repeat((diverged >= 0)[:, None], r["points"].shape[1], axis=1)
    return OrbitDiagram(
        steps=_np.asarray(r["steps"], dtype=float),
        points=_np.ma.masked_array(r["points"], mask=mask),
        diverged_at=diverged,
        equilibrium=_np.asarray(r["equilibrium"], dtype=float),
        lambda_min=float(r["lambda_min"]),
        predicted_flip=float(r["predicted_flip"]),
        method=r["method"],
        momentum=float(r["momentum"]),
        coordinate=int(r["coordinate"]) + 1,
        transient=int(r["transient"]),
    )


# ── whole specs, verification ───────────────────────────────────────────────────────────────


def _dumps(d: Mapping[str, Any]) -> str:
    def default(o):
        if isinstance(o, (_np.ndarray, _np.generic)) and _np.iscomplexobj(o):
            raise ValueError("spec: holds complex numbers; give real numbers")
        if isinstance(o, _np.ndarray):
            return o.tolist()
        if isinstance(o, _np.generic):
            return o.item()
        if isinstance(o, complex):
            raise ValueError("spec: holds complex numbers; give real numbers")
        if isinstance(o, Model):
            return o.spec
        raise TypeError(f"{type(o).__name__} is not JSON data")

    # allow_nan: NaN reaches the engine's parser, which rejects it with the CLI's message.
    return _json.dumps(d, default=default)


def _spec_text(
    spec: Union[Mapping[str, Any], str, "_os.PathLike[str]"],
) -> Tuple[str, Optional[str]]:
    """The spec's text and the folder its data paths are resolved against (the spec file's
    folder; None for a dict: the working folder)."""
    if isinstance(spec, (str, _os.PathLike)):
        path = _os.fspath(spec)
        return _core.read_spec_text(path), _os.path.dirname(_os.path.abspath(path))
    if isinstance(spec, _abc.Mapping):
        return _dumps(spec), None
    raise TypeError(f"expected a spec dict or the path of a spec file, got {type(spec).__name__}")


def run_spec(
    spec: Union[Mapping[str, Any], str, "_os.PathLike[str]"], command: Optional[str] = None
) -> Dict[str, Any]:
    """Runs any spec (a dict, or the path of a JSON file) as the command line would and returns
    the document it writes (``{"data": …, "provenance": …}``) as plain Python objects.

    ``command``: "run", "experiment", "equilibrium", "sweep", "portrait" or "check"; by default
    the spec's sections decide (experiment, else sweep, else simulation → run, else portrait,
    else equilibrium; ``starvation run`` runs an experiment spec). Runs and experiments add
    ``data["figures"]`` (the plotted data of the ``plot`` section, as in NAME.data.json);
    sweeps add ``data["cells"]`` (the cell table of NAME.csv, column-wise).
    """
    text, base_dir = _spec_text(spec)
    return _core.run_spec(text, command, base_dir)


def check(spec: Union[Mapping[str, Any], str, "_os.PathLike[str]"]) -> Dict[str, Any]:
    """Validates a spec without running it (``starvation check``); raises ValueError if bad.

    Returns ``name``, ``kind`` (what the spec is: "run", "sweep", "portrait", "equilibrium" or
    "experiment", the command that runs it), ``valid`` and a ``summary`` of what it computes."""
    return run_spec(spec, "check")["data"]


def verify(quick: bool = False, *, as_frame: bool = False):
    """Checks every claim of the paper numerically (``starvation verify``): one record per
    check (id, name, claim, source, measured, tolerance, passed), or a DataFrame."""
    rows = _core.verify(quick)["data"]["checks"]
    if as_frame:
        import pandas as pd

        return pd.DataFrame(rows)
    return rows


def __getattr__(name: str):
    # PEP 562: `starvation.plotting` is imported on first use, so that `import starvation` never
    # needs matplotlib.
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The typing names and the `annotations` feature are used only while the module is defined
# (annotations are strings): removed so that the namespace holds the public API (`__all__`),
# private names and submodules only.
del annotations, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union
