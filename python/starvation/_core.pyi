"""Type stubs of the compiled extension `starvation._core` (the Rust engine's bindings).

The public API is `starvation` (its __init__.py); these are its building blocks.
"""

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

class NumericalError(RuntimeError):
    """A numerical failure of the engine (stiffness, step budget, Newton not converging, …)."""

class Model:
    """A validated model built from a `model` section (the JSON the CLI reads, as a dict)."""

    def __init__(self, section: Dict[str, Any]) -> None: ...
    @property
    def spec(self) -> Dict[str, Any]:
        """The `model` section the model was built from."""
    @property
    def features(self) -> int:
        """Number of features k."""
    @property
    def examples(self) -> int:
        """Number of examples n."""
    @property
    def parameters(self) -> int:
        """Number of parameters d."""
    @property
    def strengths(self) -> npt.NDArray[np.float64]:
        """Feature strengths s, shape (k,)."""
    @property
    def coupling(self) -> npt.NDArray[np.float64]:
        """Coupling U, shape (n, k)."""
    @property
    def labels(self) -> npt.NDArray[np.float64]:
        """Labels y, shape (n,)."""
    @property
    def regulariser(self) -> str:
        """"none", "l2" or "sd"."""
    @property
    def lam(self) -> float:
        """λ of the regulariser (0 without one)."""
    @property
    def loss(self) -> str:
        """"exact", "quadratic", "exponential_tail", "squared" or "smooth_hinge"."""
    @property
    def rate(self) -> float:
        """Rate η."""

def integrate(model: Model, simulation: Dict[str, Any]) -> Dict[str, Any]:
    """Integrates with a `simulation` section; keys t, z, y, stats, stop_reason, method, space,
    methods_used, events, wall_seconds."""

def run_spec(
    text: str, command: Optional[str] = None, base_dir: Optional[str] = None
) -> Dict[str, Any]:
    """The document the CLI command writes for spec text (data paths resolved against
    base_dir)."""

def read_spec_text(path: str) -> str:
    """A spec file's text, read with the CLI's checks (regular file, size, JSON, duplicate
    keys)."""

def sweep(text: str) -> Dict[str, Any]:
    """A sweep spec evaluated: axes, columns, values (cells × columns), status, thresholds,
    document."""

def toy_equilibria(
    s1: npt.NDArray[np.float64],
    s2: npt.NDArray[np.float64],
    delta: npt.NDArray[np.float64],
    lam: npt.NDArray[np.float64],
    rate: float,
    regulariser: str,
    tolerance: float,
    max_iterations: int,
    starvation_ratio: bool = True,
) -> Dict[str, np.ndarray]:
    """Toy equilibria at n points (1-D arrays of length n or 1): z (n, 2), starvation_matrix
    (n, 2, 2), eigenvalues (n, 2), starvation_ratio (n, 2) (with ``starvation_ratio``),
    iterations (n,) uint32, residual (n,), converged (n,) bool."""

def bench_equilibria(side: int, threads: int) -> Tuple[float, float]:
    """The CLI benchmark's equilibrium grid timed in-process: (seconds, checksum)."""

def verify(quick: bool = False) -> Dict[str, Any]:
    """`starvation verify` as a document."""

def portrait(
    model: Model,
    space: str,
    x: int,
    y: int,
    x_range: Tuple[float, float],
    y_range: Tuple[float, float],
    fixed: Optional[List[float]],
    arrows: Optional[Tuple[int, int]],
    streamlines: Optional[int],
    nullclines: Optional[Tuple[int, int]],
    equilibria: bool,
    starts: List[List[float]],
    random: Optional[Tuple[int, int]],
    t_end: float,
    method: str,
    rtol: float,
    atol: float,
    count: int,
) -> Dict[str, Any]:
    """Phase-portrait data: base, arrows, streamlines, nullclines, equilibria, trajectories."""

def orbit_diagram(
    model: Model,
    method: str,
    momentum: Optional[float],
    steps: List[float],
    coordinate: int,
    transient: int,
    points: int,
) -> Dict[str, Any]:
    """Orbit diagram of an optimiser map: steps, points (n, P), diverged_at (−1: none), z*,
    λ_min, predicted flip (coordinate 0-based)."""

def engine_version() -> Tuple[str, str]:
    """(crate version, git commit) of the engine."""
