//! The output layer: the only code that writes files.
//!
//! - [`set`]: an output *set* — every file of one command staged in a hidden folder inside
//!   `--out` and committed together, so a killed or failed run never leaves a partial set.
//! - [`atomic`]: one file written atomically (temporary file, `fsync`, rename, `fsync` of the
//!   folder).
//! - [`lease`]: the file lock a writer holds while its hidden leftovers exist, which tells a
//!   later run whether their writer is alive.
//! - [`stale`]: removal of what dead processes left behind (staging folders, temporary files).
//! - [`folder`]: preparing `--out` (create, check writable, clean up stale leftovers).
//! - [`report`]: writing to standard output where a closed pipe is a quiet end, not a panic.
//! - [`provenance`]: the crate version and git commit recorded in every output.
//!
//! A command that writes files: `prepare_output_dir(out)?` before any work (it also cleans up
//! after dead runs), then `let mut set = OutputSet::begin(out)?`, `set.write(name, bytes)?` /
//! `set.write_with(name, |w| …)?` for data and `plot::save(&figure, &set.stage_path(name)?)?` for
//! images, then `set.commit()?`, and only then report the paths through a [`Report`]. A single
//! file that stands alone (a shard file, a `--json` table) uses [`write_atomic`].

pub mod atomic;
mod files;
pub mod folder;
pub mod formats;
pub mod guard;
pub mod lease;
pub mod provenance;
pub mod report;
pub mod set;
pub mod stale;

pub use atomic::{write_atomic, write_atomic_with};
pub use files::{Contents, Fill, OutputFile, save_figure, stage_files, to_json_bytes, write_files};
pub use folder::prepare_output_dir;
pub use formats::{FigureFormat, figure_formats, parse_formats, set_figure_formats};
pub use guard::{SpecGuard, check_file_target};
pub use provenance::{git_commit, provenance_base};
pub use report::Report;
pub use set::{OutputSet, StagedWriter};
pub use stale::{Cleanup, remove_stale};

/// Prefix of every hidden name this layer creates in an output folder.
pub const HIDDEN_PREFIX: &str = ".starvation-";
/// Suffix of every temporary file this layer creates.
pub const TEMP_SUFFIX: &str = ".starvation-tmp";
