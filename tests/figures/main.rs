//! Figures: axes, keys, spec errors, every shipped spec rendered, the renderer's panels.
//!
//! One test binary per area (a binary links once); each module is one claim, quoted in its
//! doc comment.

#[path = "../common/mod.rs"]
mod common;

mod axis_ticks;
mod continuation_styles;
mod explore_screenshot_panels;
mod figure_keys;
mod figure_pdf_export;
mod figure_pgfplots_export;
mod figure_spec_errors;
mod figure_text_xml;
mod figures_render;
mod orbit_diagram_flip;
mod plot_rendering;
