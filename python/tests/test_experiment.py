"""Experiment specs (issue 11) from Python: ``run_spec`` on a spec with an ``experiment`` section
trains the same networks as ``starvation run`` and returns the document the CLI writes
(NAME.experiment.json, with the figures' plotted data added), equal to the CLI's apart from
provenance and timing."""

import json

import pytest

import starvation as gs

TINY = {
    "name": "tiny_experiment",
    "experiment": {
        "data": {"two_moons": {"examples": 40, "margin": 0.1}},
        "network": {"hidden": [16]},
        "training": {"epochs": 30},
        "seeds": 2,
        "tracking": {"indices": [1, 6], "every": 5, "predictions": True},
        "grid": {"resolution": 20},
        "settings": [
            {"label": "separable"},
            {"label": "interleaved", "data": {"two_moons": {"margin": -0.1}}},
        ],
        "figure": {"dynamics": {"indices": [1, 6]}},
    },
}


def strip(v):
    """The document without what differs between two runs (provenance, wall times)."""
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k != "provenance" and "seconds" not in k}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v


def test_experiment_document_equals_the_cli(cli, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(TINY))
    r = cli("run", spec, "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    written = json.loads((tmp_path / "out" / "tiny_experiment.experiment.json").read_text())
    doc = gs.run_spec(TINY)
    figures = doc["data"].pop("figures")
    assert {f["stem"] for f in figures} == {"tiny_experiment", "tiny_experiment_predictions"}
    assert strip(doc) == strip(written)
    assert [s["label"] for s in doc["data"]["settings"]] == ["separable", "interleaved"]


def test_bad_experiment_field_is_a_value_error():
    bad = json.loads(json.dumps(TINY))
    bad["experiment"]["training"]["epochs"] = 0
    with pytest.raises(ValueError, match="epochs"):
        gs.run_spec(bad)


def test_loss_and_parameterisation_reach_the_trainer():
    """Issue 19: `training.loss` and `network.parameterisation` are spec fields of experiments;
    an unknown name is a ValueError naming the field (the CLI's exit-2 message)."""
    spec = json.loads(json.dumps(TINY))
    spec["experiment"]["training"]["loss"] = "squared"
    spec["experiment"]["network"]["parameterisation"] = "ntk"
    spec["experiment"].pop("settings")
    spec["experiment"]["seeds"] = 1
    doc = gs.run_spec(spec)
    training = doc["data"]["settings"][0]["training"]
    assert training["loss"] == "squared"
    assert training["architecture"]["parameterisation"] == "ntk"
    for pointer, value, field in [
        (("training", "loss"), "hinge", "experiment.training.loss"),
        (("network", "parameterisation"), "mup", "experiment.network.parameterisation"),
    ]:
        bad = json.loads(json.dumps(TINY))
        bad["experiment"][pointer[0]][pointer[1]] = value
        with pytest.raises(ValueError, match=field.replace(".", r"\.")):
            gs.run_spec(bad)
