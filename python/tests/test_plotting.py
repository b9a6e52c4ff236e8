"""Issue 22, point 6: "a small plotting module in the house style (line, heat map with threshold
curves, portrait) so that a figure from Python looks like one from the command line". Claims:
each function returns a matplotlib Figure that renders to PNG (Agg); lines carry the house
colours, the legend labels and log axes when asked, and stay distinct for five series; the heat
map draws every threshold branch as its own line (a line crossing the level twice gives two
branches, never joined); the portrait draws nullclines, trajectories and the equilibrium."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import starvation as gs  # noqa: E402
from starvation import plotting  # noqa: E402


def _png(fig, path):
    fig.savefig(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_line_trajectory(tmp_path):
    sol = gs.integrate(gs.toy(6.0, 2.0, 0.5), t_end=250.0, count=101)
    fig = plotting.line(sol.t[1:], sol.z[1:], labels=["z₁", "z₂"], ylabel="response z",
                        xscale="log", title="toy")
    [ax] = fig.axes
    assert len(ax.lines) == 2
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    assert ax.get_xlabel() == "t" and ax.get_ylabel() == "response z"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["z₁", "z₂"]
    assert mcolors.to_hex(ax.lines[0].get_color()).upper() == plotting.HOUSE["palette"][0]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), sol.z[1:, 1])
    _png(fig, tmp_path / "line.png")


def test_line_five_series_distinct():
    x = np.linspace(0, 1, 20)
    fig = plotting.line(x, np.stack([x * j for j in range(5)], axis=1),
                        labels=[f"z{j}" for j in range(5)])
    lines = fig.axes[0].lines
    styles = {(mcolors.to_hex(l.get_color()), str(l.get_linestyle())) for l in lines}
    assert len(styles) == 5
    assert all(a.get_linestyle() != b.get_linestyle() for a, b in zip(lines, lines[1:]))


def test_line_bad_input():
    with pytest.raises(ValueError, match="scale"):
        plotting.line([0, 1], [1, 2], xscale="log")
    with pytest.raises(ValueError, match=r"ys\[0\]"):
        plotting.line([0, 1, 2], [1, 2])


def test_heatmap_threshold_branches_are_separate_lines(tmp_path):
    # The shipped gallery's fold (simulations/gallery_threshold_branches.json) at low resolution:
    # along s1/s2, z2*/z2⁰ rises then falls for 0.225 ≤ δ ≤ 0.41, so those lines cross ½ twice.
    res = gs.sweep(
        gs.toy(2.0, 2.0, 0.3),
        {"delta": np.linspace(0.0, 0.6, 13), "s1_over_s2": np.geomspace(0.1, 20.0, 25)},
        ["starvation_ratio"],
        thresholds=[{"metric": "ratio2", "level": 0.5}],
    )
    branches = res.threshold_branches
    assert len(branches) >= 2
    fig = plotting.heatmap(res, "ratio2", xscale="log", colour_range=(0.0, 1.0))
    ax = fig.axes[0]
    assert len(fig.axes) == 2, "the heat map and its colour bar"
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "s1_over_s2" and ax.get_ylabel() == "delta"
    assert len(ax.lines) == len(branches), "one Line2D per branch"
    for l, b in zip(ax.lines, branches):
        p = np.asarray(b["points"])
        np.testing.assert_array_equal(l.get_xdata(), p[:, 1])
        np.testing.assert_array_equal(l.get_ydata(), p[:, 0])
    # No line joins two branches: within a line, consecutive points are on neighbouring δ lines.
    step = 0.6 / 12
    for l in ax.lines:
        dy = np.diff(np.asarray(l.get_ydata()))
        assert np.all(np.abs(np.abs(dy) - step) < 1e-9)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["ratio2 = 0.5"]
    _png(fig, tmp_path / "heatmap.png")


def test_portrait(tmp_path):
    m = gs.toy(6.0, 2.0, 0.5)
    data = gs.portrait(m, (0, 10), (0, 3), starts=[(0, 0), (10, 3)], arrows=(15, 15),
                       streamlines=6, nullclines=(81, 81), t_end=200.0)
    fig = plotting.portrait(data, title="toy")
    [ax] = fig.axes
    nullcline_pieces = sum(len(p) for p in data.nullclines)
    assert len(ax.lines) == len(data.streamlines) + nullcline_pieces + 2
    assert len(ax.collections) >= 2, "arrows and the equilibrium"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "ẋ = 0" in labels and "trajectories" in labels and "z*" in labels
    assert ax.get_xlabel() == "z₁" and ax.get_ylabel() == "z₂"
    _png(fig, tmp_path / "portrait.png")
