"""Claim: the package reads spec files through the command line's checks and resolves their
paths the same way.

- A spec file must be a regular file of at most 64 MiB: a folder, a FIFO or a device is refused
  (ValueError naming SPEC, the CLI's one-line message), never read without end.
- Duplicate keys in a spec file are refused, as the CLI refuses them (Python's json module
  alone would keep the last one silently).
- A data path in a spec file is resolved against the spec file's folder, whatever the working
  folder; a path leaving that folder is refused as the CLI refuses it.
- ``check`` accepts every kind of spec the CLI's ``check`` accepts (every shipped spec).
"""

import json
import os
import subprocess
import threading

import pytest

import starvation as gs

from conftest import SPECS

SPEC = {
    "name": "files",
    "model": {"features": {"toy": {"s1": 6.0, "s2": 2.0, "delta": 0.5}}},
    "simulation": {"t_end": 10},
}


def _cli_message(cli, path):
    r = cli("check", path)
    assert r.returncode == 2, r.stderr
    return r.stderr.strip().removeprefix("error: ")


@pytest.mark.parametrize("reader", [gs.check, gs.model, lambda p: gs.run_spec(p, "check")])
def test_a_folder_is_refused_with_the_cli_message(cli, tmp_path, reader):
    with pytest.raises(ValueError) as e:
        reader(tmp_path)
    assert str(e.value) == _cli_message(cli, tmp_path)
    assert str(e.value).startswith("SPEC:")


def test_a_fifo_is_refused_without_reading_it(cli, tmp_path):
    fifo = tmp_path / "spec.json"
    os.mkfifo(fifo)
    # A writer that never writes: reading the FIFO would block for ever.
    result = {}

    def read():
        try:
            gs.check(fifo)
        except ValueError as e:
            result["error"] = str(e)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(timeout=20)
    assert not t.is_alive(), "check blocked on a FIFO"
    assert result["error"].startswith("SPEC:")
    assert "not a regular file" in result["error"]
    assert result["error"] == _cli_message(cli, fifo)


def test_a_device_is_refused():
    with pytest.raises(ValueError, match="^SPEC: /dev/zero is not a regular file"):
        gs.check("/dev/zero")


def test_duplicate_keys_in_a_file_are_refused_as_by_the_cli(cli, tmp_path):
    path = tmp_path / "dup.json"
    text = json.dumps(SPEC)
    path.write_text(text[:-1] + ', "name": "again"}')
    for reader in (gs.check, gs.model, lambda p: gs.equilibrium(p)):
        with pytest.raises(ValueError) as e:
            reader(path)
        assert "\"name\" appears twice" in str(e.value), str(e.value)
    with pytest.raises(ValueError) as e:
        gs.check(path)
    assert str(e.value) == _cli_message(cli, path)


def _csv_experiment(data_path):
    return {
        "name": "csv_paths",
        "experiment": {
            "data": {"csv": {"path": data_path}},
            "network": {"hidden": [4]},
            "training": {"epochs": 5},
            "seeds": 1,
            "grid": {"resolution": 10},
        },
    }


def _write_csv(path):
    rows = ["x1,x2,y", "0.1,0.2,1", "0.3,-0.1,-1", "-0.2,0.4,1", "0.5,0.5,-1"]
    path.write_text("\n".join(rows) + "\n")


def test_data_paths_resolve_against_the_spec_folder(cli, tmp_path, monkeypatch):
    folder = tmp_path / "study"
    folder.mkdir()
    _write_csv(folder / "points.csv")
    spec = folder / "spec.json"
    spec.write_text(json.dumps(_csv_experiment("points.csv")))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert gs.check(spec)["valid"] is True
    assert cli("check", spec).returncode == 0
    # The same spec one folder up refers to a file outside its folder: refused by both.
    outside = folder / "sub"
    outside.mkdir()
    bad = outside / "spec.json"
    bad.write_text(json.dumps(_csv_experiment("../points.csv")))
    with pytest.raises(ValueError) as e:
        gs.check(bad)
    assert str(e.value) == _cli_message(cli, bad)
    assert str(e.value).startswith("experiment.data.csv.path:"), str(e.value)


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.json")), ids=lambda p: p.stem)
def test_check_accepts_every_shipped_spec_as_the_cli_does(cli, path):
    assert cli("check", path).returncode == 0
    assert gs.check(path)["valid"] is True
