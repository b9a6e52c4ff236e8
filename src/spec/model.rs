//! The `model` section: features (toy, explicit coupling, tangent features Φ, random), feature
//! directions, regulariser, loss model and rate, built into a [`FeatureModel`].

use nalgebra::DMatrix;
use serde::Deserialize;
use serde_json::Value;

use super::json::from_value;
use crate::error::InputError;
use crate::model::{
    CouplingGenerator, FeatureModel, LossModel, Regulariser, SpectralDecoupling, Spectrum,
    random_skew_symmetric,
};

/// The `model` section.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// How s and U are given.
    pub features: FeaturesSpec,
    /// Optional random feature directions V in more parameters (does not affect z).
    #[serde(default)]
    pub directions: Option<DirectionsSpec>,
    /// Regulariser (default L2 with λ = 0.01, the paper's setting).
    #[serde(default)]
    pub regulariser: Option<RegulariserSpec>,
    /// Loss model (default exact).
    #[serde(default)]
    pub loss: Option<LossSpec>,
    /// Rate η (default 1).
    #[serde(default)]
    pub rate: Option<f64>,
}

/// The six ways to give features.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FeaturesSpec {
    /// The paper's two-feature toy (M17).
    Toy {
        /// s₁.
        s1: f64,
        /// s₂.
        s2: f64,
        /// δ, |δ| < 1.
        delta: f64,
    },
    /// Explicit strengths and orthogonal coupling U (rows = examples).
    Explicit {
        /// s_j.
        strengths: Vec<f64>,
        /// U as a list of rows.
        coupling: Vec<Vec<f64>>,
        /// Labels (default all +1).
        #[serde(default)]
        labels: Option<Vec<f64>>,
    },
    /// Tangent features Φ (list of n rows of m numbers) and labels: SVD (M3).
    Tangent {
        /// Φ as a list of rows.
        phi: Vec<Vec<f64>>,
        /// Labels ±1, one per row.
        labels: Vec<f64>,
    },
    /// Haar-random orthogonal U with a spectrum.
    Random {
        /// n.
        examples: usize,
        /// Seed.
        seed: u64,
        /// Explicit strengths (length n).
        #[serde(default)]
        strengths: Option<Vec<f64>>,
        /// s_j = largest · j^(−exponent).
        #[serde(default)]
        power_law: Option<PowerLawSpec>,
        /// s_j² log-spaced between two values.
        #[serde(default)]
        log_spaced: Option<LogSpacedSpec>,
        /// Labels (default all +1).
        #[serde(default)]
        labels: Option<Vec<f64>>,
    },
    /// Strengths s (n features) and U = identity except the M17 block U(δ) in the plane of two
    /// features (1-based); with n = 2 and plane [1, 2] this is the toy. δ is sweepable.
    Rotation {
        /// s_j.
        strengths: Vec<f64>,
        /// The two features (1-based) whose plane is rotated.
        plane: [usize; 2],
        /// δ, |δ| < 1.
        delta: f64,
        /// Labels (default all +1).
        #[serde(default)]
        labels: Option<Vec<f64>>,
    },
    /// Strengths s (n features) and U = exp(δ·A) for a skew-symmetric A, seeded random
    /// (normalised to largest |eigenvalue| 1) or given. δ is sweepable.
    SkewExponential {
        /// s_j.
        strengths: Vec<f64>,
        /// δ.
        delta: f64,
        /// A: `{"seed": 7}` or `{"matrix": [[…], …]}`.
        generator: SkewGeneratorSpec,
        /// Labels (default all +1).
        #[serde(default)]
        labels: Option<Vec<f64>>,
    },
}

/// The skew-symmetric generator A of `skew_exponential`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SkewGeneratorSpec {
    /// Seeded random A (Gaussian, skew part, spectral norm 1).
    Seed(u64),
    /// A given as rows (checked skew-symmetric).
    Matrix(Vec<Vec<f64>>),
}

/// Power-law spectrum.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PowerLawSpec {
    /// s₁.
    pub largest: f64,
    /// Decay exponent.
    pub exponent: f64,
}

/// Log-spaced squared strengths.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogSpacedSpec {
    /// Largest s².
    pub max_squared: f64,
    /// Smallest s².
    pub min_squared: f64,
}

