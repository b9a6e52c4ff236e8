//! Shards: a deterministic block of lines run on its own (e.g. one task of a Slurm job array),
//! saved exactly (see [`crate::numerics::exact_f64`]) and merged into the result of an
//! unsharded run. A shard file is a [`ShardFile`] serialised as JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{LineResult, SweepResult};

/// The format tag of shard files.
pub const SHARD_FORMAT: &str = "starvation-sweep-shard-2";

/// FNV-1a (64-bit) of a spec's canonical JSON: shards of different specs never mix.
pub fn spec_hash(spec_json: &Value) -> String {
    let text = serde_json::to_string(spec_json).unwrap_or_default();
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
    let parse = |s: &str, what: &str| -> Result<usize, String> {
        s.trim()
            .parse::<usize>()
            .ok()
            .filter(|v| *v <= MAX_SHARDS)
            .ok_or_else(|| format!("{s:?} is not a {what} between 1 and {MAX_SHARDS}"))
    };
    let (k, n) = (parse(k, "shard number")?, parse(n, "shard count")?);
    if n == 0 {
        return Err("the shard count must be at least 1 (e.g. 1/4)".into());
    }
    if k == 0 || k > n {
        return Err(format!(
            "shard {k}/{n} does not exist; k runs from 1 to {n}"
        ));
    }
    Ok((k, n))
}

/// Most shards a sweep can be split into.
pub const MAX_SHARDS: usize = 1_000_000;

/// Lines of shard k (0-based) of n: contiguous, in order, covering 0..lines; a shard may be
/// empty when there are more shards than lines.
pub fn shard_range(lines: usize, k: usize, n: usize) -> std::ops::Range<usize> {
    // u128 so that lines · k cannot overflow.
    let at = |i: usize| ((lines as u128 * i as u128) / n as u128) as usize;
    at(k)..at(k + 1)
}

/// File name of shard k of n for a spec name.
pub fn shard_file_name(name: &str, k: usize, n: usize) -> String {
    format!("{name}.shard-{k}-of-{n}.json")
}

/// A shard file: which spec and lines it holds, and their exact results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    /// Always [`SHARD_FORMAT`].
    pub format: String,
    /// Hash of the spec it was made from ([`spec_hash`]).
    pub spec_hash: String,
    /// k (1-based).
    pub shard: usize,
    /// N.
    pub of: usize,
    /// Lines [start, end).
    pub lines: [usize; 2],
    /// Results of those lines, in order.
    pub results: Vec<LineResult>,
}

impl ShardFile {
    /// Wraps the result of shard k of n.
    pub fn new(hash: &str, k: usize, n: usize, result: SweepResult) -> Self {
        let start = result.lines.first().map(|l| l.line);
        let end = result.lines.last().map(|l| l.line + 1);
        Self {
            format: SHARD_FORMAT.into(),
            spec_hash: hash.into(),
            shard: k,
            of: n,
            lines: [start.unwrap_or(0), end.unwrap_or(0)],
            results: result.lines,
        }
    }

    /// The shard of k of n with its expected line range, for an empty result.
    pub fn with_range(
        hash: &str,
        k: usize,
        n: usize,
        range: std::ops::Range<usize>,
        result: SweepResult,
    ) -> Self {
        Self {
            lines: [range.start, range.end],
            ..Self::new(hash, k, n, result)
        }
    }

    /// Reads a shard file's text; None unless it is a complete, consistent shard.
    pub fn parse(text: &str) -> Option<Self> {
        let s: ShardFile = serde_json::from_str(text).ok()?;
        let [start, end] = s.lines;
        let consistent = s.format == SHARD_FORMAT
            && start <= end
            && s.results.len() == end - start
            && s.results
                .iter()
                .enumerate()
                .all(|(i, l)| l.line == start + i);
        consistent.then_some(s)
    }

    /// Lines [start, end).
    pub fn range(&self) -> std::ops::Range<usize> {
        self.lines[0]..self.lines[1]
    }
}

/// Joins shards (any order) covering lines 0..total into one result; the error says what is
/// missing or inconsistent. Empty shards (more shards than lines) are accepted.
pub fn merge_shards(
    mut shards: Vec<ShardFile>,
    hash: &str,
    total: usize,
) -> Result<SweepResult, String> {
    if shards.is_empty() {
        return Err("no shard files found; run the shards first".into());
    }
    if let Some(s) = shards.iter().find(|s| s.spec_hash != hash) {
        return Err(format!(
            "shard {}/{} was made from a different spec (hash {} ≠ {hash}); rerun it with this spec",
            s.shard, s.of, s.spec_hash
        ));
    }
    let n = shards[0].of;
    if let Some(s) = shards.iter().find(|s| s.of != n) {
        return Err(format!(
            "shards of different splits: {}/{} and …/{n}; keep the files of one split",
            s.shard, s.of
        ));
    }
    shards.sort_by_key(|s| s.shard);
    shards.dedup_by_key(|s| s.shard);
    let missing: Vec<usize> = (1..=n)
        .filter(|k| shards.binary_search_by_key(k, |s| s.shard).is_err())
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(8).map(|k| format!("{k}/{n}")).collect();
        return Err(format!(
            "shard{} {}{} missing; run {}",
            if missing.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if missing.len() > 8 { ", …" } else { "" },
            if missing.len() == 1 { "it" } else { "them" }
        ));
    }
    let mut lines = Vec::with_capacity(total);
    for s in shards {
        if s.range() != shard_range(total, s.shard - 1, n) {
            return Err(format!(
                "shard {}/{n} holds lines {}..{} but this spec's split gives {:?}; rerun it",
                s.shard,
                s.lines[0],
                s.lines[1],
                shard_range(total, s.shard - 1, n)
            ));
        }
        lines.extend(s.results);
    }
    Ok(SweepResult { lines })
}
