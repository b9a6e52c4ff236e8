//! The Colored-MNIST protocol (Arjovsky et al.'s IRM code, followed by the paper's Table 1):
//! shuffle the first `train_examples` images with the restart's seed, deal them round-robin into
//! the training environments (two: even and odd positions), take the last `test_examples` images
//! as the test environment; subsample every image `subsample`× (every second row and column:
//! 28 × 28 → 14 × 14); binary label = class < `label_threshold`, flipped with probability
//! `label_noise`; colour = label XOR Bernoulli(e) with e = `colour_flip[k]` of environment k (the
//! last entry is the test environment's); the image goes into the channel of its colour and the
//! other channel is zero; pixels / 255.

use serde::{Deserialize, Serialize};

use super::idx::LabelledImages;
use crate::error::InputError;
use crate::numerics::SeededRng;

/// The protocol's numbers (defaults: the paper's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColouredMnist {
    /// Images dealt into the training environments (default 50 000: images 0–49 999).
    #[serde(default = "default_train_examples")]
    pub train_examples: usize,
    /// Images of the test environment, the last ones of the file (default 10 000).
    #[serde(default = "default_test_examples")]
    pub test_examples: usize,
    /// Probability that a binary label is flipped (default 0.25).
    #[serde(default = "default_label_noise")]
    pub label_noise: f64,
    /// Probability that the colour disagrees with the (noisy) label, per environment: the
    /// training environments, then the test environment (default [0.2, 0.1, 0.9]).
    #[serde(default = "default_colour_flip")]
    pub colour_flip: Vec<f64>,
    /// Keep every this-many-th row and column (default 2: 28 × 28 → 14 × 14).
    #[serde(default = "default_subsample")]
    pub subsample: usize,
    /// Classes below this are label 1, the others label 0 (default 5).
    #[serde(default = "default_label_threshold")]
    pub label_threshold: u8,
}

fn default_train_examples() -> usize {
    50_000
}
fn default_test_examples() -> usize {
    10_000
}
fn default_label_noise() -> f64 {
    0.25
}
fn default_colour_flip() -> Vec<f64> {
    vec![0.2, 0.1, 0.9]
}
fn default_subsample() -> usize {
    2
}
fn default_label_threshold() -> u8 {
    5
}

impl Default for ColouredMnist {
    fn default() -> Self {
        Self {
            train_examples: default_train_examples(),
            test_examples: default_test_examples(),
            label_noise: default_label_noise(),
            colour_flip: default_colour_flip(),
            subsample: default_subsample(),
            label_threshold: default_label_threshold(),
        }
    }
}

/// How images are rendered into network inputs (Figure 4's four variants and the protocol's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendering {
    /// The digit (false) or a blank image of the digit's mean intensity (true).
    pub blank: bool,
    /// In its colour's channel, the other zero (true, the protocol), or grey: both channels
    /// equal to image / 2 (false).
    pub coloured: bool,
}

impl Rendering {
    /// The protocol's rendering: the digit in its colour's channel.
    pub const PROTOCOL: Rendering = Rendering {
        blank: false,
        coloured: true,
    };
}

/// One environment's (or several pooled) images after the transform.
#[derive(Debug, Clone, PartialEq)]
pub struct ColouredImages {
    /// Pixels of a subsampled image (14 × 14 = 196 for MNIST).
    pub pixels_per_image: usize,
    /// Subsampled pixels 0–255, image after image.
    pub pixels: Vec<u8>,
    /// Binary labels (0 or 1) after the label noise.
    pub labels: Vec<u8>,
    /// Colour channel of each image (0 or 1).
    pub colours: Vec<u8>,
    /// Sizes of the environments, which are stored one after the other.
    pub environment_sizes: Vec<usize>,
}

