#!/usr/bin/env bash
# Compiles exported figures with LaTeX (pdflatex and pgfplots from the distribution's TeX Live),
# the check the normal tests cannot make (they read the .tex, they do not typeset it):
#
#   tests/latex/run.sh [OUT]        (root for the install; OUT default /tmp/starvation-latex)
#
# Installs texlive-latex-base and texlive-pictures (pgfplots) and poppler-utils with apt-get when
# pdflatex, pgfplots.sty or pdftoppm is missing. Builds the release binary unless STARVATION_BIN
# names one. Exports with `--formats png,pdf,tex`: Figure 6's toy dynamics (two line panels,
# 24 series), the phase-diagram sweep (two 161 × 141 heat maps: PNG cells, a log axis, a
# threshold curve, contour lines), the same sweep at 12 × 10 cells (matrix plot* vector cells),
# Figure 6's phase portraits (quiver arrows, streamlines, nullclines, trajectories) and the toy's
# orbit diagrams (density images, the flip lines and their labels); compiles each
# STEM.pgfplots.tex with pdflatex (halting on the first error) and rasterises the result and the
# renderer's own STEM.pdf to PNG at 80 dpi beside them, to look at side by side. Exit status 0
# when every document compiles without error and every PDF rasterises.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-/tmp/starvation-latex}
say() { printf '[latex-test] %s\n' "$*"; }
die() { say "FAIL: $*"; exit 1; }

# ── Install what is missing ────────────────────────────────────────────────────────────────
missing=()
command -v pdflatex >/dev/null || missing+=(texlive-latex-base)
kpsewhich pgfplots.sty >/dev/null 2>&1 || missing+=(texlive-pictures)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; run as root to install them"
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        texlive-latex-base texlive-pictures poppler-utils >/dev/null
fi

# ── Export ─────────────────────────────────────────────────────────────────────────────────
bin=${STARVATION_BIN:-}
if [ -z "$bin" ]; then
    (cd "$repo" && cargo build --release --quiet)
    bin="$repo/target/release/starvation"
fi
rm -rf "$out"
mkdir -p "$out"
small="$out/sweep_small.json"
# The phase-diagram sweep at 12 × 10 cells (≤ 4096: vector cells).
sed -e 's/"count": 141/"count": 10/' -e 's/"count": 161/"count": 12/' \
    -e 's/"name": "sweep_phase_diagram"/"name": "sweep_small"/' \
    "$repo/simulations/sweep_phase_diagram.json" >"$small"
"$bin" run "$repo/simulations/fig06_toy_dynamics.json" --out "$out" --formats png,pdf,tex >/dev/null
"$bin" sweep "$repo/simulations/sweep_phase_diagram.json" --out "$out" --formats png,pdf,tex >/dev/null
"$bin" sweep "$small" --out "$out" --formats png,pdf,tex >/dev/null
"$bin" portrait "$repo/simulations/fig06_toy_portraits.json" --out "$out" --formats png,pdf,tex >/dev/null
"$bin" equilibrium "$repo/simulations/orbit_diagram_toy.json" --out "$out" --formats png,pdf,tex >/dev/null
grep -q 'matrix plot\*' "$out/sweep_small.pgfplots.tex" || die "the small sweep has no vector cells"
grep -q 'graphics\[' "$out/sweep_phase_diagram.pgfplots.tex" || die "the large sweep has no image"
grep -q 'contour0.dat' "$out/sweep_phase_diagram.pgfplots.tex" || die "the sweep's contour lines are not exported"
grep -q 'density.png' "$out/orbit_diagram_toy.pgfplots.tex" || die "the orbit diagram has no density image"

# ── Compile and look ───────────────────────────────────────────────────────────────────────
cd "$out"
for stem in fig06_toy_dynamics sweep_phase_diagram sweep_small fig06_toy_portraits orbit_diagram_toy; do
    start=$(date +%s.%N)
    if ! pdflatex -interaction=nonstopmode -halt-on-error "$stem.pgfplots.tex" >"$stem.latex.out" 2>&1; then
        grep -A5 '^!' "$stem.pgfplots.log" | head -20
        die "$stem.pgfplots.tex does not compile (see $out/$stem.pgfplots.log)"
    fi
    seconds=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }")
    pdftoppm -png -r 80 -singlefile "$stem.pgfplots.pdf" "$stem.pgfplots.look" || die "$stem.pgfplots.pdf"
    pdftoppm -png -r 80 -singlefile "$stem.pdf" "$stem.look" || die "$stem.pdf"
    say "$stem: compiled in ${seconds} s; look at $out/$stem.pgfplots.look.png and $out/$stem.look.png"
done
say "PASS"
