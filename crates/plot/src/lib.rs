//! The only code that draws: figures described by [`figure`] types rendered to PNG, SVG and PDF
//! from the same drawing code, in one house style, with an embedded font (no system libraries),
//! and exported as pgfplots LaTeX with their data tables ([`tex`]).
//!
//! `render` (feature `plot`) turns a [`Figure`] into PNG, SVG or PDF bytes, [`pgfplots`] into a
//! `.tex` file and its tables; the output layer writes them. Panels are laid out on a grid; each panel is a line plot, a phase portrait, a heat map or an orbit diagram
//! (see [`Panel`]).

#[cfg(feature = "render")]
mod axis;
#[cfg(feature = "render")]
mod canvas;
#[cfg(feature = "render")]
mod colour;
#[cfg(feature = "render")]
mod elements;
pub mod figure;
#[cfg(feature = "render")]
mod filled;
#[cfg(feature = "render")]
mod geometry;
#[cfg(feature = "render")]
mod layout;
#[cfg(feature = "render")]
mod orbit;
#[cfg(feature = "render")]
mod pdf;
#[cfg(feature = "render")]
mod raster;
#[cfg(feature = "render")]
mod render;
#[cfg(feature = "render")]
mod style;
#[cfg(feature = "render")]
pub mod tex;
pub mod time_series;

pub use figure::*;
#[cfg(feature = "render")]
pub use render::{ImageFormat, MAX_VECTOR_CELLS, render};
#[cfg(feature = "render")]
pub use tex::pgfplots;
pub use time_series::{TimeSeriesRun, time_series_panel};
