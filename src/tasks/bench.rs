//! `bench`: the standard benchmark (trajectories, equilibria, the 2^20-cell sweep), single- and
//! multi-threaded, with ratios to peers measured on the same machine.

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use super::line;
use crate::bench::{Grid, Peers, Timing, equilibria, network, network_tangent, trajectories};
use crate::error::{Error, InputError};

/// Which parts to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchPart {
    /// Trajectories to t = 250 and t = 3000.
    Trajectories,
    /// Equilibria and starvation matrices.
    Equilibria,
    /// The 2^20-cell sweep of simulations/bench_sweep.json, end to end.
    Sweep,
    /// The 2^20-cell `period` sweep of the toy's gradient-descent map in (s₁, h) of
    /// simulations/bench_period_sweep.json (up to 10⁴ iterations per cell), end to end.
    PeriodSweep,
    /// Training the paper's 2 → 500 → 1 network (10 000 epochs, z recorded every epoch) and its
    /// tangent features, against PyTorch.
    Network,
    /// One full-batch step of the Colored-MNIST protocol (50 000 Fashion-MNIST images,
    /// 392 → 300 → 300 → 1, f32) against the machine's sustained matrix-multiply rate measured in
    /// the same run, and PyTorch's step (`bench/peers/run.sh colored_mnist`). Needs the data
    /// set; not part of "all".
    ColoredMnist,
    /// All of them (except colored_mnist).
    All,
}

impl BenchPart {
    /// Parses a part name.
    pub fn parse(name: &str) -> Result<Self, InputError> {
        Ok(match name {
            "trajectories" => Self::Trajectories,
            "equilibria" => Self::Equilibria,
            "sweep" => Self::Sweep,
            "period_sweep" => Self::PeriodSweep,
            "network" => Self::Network,
            "colored_mnist" => Self::ColoredMnist,
            "all" => Self::All,
            other => {
                return Err(InputError::new(
                    "PART",
                    format!(
                        "unknown benchmark {other:?}; use \"trajectories\", \"equilibria\", \"sweep\", \"period_sweep\", \"network\", \"colored_mnist\" or \"all\""
                    ),
                ));
            }
        })
    }

    fn includes(self, p: BenchPart) -> bool {
        (self == BenchPart::All && p != BenchPart::ColoredMnist) || self == p
    }
}

/// Largest grid side (2^24 points).
pub const MAX_SIDE: usize = 4096;

/// Reads a peer file (the JSON printed by bench/peers/run.sh).
pub fn read_peers(path: &Path) -> Result<Peers, InputError> {
    let text = crate::spec::read_text(path, "--peers")?;
    let raw: Value = serde_json::from_str(&text).map_err(|e| {
        InputError::new(
            "--peers",
            format!(
                "{} is not the JSON of bench/peers/run.sh: {e}",
                path.display()
            ),
        )
    })?;
    crate::spec::reject_duplicate_keys(&text).map_err(|e| {
        InputError::new(
            "--peers",
            format!("{}: {}: {}", path.display(), e.field, e.message),
        )
    })?;
    Ok(Peers { raw })
}

/// One measured row and the peer it is compared with (name, µs per point).
pub type BenchRow = (Timing, Option<(String, f64)>);

/// The measured rows, the report table and the JSON document.
pub struct BenchOutcome {
    /// Rows in the order measured.
    pub rows: Vec<BenchRow>,
    /// The printed table.
    pub report: String,
    /// The `--json` document.
    pub document: Value,
}

