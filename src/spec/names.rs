//! Names that become files: the spec's `name` and every figure's `name` (`plot.name`,
//! `portrait.name`, `sweep.plots[i].name`, `experiment.figure.name`; see
//! [`super::FigureFrame`]). One check, [`check_file_stem`], decides whether a name is usable, and
//! [`OutputNames`] collects the files one command writes so that two outputs of one spec never
//! share a file. The file names themselves come from here too
//! ([`output_file`], [`figure_files`]).

use crate::error::InputError;

/// Longest file name most file systems accept, in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// Suffixes of the files written under the spec's name (`NAME.run.json`, …).
pub mod suffix {
    /// `run`: the run document.
    pub const RUN_JSON: &str = ".run.json";
    /// `run`: one row per recorded point.
    pub const RUN_CSV: &str = ".run.csv";
    /// `equilibrium`: the analysis document.
    pub const EQUILIBRIUM_JSON: &str = ".equilibrium.json";
    /// `sweep`: the sweep document.
    pub const SWEEP_JSON: &str = ".sweep.json";
    /// `sweep`: one row per cell.
    pub const SWEEP_CSV: &str = ".sweep.csv";
    /// `sweep`: thresholds.
    pub const THRESHOLDS_CSV: &str = ".thresholds.csv";
    /// `sweep`: level-set polylines.
    pub const LEVELS_CSV: &str = ".levels.csv";
    /// `run` of an `experiment` spec: the experiment document.
    pub const EXPERIMENT_JSON: &str = ".experiment.json";
    /// `run` of an image experiment: Table 1 as CSV.
    pub const TABLE_CSV: &str = ".table.csv";
    /// `run` of an image experiment: Table 1 as Markdown.
    pub const TABLE_MD: &str = ".table.md";
    /// `run` of an image experiment: Table 1 as LaTeX.
    pub const TABLE_TEX: &str = ".table.tex";
    /// Every suffix above.
    pub const ALL: [&str; 11] = [
        RUN_JSON,
        RUN_CSV,
        EQUILIBRIUM_JSON,
        SWEEP_JSON,
        SWEEP_CSV,
        THRESHOLDS_CSV,
        LEVELS_CSV,
        EXPERIMENT_JSON,
        TABLE_CSV,
        TABLE_MD,
        TABLE_TEX,
    ];
    /// Suffixes of a figure's files (image, vector image, plotted data).
    pub const FIGURE: [&str; 3] = [".png", ".svg", ".data.json"];
    /// Bytes of the longest shard suffix, `.shard-K-of-N.json` with K = N = the most shards.
    pub fn longest_shard() -> usize {
        use crate::sweep::shard::{MAX_SHARDS, shard_file_name};
        shard_file_name("", MAX_SHARDS, MAX_SHARDS).len()
    }
}

/// What a name is used for, which fixes the longest suffix it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameUse {
    /// The spec's `name`: `NAME.equilibrium.json`, `NAME.shard-K-of-N.json`, and the figure
    /// files when a figure's stem defaults to it.
    Spec,
    /// A figure stem: `STEM.png`, `STEM.svg`, `STEM.data.json`.
    Figure,
}

impl NameUse {
    /// Bytes of the longest suffix a name of this use gets.
    fn longest_suffix(self) -> usize {
        let outputs = suffix::ALL.iter().chain(suffix::FIGURE.iter());
        match self {
            NameUse::Spec => outputs
                .map(|s| s.len())
                .chain([suffix::longest_shard()])
                .max()
                .unwrap_or(0),
            NameUse::Figure => suffix::FIGURE.iter().map(|s| s.len()).max().unwrap_or(0),
        }
    }
}

