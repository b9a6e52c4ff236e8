//! Files a command produces, described as data ([`OutputFile`]) and written as one set; figures
//! rendered to PNG or SVG on the way; JSON bytes.

use std::path::{Path, PathBuf};

use super::write_atomic;
use crate::error::{Error, InputError};

/// JSON with a trailing newline: pretty-printed (diffs cleanly) unless the compact form exceeds
/// 1 MB, where one number per line would multiply the size; such documents are written compact.
pub fn to_json_bytes(v: &impl serde::Serialize) -> Vec<u8> {
    let compact = serde_json::to_vec(v).unwrap_or_default();
    let mut b = if compact.len() > 1 << 20 {
        compact
    } else {
        serde_json::to_vec_pretty(v).unwrap_or_default()
    };
    b.push(b'\n');
    b
}

/// A writer that fills a streamed file.
pub type Fill<'a> = Box<dyn FnOnce(&mut dyn std::io::Write) -> std::io::Result<()> + 'a>;

/// What a file holds.
pub enum Contents<'a> {
    /// Bytes, written as they are.
    Bytes(Vec<u8>),
    /// A figure, rendered as PNG or SVG by the file name's extension.
    Figure(crate::plot::Figure),
    /// Text streamed by a writer (large tables, written without holding them in memory).
    Stream(Fill<'a>),
}

/// One file a command produces: its name inside the output folder and its contents.
pub struct OutputFile<'a> {
    /// File name (no folders).
    pub name: String,
    /// Contents.
    pub contents: Contents<'a>,
}

impl<'a> OutputFile<'a> {
    /// A file of bytes.
    pub fn bytes(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            contents: Contents::Bytes(bytes),
        }
    }

    /// A JSON document (pretty-printed unless large).
    pub fn json(name: impl Into<String>, value: &impl serde::Serialize) -> Self {
        Self::bytes(name, to_json_bytes(value))
    }

    /// A figure, rendered as PNG or SVG by the extension of `name`.
    pub fn figure(name: impl Into<String>, figure: crate::plot::Figure) -> Self {
        Self {
            name: name.into(),
            contents: Contents::Figure(figure),
        }
    }

    /// A streamed file.
    pub fn stream(
        name: impl Into<String>,
        fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()> + 'a,
    ) -> Self {
        Self {
            name: name.into(),
            contents: Contents::Stream(Box::new(fill)),
        }
    }
}

/// Writes `files` into `dir` as one set: all staged, then committed together, so a killed or
/// failed command leaves either every file or none (see [`super::OutputSet`]). Returns their
/// paths.
pub fn write_files(dir: &Path, files: Vec<OutputFile<'_>>) -> Result<Vec<PathBuf>, Error> {
    let mut set = super::OutputSet::begin(dir)?;
    stage_files(&mut set, files)?;
    set.commit()
}

/// Stages `files` in `set` (rendering figures on the way); they appear when the set commits.
pub fn stage_files(set: &mut super::OutputSet, files: Vec<OutputFile<'_>>) -> Result<(), Error> {
    for f in files {
        match f.contents {
            Contents::Bytes(b) => set.write(&f.name, &b)?,
            Contents::Stream(fill) => set.write_with(&f.name, |w| fill(w))?,
            Contents::Figure(fig) => {
                let bytes = render_figure(&fig, Path::new(&f.name))?;
                set.write(&f.name, &bytes)?
            }
        };
    }
    Ok(())
}

/// Renders `fig` and writes it to `path` atomically; the format follows the extension (.png,
/// .svg, .pdf).
pub fn save_figure(fig: &crate::plot::Figure, path: &Path) -> Result<(), Error> {
    write_atomic(path, &render_figure(fig, path)?)
}

/// Renders a figure in the format its file name's extension names.
#[cfg(feature = "plot")]
fn render_figure(fig: &crate::plot::Figure, path: &Path) -> Result<Vec<u8>, Error> {
    use crate::plot::ImageFormat;
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("png") => ImageFormat::Png,
        Some("svg") => ImageFormat::Svg,
        Some("pdf") => ImageFormat::Pdf,
        _ => {
            return Err(InputError::new(
                path.display().to_string(),
                "unsupported image file extension; use .png, .svg or .pdf",
            )
            .into());
        }
    };
    crate::plot::render(fig, format)
}

#[cfg(not(feature = "plot"))]
fn render_figure(_fig: &crate::plot::Figure, path: &Path) -> Result<Vec<u8>, Error> {
    Err(InputError::new(
        path.display().to_string(),
        "this build has no renderer; build with the `plot` feature to draw figures",
    )
    .into())
}
