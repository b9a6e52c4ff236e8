//! The only code that draws: figures described by [`figure`] types rendered to PNG and SVG from
//! the same drawing code, in one house style, with an embedded font (no system libraries).
//!
//! `render` (feature `plot`) turns a [`Figure`] into PNG or SVG bytes; the output layer writes
//! them. Panels are laid out on a grid; each panel is a line plot, a phase portrait or a heat map
//! (see [`Panel`]).

#[cfg(feature = "plot")]
mod axis;
#[cfg(feature = "plot")]
mod canvas;
#[cfg(feature = "plot")]
mod colour;
#[cfg(feature = "plot")]
mod elements;
pub mod figure;
#[cfg(feature = "plot")]
mod filled;
#[cfg(feature = "plot")]
mod geometry;
#[cfg(feature = "plot")]
mod layout;
#[cfg(feature = "plot")]
mod raster;
#[cfg(feature = "plot")]
mod render;
#[cfg(feature = "plot")]
mod style;

pub use figure::*;
#[cfg(feature = "plot")]
pub use render::{ImageFormat, render};