impl ColouredImages {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Input dimension: two channels, or one (`grey_input`: the channels summed, the IRM code's
    /// grey-scale model).
    pub fn dimension(&self, grey_input: bool) -> usize {
        if grey_input {
            self.pixels_per_image
        } else {
            2 * self.pixels_per_image
        }
    }

    /// Writes the network inputs (n × dimension, row-major, channel 0's pixels then channel 1's)
    /// into `out` (resized), pixels / 255.
    pub fn inputs<T: super::Real>(&self, rendering: Rendering, grey_input: bool, out: &mut Vec<T>) {
        self.write_inputs(rendering, grey_input, false, out);
    }

    /// [`ColouredImages::inputs`], each row followed by a 1 when `ones` (the engine's layout,
    /// which folds biases into the matrix products).
    pub(crate) fn write_inputs<T: super::Real>(
        &self,
        rendering: Rendering,
        grey_input: bool,
        ones: bool,
        out: &mut Vec<T>,
    ) {
        let p = self.pixels_per_image;
        let d = self.dimension(grey_input);
        let stride = d + usize::from(ones);
        out.clear();
        out.resize(self.len() * stride, T::default());
        let scale = 1.0 / 255.0;
        for (i, row) in out.chunks_exact_mut(stride).enumerate() {
            if ones {
                row[d] = T::from_f64(1.0);
            }
            let image = &self.pixels[i * p..(i + 1) * p];
            let mean = image.iter().map(|&x| x as f64).sum::<f64>() / p as f64;
            let value = |k: usize| {
                if rendering.blank {
                    mean * scale
                } else {
                    image[k] as f64 * scale
                }
            };
            if grey_input {
                // Channels summed: the image itself in either rendering.
                for (k, x) in row[..d].iter_mut().enumerate() {
                    *x = T::from_f64(value(k));
                }
            } else if rendering.coloured {
                let c = self.colours[i] as usize;
                for k in 0..p {
                    row[c * p + k] = T::from_f64(value(k));
                }
            } else {
                for k in 0..p {
                    let v = T::from_f64(0.5 * value(k));
                    row[k] = v;
                    row[p + k] = v;
                }
            }
        }
    }
}

/// The training and test environments of one restart.
#[derive(Debug, Clone, PartialEq)]
pub struct ColouredSplit {
    /// The training environments, stored one after the other.
    pub train: ColouredImages,
    /// The test environment.
    pub test: ColouredImages,
}

impl ColouredMnist {
    /// Checks every field against a data set of `available` images of `rows` × `columns`.
    pub fn check(&self, available: usize, rows: usize, columns: usize) -> Result<(), InputError> {
        let field = |f: &str| format!("colored_mnist.{f}");
        if self.test_examples == 0 {
            return Err(InputError::new(
                field("test_examples"),
                "must be at least 1",
            ));
        }
        let asked = self.train_examples.saturating_add(self.test_examples);
        if asked > available {
            return Err(InputError::new(
                field("train_examples"),
                format!(
                    "train_examples + test_examples = {asked} but the data set has {available} images; ask for fewer"
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.label_noise) {
            return Err(InputError::new(
                field("label_noise"),
                format!(
                    "{} is not a probability; give a number in [0, 1]",
                    self.label_noise
                ),
            ));
        }
        if self.colour_flip.len() < 2 {
            return Err(InputError::new(
                field("colour_flip"),
                "needs at least two entries: one per training environment, then the test environment's (the paper: [0.2, 0.1, 0.9])",
            ));
        }
        if let Some(k) = self
            .colour_flip
            .iter()
            .position(|e| !(0.0..=1.0).contains(e))
        {
            return Err(InputError::new(
                format!("colored_mnist.colour_flip[{k}]"),
                format!(
                    "{} is not a probability; give a number in [0, 1]",
                    self.colour_flip[k]
                ),
            ));
        }
        let environments = self.colour_flip.len() - 1;
        if self.train_examples < environments {
            return Err(InputError::new(
                field("train_examples"),
                format!("must be at least {environments}: one image per training environment"),
            ));
        }
        if self.subsample == 0 || self.subsample > rows.min(columns) {
            return Err(InputError::new(
                field("subsample"),
                format!(
                    "{} must be between 1 and the image side ({})",
                    self.subsample,
                    rows.min(columns)
                ),
            ));
        }
        Ok(())
    }

    /// The environments of the restart with `seed` (call [`ColouredMnist::check`] first).
    pub fn build(&self, data: &LabelledImages, seed: u64) -> Result<ColouredSplit, InputError> {
        self.check(data.len(), data.rows, data.columns)?;
        let mut rng = SeededRng::new(seed ^ 0xC010_43ED);
        // Fisher–Yates shuffle of the training images.
        let mut order: Vec<usize> = (0..self.train_examples).collect();
        for i in (1..order.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let environments = self.colour_flip.len() - 1;
        let mut train = self.empty(data, environments);
        for k in 0..environments {
            let members: Vec<usize> = order
                .iter()
                .skip(k)
                .step_by(environments)
                .copied()
                .collect();
            self.append(&mut train, data, &members, self.colour_flip[k], &mut rng);
        }
        let mut test = self.empty(data, 1);
        let first = data.len() - self.test_examples;
        let members: Vec<usize> = (first..data.len()).collect();
        self.append(
            &mut test,
            data,
            &members,
            self.colour_flip[environments],
            &mut rng,
        );
        Ok(ColouredSplit { train, test })
    }

    fn side(&self, n: usize) -> usize {
        n.div_ceil(self.subsample)
    }

    fn empty(&self, data: &LabelledImages, _environments: usize) -> ColouredImages {
        ColouredImages {
            pixels_per_image: self.side(data.rows) * self.side(data.columns),
            pixels: Vec::new(),
            labels: Vec::new(),
            colours: Vec::new(),
            environment_sizes: Vec::new(),
        }
    }

    fn append(
        &self,
        out: &mut ColouredImages,
        data: &LabelledImages,
        members: &[usize],
        colour_flip: f64,
        rng: &mut SeededRng,
    ) {
        for &i in members {
            let image = data.image(i);
            for r in (0..data.rows).step_by(self.subsample) {
                for c in (0..data.columns).step_by(self.subsample) {
                    out.pixels.push(image[r * data.columns + c]);
                }
            }
            let clean = u8::from(data.classes[i] < self.label_threshold);
            let label = clean ^ u8::from(rng.uniform() < self.label_noise);
            let colour = label ^ u8::from(rng.uniform() < colour_flip);
            out.labels.push(label);
            out.colours.push(colour);
        }
        out.environment_sizes.push(members.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(n: usize) -> LabelledImages {
        let mut rng = SeededRng::new(9);
        LabelledImages {
            rows: 4,
            columns: 4,
            pixels: (0..n * 16).map(|_| (rng.next_u64() % 256) as u8).collect(),
            classes: (0..n).map(|i| (i % 10) as u8).collect(),
        }
    }

    /// The environments' label noise and colour agreement match their probabilities within
    /// four binomial standard deviations.
    #[test]
    fn noise_and_colour_rates_match_the_protocol() {
        let data = synthetic(40_000);
        let spec = ColouredMnist {
            train_examples: 30_000,
            test_examples: 10_000,
            ..ColouredMnist::default()
        };
        let split = spec.build(&data, 3).unwrap();
        assert_eq!(split.train.environment_sizes, vec![15_000, 15_000]);
        assert_eq!(split.test.len(), 10_000);
        assert_eq!(split.train.pixels_per_image, 4);
        let check = |images: &ColouredImages, range: std::ops::Range<usize>, e: f64| {
            let n = range.len() as f64;
            let disagree = range
                .clone()
                .filter(|&i| images.colours[i] != images.labels[i])
                .count() as f64;
            let sd = (e * (1.0 - e) / n).sqrt();
            assert!(
                (disagree / n - e).abs() < 4.0 * sd,
                "{} vs {e}",
                disagree / n
            );
        };
        check(&split.train, 0..15_000, 0.2);
        check(&split.train, 15_000..30_000, 0.1);
        check(&split.test, 0..10_000, 0.9);
        // Label noise on the test images (the last 10 000: classes i % 10).
        let flipped = (0..10_000)
            .filter(|&i| {
                let class = data.classes[30_000 + i];
                split.test.labels[i] != u8::from(class < 5)
            })
            .count() as f64
            / 10_000.0;
        assert!((flipped - 0.25).abs() < 4.0 * (0.25f64 * 0.75 / 1e4).sqrt());
        // A different seed deals other images and draws other noise.
        assert_ne!(
            spec.build(&data, 4).unwrap().train.labels,
            split.train.labels
        );
    }

    /// Subsampling keeps every second row and column; inputs put the image in its colour's
    /// channel, grey splits it in halves, blank is the mean intensity, grey input sums channels.
    #[test]
    fn inputs_render_the_four_variants() {
        let data = LabelledImages {
            rows: 4,
            columns: 4,
            pixels: (0..32).map(|k| k as u8 * 5).collect(),
            classes: vec![1, 7],
        };
        let spec = ColouredMnist {
            train_examples: 1,
            test_examples: 1,
            colour_flip: vec![0.0, 1.0],
            label_noise: 0.0,
            ..ColouredMnist::default()
        };
        let split = spec.build(&data, 0).unwrap();
        let t = &split.test; // image 1, class 7: label 0, colour flipped to 1
        assert_eq!(t.labels, vec![0]);
        assert_eq!(t.colours, vec![1]);
        assert_eq!(t.pixels, vec![80, 90, 120, 130]);
        let mut x: Vec<f64> = Vec::new();
        t.inputs(Rendering::PROTOCOL, false, &mut x);
        assert_eq!(&x[..4], &[0.0; 4]);
        assert!((x[4] - 80.0 / 255.0).abs() < 1e-15);
        t.inputs(
            Rendering {
                blank: false,
                coloured: false,
            },
            false,
            &mut x,
        );
        assert!((x[1] - 45.0 / 255.0).abs() < 1e-15 && (x[5] - 45.0 / 255.0).abs() < 1e-15);
        t.inputs(
            Rendering {
                blank: true,
                coloured: true,
            },
            false,
            &mut x,
        );
        assert!(x[4..].iter().all(|v| (v - 105.0 / 255.0).abs() < 1e-15));
        t.inputs(Rendering::PROTOCOL, true, &mut x);
        assert_eq!(x.len(), 4);
        assert!((x[3] - 130.0 / 255.0).abs() < 1e-15);
    }

    #[test]
    fn refuses_more_images_than_the_file_has() {
        let e = ColouredMnist::default()
            .check(60_000 - 1, 28, 28)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("colored_mnist.train_examples:") && e.contains("59999"),
            "{e}"
        );
        let bad = ColouredMnist {
            colour_flip: vec![0.2, 1.5],
            ..ColouredMnist::default()
        };
        assert!(
            bad.check(60_000, 28, 28)
                .unwrap_err()
                .field
                .ends_with("colour_flip[1]")
        );
    }
}
