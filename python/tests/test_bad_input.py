"""Claim: bad input raises ValueError with the command line's one-line message; a numerical
failure raises NumericalError (a RuntimeError).

Each bad spec is given to the CLI (which prints `error: MESSAGE` and exits with status 2) and
to the package (file path and dict); the messages must be identical.
"""

import copy
import json

import numpy as np
import pytest

import starvation as gs

BASE = {
    "name": "bad",
    "model": {"features": {"toy": {"s1": 6.0, "s2": 2.0, "delta": 0.5}}},
    "simulation": {"t_end": 100},
}


def _with(path, value):
    spec = copy.deepcopy(BASE)
    cur = spec
    keys = path.split(".")
    for k in keys[:-1]:
        cur = cur.setdefault(k, {})
    cur[keys[-1]] = value
    return spec


BAD_SPECS = {
    "delta_out_of_range": _with("model.features.toy.delta", 1.5),
    "unknown_model_field": _with("model.colour", "red"),
    "negative_strength": _with("model.features.toy.s1", -1.0),
    "unknown_method": _with("simulation.method", "rk4"),
    "unknown_space": _with("simulation.space", "w"),
    "t_end_before_start": _with("simulation.t_end", -3),
    "negative_rtol": _with("simulation.rtol", -1e-8),
    "level_feature_zero": _with(
        "simulation.events", {"level_crossings": [{"feature": 0, "level": 1.0}]}
    ),
    "unknown_loss": _with("model.loss", "hinge"),
    "bad_regulariser": _with("model.regulariser", {"l3": {"lambda": 1}}),
    "empty_runs": _with("runs", []),
    "bad_vary_path": _with("vary", [{"path": "features.toy.s1", "values": [1]}]),
    "bad_name": _with("name", "a b"),
    "missing_t_end": _with("simulation", {"method": "dop853"}),
    "gd_without_step": _with("simulation.method", "gd"),
    "initial_state_wrong_length": _with("simulation.initial_state", [0.0, 0.0, 0.0]),
}


@pytest.mark.parametrize("name", sorted(BAD_SPECS))
def test_same_message_as_cli(cli, tmp_path, name):
    spec = BAD_SPECS[name]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    r = cli("run", path, "--out", tmp_path / "out")
    assert r.returncode == 2
    line = r.stderr.strip()
    assert line.startswith("error: ") and "\n" not in line
    message = line[len("error: "):]
    with pytest.raises(ValueError) as from_file:
        gs.run_spec(path, "run")
    assert str(from_file.value) == message
    with pytest.raises(ValueError) as from_dict:
        gs.run_spec(spec, "run")
    assert str(from_dict.value) == message


def test_json_syntax_error_same_as_cli(cli, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x", "model": {"features": ')
    r = cli("run", path, "--out", tmp_path / "out")
    assert r.returncode == 2
    with pytest.raises(ValueError) as e:
        gs.run_spec(path)
    assert "error: " + str(e.value) == r.stderr.strip()


def test_model_builders_use_the_spec_messages(cli, tmp_path):
    """The Python builders give the message of the equivalent spec."""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(BAD_SPECS["delta_out_of_range"]))
    message = cli("check", path).stderr.strip()[len("error: "):]
    with pytest.raises(ValueError) as e:
        gs.toy(6.0, 2.0, 1.5)
    assert str(e.value) == message
    with pytest.raises(ValueError) as e:
        gs.equilibrium({"model": BAD_SPECS["delta_out_of_range"]["model"]})
    assert str(e.value) == message


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"t_end": 10, "method": "rk4"}, "simulation.method"),
        ({"t_end": 10, "rtol": -1.0}, "simulation.rtol"),
        ({"t_end": 10, "rtol": float("nan")}, "simulation.rtol"),
        ({"t_end": 10, "space": "w"}, "simulation.space"),
        ({"t_end": 10, "initial_state": [1.0]}, "simulation.initial_state"),
        ({"t_end": 10, "method": "gd"}, "simulation.step"),
        ({"t_end": 10, "level_crossings": [{"feature": 3, "level": 1.0}]}, "simulation.events"),
        ({}, "simulation"),
    ],
)
def test_integrate_bad_arguments(kwargs, field):
    with pytest.raises(ValueError) as e:
        gs.integrate(gs.toy(6.0, 2.0, 0.5), **kwargs)
    assert str(e.value).startswith(field), str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"s1": [1.0, -1.0]}, "s1[1]"),
        ({"s1": 1.0, "s2": 0.0}, "s2"),
        ({"s1": 1.0, "delta": [0.1, 1.0]}, "delta[1]"),
        ({"s1": 1.0, "lam": np.nan}, "lam"),
        ({"s1": 1.0, "regulariser": "l1"}, "regulariser"),
    ],
)
def test_toy_equilibria_bad_arguments(kwargs, field):
    with pytest.raises(ValueError) as e:
        gs.toy_equilibria(**kwargs)
    assert str(e.value).split(":")[0] == field


def test_numerical_failure_is_numerical_error():
    """A step budget that runs out is a numerical failure, not bad input."""
    with pytest.raises(gs.NumericalError) as e:
        gs.integrate(gs.toy(6.0, 2.0, 0.5), 1e6, max_steps=5)
    assert isinstance(e.value, RuntimeError)
    assert "max_steps" in str(e.value)


def test_equilibrium_without_regulariser_is_numerical_error(cli, tmp_path):
    """With λ = 0 the margins grow forever: no equilibrium exists. The CLI exits with status 1
    (a numerical failure, not bad input) and the package raises NumericalError, same message."""
    spec = {"name": "x", "model": {"features": {"toy": {"s1": 6, "s2": 2, "delta": 0.5}},
                                   "regulariser": "none"}}
    path = tmp_path / "x.json"
    path.write_text(json.dumps(spec))
    r = cli("equilibrium", path, "--out", tmp_path / "out")
    assert r.returncode == 1
    with pytest.raises(gs.NumericalError) as e:
        gs.run_spec(spec)
    assert "error: " + str(e.value) == r.stderr.strip()
    with pytest.raises(gs.NumericalError):
        gs.equilibrium(gs.toy(6.0, 2.0, 0.5, regulariser="none"))


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: gs.integrate(gs.toy(6.0, 2.0, 0.5), 10.0, initial_state=np.array([0.1 + 1j, 0.0])), "initial_state"),
        (lambda: gs.integrate(gs.toy(6.0, 2.0, 0.5), 10.0, times=np.array([1.0, 2.0 + 0.5j])), "times"),
        (lambda: gs.toy_equilibria(np.array([6.0 + 0j, 5.0 + 1j]), 2.0, 0.5, 0.01), "s1"),
        (lambda: gs.sweep(gs.toy(6.0, 2.0, 0.5), axes={"delta": np.array([0.1, 0.2 + 1e-9j])}, metrics=["z"]), "axes['delta']"),
        (lambda: gs.explicit([1.0, 2.0], np.eye(2) * (1 + 1j)), "coupling"),
        (lambda: gs.equilibrium(gs.toy(6.0, 2.0, 0.5), start=[1j, 0.0]), "start"),
    ],
)
def test_complex_input_is_refused_not_cast(call, field):
    """A complex array is refused with a ValueError naming the argument; NumPy's cast would
    silently drop the imaginary part (with at most a ComplexWarning)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning would mean a silent cast
        with pytest.raises(ValueError, match=rf"^{__import__('re').escape(field)}: is complex"):
            call()