/// Measures `part` on a grid of `side`² points.
pub fn bench(part: BenchPart, side: usize, peers: Option<&Peers>) -> Result<BenchOutcome, Error> {
    if !(2..=MAX_SIDE).contains(&side) {
        return Err(InputError::new(
            "--side",
            format!("must be between 2 and {MAX_SIDE}, got {side}"),
        )
        .into());
    }
    let grid = Grid { side };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut report = String::new();
    let mut rows: Vec<BenchRow> = Vec::new();
    let peer = |name: &str, value: Option<f64>| value.map(|v| (name.to_string(), v));
    if part.includes(BenchPart::Trajectories) {
        for t_end in [250.0, 3000.0] {
            for threads in [1, cores] {
                let t = trajectories(grid, t_end, threads);
                let p = peers.and_then(|p| {
                    peer(
                        "JAX/diffrax Tsit5 (vmapped, CPU)",
                        p.jax_micros("Tsit5", Some(t_end)),
                    )
                });
                rows.push((t, p));
            }
            if let Some(p) = peers.and_then(|p| p.scipy_millis("DOP853", t_end)) {
                line(
                    &mut report,
                    format!(
                        "SciPy solve_ivp DOP853 to t = {t_end}: {:.1} µs per trajectory",
                        1e3 * p
                    ),
                );
            }
        }
    }
    if part.includes(BenchPart::Equilibria) {
        for threads in [1, cores] {
            let t = equilibria(grid, threads);
            let p = peers.and_then(|p| {
                peer(
                    "JAX Newton ×40 (vmapped, CPU)",
                    p.jax_micros("Newton", None),
                )
            });
            rows.push((t, p));
        }
    }
    if part.includes(BenchPart::Sweep) {
        let sweep = bench_sweep(cores, "bench_sweep", "sweep 2^20 cells, end to end")?;
        rows.push((sweep, None));
    }
    if part.includes(BenchPart::PeriodSweep) {
        let name = "period sweep 2^20 cells, end to end";
        rows.push((bench_sweep(cores, "bench_period_sweep", name)?, None));
    }
    if part.includes(BenchPart::Network) {
        let torch = peers.and_then(|p| {
            peer(
                "PyTorch CPU, 1 thread, float64 (µs/run)",
                p.torch_seconds().map(|s| 1e6 * s),
            )
        });
        let single = network(1, 1)?;
        let cpu = single.extra["cpu_seconds"].as_f64();
        let torch_cpu =
            peers.and_then(|p| p.raw.get("pytorch")?.get("cpu_seconds_per_run")?.as_f64());
        line(
            &mut report,
            format!(
                "network 2→500→1, 10 000 epochs, one thread: {:.3} s per run (CPU {}){}",
                single.seconds,
                cpu.map_or("—".into(), |c| format!("{c:.3} s")),
                match (&torch, torch_cpu, cpu) {
                    (Some((_, us)), Some(tc), Some(c)) => format!(
                        "; PyTorch {:.2} s (CPU {tc:.2} s): {:.1}× faster by wall time, {:.1}× by CPU time",
                        us / 1e6,
                        us / 1e6 / single.seconds,
                        tc / c
                    ),
                    (Some((_, us)), _, _) => format!(
                        "; PyTorch {:.2} s per run: {:.1}× faster",
                        us / 1e6,
                        us / 1e6 / single.seconds
                    ),
                    _ => String::new(),
                }
            ),
        );
        rows.push((single, torch.clone()));
        rows.push((network(cores, cores)?, torch));
        let tangent = network_tangent(5)?;
        line(
            &mut report,
            format!(
                "tangent features + both eigenbases (n = 300, m = 2001): {:.3} s",
                tangent.seconds / tangent.points as f64
            ),
        );
        rows.push((tangent, None));
    }
    if part.includes(BenchPart::ColoredMnist) {
        rows.push(colored_mnist_step(cores, peers, &mut report)?);
    }
    line(
        &mut report,
        format!(
            "{:<34} {:>7} {:>9} {:>12}  {:<34} {:>10} {:>8}",
            "benchmark",
            "threads",
            "points",
            "µs / point",
            "peer on this machine",
            "peer µs",
            "speed-up"
        ),
    );
    for (t, p) in &rows {
        let (pname, pv, ratio) = match p {
            Some((n, v)) => (
                n.as_str(),
                format!("{v:.2}"),
                format!("{:.1}×", v / t.micros_per_point()),
            ),
            None => ("—", "—".into(), "—".into()),
        };
        line(
            &mut report,
            format!(
                "{:<34} {:>7} {:>9} {:>12.4}  {:<34} {:>10} {:>8}",
                t.name,
                t.threads,
                t.points,
                t.micros_per_point(),
                pname,
                pv,
                ratio
            ),
        );
    }
    for (t, _) in &rows {
        line(
            &mut report,
            format!(
                "  {} ({} threads): checksum {:.12e}, {}",
                t.name, t.threads, t.checksum, t.extra
            ),
        );
    }
    let mut prov = crate::output::provenance_base();
    prov.insert("cores".into(), json!(cores));
    prov.insert(
        "peers".into(),
        peers.map(|p| p.raw.clone()).unwrap_or(Value::Null),
    );
    let document = json!({
        "data": { "rows": rows.iter().map(|(t, p)| json!({
            "benchmark": t.name, "threads": t.threads, "points": t.points,
            "seconds": t.seconds, "us_per_point": t.micros_per_point(), "checksum": t.checksum,
            "extra": t.extra, "peer": p.as_ref().map(|(n, v)| json!({"name": n, "us_per_point": v})),
        })).collect::<Vec<_>>() },
        "provenance": prov,
    });
    Ok(BenchOutcome {
        rows,
        report,
        document,
    })
}

