"""Claim: every array the package returns has the documented shape and dtype."""

import numpy as np
import pytest

import starvation as gs

F64 = np.dtype("float64")


def test_integrate_shapes():
    m = gs.toy(6.0, 2.0, 0.5, directions=(5, 7))
    sol = gs.integrate(m, 50.0, count=17)
    assert sol.t.shape == (17,) and sol.t.dtype == F64
    assert sol.z.shape == (17, 2) and sol.z.dtype == F64
    assert sol.y.shape == (17, 2) and sol.y.dtype == F64
    theta = gs.integrate(m, 50.0, space="theta", times=np.linspace(0, 50, 9))
    assert theta.y.shape == (9, 5) and theta.z.shape == (9, 2)
    assert set(sol.stats) == {
        "field_evaluations", "jacobian_evaluations", "factorisations",
        "linear_solves", "accepted_steps", "rejected_steps",
    }
    assert all(isinstance(v, int) for v in sol.stats.values())
    assert sol.stop_reason == "reached_end" and sol.method == "dop853" and sol.space == "z"
    assert sol.methods_used[0][0] == "dop853"


def test_equilibrium_shapes():
    m = gs.random(4, 3, strengths=[3.0, 2.0, 1.0, 0.5])
    eq = gs.equilibrium(m)
    assert eq.z.shape == (4,) and eq.z.dtype == F64
    assert eq.margins.shape == (4,)
    assert eq.eigenvalues.shape == (4,) and eq.eigenvalues.dtype == np.dtype("complex128")
    assert eq.jacobian.shape == (4, 4)
    assert eq.starvation_matrix.shape == (4, 4) and eq.starvation_matrix.dtype == F64
    assert eq.dz_dlambda.shape == (4,)
    assert eq.stable


@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (2, 3, 4)])
def test_toy_equilibria_shapes(shape):
    rng = np.random.default_rng(1)
    s1 = rng.uniform(0.5, 8.0, size=shape)
    r = gs.toy_equilibria(s1, 2.0, 0.3)
    assert r["z"].shape == shape + (2,) and r["z"].dtype == F64
    assert r["starvation_matrix"].shape == shape + (2, 2)
    assert r["eigenvalues"].shape == shape + (2,)
    assert r["iterations"].shape == shape and r["iterations"].dtype == np.dtype("uint32")
    assert r["residual"].shape == shape and r["residual"].dtype == F64
    assert r["converged"].shape == shape and r["converged"].dtype == np.dtype("bool")
    assert r["converged"].all()


def test_toy_equilibria_broadcasts():
    s1 = np.linspace(1, 8, 6)[:, None]
    delta = np.linspace(0, 0.6, 4)[None, :]
    r = gs.toy_equilibria(s1, 2.0, delta, 0.01)
    assert r["z"].shape == (6, 4, 2)
    assert gs.toy_equilibria([], 2.0, 0.1)["z"].shape == (0, 2)


def test_sweep_shapes():
    res = gs.sweep(
        gs.toy(6.0, 2.0, 0.5),
        {"s1": np.linspace(1, 8, 5), "delta": np.linspace(0, 0.6, 3)},
        ["z", "starvation_matrix", "stability"],
    )
    assert res.shape == (5, 3)
    assert list(res.axes) == ["s1", "delta"]
    for name, col in res.columns.items():
        assert col.shape == (5, 3) and col.dtype == F64, name
    assert res.status.shape == (5, 3)
    frame = res.to_frame()
    assert len(frame) == 15
    assert list(frame.columns[:2]) == ["s1", "delta"]
    assert gs.sweep(
        gs.toy(6.0, 2.0, 0.5), {"s1": [1.0, 2.0]}, ["z"], as_frame=True
    ).shape == (2, 4)


def test_portrait_shapes():
    p = gs.portrait(
        gs.toy(6.0, 2.0, 0.5), (0, 10), (0, 2), arrows=(9, 7), starts=[(1.0, 1.0)], count=11
    )
    assert p.arrows["x"].shape == (9,) and p.arrows["y"].shape == (7,)
    assert p.arrows["u"].shape == (7, 9) and p.arrows["v"].shape == (7, 9)
    assert all(s.ndim == 2 and s.shape[1] == 2 for s in p.streamlines)
    assert len(p.nullclines) == 2
    assert all(piece.shape[1] == 2 for pieces in p.nullclines for piece in pieces)
    assert p.trajectories[0]["xy"].shape == (11, 2)
    assert p.equilibria[0]["stability"] == "stable_node"


def test_model_properties():
    m = gs.explicit([3.0, 1.0], np.eye(2), labels=[1.0, -1.0], regulariser=gs.sd(0.002))
    assert m.features == 2 and m.examples == 2
    assert m.coupling.shape == (2, 2) and m.strengths.shape == (2,)
    assert m.regulariser == "sd" and m.lam == 0.002
    assert gs.model(m.spec).spec == m.spec
