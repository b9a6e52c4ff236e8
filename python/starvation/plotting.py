"""Figures from the package's results in the house style of the command line's figures.

matplotlib is imported when a function here is called, never by ``import starvation``. Every
function returns the :class:`matplotlib.figure.Figure` (draw into your own axes with ``ax=``).

* :func:`line` — series against one variable (trajectories ``sol.t``/``sol.z``, branches);
* :func:`heatmap` — one metric of a :class:`starvation.SweepResult` over its last two axes,
  with its threshold curves drawn branch by branch (``SweepResult.threshold_branches``: one
  line per branch, never a segment between two branches);
* :func:`portrait` — a :class:`starvation.PortraitData` (arrows shaded by speed, streamlines,
  nullclines, trajectories, equilibria marked by stability).

The style constants mirror ``crates/plot`` (``colour.rs``, ``style.rs``, ``elements.rs``) and
``src/figures`` in one place, :data:`HOUSE`: DejaVu Sans (the font the renderer embeds) with
sans-serif fallback, the Okabe–Ito palette, ink, grid and frame colours, viridis and RdBu heat
maps, line widths and dash patterns, and the same rule for telling many lines apart (up to three:
one colour per group, one dash per member; more: colour per member and the dash cycling too).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

__all__ = ["HOUSE", "line", "heatmap", "portrait", "line_style"]

#: The house style, as crates/plot draws it (colours as hex, widths in output pixels at the
#: figure's base size; 1 px = 0.75 pt at 96 dpi).
HOUSE: Dict[str, Any] = {
    "font_family": ["DejaVu Sans", "sans-serif"],
    # Okabe–Ito, in the order Series.colour indexes it (colour.rs).
    "palette": [
        "#0072B2",  # blue
        "#E69F00",  # orange
        "#009E73",  # green
        "#D55E00",  # vermillion
        "#CC79A7",  # purple
        "#56B4E9",  # sky
        "#F0E442",  # yellow
        "#000000",  # black
    ],
    "ink": "#222222",  # text, frame, ticks
    "grid": "#E4E4E4",
    "stream": "#A8A8A8",
    "legend_frame": "#B0B0B0",
    "no_data": "#D4D4D4",
    "speed": ["#C8C8C8", "#4A90C8", "#08306B"],  # arrow shading slow → fast
    "sequential": "viridis",
    "diverging": "RdBu_r",  # blue low, white middle, red high (ColorBrewer RdBu)
    "line_width": 2.0,  # Series.width default
    "nullcline_width": 2.2,
    "trajectory_width": 1.8,
    "tick_size": 10.0,  # points; axis labels ×1.12, titles ×1.2, legend ×0.92 (style.rs)
    "dpi": 96,
}

_PX = 0.75  # points per output pixel at 96 dpi
_DASHES = ["solid", "dashed", "dotted"]


def line_style(group: int, member: int, members: int):
    """(palette index, dash name) of line ``member`` of ``members`` in group ``group``, as the
    command line's figures choose them: up to three members, the group's colour and one dash per
    member; more, one colour per member and the dash cycling with member and group."""
    if members <= 3:
        return group, _DASHES[member]
    return member % 8, _DASHES[(member + group) % 3]


def _colour(i: int) -> str:
    return HOUSE["palette"][i % len(HOUSE["palette"])]


def _linestyle(dash: str, width_px: float):
    """The matplotlib line style of a house dash (with :func:`_dash_rc` giving its pattern)."""
    return {"solid": "-", "dashed": "--", "dotted": ":"}[dash]


def _dash_rc(width_px: float) -> Dict[str, Any]:
    # elements.rs: dashes of 3.5w + 4 px with gaps of 2.2w + 3 px; dots every 2.6w + 2.5 px
    # (matplotlib scales these patterns by the line width).
    return {
        "lines.dashed_pattern": (3.5 + 4.0 / width_px, 2.2 + 3.0 / width_px),
        "lines.dotted_pattern": (0.8, 2.6 + 2.5 / width_px),
        "lines.scale_dashes": True,
    }


def _rc() -> Dict[str, Any]:
    t = HOUSE["tick_size"]
    return {
        "font.family": "sans-serif",
        "font.sans-serif": HOUSE["font_family"][:1] + ["DejaVu Sans", "Arial", "sans-serif"],
        "axes.edgecolor": HOUSE["ink"],
        "axes.labelcolor": HOUSE["ink"],
        "axes.titlecolor": HOUSE["ink"],
        "text.color": HOUSE["ink"],
        "xtick.color": HOUSE["ink"],
        "ytick.color": HOUSE["ink"],
        "xtick.labelsize": t,
        "ytick.labelsize": t,
        "axes.labelsize": 1.12 * t,
        "axes.titlesize": 1.2 * t,
        "legend.fontsize": 0.92 * t,
        "legend.edgecolor": HOUSE["legend_frame"],
        "legend.framealpha": 0.92,
        "legend.fancybox": False,
        "axes.grid": True,
        "grid.color": HOUSE["grid"],
        "grid.linewidth": 0.75,
        "axes.axisbelow": True,
        "axes.linewidth": _PX,
        "figure.dpi": HOUSE["dpi"],
        "savefig.dpi": HOUSE["dpi"],
    }


def _new_axes(ax, size=(1000, 640)):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    with plt.rc_context(_rc()):
        fig = plt.figure(figsize=(size[0] / HOUSE["dpi"], size[1] / HOUSE["dpi"]))
        ax = fig.add_subplot(1, 1, 1)
    return fig, ax


def _finish(ax, xlabel, ylabel, title, xscale, yscale, legend: bool):
    import matplotlib.pyplot as plt

    with plt.rc_context(_rc()):
        if xscale == "log":
            ax.set_xscale("log")
        if yscale == "log":
            ax.set_yscale("log")
        t = HOUSE["tick_size"]
        ax.set_xlabel(xlabel, fontsize=1.12 * t, color=HOUSE["ink"])
        ax.set_ylabel(ylabel, fontsize=1.12 * t, color=HOUSE["ink"])
        if title:
            ax.set_title(title, fontsize=1.2 * t, color=HOUSE["ink"])
        ax.tick_params(colors=HOUSE["ink"], labelsize=t)
        ax.grid(True, color=HOUSE["grid"], linewidth=0.75)
        ax.set_axisbelow(True)
        for spine in ax.spines.values():
            spine.set_edgecolor(HOUSE["ink"])
        if legend:
            ax.legend(
                fontsize=0.92 * t,
                edgecolor=HOUSE["legend_frame"],
                fancybox=False,
                framealpha=0.92,
            )


def _scale(name: str, values) -> str:
    if name not in ("linear", "log"):
        raise ValueError(f"scale: must be \"linear\" or \"log\", got {name!r}")
    if name == "log" and np.any(np.asarray(values, dtype=float) <= 0):
        raise ValueError("scale: a log axis needs values > 0; use \"linear\"")
    return name


def line(
    x: Any,
    ys: Any,
    *,
    labels: Optional[Sequence[str]] = None,
    xlabel: str = "t",
    ylabel: str = "",
    title: str = "",
    xscale: str = "linear",
    yscale: str = "linear",
    ax=None,
):
    """Series against one variable: ``x`` (n,) and ``ys`` (n,), (n, k) (one line per column,
    e.g. ``line(sol.t, sol.z, labels=["z₁", "z₂"])``) or a list of k arrays of length n.

    Colours and dashes as the command line's line figures: up to three lines one colour each,
    solid; more, the colour and the dash both cycle so that every line stays distinct.
    ``xscale``/``yscale`` "linear" or "log". Returns the Figure.
    """
    x = np.asarray(x, dtype=float)
    if isinstance(ys, (list, tuple)) and len(ys) > 0 and np.ndim(ys[0]) > 0:
        columns = [np.asarray(y, dtype=float) for y in ys]
    else:
        a = np.asarray(ys, dtype=float)
        columns = [a] if a.ndim == 1 else [a[:, j] for j in range(a.shape[1])]
    for j, c in enumerate(columns):
        if c.shape != x.shape:
            raise ValueError(f"ys[{j}]: has shape {c.shape}, x has {x.shape}; give one value per x")
    if labels is not None and len(labels) != len(columns):
        raise ValueError(f"labels: {len(labels)} labels for {len(columns)} lines")
    _scale(xscale, x)
    _scale(yscale, np.concatenate(columns) if columns else [])
    fig, ax = _new_axes(ax)
    k = len(columns)
    w = HOUSE["line_width"]
    import matplotlib.pyplot as plt

    for j, c in enumerate(columns):
        colour, dash = (j, "solid") if k <= 3 else line_style(0, j, k)
        with plt.rc_context(_dash_rc(w)):
            ax.plot(
                x,
                c,
                color=_colour(colour),
                linestyle=_linestyle(dash, w),
                linewidth=w * _PX * 1.5,
                label=None if labels is None else labels[j],
            )
    _finish(ax, xlabel, ylabel, title, xscale, yscale, labels is not None)
    return fig


def _edges(values: np.ndarray, log: bool) -> np.ndarray:
    v = np.log10(values) if log else values
    if v.size == 1:
        e = np.array([v[0] - 0.5, v[0] + 0.5])
    else:
        mid = 0.5 * (v[1:] + v[:-1])
        e = np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
    return 10.0**e if log else e


def heatmap(
    result,
    metric: str,
    *,
    x: Optional[str] = None,
    fixed: Optional[Mapping[str, int]] = None,
    thresholds: bool = True,
    xscale: str = "linear",
    yscale: str = "linear",
    colour_label: Optional[str] = None,
    colour_range: Optional[Sequence[float]] = None,
    diverging_centre: Optional[float] = None,
    title: str = "",
    ax=None,
):
    """One metric column of a :class:`starvation.SweepResult` over its last two axes, with the
    threshold curves of its thresholds along the last axis.

    ``x``: the axis drawn horizontally (the last or the one before; default the last, as the
    command line's heat maps of a threshold sweep); other axes are held at the value indices
    ``fixed`` (default 0). Each threshold branch of ``result.threshold_branches`` on this slice
    is its own line (only the first of a threshold is in the legend): no segment ever joins two
    branches. Viridis, or RdBu centred on ``diverging_centre``; cells without a value grey.
    Returns the Figure.
    """
    import matplotlib.colors as mcolors

    names = list(result.axes)
    if len(names) < 2:
        raise ValueError("axes: a heat map needs a sweep with at least two axes")
    if metric not in result.columns:
        raise ValueError(f"metric: unknown column {metric!r}; the sweep has {sorted(result.columns)}")
    ya, xa = names[-2], names[-1]
    if x is not None and x not in (xa, ya):
        raise ValueError(f"x: must be {xa!r} or {ya!r} (the last two axes), got {x!r}")
    transposed = x == ya
    fixed = dict(fixed or {})
    index = []
    for n in names[:-2]:
        i = int(fixed.get(n, 0))
        if not 0 <= i < len(result.axes[n]):
            raise ValueError(f"fixed[{n!r}]: index {i} outside 0…{len(result.axes[n]) - 1}")
        index.append(i)
    grid = np.asarray(result.columns[metric], dtype=float)[tuple(index)]  # (ny, nx): ya, xa
    xv = np.asarray(result.axes[xa], dtype=float)
    yv = np.asarray(result.axes[ya], dtype=float)
    if transposed:
        grid, xv, yv, xa, ya = grid.T, yv, xv, ya, xa
    _scale(xscale, xv)
    _scale(yscale, yv)
    fig, ax = _new_axes(ax, (900, 640))
    finite = grid[np.isfinite(grid)]
    lo, hi = (colour_range if colour_range is not None else
              ((finite.min(), finite.max()) if finite.size else (0.0, 1.0)))
    if diverging_centre is not None:
        half = max(abs(lo - diverging_centre), abs(hi - diverging_centre)) or 1.0
        norm = mcolors.TwoSlopeNorm(diverging_centre, diverging_centre - half, diverging_centre + half)
        cmap_name = HOUSE["diverging"]
    else:
        norm = mcolors.Normalize(lo, hi)
        cmap_name = HOUSE["sequential"]
    import matplotlib

    cmap = matplotlib.colormaps[cmap_name].with_extremes(bad=HOUSE["no_data"])
    mesh = ax.pcolormesh(
        _edges(xv, xscale == "log"),
        _edges(yv, yscale == "log"),
        np.ma.masked_invalid(grid),  # (ny, nx)
        cmap=cmap,
        norm=norm,
        shading="flat",
    )
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(colour_label or metric, color=HOUSE["ink"], fontsize=1.12 * HOUSE["tick_size"])
    bar.outline.set_edgecolor(HOUSE["ink"])
    legend = False
    if thresholds:
        slice_fixed = {n: i for n, i in zip(names[:-2], index)}
        seen = set()
        for b in result.threshold_branches:
            if any(b["fixed"].get(n) != i for n, i in slice_fixed.items()):
                continue
            p = np.asarray(b["points"], dtype=float)
            # points: (value of the axis before last, threshold value along the last axis).
            px, py = (p[:, 0], p[:, 1]) if transposed else (p[:, 1], p[:, 0])
            t = b["threshold"]
            label = None
            if t not in seen:
                seen.add(t)
                label = f"{b['metric']} = {b['level']:g}"
                legend = True
            w = HOUSE["line_width"]
            ax.plot(
                px,
                py,
                color=_colour(1 + t),
                linewidth=w * _PX * 1.5,
                marker="o" if len(p) == 1 else None,
                markersize=4,
                label=label,
            )
    _finish(ax, xa, ya, title, xscale, yscale, legend)
    return fig


def portrait(
    data,
    *,
    xlabel: str = "z₁",
    ylabel: str = "z₂",
    title: str = "",
    ax=None,
):
    """A phase portrait from :func:`starvation.portrait`'s data: arrows of equal length shaded
    grey → blue by speed, streamlines in grey, the ẋ = 0 nullcline solid vermillion and the
    ẏ = 0 one dashed green, trajectories in black, equilibria marked by stability (stable:
    filled circle, unstable: open circle, saddle: ×, other: diamond). Returns the Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    fig, ax = _new_axes(ax, (760, 700))
    legend = False
    for s in data.streamlines:
        s = np.asarray(s, dtype=float)
        if len(s) > 1:
            ax.plot(s[:, 0], s[:, 1], color=HOUSE["stream"], linewidth=0.9, zorder=1)
    if data.arrows is not None:
        a = data.arrows
        X, Y = np.meshgrid(np.asarray(a["x"]), np.asarray(a["y"]))
        U, V = np.asarray(a["u"], dtype=float), np.asarray(a["v"], dtype=float)
        speed = np.hypot(U, V)
        with np.errstate(invalid="ignore", divide="ignore"):
            Un, Vn = np.where(speed > 0, U / speed, 0.0), np.where(speed > 0, V / speed, 0.0)
        shade = np.log10(np.where(speed > 0, speed, np.nan))
        cmap = LinearSegmentedColormap.from_list("speed", HOUSE["speed"])
        ax.quiver(X, Y, Un, Vn, shade, cmap=cmap, pivot="middle", angles="xy", zorder=2)
    if data.nullclines is not None:
        styles = [(3, "solid", "ẋ = 0"), (2, "dashed", "ẏ = 0")]
        for (colour, dash, name), pieces in zip(styles, data.nullclines):
            for i, piece in enumerate(pieces):
                piece = np.asarray(piece, dtype=float)
                w = HOUSE["nullcline_width"]
                with plt.rc_context(_dash_rc(w)):
                    ax.plot(
                        piece[:, 0],
                        piece[:, 1],
                        color=_colour(colour),
                        linestyle=_linestyle(dash, w),
                        linewidth=w * _PX * 1.5,
                        label=name if i == 0 else None,
                        zorder=3,
                    )
                legend = True
    for i, t in enumerate(data.trajectories):
        xy = np.asarray(t["xy"], dtype=float)
        w = HOUSE["trajectory_width"]
        ax.plot(
            xy[:, 0],
            xy[:, 1],
            color=_colour(7),
            linewidth=w * _PX * 1.5,
            label="trajectories" if i == 0 else None,
            zorder=4,
        )
        legend = True
    marks = {
        "stable": dict(marker="o", facecolor=_colour(0)),
        "unstable": dict(marker="o", facecolor="white"),
        "saddle": dict(marker="x", facecolor=_colour(0)),
    }
    for e in data.equilibria:
        st = str(e.get("stability", ""))
        kind = "saddle" if "saddle" in st else "unstable" if "unstable" in st else (
            "stable" if "stable" in st else "other")
        m = marks.get(kind, dict(marker="D", facecolor=_colour(0)))
        ax.scatter(
            [e["x"]],
            [e["y"]],
            s=70,
            marker=m["marker"],
            facecolors=m["facecolor"] if m["marker"] != "x" else None,
            edgecolors=_colour(0) if m["marker"] != "x" else None,
            color=_colour(0) if m["marker"] == "x" else None,
            linewidths=1.5,
            zorder=5,
            label=("z*" if e.get("of_full_flow") else f"{st} (slice)"),
        )
        legend = True
    _finish(ax, xlabel, ylabel, title, "linear", "linear", legend)
    return fig
