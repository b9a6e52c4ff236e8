//! Shards: a deterministic block of lines run on its own (e.g. one task of a Slurm job array),
//! saved exactly (every f64 as its bit pattern), and merged into the result of an unsharded run.

use serde_json::{Value, json};

use super::{CellOutcome, LineResult, SweepResult, ThresholdRecord, ThresholdStatus};
use crate::spec::Spec;

/// FNV-1a (64-bit) of the spec's canonical JSON: shards of different specs never mix.
pub fn spec_hash(spec: &Spec) -> String {
    let text = serde_json::to_string(&spec.raw).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Parses "k/N" (1-based k, as Slurm's array index plus one or written by hand).
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not of the form k/N (e.g. 3/16)"))?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| format!("{k:?} is not a shard number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a shard count"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard {k}/{n} does not exist; use k in 1..={n}"));
    }
    Ok((k, n))
}

/// File name of shard k of n for a spec name.
pub fn shard_file_name(name: &str, k: usize, n: usize) -> String {
    format!("{name}.shard-{k}-of-{n}.json")
}

fn bits(x: f64) -> Value {
    json!(x.to_bits())
}

fn unbits(v: &Value) -> Option<f64> {
    v.as_u64().map(f64::from_bits)
}

/// The shard document (exact: floats as bit patterns).
pub fn shard_document(
    hash: &str,
    k: usize,
    n: usize,
    range: std::ops::Range<usize>,
    result: &SweepResult,
) -> Value {
    json!({
        "format": "starvation-sweep-shard-1",
        "spec_hash": hash,
        "shard": k,
        "of": n,
        "lines": [range.start, range.end],
        "results": result.lines.iter().map(|l| json!({
            "line": l.line,
            "cells": l.cells.iter().map(|c| json!({
                "values": c.values.iter().map(|x| bits(*x)).collect::<Vec<_>>(),
                "failure": c.failure,
            })).collect::<Vec<_>>(),
            "thresholds": l.thresholds.iter().map(|t| json!({
                "criterion": t.criterion,
                "status": t.status.name(),
                "value": bits(t.value),
                "bracket": [bits(t.bracket[0]), bits(t.bracket[1])],
                "precision": bits(t.precision),
                "crossings": t.crossings,
                "sides": [bits(t.sides[0]), bits(t.sides[1])],
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// A parsed shard.
#[derive(Debug, Clone)]
pub struct Shard {
    /// Spec hash it was made from.
    pub hash: String,
    /// k (1-based).
    pub shard: usize,
    /// N.
    pub of: usize,
    /// Lines [start, end).
    pub lines: std::ops::Range<usize>,
    /// Its results.
    pub result: SweepResult,
}

fn status_from(name: &str) -> Option<ThresholdStatus> {
    Some(match name {
        "found" => ThresholdStatus::Found,
        "several" => ThresholdStatus::Several,
        "not_found" => ThresholdStatus::NotFound,
        "failed" => ThresholdStatus::Failed,
        _ => return None,
    })
}

/// Reads a shard document; None if it is not a complete, well-formed shard.
pub fn parse_shard_document(v: &Value) -> Option<Shard> {
    if v.get("format")?.as_str()? != "starvation-sweep-shard-1" {
        return None;
    }
    let lines = v.get("lines")?.as_array()?;
    let (start, end) = (
        lines.first()?.as_u64()? as usize,
        lines.get(1)?.as_u64()? as usize,
    );
    let mut out = Vec::new();
    for l in v.get("results")?.as_array()? {
        let cells = l
            .get("cells")?
            .as_array()?
            .iter()
            .map(|c| {
                Some(CellOutcome {
                    values: c
                        .get("values")?
                        .as_array()?
                        .iter()
                        .map(unbits)
                        .collect::<Option<Vec<f64>>>()?,
                    failure: c.get("failure")?.as_str().map(str::to_string),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let thresholds = l
            .get("thresholds")?
            .as_array()?
            .iter()
            .map(|t| {
                let b = t.get("bracket")?.as_array()?;
                let s = t.get("sides")?.as_array()?;
                Some(ThresholdRecord {
                    criterion: t.get("criterion")?.as_str()?.to_string(),
                    status: status_from(t.get("status")?.as_str()?)?,
                    value: unbits(t.get("value")?)?,
                    bracket: [unbits(b.first()?)?, unbits(b.get(1)?)?],
                    precision: unbits(t.get("precision")?)?,
                    crossings: t.get("crossings")?.as_u64()? as usize,
                    sides: [unbits(s.first()?)?, unbits(s.get(1)?)?],
                })
            })
            .collect::<Option<Vec<_>>>()?;
        out.push(LineResult {
            line: l.get("line")?.as_u64()? as usize,
            cells,
            thresholds,
        });
    }
    if out.len() != end - start || out.iter().enumerate().any(|(i, l)| l.line != start + i) {
        return None;
    }
    Some(Shard {
        hash: v.get("spec_hash")?.as_str()?.to_string(),
        shard: v.get("shard")?.as_u64()? as usize,
        of: v.get("of")?.as_u64()? as usize,
        lines: start..end,
        result: SweepResult { lines: out },
    })
}

/// Joins shards (any order) covering lines 0..total into one result; the error says what is
/// missing or inconsistent.
pub fn merge_shards(
    mut shards: Vec<Shard>,
    hash: &str,
    total: usize,
) -> Result<SweepResult, String> {
    if shards.is_empty() {
        return Err("no shard files found".into());
    }
    if let Some(s) = shards.iter().find(|s| s.hash != hash) {
        return Err(format!(
            "shard {}/{} was made from a different spec (hash {} ≠ {hash})",
            s.shard, s.of, s.hash
        ));
    }
    let n = shards[0].of;
    if let Some(s) = shards.iter().find(|s| s.of != n) {
        return Err(format!(
            "shards of different splits: {}/{} and …/{n}",
            s.shard, s.of
        ));
    }
    shards.sort_by_key(|s| s.lines.start);
    shards.dedup_by_key(|s| s.shard);
    let mut next = 0;
    let mut lines = Vec::with_capacity(total);
    for s in shards {
        if s.lines.start != next {
            return Err(format!(
                "lines {next}..{} are missing (run the missing shards of {n})",
                s.lines.start
            ));
        }
        next = s.lines.end;
        lines.extend(s.result.lines);
    }
    if next != total {
        return Err(format!(
            "lines {next}..{total} are missing (run the missing shards of {n})"
        ));
    }
    Ok(SweepResult { lines })
}
