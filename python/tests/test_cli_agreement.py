"""Claim: `run_spec` computes exactly what the command line computes, for every shipped spec.

For each spec in simulations/ (except the 2^20-cell benchmark) the CLI writes NAME.json (and
NAME.csv / NAME.data.json); the package's document must have the same `data` block, number for
number (same engine, same order of operations: equality is exact). The slowest sweep runs at a
reduced resolution (REDUCED), the same spec given to both.
"""

import csv
import json
import math

import numpy as np
import pytest

import starvation as gs

from conftest import command_of, shipped_specs


# Specs run at a reduced resolution here (the grid's counts; every metric, threshold and plot
# kept): sweep_gd_flip's full 15 × 81 grid of 10^5-step maps takes 11 s per front end.
REDUCED = {
    "sweep_gd_flip": [
        (("sweep", "axes", 0, "values", "linspace", "count"), 3),
        (("sweep", "axes", 1, "values", "logspace", "count"), 21),
    ],
}


def _as_run(spec, tmp_path):
    """The spec file both front ends run: the shipped one, or its reduced copy."""
    if spec.stem not in REDUCED:
        return spec
    doc = json.loads(spec.read_text())
    for path, value in REDUCED[spec.stem]:
        node = doc
        for key in path[:-1]:
            node = node[key]
        assert path[-1] in node, path
        node[path[-1]] = value
    doc.pop("$schema", None)
    reduced = tmp_path / "reduced" / spec.name
    reduced.parent.mkdir()
    reduced.write_text(json.dumps(doc))
    return reduced


def _cli_outputs(cli, spec, command, out):
    r = cli(command, spec, "--out", out)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("spec", shipped_specs(), ids=lambda p: p.stem)
def test_data_block_equals_cli(cli, spec, tmp_path):
    command = command_of(spec)
    spec = _as_run(spec, tmp_path)
    out = _cli_outputs(cli, spec, command, tmp_path)
    doc = gs.run_spec(spec)
    data = doc["data"]
    if command == "portrait":
        [figure] = data["figures"]
        expected = json.loads((out / f"{figure['stem']}.data.json").read_text())
        assert figure["data"] == expected
        return
    expected = json.loads((out / f"{spec.stem}.{command}.json").read_text())["data"]
    figures = data.pop("figures", [])
    cells = data.pop("cells", None)
    assert data == expected
    for f in figures:
        assert f["data"] == json.loads((out / f"{f['stem']}.data.json").read_text())
    if command == "sweep":
        with open(out / f"{spec.stem}.sweep.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == len(cells["status"])
        for name, column in cells.items():
            if name == "status":
                continue
            cli_column = [float(r[name]) if r[name] not in ("", "NaN", "nan") else math.nan for r in rows]
            np.testing.assert_array_equal(
                np.array([math.nan if v is None else v for v in column], dtype=float),
                np.array(cli_column),
            )


def test_spec_dict_equals_spec_file(cli):
    """A spec given as a dict runs exactly like the same spec read from its file."""
    path = next(p for p in shipped_specs() if p.stem == "toy_methods")
    from_file = gs.run_spec(path)["data"]
    from_dict = gs.run_spec(json.loads(path.read_text()))["data"]
    assert from_file == from_dict


def test_integrate_equals_cli_run(cli, tmp_path):
    """`integrate` on a model gives the CLI's trajectory for the same single-run spec."""
    spec = {
        "name": "one_run",
        "model": {"features": {"toy": {"s1": 6.0, "s2": 2.0, "delta": 0.5}}},
        "simulation": {"method": "radau5", "t_end": 300, "output": {"count": 31}, "rtol": 1e-9},
    }
    path = tmp_path / "one_run.json"
    path.write_text(json.dumps(spec))
    r = cli("run", path, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    table = json.loads((tmp_path / "one_run.run.json").read_text())["data"]["runs"][0]["table"]
    sol = gs.integrate(gs.toy(6.0, 2.0, 0.5), 300.0, method="radau5", count=31, rtol=1e-9)
    np.testing.assert_array_equal(sol.t, table["t"])
    np.testing.assert_array_equal(sol.z[:, 0], table["z1"])
    np.testing.assert_array_equal(sol.z[:, 1], table["z2"])
    # The spec dict itself is accepted as the model, with its simulation section.
    again = gs.integrate(spec)
    np.testing.assert_array_equal(again.z, sol.z)


def test_equilibrium_equals_cli(cli, tmp_path):
    """`equilibrium` on a model gives the CLI's z*, eigenvalues and starvation matrix."""
    path = next(p for p in shipped_specs() if p.stem == "toy_equilibrium")
    r = cli("equilibrium", path, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    first = json.loads((tmp_path / "toy_equilibrium.equilibrium.json").read_text())["data"]["models"][0]
    eq = gs.equilibrium(
        gs.toy(6.0, 2.0, 0.5, regulariser=gs.l2(0.01)),
        continuation=("s1", np.linspace(2.0, 8.0, 25)),
    )
    np.testing.assert_array_equal(eq.z, first["z"])
    np.testing.assert_array_equal(eq.starvation_matrix, first["starvation_matrix"])
    np.testing.assert_array_equal(eq.eigenvalues.real, [e[0] for e in first["eigenvalues"]])
    np.testing.assert_array_equal(eq.branch["z2"], first["branch"]["table"]["z2"])
    assert eq.stability == first["stability"]
