//! The output layer: output folders, atomic file writes and the provenance block of every
//! document. The only module that writes files.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, InputError};

/// Provenance common to every output: crate version and git commit.
pub fn provenance_base() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("crate".into(), Value::from("starvation"));
    m.insert(
        "crate_version".into(),
        Value::from(env!("CARGO_PKG_VERSION")),
    );
    m.insert("git_commit".into(), Value::from(git_commit()));
    m
}

/// The git commit the binary was built from ("unknown" outside a git checkout).
pub fn git_commit() -> &'static str {
    option_env!("STARVATION_GIT_COMMIT").unwrap_or("unknown")
}

/// Prepares an output folder: creates it if needed and checks it is writable.
pub fn prepare_output_dir(dir: &Path) -> Result<(), InputError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        InputError::new(
            "--out",
            format!(
                "cannot create {}: {e}; give a writable folder",
                dir.display()
            ),
        )
    })?;
    let probe = dir.join(format!(".starvation-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| {
        InputError::new(
            "--out",
            format!(
                "{} is not writable: {e}; give a writable folder",
                dir.display()
            ),
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename; the
/// temporary file is removed if anything fails).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic_with(path, |w| std::io::Write::write_all(w, bytes))
}

/// Writes a file atomically by streaming into a temporary file in the same folder, then
/// renaming it (large tables are never held in memory whole).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), Error> {
    use std::io::Write;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        fill(&mut w)?;
        w.flush()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
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
        Self::bytes(name, crate::result::to_json_bytes(value))
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

    /// A figure as PNG and SVG plus its plotted data as `STEM.data.json`.
    pub fn figure(f: &crate::figures::FigureOutput) -> Vec<Self> {
        vec![
            Self {
                name: format!("{}.png", f.stem),
                contents: Contents::Figure(f.figure.clone()),
            },
            Self {
                name: format!("{}.svg", f.stem),
                contents: Contents::Figure(f.figure.clone()),
            },
            Self::json(format!("{}.data.json", f.stem), &f.data),
        ]
    }
}

/// Writes `files` into `dir`, each atomically, in order; returns their paths.
pub fn write_files(dir: &Path, files: Vec<OutputFile<'_>>) -> Result<Vec<PathBuf>, Error> {
    let mut written = Vec::with_capacity(files.len());
    for f in files {
        let path = dir.join(&f.name);
        match f.contents {
            Contents::Bytes(b) => write_atomic(&path, &b)?,
            Contents::Stream(fill) => write_atomic_with(&path, |w| fill(w))?,
            Contents::Figure(fig) => write_atomic(&path, &render_figure(&fig, &path)?)?,
        }
        written.push(path);
    }
    Ok(written)
}

/// Renders `fig` and writes it to `path` atomically; the format follows the extension (.png,
/// .svg).
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
        _ => {
            return Err(InputError::new(
                path.display().to_string(),
                "unsupported image file extension; use .png or .svg",
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
