"""Issue 22, point 6: "a clean namespace (`__all__`)". Claim: the public names of
`dir(starvation)` are exactly `__all__` (besides submodules), every public function and class
has a docstring, and `import starvation` does not import matplotlib (the plotting module loads
on first use)."""

import inspect
import subprocess
import sys
import types

import starvation as gs


def test_dir_is_all():
    public = {
        n for n in dir(gs)
        if not n.startswith("_") and not isinstance(getattr(gs, n), types.ModuleType)
    }
    exported = {n for n in gs.__all__ if not n.startswith("__")}
    assert public == exported
    assert len(gs.__all__) == len(set(gs.__all__))


def test_every_public_name_has_a_docstring():
    for n in gs.__all__:
        if n.startswith("__"):
            continue
        doc = inspect.getdoc(getattr(gs, n))
        assert doc and len(doc) > 20, f"{n} has no docstring"
    import starvation.plotting as plotting

    for n in plotting.__all__:
        obj = getattr(plotting, n)
        if callable(obj):
            assert inspect.getdoc(obj), f"plotting.{n} has no docstring"


def test_import_does_not_need_matplotlib():
    code = "import sys, starvation; assert 'matplotlib' not in sys.modules; p = starvation.plotting; assert 'matplotlib' not in sys.modules; print(p.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "starvation.plotting"
