//! The standard benchmark of docs/architecture.md, measured in-process: the two-feature L2 flow M7
//! with U(δ) of M17, s₂ = 2, λ = 0.01, η = 1, on the grid s₁ ∈ [0.5, 8] × δ ∈ [0, 0.65].
//! Timings are reported per point, single- and multi-threaded, next to the peers' figures when a
//! peer file (the JSON printed by bench/peers/run.sh) is given.

use std::time::Instant;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::solve::batch::{BatchSettings, NoObserver, run_batch};
use crate::toy::{ToyLanes, ToyProblem, ToyRegulariser};

/// Lanes of the batched integrator used by the benchmark and the sweeps.
use crate::toy::LANES;

/// s₂ of the standard benchmark.
pub const S2: f64 = 2.0;
/// λ of the standard benchmark.
pub const LAMBDA: f64 = 0.01;

/// The standard grid: `side` values of s₁ in [0.5, 8] and of δ in [0, 0.65].
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    /// Points per axis (the grid has side² points).
    pub side: usize,
}

impl Grid {
    /// s₁ of row i.
    pub fn s1(&self, i: usize) -> f64 {
        0.5 + 7.5 * i as f64 / (self.side.max(2) - 1) as f64
    }

    /// δ of column j.
    pub fn delta(&self, j: usize) -> f64 {
        0.65 * j as f64 / (self.side.max(2) - 1) as f64
    }

    /// Number of points.
    pub fn points(&self) -> usize {
        self.side * self.side
    }
}

/// One timing.
#[derive(Debug, Clone)]
pub struct Timing {
    /// What was timed.
    pub name: String,
    /// Threads used.
    pub threads: usize,
    /// Points (trajectories or equilibria).
    pub points: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// A checksum of the results (identical across thread counts).
    pub checksum: f64,
    /// Extra numbers (mean Newton iterations, field evaluations, …).
    pub extra: Value,
}

impl Timing {
    /// Microseconds per point.
    pub fn micros_per_point(&self) -> f64 {
        1e6 * self.seconds / self.points as f64
    }
}

/// Runs `f` in a pool of `threads` threads.
pub(crate) fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// One grid row of equilibria + starvation matrices, warm-started along δ.
/// Returns (checksum, Newton iterations, failures).
fn equilibrium_row(grid: Grid, i: usize) -> (f64, u64, u64) {
    let s1 = grid.s1(i);
    let mut start: Option<[f64; 2]> = None;
    let (mut sum, mut iterations, mut failures) = (0.0, 0, 0);
    for j in 0..grid.side {
        let p = ToyProblem {
            s1_squared: s1 * s1,
            s2_squared: S2 * S2,
            delta: grid.delta(j),
            lambda: LAMBDA,
            regulariser: ToyRegulariser::L2,
        };
        let sol = p.solve(start.unwrap_or_else(|| p.cold_start()), 1e-12, 100);
        iterations += sol.iterations as u64;
        failures += u64::from(!sol.converged);
        sum += sol.z[0] + sol.z[1] + sol.starvation[1][0];
        start = Some(sol.z);
    }
    (sum, iterations, failures)
}

