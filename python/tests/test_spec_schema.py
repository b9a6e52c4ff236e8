"""Claim (issue 22, item 2): the JSON Schema the binary generates (docs/spec.schema.json, and
`starvation schema --kind K`) accepts every shipped spec and what the parser accepts, and refuses
what the parser refuses: checked here with an independent validator (Python's `jsonschema`,
Draft 2020-12). The cases are tests/contract/schema_cases.json, which the Rust contract tests
feed to the parser; `check` of the package is the parser's verdict here too.
"""

import copy
import json

import jsonschema
import pytest

import starvation as gs

from conftest import ROOT, SPECS

SCHEMA = json.loads((ROOT / "docs" / "spec.schema.json").read_text())
CASES = json.loads((ROOT / "tests" / "contract" / "schema_cases.json").read_text())


def _validator(schema):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _errors(validator, instance):
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def _edited(case):
    spec = copy.deepcopy(CASES["valid"][case["base"]])
    pointer, value = case["set"]
    *parents, key = pointer.split("/")[1:]
    node = spec
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if isinstance(node, list):
        node[int(key)] = value
    else:
        node[key] = value
    return spec


def test_the_schema_is_a_draft_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    _validator(SCHEMA)


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.json")), ids=lambda p: p.stem)
def test_every_shipped_spec_validates_against_the_schema_and_its_kind(cli, path):
    spec = json.loads(path.read_text())
    assert _errors(_validator(SCHEMA), spec) == []
    kind = gs.check(path)["kind"]
    r = cli("schema", "--kind", kind)
    assert r.returncode == 0, r.stderr
    assert _errors(_validator(json.loads(r.stdout)), spec) == [], kind


@pytest.mark.parametrize("spec", CASES["valid"], ids=lambda s: s["name"])
def test_the_schema_accepts_what_the_parser_accepts(spec):
    gs.check(spec)
    assert _errors(_validator(SCHEMA), spec) == []


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda c: c["what"])
def test_the_schema_refuses_what_the_parser_refuses(case):
    spec = _edited(case)
    assert not _validator(SCHEMA).is_valid(spec), case["what"]
    with pytest.raises(ValueError):
        gs.check(spec)
