//! Which files a figure is written as: `--formats png,svg,pdf,tex` on the command line (default
//! `png,svg`), checked before any work and read by every task that writes figures.

use std::sync::OnceLock;

use crate::error::InputError;

/// One output format of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureFormat {
    /// `STEM.png`.
    Png,
    /// `STEM.svg`.
    Svg,
    /// `STEM.pdf` (the renderer's own PDF backend).
    Pdf,
    /// `STEM.pgfplots.tex` (pgfplots; `pdflatex` makes `STEM.pgfplots.pdf` of it) with its tables `STEM-pP-*.dat` and large heat maps as
    /// `STEM-pP-cells.png`.
    Tex,
}

impl FigureFormat {
    /// The format's name on the command line and its file extension.
    pub fn name(self) -> &'static str {
        match self {
            FigureFormat::Png => "png",
            FigureFormat::Svg => "svg",
            FigureFormat::Pdf => "pdf",
            FigureFormat::Tex => "tex",
        }
    }
}

/// The formats written when none are chosen.
pub const DEFAULT_FORMATS: [FigureFormat; 2] = [FigureFormat::Png, FigureFormat::Svg];

/// Parses a comma-separated list of formats (each once; at least one).
pub fn parse_formats(text: &str) -> Result<Vec<FigureFormat>, InputError> {
    let all = [
        FigureFormat::Png,
        FigureFormat::Svg,
        FigureFormat::Pdf,
        FigureFormat::Tex,
    ];
    let mut out = Vec::new();
    for word in text.split(',').map(str::trim) {
        let Some(f) = all.iter().copied().find(|f| f.name() == word) else {
            return Err(InputError::new(
                "--formats",
                format!(
                    "unknown format {word:?}; use a comma-separated list of png, svg, pdf, tex"
                ),
            ));
        };
        if out.contains(&f) {
            return Err(InputError::new(
                "--formats",
                format!("{word:?} is listed twice; name each format once"),
            ));
        }
        out.push(f);
    }
    Ok(out)
}

/// The formats chosen for this process.
static FORMATS: OnceLock<Vec<FigureFormat>> = OnceLock::new();

/// Sets the formats of every figure this process writes (the first call wins).
pub fn set_figure_formats(formats: Vec<FigureFormat>) {
    let _ = FORMATS.set(formats);
}

/// The formats figures are written in: those set, else [`DEFAULT_FORMATS`].
pub fn figure_formats() -> &'static [FigureFormat] {
    FORMATS.get().map_or(&DEFAULT_FORMATS[..], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_bad_words_name_the_flag() {
        assert_eq!(
            parse_formats("pdf, tex").unwrap(),
            [FigureFormat::Pdf, FigureFormat::Tex]
        );
        let e = parse_formats("png,eps").unwrap_err().to_string();
        assert!(e.contains("--formats") && e.contains("eps"), "{e}");
        assert!(parse_formats("png,png").is_err());
        assert!(parse_formats("").is_err());
    }
}
