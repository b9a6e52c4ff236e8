//! Sweeps: grids, thresholds, level sets, shards and merge, determinism, streaming, failed cells, line figures.
//!
//! One test binary per area (a binary links once); each module is one claim, quoted in its
//! doc comment.

#[path = "../common/mod.rs"]
mod common;

mod grid_values_exact;
mod level_sets;
mod period_metric;
mod shard_integrity;
mod shard_merge;
mod sweep_determinism;
mod sweep_invalid_cells;
mod sweep_line_figures;
mod sweep_streaming;
mod sweep_thresholds;
mod threshold_along_first_axis;
mod threshold_critical_coupling_along_delta;
mod threshold_failed_lines;
mod threshold_several_crossings;
