//! State coordinates by name and by symbol: "z1", "theta2", "alpha1" in specs (1-based), z₁, θ₂,
//! α₁ on axes and in nullcline labels.

use crate::error::InputError;
use crate::flow::Space;

/// The spaces in the order of their names' prefixes.
const SPACES: [Space; 3] = [Space::Responses, Space::Parameters, Space::Dual];

/// Prefix of a coordinate's name in specs: "z", "theta" or "alpha".
fn name_prefix(space: Space) -> &'static str {
    match space {
        Space::Responses => "z",
        Space::Parameters => "theta",
        Space::Dual => "alpha",
    }
}

/// The paper's symbol of a space's coordinates: z, θ or α.
pub(super) fn symbol(space: Space) -> &'static str {
    match space {
        Space::Responses => "z",
        Space::Parameters => "θ",
        Space::Dual => "α",
    }
}

/// The space whose coordinate names start with `prefix` ("z", "theta" or "alpha").
pub(super) fn space_of_prefix(prefix: &str) -> Option<Space> {
    SPACES.into_iter().find(|s| name_prefix(*s) == prefix)
}

/// A state coordinate name ("z1", "theta2", "alpha1") → 0-based index in `space`.
pub(super) fn coordinate(
    name: &str,
    space: Space,
    dim: usize,
    field: &str,
) -> Result<usize, InputError> {
    let prefix = name_prefix(space);
    let j = name
        .trim()
        .strip_prefix(prefix)
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|j| (1..=dim).contains(j));
    j.map(|j| j - 1).ok_or_else(|| {
        InputError::new(
            field,
            format!(
                "{name:?} is not a coordinate of the {} state; use \"{prefix}1\" … \"{prefix}{dim}\"",
                space.name()
            ),
        )
    })
}

/// The symbol of coordinate `j` (0-based): z₁, θ₂, α₃.
pub(super) fn coordinate_label(space: Space, j: usize) -> String {
    format!("{}{}", symbol(space), subscript(j + 1))
}

/// The label of the nullcline of coordinate `j` (0-based): "ż₁ = 0", "dθ₂/dt = 0".
pub(super) fn nullcline_label(space: Space, j: usize) -> String {
    match space {
        Space::Responses => format!("ż{} = 0", subscript(j + 1)),
        _ => format!("d{}/dt = 0", coordinate_label(space, j)),
    }
}

/// Subscript digits for 1-based indices (z₁, θ₁₂).
fn subscript(j: usize) -> String {
    j.to_string()
        .chars()
        .map(|c| match c {
            '0' => '₀',
            '1' => '₁',
            '2' => '₂',
            '3' => '₃',
            '4' => '₄',
            '5' => '₅',
            '6' => '₆',
            '7' => '₇',
            '8' => '₈',
            _ => '₉',
        })
        .collect()
}