/// Equilibrium + starvation matrix at every grid point with `threads` threads.
pub fn equilibria(grid: Grid, threads: usize) -> Timing {
    let start = Instant::now();
    let rows: Vec<(f64, u64, u64)> = in_pool(threads, || {
        (0..grid.side)
            .into_par_iter()
            .map(|i| equilibrium_row(grid, i))
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    let checksum: f64 = rows.iter().map(|r| r.0).sum();
    let iterations: u64 = rows.iter().map(|r| r.1).sum();
    let failures: u64 = rows.iter().map(|r| r.2).sum();
    Timing {
        name: "equilibrium + starvation matrix".into(),
        threads,
        points: grid.points(),
        seconds,
        checksum,
        extra: json!({
            "mean_newton_iterations": iterations as f64 / grid.points() as f64,
            "failures": failures,
        }),
    }
}

/// Peer figures read from the JSON of bench/peers/run.sh.
#[derive(Debug, Clone, Default)]
pub struct Peers {
    /// The whole file.
    pub raw: Value,
}

impl Peers {
    /// µs per point of a JAX/diffrax row whose `solver` contains `solver` (and `t_end` if given).
    pub fn jax_micros(&self, solver: &str, t_end: Option<f64>) -> Option<f64> {
        let rows = self.raw.get("jax_diffrax")?.get("rows")?.as_array()?;
        rows.iter()
            .find(|r| {
                r.get("solver")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.contains(solver))
                    && t_end.is_none_or(|t| r.get("t_end").and_then(Value::as_f64) == Some(t))
            })
            .and_then(|r| r.get("us_per_trajectory").or_else(|| r.get("us_per_point")))
            .and_then(Value::as_f64)
    }

    /// Seconds per training run of the PyTorch network peer (one thread).
    pub fn torch_seconds(&self) -> Option<f64> {
        self.raw.get("pytorch")?.get("seconds_per_run")?.as_f64()
    }

    /// ms per trajectory of a SciPy method at `t_end`.
    pub fn scipy_millis(&self, method: &str, t_end: f64) -> Option<f64> {
        let rows = self.raw.get("scipy")?.as_array()?;
        rows.iter()
            .find(|r| {
                r.get("method").and_then(Value::as_str) == Some(method)
                    && r.get("t_end").and_then(Value::as_f64) == Some(t_end)
            })
            .and_then(|r| r.get("ms_per_trajectory"))
            .and_then(Value::as_f64)
    }
}

/// End states of trajectories from z = 0 to `t_end` for problems `range` of the grid, by the
/// lane-batched DOP853; returns (z₁, z₂) per problem and the total field evaluations.
pub(crate) fn trajectory_chunk(
    grid: Grid,
    t_end: f64,
    range: std::ops::Range<usize>,
    settings: &BatchSettings,
) -> (Vec<[f64; 2]>, u64) {
    let mut field = ToyLanes::<LANES>::new(ToyRegulariser::L2, 1.0);
    let mut out = vec![[0.0; 2]; range.len()];
    let mut evaluations = 0u64;
    let base = range.start;
    run_batch(
        &mut field,
        settings,
        range.len(),
        |p, lane, f: &mut ToyLanes<LANES>| {
            let idx = base + p;
            let (i, j) = (idx / grid.side, idx % grid.side);
            f.set(lane, grid.s1(i), S2, grid.delta(j), LAMBDA);
            ([0.0, 0.0], t_end)
        },
        &mut NoObserver,
        |p, outcome| {
            out[p] = outcome.y;
            evaluations += outcome.evaluations as u64;
        },
    );
    (out, evaluations)
}

/// Trajectories to `t_end` at every grid point with `threads` threads (rtol 1e−8, atol 1e−10).
pub fn trajectories(grid: Grid, t_end: f64, threads: usize) -> Timing {
    let settings = BatchSettings {
        rtol: crate::solve::DEFAULT_RTOL,
        atol: crate::solve::DEFAULT_ATOL,
        max_steps: 1_000_000,
    };
    let chunk = 4096usize;
    let n = grid.points();
    let start = Instant::now();
    let parts: Vec<(Vec<[f64; 2]>, u64)> = in_pool(threads, || {
        (0..n.div_ceil(chunk))
            .into_par_iter()
            .map(|c| trajectory_chunk(grid, t_end, c * chunk..((c + 1) * chunk).min(n), &settings))
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    let checksum: f64 = parts
        .iter()
        .flat_map(|p| p.0.iter())
        .map(|z| z[0] + z[1])
        .sum();
    let evaluations: u64 = parts.iter().map(|p| p.1).sum();
    Timing {
        name: format!("trajectories to t = {t_end}"),
        threads,
        points: n,
        seconds,
        checksum,
        extra: json!({ "mean_field_evaluations": evaluations as f64 / n as f64, "lanes": LANES }),
    }
}

/// The network benchmark's data set: the paper's two moons (n = 300, noise 0.1, seed 0, Δ = 0.1),
/// also committed as bench/peers/two_moons_300.csv for the PyTorch peer.
pub fn network_data() -> crate::network::Dataset {
    crate::network::Dataset::two_moons(&crate::network::TwoMoons {
        examples: 300,
        noise: 0.1,
        seed: 0,
        margin: 0.1,
        rotation_degrees: 0.0,
    })
    .expect("the benchmark's two-moons settings are valid")
}

/// The network benchmark's training: 2 → 500 ReLU → 1, SGD η = 0.01, μ = 0.9, 10 000 full-batch
/// epochs, weight decay 2·10⁻⁴ (Figure 2).
pub(crate) fn network_training() -> crate::network::Training {
    crate::network::Training {
        // The paper's network and optimiser (2 → 500 → 1, SGD 10⁻² with momentum 0.9).
        architecture: crate::network::Architecture::default(),
        optimiser: crate::network::Optimiser::default(),
        epochs: 10_000,
        weight_decay: 2e-4,
        sd: 0.0,
        batch_size: None,
        batch_sampling: Default::default(),
        loss: crate::model::LossModel::Exact,
    }
}

/// `runs` trainings of the network benchmark (seeds 0, 1, …) with `threads` threads, recording
/// |z| of eigen-indices 1 and 6 of K every epoch (the paper's Figure 2).
pub fn network(runs: usize, threads: usize) -> Result<Timing, crate::error::Error> {
    let data = network_data();
    let training = network_training();
    let tracking = crate::network::Tracking {
        indices: vec![1, 6],
        convention: crate::network::ResponseConvention::Kernel,
        every: 1,
        predictions: false,
        sde: None,
    };
    let seeds: Vec<u64> = (0..runs as u64).collect();
    let start = Instant::now();
    let start_cpu = process_cpu_seconds();
    let records = in_pool(threads, || {
        crate::network::train_seeds(&data, &training, &seeds, Some(&tracking), &|_| {})
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds().zip(start_cpu).map(|(b, a)| b - a);
    let checksum: f64 = records
        .iter()
        .filter_map(|r| r.responses.as_ref())
        .flat_map(|t| t.real.last())
        .flatten()
        .sum();
    let loss: f64 = records.iter().filter_map(|r| r.loss.last()).sum::<f64>() / runs as f64;
    Ok(Timing {
        name: "network 2→500→1, 10 000 epochs".into(),
        threads,
        points: runs,
        seconds,
        checksum,
        extra: json!({
            "mean_final_loss": loss,
            "epochs": training.epochs,
            "cpu_seconds": cpu,
        }),
    })
}

/// Tangent features J of the benchmark network at initialisation, K = J Jᵀ and both bases of
/// responses (eigenvectors of K and of Y K Y), `repeats` times on one thread.
pub fn network_tangent(repeats: usize) -> Result<Timing, crate::error::Error> {
    let data = network_data();
    let architecture = network_training().architecture;
    let start = Instant::now();
    let start_cpu = process_cpu_seconds();
    let mut checksum = 0.0;
    for seed in 0..repeats as u64 {
        let t = crate::network::tangent_features(&data, &architecture, seed)?;
        let (kernel, _) = t.basis(&data.labels, crate::network::ResponseConvention::Kernel);
        let (theory, _) = t.basis(&data.labels, crate::network::ResponseConvention::Theory);
        checksum += kernel[0] + theory[0];
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds().zip(start_cpu).map(|(b, a)| b - a);
    Ok(Timing {
        name: "tangent features + both eigenbases, n = 300".into(),
        threads: 1,
        points: repeats,
        seconds,
        checksum,
        extra: json!({ "parameters": 2001, "cpu_seconds": cpu }),
    })
}

/// CPU time (user + system) of this process so far, in seconds (Linux: /proc/self/stat, clock
/// ticks of 1/100 s); `None` elsewhere. On a loaded machine it measures the work, where wall time
/// also counts the waiting.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at state (field 3).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
