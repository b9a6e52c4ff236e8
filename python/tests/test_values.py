"""Claim: the package's answers are the engine's, and agree across routes (fast path vs
general solver, sweep vs point-wise call, long integration vs equilibrium, events)."""

import numpy as np

import starvation as gs


def test_toy_fast_path_equals_general_solver():
    """The 2 × 2 Newton path and the general Newton solver find the same z* and M (M16)."""
    for s1, delta, reg, name in [
        (6.0, 0.5, gs.l2(0.01), "l2"),
        (3.0, 0.2, gs.l2(0.05), "l2"),
        (6.0, 0.5, gs.sd(0.002), "sd"),
    ]:
        lam = reg[name]["lambda"]
        fast = gs.toy_equilibria(s1, 2.0, delta, lam, regulariser=name)
        eq = gs.equilibrium(gs.toy(s1, 2.0, delta, regulariser=reg))
        np.testing.assert_allclose(fast["z"], eq.z, rtol=1e-10)
        np.testing.assert_allclose(fast["starvation_matrix"], eq.starvation_matrix, rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(fast["eigenvalues"], np.sort(eq.eigenvalues.real), rtol=1e-7)


def test_sweep_equals_pointwise_call():
    s1 = np.linspace(1.0, 8.0, 8)
    delta = np.linspace(0.0, 0.6, 7)
    res = gs.sweep(gs.toy(6.0, 2.0, 0.5), {"s1": s1, "delta": delta}, ["z"])
    S1, D = np.meshgrid(s1, delta, indexing="ij")
    fast = gs.toy_equilibria(S1, 2.0, D)
    np.testing.assert_allclose(res["z1"], fast["z"][..., 0], rtol=1e-10)
    np.testing.assert_allclose(res["z2"], fast["z"][..., 1], rtol=1e-10)


def test_theorem1_sign_from_arrays():
    """Theorem 1: with coupling (δ > 0) the stronger feature starves the weaker, M₂₁ < 0."""
    r = gs.toy_equilibria(np.linspace(3.0, 8.0, 20), 2.0, 0.5)
    assert (r["starvation_matrix"][:, 1, 0] < 0).all()


def test_long_integration_reaches_equilibrium():
    m = gs.toy(6.0, 2.0, 0.5)
    eq = gs.equilibrium(m)
    sol = gs.integrate(m, 3000.0, method="radau5", rtol=1e-10, atol=1e-12, count=2)
    np.testing.assert_allclose(sol.z[-1], eq.z, rtol=1e-6)


def test_level_crossing_event():
    m = gs.toy(6.0, 2.0, 0.5)
    sol = gs.integrate(
        m, 250.0, level_crossings=[{"feature": 1, "level": 5.0, "direction": "up"}]
    )
    assert sol.stop_reason == "level_crossing"
    [event] = sol.events
    assert event["kind"] == "level_crossing" and event["feature"] == 1
    assert abs(event["z"][0] - 5.0) < 1e-8
    assert abs(sol.t[-1] - event["time"]) < 1e-12


def test_steady_state_event():
    sol = gs.integrate(gs.toy(6.0, 2.0, 0.5), 1e5, steady_state=True)
    assert sol.stop_reason == "steady_state" and sol.t[-1] < 1e5


def test_verify_quick_passes():
    rows = gs.verify(quick=True)
    assert len(rows) == 12  # the checks of `starvation verify --quick`: the flip (11), the squared loss (12)
    assert all(r["passed"] for r in rows), [r["name"] for r in rows if not r["passed"]]


def test_check_reports_without_running():
    data = gs.check({"name": "c", "model": {"features": {"toy": {"s1": 6, "s2": 2, "delta": 0.5}}}})
    assert data["valid"] and data["summary"]["equilibrium_models"] == 1


def test_toy_equilibria_starvation_ratio_is_the_sweep_metric():
    """Issue 22, point 3: `toy_equilibria` returns the starvation ratio z_j*/z_j⁰ exactly as the
    sweep metric `starvation_ratio` (columns ratio1, ratio2) defines it, under L2 and SD; under
    L2 it is also `equilibrium(...).starvation_ratio`. The same z* (to the Newton tolerance,
    rtol 1e-10 above) over the same z⁰ function: rtol 1e-9."""
    s1 = np.linspace(1.0, 8.0, 5)
    delta = np.linspace(0.0, 0.6, 4)
    S1, D = np.meshgrid(s1, delta, indexing="ij")
    for name, reg in [("l2", gs.l2(0.01)), ("sd", gs.sd(0.002))]:
        lam = reg[name]["lambda"]
        res = gs.sweep(gs.toy(6.0, 2.0, 0.5, regulariser=reg), {"s1": s1, "delta": delta},
                       ["starvation_ratio"])
        fast = gs.toy_equilibria(S1, 2.0, D, lam, regulariser=name)
        assert fast["starvation_ratio"].shape == S1.shape + (2,)
        np.testing.assert_allclose(fast["starvation_ratio"][..., 0], res["ratio1"], rtol=1e-9)
        np.testing.assert_allclose(fast["starvation_ratio"][..., 1], res["ratio2"], rtol=1e-9)
    eq = gs.equilibrium(gs.toy(6.0, 2.0, 0.5))
    one = gs.toy_equilibria(6.0, 2.0, 0.5, 0.01)
    np.testing.assert_allclose(one["starvation_ratio"], eq.starvation_ratio, rtol=1e-9)
    assert "starvation_ratio" not in gs.toy_equilibria(6.0, 2.0, 0.5, starvation_ratio=False)


def test_squared_loss_equilibrium_is_the_closed_form():
    """Issue 19 (docs/theory.md M20): the squared loss's L2 equilibrium decouples,
    z* = (S² + λ)⁻¹ S² Uᵀ1, and its starvation matrix is diagonal (no starvation); the smooth
    hinge is accepted as a loss name too. Tolerance as `verify` check 12: 1e−12 relative."""
    lam = 0.05
    for loss in ["squared", "smooth_hinge"]:
        m = gs.toy(6.0, 2.0, 0.5, regulariser=gs.l2(lam), loss=loss)
        assert m.loss == loss
    m = gs.toy(6.0, 2.0, 0.5, regulariser=gs.l2(lam), loss="squared")
    eq = gs.equilibrium(m)
    c, d = np.sqrt(1 - 0.25), 0.5
    u1 = np.array([c + d, c - d])  # Uᵀ1 of M17
    s2 = np.array([36.0, 4.0])
    np.testing.assert_allclose(eq.z, s2 * u1 / (s2 + lam), rtol=1e-12)
    M = np.asarray(eq.starvation_matrix)
    assert abs(M[0, 1]) <= 1e-12 * abs(M).max() and abs(M[1, 0]) <= 1e-12 * abs(M).max()
