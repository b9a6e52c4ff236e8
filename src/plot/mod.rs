//! The only code that draws: figures described by [`figure`] types rendered to PNG and SVG from
//! the same drawing code, in one house style, with an embedded font (no system libraries).
//!
//! [`render`] turns a [`Figure`] into image bytes and [`save`] writes them to a `.png` or `.svg`
//! file. Panels are laid out on a grid; each panel is a line plot, a phase portrait or a heat map
//! (see [`Panel`]).

mod axis;
mod canvas;
mod colour;
mod elements;
pub mod figure;
mod geometry;
mod layout;
mod raster;
mod render;
mod style;

pub use figure::*;
pub use render::{ImageFormat, render, save};
