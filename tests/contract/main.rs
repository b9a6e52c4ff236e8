//! The command line's contract with its users: bad input, `check`, duplicate keys, output sets that are whole or absent, no NaN results, the explorer's HTTP interface, fuzzing and fault injection.
//!
//! One test binary per area (a binary links once); each module is one claim, quoted in its
//! doc comment.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod bad_input_limits;
mod check_rejects_what_run_rejects;
mod cli_commands;
mod data_files;
mod duplicate_keys;
mod environment_threads;
mod explore_api;
mod explore_bisect;
mod explore_server_limits;
mod fault_injection;
mod feature_unification;
mod figure_frame;
mod fuzz_specs;
mod logspace_output_times;
mod model_internals_in_outputs;
mod no_nan_results;
mod optimiser_maps_bad_input;
mod orbit_diagram_bad_input;
mod output_broken_pipe;
mod output_full_disk;
mod output_set_killed;
mod outputs_never_collide;
mod progress_reports;
mod regulariser_csv_columns;
mod run_csv_parameters;
mod spec_kind;
mod spec_schema;
mod untagged_input_errors;
