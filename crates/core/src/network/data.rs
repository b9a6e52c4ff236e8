//! Data sets: the paper's two moons (docs/theory.md §7) and labelled points read from CSV.

use crate::error::InputError;
use crate::numerics::SeededRng;

use super::{Dataset, TwoMoons};

/// Largest number of examples accepted (the full-batch engine holds n × width activations).
pub const MAX_EXAMPLES: usize = 1_000_000;

/// The standard two-moons generator (half the points on the upper moon, labelled −1, half on the
/// lower moon, labelled +1; Gaussian noise of standard deviation `noise`; order shuffled), then
/// the paper's transformation (theory.md §7): shift by (−0.5, −0.3·y), centre the second
/// coordinate, fold it so that y·x₂ ≤ 0, shift it by −y·Δ, swap the coordinates, rotate.
///
/// After the fold and shift every point has y·x₂ ≤ −Δ, so for Δ > 0 the (swapped) first
/// coordinate separates the classes with a gap of at least 2Δ before rotation.
pub(crate) fn two_moons(spec: &TwoMoons) -> Result<Dataset, InputError> {
    check_two_moons(spec)?;
    let n = spec.examples;
    let n_upper = n / 2;
    let n_lower = n - n_upper;
    let mut rng = SeededRng::new(spec.seed);
    let mut x1 = Vec::with_capacity(n);
    let mut x2 = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    let angle = |i: usize, count: usize| {
        if count <= 1 {
            0.0
        } else {
            std::f64::consts::PI * i as f64 / (count - 1) as f64
        }
    };
    for i in 0..n_upper {
        let t = angle(i, n_upper);
        x1.push(t.cos());
        x2.push(t.sin());
        y.push(-1.0);
    }
    for i in 0..n_lower {
        let t = angle(i, n_lower);
        x1.push(1.0 - t.cos());
        x2.push(1.0 - t.sin() - 0.5);
        y.push(1.0);
    }
    // Fisher–Yates shuffle, then the noise (as the standard generator: shuffle, then noise).
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        x1.swap(i, j);
        x2.swap(i, j);
        y.swap(i, j);
    }
    for i in 0..n {
        x1[i] += spec.noise * rng.normal();
        x2[i] += spec.noise * rng.normal();
    }
    // The paper's transformation.
    for i in 0..n {
        x1[i] -= 0.5;
        x2[i] -= 0.3 * y[i];
    }
    let mean = x2.iter().sum::<f64>() / n as f64;
    for i in 0..n {
        x2[i] -= mean;
        if y[i] * x2[i] > 0.0 {
            x2[i] = -x2[i];
        }
        x2[i] -= y[i] * spec.margin;
    }
    let (sin, cos) = spec.rotation_degrees.to_radians().sin_cos();
    let mut points = Vec::with_capacity(2 * n);
    for i in 0..n {
        // Swap: the separating coordinate becomes the first one.
        let (a, b) = (x2[i], x1[i]);
        points.push(cos * a - sin * b);
        points.push(sin * a + cos * b);
    }
    Ok(Dataset {
        dimension: 2,
        points,
        labels: y,
    })
}

fn check_two_moons(spec: &TwoMoons) -> Result<(), InputError> {
    if spec.examples < 2 {
        return Err(InputError::new(
            "two_moons.examples",
            format!(
                "must be at least 2 (one point per moon), got {}; the paper uses 300",
                spec.examples
            ),
        ));
    }
    if spec.examples > MAX_EXAMPLES {
        return Err(InputError::new(
            "two_moons.examples",
            format!("{} exceeds the limit of {MAX_EXAMPLES}", spec.examples),
        ));
    }
    if !(spec.noise.is_finite() && spec.noise >= 0.0) {
        return Err(InputError::new(
            "two_moons.noise",
            format!(
                "must be a finite number ≥ 0, got {}; the paper uses 0.1",
                spec.noise
            ),
        ));
    }
    if !spec.margin.is_finite() {
        return Err(InputError::new(
            "two_moons.margin",
            "must be a finite number (the paper uses ±0.1)",
        ));
    }
    if !spec.rotation_degrees.is_finite() {
        return Err(InputError::new(
            "two_moons.rotation_degrees",
            "must be a finite number of degrees (the paper uses 0 or 45)",
        ));
    }
    Ok(())
}

