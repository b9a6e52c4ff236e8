//! The only code that draws: figures described by [`figure`] types rendered to PNG and SVG from
//! the same drawing code, in one house style, with an embedded font (no system libraries).
//!
//! `render` (feature `plot`) turns a [`Figure`] into PNG or SVG bytes; the output layer writes
//! them. Panels are laid out on a grid; each panel is a line plot, a phase portrait or a heat map
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
mod pdf;
#[cfg(feature = "render")]
mod raster;
#[cfg(feature = "render")]
mod render;
#[cfg(feature = "render")]
mod style;

pub use figure::*;
#[cfg(feature = "render")]
pub use render::{ImageFormat, MAX_VECTOR_CELLS, render};
