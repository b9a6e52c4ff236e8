//! [`reduce_resolution`]: a spec's point counts, grids and densities shrunk for quick tests.

use serde_json::{Value, json};

/// Shrinks the resolution of a spec (as JSON) by `factor` for quick tests: every
/// `linspace`/`logspace` count and every `{"count": N}` output (≥ 2 kept), and in the `portrait`
/// section the arrow and nullcline `grid` counts (≥ 5 kept) and streamline `density` (≥ 3 kept).
/// Runs with `gd` keep their step counts; explicit lists and everything else are untouched.
pub fn reduce_resolution(spec_json: &mut Value, factor: usize) {
    let factor = factor.max(1);
    shrink_counts(spec_json, factor, false);
}

/// `n` divided by `factor` (rounded up), but not below `floor`; counts at or below `floor` stay.
fn shrink(n: u64, factor: usize, floor: u64) -> u64 {
    if n <= floor {
        n
    } else {
        (n.div_ceil(factor as u64)).max(floor)
    }
}

/// Shrinks `v` in place when it is a count (a non-negative integer).
fn shrink_value(v: &mut Value, factor: usize, floor: u64) {
    if let Some(n) = v.as_u64() {
        *v = json!(shrink(n, factor, floor));
    }
}

/// Shrinks the counts in `v`; `in_portrait` inside a `portrait` section.
fn shrink_counts(v: &mut Value, factor: usize, in_portrait: bool) {
    match v {
        Value::Object(m) => {
            for (key, child) in m.iter_mut() {
                match key.as_str() {
                    "linspace" | "logspace" | "output" => {
                        if let Some(c) = child.get_mut("count") {
                            shrink_value(c, factor, 2);
                        }
                        shrink_counts(child, factor, in_portrait);
                    }
                    "grid" if in_portrait => match child {
                        Value::Array(a) => {
                            for e in a.iter_mut() {
                                shrink_value(e, factor, 5);
                            }
                        }
                        _ => shrink_value(child, factor, 5),
                    },
                    "density" if in_portrait => shrink_value(child, factor, 3),
                    "portrait" => shrink_counts(child, factor, true),
                    _ => shrink_counts(child, factor, in_portrait),
                }
            }
        }
        Value::Array(a) => {
            for e in a {
                shrink_counts(e, factor, in_portrait);
            }
        }
        _ => {}
    }
}