/// Random feature directions V.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectionsSpec {
    /// m, the number of parameters (≥ features).
    pub parameters: usize,
    /// Seed.
    pub seed: u64,
}

/// Regulariser as written in a spec.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RegulariserSpec {
    /// No regulariser.
    None,
    /// Weight decay.
    L2 {
        /// λ ≥ 0.
        lambda: f64,
    },
    /// Spectral Decoupling; optional per-class λ and targets.
    Sd {
        /// λ (both classes unless `lambda_negative` is given).
        lambda: f64,
        /// λ for class −1.
        #[serde(default)]
        lambda_negative: Option<f64>,
        /// γ for class +1 (default 0).
        #[serde(default)]
        target_positive: Option<f64>,
        /// γ for class −1 (default 0).
        #[serde(default)]
        target_negative: Option<f64>,
    },
}

impl RegulariserSpec {
    /// The model's regulariser.
    pub fn to_regulariser(&self) -> Regulariser {
        match self {
            RegulariserSpec::None => Regulariser::None,
            RegulariserSpec::L2 { lambda } => Regulariser::L2 { lambda: *lambda },
            RegulariserSpec::Sd {
                lambda,
                lambda_negative,
                target_positive,
                target_negative,
            } => Regulariser::SpectralDecoupling(SpectralDecoupling {
                lambda_positive: *lambda,
                lambda_negative: lambda_negative.unwrap_or(*lambda),
                target_positive: target_positive.unwrap_or(0.0),
                target_negative: target_negative.unwrap_or(0.0),
            }),
        }
    }
}

/// Loss model names.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LossSpec {
    /// Exact cross-entropy.
    Exact,
    /// Quadratic expansion.
    Quadratic,
    /// Exponential tail.
    ExponentialTail,
    /// The squared loss ½(y ŷ − 1)².
    Squared,
    /// The quadratically smoothed hinge: ½ − a (a ≤ 0), ½(1 − a)² (0 < a < 1), 0 (a ≥ 1), a = y ŷ.
    SmoothHinge,
}

impl From<LossSpec> for LossModel {
    fn from(l: LossSpec) -> Self {
        match l {
            LossSpec::Exact => LossModel::Exact,
            LossSpec::Quadratic => LossModel::Quadratic,
            LossSpec::ExponentialTail => LossModel::ExponentialTail,
            LossSpec::Squared => LossModel::Squared,
            LossSpec::SmoothHinge => LossModel::SmoothHinge,
        }
    }
}

/// Builds and validates a model from its JSON section; errors are under `model.`.
pub fn build_model(value: Value) -> Result<FeatureModel, InputError> {
    let spec: ModelSpec = from_value(value, "model")?;
    spec.build().map_err(|e| e.within("model"))
}

