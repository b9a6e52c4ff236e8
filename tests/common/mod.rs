//! Helpers shared by the integration tests.
#![allow(dead_code)]

use nalgebra::DMatrix;
use starvation::model::FeatureModel;
use starvation::numerics::SeededRng;

/// A random tangent-feature model: Φ (n × m) with N(0, 1) entries, labels alternating ±1.
pub fn random_tangent_model(n: usize, m: usize, seed: u64) -> FeatureModel {
    let mut rng = SeededRng::new(seed);
    let phi = DMatrix::from_fn(n, m, |_, _| rng.normal());
    let labels = (0..n)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    FeatureModel::from_tangent_features(phi, labels).expect("random Φ has full rank")
}

/// A vector of N(0, scale²) entries.
pub fn random_vector(len: usize, scale: f64, seed: u64) -> Vec<f64> {
    let mut rng = SeededRng::new(seed);
    (0..len).map(|_| scale * rng.normal()).collect()
}

/// Largest |a − b| / max(1, |b|) over paired entries.
pub fn max_relative_gap(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// What one run of the `starvation` binary gave.
pub struct Ran {
    /// Exit status (−1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Ran {
    /// Standard output followed by standard error.
    pub fn both(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs the `starvation` binary built for these tests with `args`, in `dir` (the repository
/// root when `None`).
pub fn run_binary(dir: Option<&std::path::Path>, args: &[&str]) -> Ran {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_starvation"))
        .current_dir(dir.unwrap_or(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))))
        .args(args)
        .output()
        .expect("the starvation binary runs");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The two moons of the network tests: `n` examples, noise 0.1, seed 2, margin 0.1, unrotated.
pub fn two_moons(n: usize) -> starvation::network::Dataset {
    starvation::network::Dataset::two_moons(&starvation::network::TwoMoons {
        examples: n,
        noise: 0.1,
        seed: 2,
        margin: 0.1,
        rotation_degrees: 0.0,
    })
    .unwrap()
}

/// `n` random 6 × 6 images (pixels from SplitMix64 of `seed`), image i of class
/// (i · `class_step`) mod 10: small data for the image engine's tests.
pub fn random_images(n: usize, seed: u64, class_step: usize) -> starvation::images::LabelledImages {
    let mut rng = starvation::numerics::SeededRng::new(seed);
    starvation::images::LabelledImages {
        rows: 6,
        columns: 6,
        pixels: (0..n * 36).map(|_| (rng.next_u64() % 256) as u8).collect(),
        classes: (0..n).map(|i| (i * class_step % 10) as u8).collect(),
    }
}