/// Peak resident memory of this process so far (Linux: VmHWM), in MiB.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The 2^20-cell sweep of simulations/`spec`.json, end to end (spec to files on disk, in a
/// temporary folder removed afterwards).
fn bench_sweep(cores: usize, spec: &str, name: &str) -> Result<Timing, Error> {
    let spec_file = format!("simulations/{spec}.json");
    let out = std::env::temp_dir().join(format!("starvation-{spec}-{}", std::process::id()));
    let start = Instant::now();
    let spec = crate::spec::read_spec(Path::new(&spec_file))
        .map_err(|e| InputError::new(format!("{spec_file}: {}", e.field), e.message))?;
    let task = super::SweepTask::new(&spec)?;
    crate::output::prepare_output_dir(&out)?;
    let result = task.run(true, &|_| {});
    let computed = start.elapsed().as_secs_f64();
    let outcome = task.outputs(&result)?;
    let written = crate::output::write_files(&out, outcome.files);
    let seconds = start.elapsed().as_secs_f64();
    let bytes: u64 = std::fs::read_dir(&out)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&out);
    written?;
    let s = crate::sweep::summary(&result);
    Ok(Timing {
        name: name.into(),
        threads: cores,
        points: task.plan.cells(),
        seconds,
        checksum: result
            .lines
            .iter()
            .flat_map(|l| l.cells.iter())
            .map(|c| c.values.iter().filter(|v| v.is_finite()).sum::<f64>())
            .sum(),
        extra: json!({
            "seconds_end_to_end": seconds,
            "seconds_computing": computed,
            "peak_memory_mib": peak_memory_mib(),
            "bytes_written": bytes,
            "thresholds_found": s["thresholds_found"],
            "failed_cells": s["failed_cells"],
        }),
    })
}

/// One step of the Colored-MNIST protocol on Fashion-MNIST against the sustained GEMM rate of
/// the same run (and PyTorch's step from the peer file).
fn colored_mnist_step(
    cores: usize,
    peers: Option<&Peers>,
    report: &mut String,
) -> Result<BenchRow, Error> {
    use crate::images::{
        ColouredMnist, MethodRun, Precision, read_labelled_images, seconds_per_step,
        sustained_gemm_rate,
    };
    let folder = crate::spec::find_dataset("fashion-mnist", None, &[], "bench colored_mnist")?;
    let files = crate::spec::dataset_files(&folder);
    let images = read_labelled_images(&files[0], &files[1], 10, "bench colored_mnist")?;
    let split = ColouredMnist::default().build(&images, 0)?;
    let examples = split.train.len();
    let gemm = sustained_gemm_rate(Precision::F32, examples, 300, 3);
    let mut measured = Vec::new();
    for name in ["erm", "irm"] {
        let run = MethodRun::protocol(name).ok_or_else(|| InputError::new("method", name))?;
        let step = seconds_per_step(&split, &run, 5, Precision::F32)?;
        let rate = 2.0 * run.multiply_adds(split.train.dimension(false), examples) / step / 1e9;
        measured.push((name, step, rate));
    }
    let gemm_after = sustained_gemm_rate(Precision::F32, examples, 300, 3);
    let gemm_mean = 0.5 * (gemm + gemm_after);
    let (_, step, rate) = measured[0];
    let torch = peers.and_then(|p| {
        p.raw
            .get("pytorch_colored_mnist")?
            .get("seconds_per_step")?
            .as_f64()
    });
    line(
        report,
        format!(
            "colored-MNIST: sustained f32 GEMM {gemm_mean:.1} GFLOP/s (before {gemm:.1}, after {gemm_after:.1}); ERM step {step:.3} s = {rate:.1} GFLOP/s = {:.0} % of the GEMM rate; IRM (width 390) step {:.3} s = {:.1} GFLOP/s{}; peak memory {}",
            100.0 * rate / gemm_mean,
            measured[1].1,
            measured[1].2,
            torch.map_or(String::new(), |t| format!(
                "; PyTorch {t:.3} s per step: {:.2}× faster",
                t / step
            )),
            peak_memory_mib().map_or("—".into(), |m| format!("{m:.0} MiB"))
        ),
    );
    Ok((
        Timing {
            name: "colored-MNIST step, 50 000 images, f32".into(),
            threads: cores,
            points: 1,
            seconds: step,
            checksum: 0.0,
            extra: json!({
                "gemm_gflops": gemm_mean,
                "step_gflops": rate,
                "step_over_gemm": rate / gemm_mean,
                "irm_seconds_per_step": measured[1].1,
                "pytorch_seconds_per_step": torch,
                "peak_memory_mib": peak_memory_mib(),
            }),
        },
        torch.map(|t| {
            (
                "PyTorch CPU, all threads, float32 (µs/step)".to_string(),
                1e6 * t,
            )
        }),
    ))
}