fn matrix_from_rows(rows: &[Vec<f64>], field: &str) -> Result<DMatrix<f64>, InputError> {
    let n = rows.len();
    let m = rows.first().map(Vec::len).unwrap_or(0);
    if n == 0 || m == 0 {
        return Err(InputError::new(
            field,
            "is empty; give a non-empty list of rows",
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        if r.len() != m {
            return Err(InputError::new(
                format!("{field}[{i}]"),
                format!(
                    "has {} entries but row 0 has {m}; every row needs the same length",
                    r.len()
                ),
            ));
        }
    }
    Ok(DMatrix::from_fn(n, m, |i, j| rows[i][j]))
}

impl ModelSpec {
    /// The number of features n the model will have and the field that sets it, read from the
    /// spec before anything is built (so that a front end can bound the work first: a generated
    /// coupling of n features costs O(n³) to build).
    pub fn declared_features(&self) -> (usize, &'static str) {
        match &self.features {
            FeaturesSpec::Toy { .. } => (2, "features.toy"),
            FeaturesSpec::Explicit { strengths, .. } => {
                (strengths.len(), "features.explicit.strengths")
            }
            FeaturesSpec::Tangent { phi, .. } => (phi.len(), "features.tangent.phi"),
            FeaturesSpec::Random { examples, .. } => (*examples, "features.random.examples"),
            FeaturesSpec::Rotation { strengths, .. } => {
                (strengths.len(), "features.rotation.strengths")
            }
            FeaturesSpec::SkewExponential { strengths, .. } => {
                (strengths.len(), "features.skew_exponential.strengths")
            }
        }
    }

    /// The number of parameters m of the feature directions V, when the spec asks for them.
    pub fn declared_parameters(&self) -> Option<usize> {
        self.directions.as_ref().map(|d| d.parameters)
    }

    /// The validated model (errors relative to the model section).
    pub fn build(&self) -> Result<FeatureModel, InputError> {
        let model = match &self.features {
            FeaturesSpec::Toy { s1, s2, delta } => FeatureModel::two_feature_toy(*s1, *s2, *delta)
                .map_err(|e| e.within("features.toy"))?,
            FeaturesSpec::Explicit {
                strengths,
                coupling,
                labels,
            } => {
                let u = matrix_from_rows(coupling, "coupling")
                    .map_err(|e| e.within("features.explicit"))?;
                FeatureModel::from_coupling(strengths.clone(), u, labels.clone())
                    .map_err(|e| e.within("features.explicit"))?
            }
            FeaturesSpec::Tangent { phi, labels } => {
                let p = matrix_from_rows(phi, "phi").map_err(|e| e.within("features.tangent"))?;
                FeatureModel::from_tangent_features(p, labels.clone())
                    .map_err(|e| e.within("features.tangent"))?
            }
            FeaturesSpec::Rotation {
                strengths,
                plane,
                delta,
                labels,
            } => {
                if plane.contains(&0) {
                    return Err(InputError::new(
                        "features.rotation.plane",
                        "counts features from 1; give two feature numbers such as [1, 2]",
                    ));
                }
                let generator = CouplingGenerator::Rotation {
                    plane: [plane[0] - 1, plane[1] - 1],
                };
                FeatureModel::generated(strengths.clone(), generator, *delta, labels.clone())
                    .map_err(|e| e.within("features.rotation"))?
            }
            FeaturesSpec::SkewExponential {
                strengths,
                delta,
                generator,
                labels,
            } => {
                let a = match generator {
                    SkewGeneratorSpec::Seed(seed) => random_skew_symmetric(strengths.len(), *seed),
                    SkewGeneratorSpec::Matrix(rows) => {
                        matrix_from_rows(rows, "generator.matrix")
                            .map_err(|e| e.within("features.skew_exponential"))?
                    }
                };
                let generator = CouplingGenerator::SkewExponential { generator: a };
                FeatureModel::generated(strengths.clone(), generator, *delta, labels.clone())
                    .map_err(|e| e.within("features.skew_exponential"))?
            }
            FeaturesSpec::Random {
                examples,
                seed,
                strengths,
                power_law,
                log_spaced,
                labels,
            } => {
                let given = strengths.is_some() as u8
                    + power_law.is_some() as u8
                    + log_spaced.is_some() as u8;
                if given != 1 {
                    return Err(InputError::new(
                        "features.random",
                        "give exactly one of `strengths`, `power_law` or `log_spaced`",
                    ));
                }
                let spectrum = if let Some(s) = strengths {
                    Spectrum::List(s.clone())
                } else if let Some(p) = power_law {
                    Spectrum::PowerLaw {
                        largest: p.largest,
                        exponent: p.exponent,
                    }
                } else if let Some(l) = log_spaced {
                    Spectrum::LogSpacedSquares {
                        max_squared: l.max_squared,
                        min_squared: l.min_squared,
                    }
                } else {
                    unreachable!("exactly one spectrum was checked above")
                };
                FeatureModel::random(*examples, *seed, &spectrum, labels.clone())
                    .map_err(|e| e.within("features.random"))?
            }
        };
        let model = match &self.directions {
            Some(d) => model
                .with_random_directions(d.parameters, d.seed)
                .map_err(|e| e.within("directions"))?,
            None => model,
        };
        let regulariser = self
            .regulariser
            .as_ref()
            .map(RegulariserSpec::to_regulariser)
            .unwrap_or(Regulariser::L2 { lambda: 0.01 });
        let model = model.with_regulariser(regulariser)?;
        let model = model.with_loss(self.loss.map(LossModel::from).unwrap_or_default());
        match self.rate {
            Some(r) => model.with_rate(r),
            None => Ok(model),
        }
    }
}
