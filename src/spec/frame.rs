//! The frame of every figure a spec asks for — `plot` (and each `plot[i]`), `portrait`,
//! `sweep.plots[i]` and `experiment.figure` — written with one vocabulary and checked here once:
//!
//! - `name`: the file stem of the figure's files (PNG and SVG, or the command's `--formats`: PDF,
//!   pgfplots) and `.data.json` (default: the spec's `name`;
//!   `<spec name>_<i>` for sweep plot i);
//! - `title`: the title over the whole figure (default none);
//! - `size`: `[width, height]` of the whole figure in pixels, each side 64…16384, at most 64 Mi
//!   pixels (default: so many pixels per panel, or a fixed size, by kind of figure);
//! - `columns`: panels per row, ≥ 1 (more than the panels draws them in one row; default: all
//!   panels up to 3 per row, up to 5 for experiments).
//!
//! Each figure spec type declares these four fields itself (serde's `flatten` does not work
//! together with `deny_unknown_fields`) and hands them to [`FigureFrame::check`]. The spellings
//! of earlier versions (`stem`, `width`, `height`) are refused with the new one by
//! [`parse_figure`], which every figure section is read with.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::json::from_value;
use super::names::{NameUse, check_file_stem};
use crate::error::InputError;

/// Smallest and largest side of a figure in pixels.
pub const FIGURE_SIDE_PIXELS: (u32, u32) = (64, 16_384);
/// Most pixels of one figure (64 Mi).
pub const MAX_FIGURE_PIXELS: u64 = 64 * 1024 * 1024;

/// Frame fields of earlier versions and what replaces them.
const RENAMED: [(&str, &str); 3] = [
    ("stem", "write \"name\""),
    ("width", "write \"size\": [width, height]"),
    ("height", "write \"size\": [width, height]"),
];

/// The frame fields of one figure spec as written, the same in `plot`, `portrait`,
/// `sweep.plots[i]` and `experiment.figure` (each spec type declares them and hands them over
/// with its `frame()`; serde's `flatten` does not work with `deny_unknown_fields`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FigureFrame {
    /// File stem of the figure's files (PNG and SVG, or the command's `--formats`: PDF, pgfplots)
    /// and `.data.json` (default: the spec's `name`; `<spec name>_<i>` for sweep plot i).
    pub name: Option<String>,
    /// Title over the whole figure (default none).
    pub title: Option<String>,
    /// `[width, height]` of the whole figure in pixels, each side within
    /// [`FIGURE_SIDE_PIXELS`], at most [`MAX_FIGURE_PIXELS`] (default by kind of figure).
    pub size: Option<[u32; 2]>,
    /// Panels per row, ≥ 1 (more than the panels draws them in one row; default all panels up
    /// to 3 per row, up to 5 for experiments).
    pub columns: Option<usize>,
}

/// A checked [`FigureFrame`]: the file stem and title decided, size and columns valid.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedFrame {
    /// File stem.
    pub name: String,
    /// Overall title ("" for none).
    pub title: String,
    /// `[width, height]` in pixels, when given.
    pub size: Option<[u32; 2]>,
    /// Panels per row, when given (≥ 1).
    pub columns: Option<usize>,
    /// Where the frame was written (`plot`, `sweep.plots[2]`, …), for errors found later.
    pub field: String,
}

/// Panels per row and the size of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FigureLayout {
    /// Panels per row.
    pub columns: usize,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Reads a figure section written at `field`: a frame field of an earlier version is refused
/// naming its new spelling (e.g. `plot.stem: renamed; write "name"`), then `value` is
/// deserialised with errors that name the exact field.
pub fn parse_figure<T: DeserializeOwned>(value: &Value, field: &str) -> Result<T, InputError> {
    refuse_renamed(value, field)?;
    from_value(value.clone(), field)
}

/// Refuses the frame fields of earlier versions in the figure object `value` (written at
/// `field`), naming the new spelling.
pub fn refuse_renamed(value: &Value, field: &str) -> Result<(), InputError> {
    if let Value::Object(map) = value
        && let Some((old, fix)) = RENAMED.iter().find(|(old, _)| map.contains_key(*old))
    {
        return Err(InputError::new(
            format!("{field}.{old}"),
            format!("renamed; {fix}"),
        ));
    }
    Ok(())
}

impl FigureFrame {
    /// Checks the frame written at `field`: the file stem (`default_name` when `name` is not
    /// given; [`check_file_stem`]), `columns` ≥ 1 and `size` within [`FIGURE_SIDE_PIXELS`] and
    /// [`MAX_FIGURE_PIXELS`]. Errors name `{field}.name`, `{field}.columns`, `{field}.size`.
    pub fn check(&self, field: &str, default_name: &str) -> Result<CheckedFrame, InputError> {
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| default_name.to_string());
        check_file_stem(&name, &format!("{field}.name"), NameUse::Figure)?;
        if self.columns == Some(0) {
            return Err(InputError::new(format!("{field}.columns"), "must be ≥ 1"));
        }
        if let Some([w, h]) = self.size {
            let (lo, hi) = FIGURE_SIDE_PIXELS;
            if !(lo..=hi).contains(&w) || !(lo..=hi).contains(&h) {
                return Err(InputError::new(
                    format!("{field}.size"),
                    format!(
                        "must be [width, height] with each side between {lo} and {hi} pixels, got [{w}, {h}]"
                    ),
                ));
            }
            check_pixels(w, h, &format!("{field}.size"))?;
        }
        Ok(CheckedFrame {
            name,
            title: self.title.clone().unwrap_or_default(),
            size: self.size,
            columns: self.columns,
            field: field.to_string(),
        })
    }
}

impl CheckedFrame {
    /// The layout of a figure of `panels` panels: `columns` as given (at most the panels) or all
    /// panels up to `max_columns` per row; `size` as given or `default_size(columns, rows)`. A
    /// default size above [`MAX_FIGURE_PIXELS`] is an error naming the frame.
    pub fn layout(
        &self,
        panels: usize,
        max_columns: usize,
        default_size: impl FnOnce(u32, u32) -> (u32, u32),
    ) -> Result<FigureLayout, InputError> {
        let columns = self.columns.unwrap_or(max_columns).min(panels).max(1);
        let rows = panels.div_ceil(columns).max(1);
        let (width, height) = match self.size {
            Some([w, h]) => (w, h),
            None => default_size(columns as u32, rows as u32),
        };
        check_pixels(width, height, &self.field)?;
        Ok(FigureLayout {
            columns,
            width,
            height,
        })
    }
}

/// At most [`MAX_FIGURE_PIXELS`] in a `width` × `height` figure; errors name `field`.
fn check_pixels(width: u32, height: u32, field: &str) -> Result<(), InputError> {
    if u64::from(width) * u64::from(height) > MAX_FIGURE_PIXELS {
        return Err(InputError::new(
            field,
            format!(
                "{width} × {height} pixels is too large (at most 64 Mi pixels); make the figure smaller"
            ),
        ));
    }
    Ok(())
}
