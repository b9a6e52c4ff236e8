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

/// Reads a data set from CSV text with a header row (see [`Dataset::from_csv`]) through the
/// `csv` crate (RFC 4180): a UTF-8 byte-order mark is skipped, quoted fields and CR, LF and
/// CRLF line ends are read, blank lines are skipped, cells are trimmed. Header names must be
/// non-empty and distinct; labels must be ±1 or 0/1 and hold both classes. Messages speak of
/// the CSV file by row and column number and never repeat the file's contents (the path given
/// may be any readable file).
pub(crate) fn from_csv(text: &str, label_column: &str, field: &str) -> Result<Dataset, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let fail = |why: String| InputError::new(field, format!("the CSV file {why}"));
    let not_csv = |e: csv::Error| match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => fail(format!(
            "has {len} cells in row {} but {expected_len} in its header; give one value per column",
            pos.as_ref().map_or(0, |p| p.line())
        )),
        csv::ErrorKind::Utf8 { pos, .. } => fail(format!(
            "is not UTF-8 text (row {}); save it as UTF-8",
            pos.as_ref().map_or(0, |p| p.line())
        )),
        _ => fail("cannot be read as CSV (RFC 4180); check its quoting".to_string()),
    };
    let names: Vec<String> = reader
        .headers()
        .map_err(not_csv)?
        .iter()
        .map(str::to_string)
        .collect();
    if names.is_empty() || names.iter().all(String::is_empty) {
        return Err(fail(
            "is empty; give a header row naming the columns, then one row per example".into(),
        ));
    }
    if let Some(i) = names.iter().position(String::is_empty) {
        return Err(fail(format!(
            "has an empty name for column {} in its header; name every column",
            i + 1
        )));
    }
    for (i, n) in names.iter().enumerate() {
        if let Some(j) = names[..i].iter().position(|m| m == n) {
            return Err(fail(format!(
                "names columns {} and {} alike in its header; give every column its own name",
                j + 1,
                i + 1
            )));
        }
    }
    let Some(label_index) = names.iter().position(|n| n == label_column) else {
        return Err(fail(format!(
            "has no column named \"{label_column}\" in its header ({} columns); name the label column there, or set label_column",
            names.len()
        )));
    };
    let dimension = names.len() - 1;
    if dimension == 0 {
        return Err(fail(
            "has only the label column; add at least one input column".into(),
        ));
    }
    let mut points = Vec::new();
    let mut raw_labels = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(not_csv)? {
        let row = record.position().map_or(0, |p| p.line());
        for (c, cell) in record.iter().enumerate() {
            let value: f64 = cell.parse().map_err(|_| {
                fail(format!(
                    "row {row}, column {}: the cell is not a number",
                    c + 1
                ))
            })?;
            if !value.is_finite() {
                return Err(fail(format!(
                    "row {row}, column {}: the cell is not a finite number",
                    c + 1
                )));
            }
            if c == label_index {
                raw_labels.push((row, value));
            } else {
                points.push(value);
            }
        }
        if raw_labels.len() > MAX_EXAMPLES {
            return Err(fail(format!("has more than {MAX_EXAMPLES} rows")));
        }
    }
    if raw_labels.is_empty() {
        return Err(fail(
            "has a header but no data row; give one row per example".into(),
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
            return Err(fail(format!(
                "row {row}: the label is not ±1; labels must be all ±1 or all 0/1"
            )));
        };
        labels.push(label);
    }
    if labels.iter().all(|y| *y == labels[0]) {
        return Err(fail(format!(
            "holds a single class (every label is {}); a classifier needs examples of both classes",
            labels[0]
        )));
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
