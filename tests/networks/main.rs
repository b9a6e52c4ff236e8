//! Real networks (docs/theory.md §7): data, initialisation, gradients, optimisers, tangent kernels, predictions, experiment specs and their figures.
//!
//! One test binary per area (a binary links once); each module is one claim, quoted in its
//! doc comment.

#[path = "../common/mod.rs"]
mod common;

mod colored_mnist_gradients;
mod colored_mnist_input_errors;
mod colored_mnist_linearised;
mod colored_mnist_run;
mod colored_mnist_shards;
mod colored_mnist_tangent;
mod cost_bounds;
mod experiment_figures;
mod experiment_run;
mod experiment_spec;
mod minibatch_diffusion;
mod minibatch_map_prediction;
mod network_gradients;
mod network_init;
mod network_input_errors;
mod network_losses;
mod network_map_prediction;
mod network_ntk;
mod network_optimisers;
mod network_predictions;
mod network_tangent;
mod network_two_moons;
