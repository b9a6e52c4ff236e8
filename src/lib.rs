//! # starvation: the reference simulator for gradient starvation
//!
//! (guided tour written below once the modules settle)

pub mod bench;
pub mod equilibrium;
pub mod error;
pub mod figures;
pub mod flow;
pub mod model;
pub mod numerics;
pub mod plot;
pub mod portrait;
pub mod result;
pub mod solve;
pub mod spec;
pub mod sweep;
pub mod verify;
