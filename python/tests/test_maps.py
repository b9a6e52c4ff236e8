"""Claim (docs/theory.md §8): the optimiser maps are first-class in Python too — ``integrate``
runs ``heavy_ball``/``nesterov`` with ``momentum`` and ``adam`` in θ with ``betas``/``eps``, as
the command line does; ``orbit_diagram`` shows the map's attractor against h with the flip at
h* = 2/|λ_min| (gd) and 2(1 + μ)/|λ_min| (heavy ball), λ_min taken here independently from
``equilibrium``'s Jacobian; bad settings raise ValueError naming the field.
"""

import numpy as np
import pytest

import starvation as gs

TOY = gs.toy(s1=6.0, s2=2.0, delta=0.5, regulariser=gs.l2(0.01))


def lambda_min(model):
    ev = gs.equilibrium(model).eigenvalues.real
    return ev[np.argmax(np.abs(ev))]


def test_heavy_ball_is_the_two_term_recursion():
    h, mu, n = 0.5, 0.7, 60
    sol = gs.integrate(TOY, t_end=n * h, method="heavy_ball", step=h, momentum=mu, steps=True)
    # The same recursion from the gd map's own steps: f(x) = (gd(x) − x)/h.
    x_prev = x = np.zeros(2)
    for k in range(1, n + 1):
        gd = gs.integrate(TOY, t_end=h, method="gd", step=h, initial_state=x, steps=True)
        f = (gd.z[-1] - x) / h
        x_prev, x = x, x + mu * (x - x_prev) + h * f
        np.testing.assert_allclose(sol.z[k], x, rtol=1e-12, atol=1e-12)


def test_adams_first_step_is_a_sign_step_in_theta():
    h, eps = 0.01, 1e-8
    theta0 = np.array([0.2, -0.1])
    gd = gs.integrate(TOY, t_end=h, method="gd", step=h, space="theta", initial_state=theta0, steps=True)
    f = (gd.y[-1] - theta0) / h
    adam = gs.integrate(
        TOY, t_end=h, method="adam", step=h, space="theta", initial_state=theta0,
        betas=(0.5, 0.9), eps=eps, steps=True,
    )
    np.testing.assert_allclose(adam.y[-1], theta0 + h * f / (np.abs(f) + eps), rtol=0, atol=1e-15)


def test_adam_is_refused_outside_theta():
    with pytest.raises(ValueError, match=r"simulation\.method.*theta"):
        gs.integrate(TOY, t_end=1.0, method="adam", step=0.1)


def test_orbit_diagram_flips_at_the_eigenvalue_prediction():
    lam = lambda_min(TOY)
    d = gs.orbit_diagram(TOY, h_range=(0.8 * 2 / abs(lam), 1.1 * 2 / abs(lam)), count=31)
    assert d.predicted_flip == pytest.approx(2 / abs(lam), rel=1e-12)
    assert d.points.shape == (31, 64)
    periods = d.periods()
    below = d.steps < 0.98 * d.predicted_flip
    just_above = (d.steps > 1.02 * d.predicted_flip) & (d.steps < 1.1 * d.predicted_flip)
    assert np.all(periods[below] == 1), periods
    assert np.all(periods[just_above] == 2), periods
    # Below the flip the kept points are z*.
    z_star = gs.equilibrium(TOY).z
    np.testing.assert_allclose(d.points[below].compressed(), z_star[0], rtol=1e-8)


def test_heavy_ball_flip_moves_by_one_plus_mu():
    mu = 0.5
    d = gs.orbit_diagram(TOY, method="heavy_ball", momentum=mu, h_range=(1.0, 2.0), count=2)
    assert d.predicted_flip == pytest.approx(2 * (1 + mu) / abs(lambda_min(TOY)), rel=1e-12)
    assert d.method == "heavy_ball" and d.momentum == mu


def test_diverged_steps_are_masked_not_numbers():
    d = gs.orbit_diagram(TOY, steps=[1.0, 1e4], transient=1000, points=8)
    assert d.diverged_at[0] == -1 and d.diverged_at[1] > 0
    assert not d.points.mask[0].any() and d.points.mask[1].all()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"method": "adam"}, "method"),
        ({"method": "heavy_ball"}, "momentum"),
        ({"method": "heavy_ball", "momentum": 1.0}, "momentum"),
        ({"momentum": 0.5}, "momentum"),
        ({"coordinate": 0}, "coordinate"),
        ({"coordinate": 3}, "coordinate"),
        ({"steps": [-1.0, 2.0]}, "steps"),
        ({"h_range": (1.0, 2.0), "count": 1}, "count"),
        ({"steps": [1.0], "h_range": (1.0, 2.0)}, "steps"),
    ],
)
def test_bad_orbit_settings_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}"):
        gs.orbit_diagram(TOY, **kwargs)