/// Reads a data set from CSV text with a header row (see [`Dataset::from_csv`]).
pub(crate) fn from_csv(text: &str, label_column: &str, field: &str) -> Result<Dataset, InputError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(InputError::new(
            field,
            "is empty; give a header row naming the columns, then one row per example",
        ));
    };
    let names: Vec<&str> = header
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .collect();
    let Some(label_index) = names.iter().position(|n| *n == label_column) else {
        return Err(InputError::new(
            field,
            format!(
                "has no column named \"{label_column}\" (columns: {}); name the label column in the header",
                names.join(", ")
            ),
        ));
    };
    let dimension = names.len() - 1;
    if dimension == 0 {
        return Err(InputError::new(
            field,
            "has only the label column; add at least one input column",
        ));
    }
    let mut points = Vec::new();
    let mut raw_labels = Vec::new();
    for (line_index, line) in lines {
        let row = line_index + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != names.len() {
            return Err(InputError::new(
                field,
                format!(
                    "row {row} has {} cells but the header has {}; give one value per column",
                    cells.len(),
                    names.len()
                ),
            ));
        }
        for (c, cell) in cells.iter().enumerate() {
            let value: f64 = cell.parse().map_err(|_| {
                InputError::new(
                    field,
                    format!(
                        "row {row}, column \"{}\": \"{cell}\" is not a number",
                        names[c]
                    ),
                )
            })?;
            if !value.is_finite() {
                return Err(InputError::new(
                    field,
                    format!(
                        "row {row}, column \"{}\": {value} is not a finite number",
                        names[c]
                    ),
                ));
            }
            if c == label_index {
                raw_labels.push((row, value));
            } else {
                points.push(value);
            }
        }
        if raw_labels.len() > MAX_EXAMPLES {
            return Err(InputError::new(
                field,
                format!("has more than {MAX_EXAMPLES} rows"),
            ));
        }
    }
    if raw_labels.is_empty() {
        return Err(InputError::new(
            field,
            "has a header but no data row; give one row per example",
        ));
    }
    let zero_one = raw_labels.iter().all(|(_, v)| *v == 0.0 || *v == 1.0);
    let mut labels = Vec::with_capacity(raw_labels.len());
    for (row, v) in raw_labels {
        let label = if zero_one {
            2.0 * v - 1.0
        } else if v == 1.0 || v == -1.0 {
            v
        } else {
            return Err(InputError::new(
                field,
                format!("row {row}: label {v} is not ±1; labels must be all ±1 or all 0/1"),
            ));
        };
        labels.push(label);
    }
    Ok(Dataset {
        dimension,
        points,
        labels,
    })
}

/// Checks a data set's shape and values (used by `check_training`).
pub(crate) fn check_dataset(data: &Dataset) -> Result<(), InputError> {
    if data.is_empty() {
        return Err(InputError::new(
            "data",
            "has no example; give at least one labelled point",
        ));
    }
    if data.dimension == 0 {
        return Err(InputError::new(
            "data.dimension",
            "must be ≥ 1 (points need at least one coordinate)",
        ));
    }
    if data.points.len() != data.len() * data.dimension {
        return Err(InputError::new(
            "data.points",
            format!(
                "has {} numbers but {} examples × {} coordinates need {}",
                data.points.len(),
                data.len(),
                data.dimension,
                data.len() * data.dimension
            ),
        ));
    }
    if let Some(i) = data.points.iter().position(|x| !x.is_finite()) {
        return Err(InputError::new(
            "data.points",
            format!(
                "example {} has a non-finite coordinate; every coordinate must be a finite number",
                i / data.dimension
            ),
        ));
    }
    if let Some(i) = data.labels.iter().position(|y| *y != 1.0 && *y != -1.0) {
        return Err(InputError::new(
            "data.labels",
            format!("label {i} is {}; labels must be +1 or −1", data.labels[i]),
        ));
    }
    Ok(())
}