/// Checks a name that becomes a file in the output folder; errors name `field` and say why.
///
/// Usable: 1 or more letters, digits, `_`, `-` or `.`, not starting with `.` (no hidden files, no
/// `.`/`..`, nothing made only of dots) nor with `-` (a file name that commands such as `rm`,
/// `ls` or `sbatch` would read as an option), so no path separator (`/`, `\`), no absolute path, no
/// control character; the name with its longest suffix fits [`MAX_FILE_NAME_BYTES`].
pub fn check_file_stem(name: &str, field: &str, used_for: NameUse) -> Result<(), InputError> {
    let fail = |why: String| InputError::new(field, why);
    if name.is_empty() {
        return Err(fail(
            "is empty; give a file name such as \"toy_run\"".to_string(),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-.".contains(*c)))
    {
        let what = match bad {
            '/' | '\\' => "a path separator".to_string(),
            c if c.is_control() => "a control character".to_string(),
            c => format!("{c:?}"),
        };
        return Err(fail(format!(
            "{name:?} contains {what}; a file name may use letters, digits, '_', '-' and '.' (it is written inside --out)"
        )));
    }
    if name.starts_with('.') {
        return Err(fail(format!(
            "{name:?} starts with '.' (a hidden file, or a path out of --out); start with a letter or digit"
        )));
    }
    if name.starts_with('-') {
        return Err(fail(format!(
            "{name:?} starts with '-' (other commands would read the file name as an option); start with a letter or digit"
        )));
    }
    let longest = name.len() + used_for.longest_suffix();
    if longest > MAX_FILE_NAME_BYTES {
        return Err(fail(format!(
            "has {} bytes; with its longest suffix that is {longest}, more than the {MAX_FILE_NAME_BYTES} a file name may have; use at most {} bytes",
            name.len(),
            MAX_FILE_NAME_BYTES - used_for.longest_suffix()
        )));
    }
    Ok(())
}

/// `NAME` + `suffix` (e.g. `toy.run.json`).
pub fn output_file(name: &str, suffix: &str) -> String {
    format!("{name}{suffix}")
}

/// The files of a figure with stem `stem`.
pub fn figure_files(stem: &str) -> [String; 3] {
    suffix::FIGURE.map(|s| format!("{stem}{s}"))
}

/// The files one command writes for a spec, with the field each comes from: a file named twice
/// is an error naming the second field.
#[derive(Debug, Default, Clone)]
pub struct OutputNames {
    files: Vec<(String, String)>,
    /// `NAME.shard-`: files starting so are read by `merge` as shards of the spec.
    shard_prefix: Option<String>,
}

impl OutputNames {
    /// The spec's own outputs `NAME` + each suffix, from field `name`.
    pub fn with_spec_outputs(name: &str, suffixes: &[&str]) -> Self {
        let mut names = Self {
            shard_prefix: Some(format!("{name}.shard-")),
            ..Self::default()
        };
        for s in suffixes {
            names.files.push((output_file(name, s), "name".to_string()));
        }
        names
    }

    /// Adds a figure with stem `stem` written by field `field` (the stem is checked first).
    pub fn add_figure(&mut self, stem: &str, field: &str) -> Result<(), InputError> {
        check_file_stem(stem, field, NameUse::Figure)?;
        if let Some(prefix) = self.shard_prefix.as_deref().filter(|p| stem.starts_with(p)) {
            return Err(InputError::new(
                field,
                format!(
                    "{stem:?} starts with {prefix:?}, the name of this spec's shard files (merge would read it as one); choose another name"
                ),
            ));
        }
        for file in figure_files(stem) {
            self.add(file, field)?;
        }
        Ok(())
    }

    /// Adds one file written by `field`.
    pub fn add(&mut self, file: String, field: &str) -> Result<(), InputError> {
        if let Some((_, first)) = self.files.iter().find(|(f, _)| *f == file) {
            let whose = if first == field {
                "another of its outputs".to_string()
            } else {
                format!("the output of {first}")
            };
            return Err(InputError::new(
                field,
                format!(
                    "would write {file:?}, which is also {whose}; give every output its own name"
                ),
            ));
        }
        self.files.push((file, field.to_string()));
        Ok(())
    }

    /// The files with the field each comes from, in the order added.
    pub fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .map(|(f, field)| (f.as_str(), field.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_and_unusable_names() {
        for ok in ["toy", "fig06_toy-dynamics", "a.b", "x1"] {
            assert!(check_file_stem(ok, "f", NameUse::Figure).is_ok(), "{ok}");
        }
        for bad in [
            "", ".", "..", "...", ".hidden", "../x", "/tmp/x", "a/b", "a\\b", "a\nb", "a b", "é",
        ] {
            let e = check_file_stem(bad, "sweep.plots[0].name", NameUse::Figure).unwrap_err();
            assert_eq!(e.field, "sweep.plots[0].name", "{bad:?}");
        }
    }

    #[test]
    fn length_counts_the_longest_suffix() {
        let longest_figure = 255 - ".data.json".len();
        let name = "a".repeat(longest_figure);
        assert!(check_file_stem(&name, "f", NameUse::Figure).is_ok());
        let name = "a".repeat(longest_figure + 1);
        assert!(check_file_stem(&name, "f", NameUse::Figure).is_err());
        let spec_max = 255 - suffix::longest_shard();
        assert!(check_file_stem(&"a".repeat(spec_max), "name", NameUse::Spec).is_ok());
        assert!(check_file_stem(&"a".repeat(spec_max + 1), "name", NameUse::Spec).is_err());
    }

    #[test]
    fn a_file_named_twice_is_refused() {
        let mut names = OutputNames::with_spec_outputs("p", &suffix::ALL);
        names.add_figure("q", "sweep.plots[0].name").unwrap();
        let e = names.add_figure("q", "sweep.plots[1].name").unwrap_err();
        assert_eq!(e.field, "sweep.plots[1].name");
        assert!(e.message.contains("sweep.plots[0].name"), "{}", e.message);
        let e = names.add_figure("p.shard-1-of-2", "sweep.plots[2].name");
        assert!(e.is_err());
    }
}
