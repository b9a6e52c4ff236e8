//! Shards: a deterministic block of lines run on its own (e.g. one task of a Slurm job array),
//! saved exactly (see [`crate::numerics::exact_f64`]) and merged into the result of an
//! unsharded run. A shard file is a [`ShardFile`] serialised as JSON.

use std::io::{Read, Write};

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::{LineResult, SweepResult};

/// The format tag of shard files.
pub const SHARD_FORMAT: &str = "starvation-sweep-shard-3";

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

/// A shard file without its results: which spec, split and lines it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardHeader {
    /// Hash of the spec it was made from ([`spec_hash`]).
    pub spec_hash: String,
    /// k (1-based).
    pub shard: usize,
    /// N.
    pub of: usize,
    /// Lines [start, end).
    pub lines: [usize; 2],
}

impl ShardHeader {
    /// Lines [start, end).
    pub fn range(&self) -> std::ops::Range<usize> {
        self.lines[0]..self.lines[1]
    }
}

impl From<&ShardFile> for ShardHeader {
    fn from(s: &ShardFile) -> Self {
        Self {
            spec_hash: s.spec_hash.clone(),
            shard: s.shard,
            of: s.of,
            lines: s.lines,
        }
    }
}

/// Reads a shard file from `reader`, handing its line results one by one, in order, to
/// `on_line` (so a shard of any size is read in the memory of one line). Returns the header
/// when the file is a complete, consistent shard (format tag, every field, results numbered
/// from the first line on and as many as the lines it claims), `Ok(None)` otherwise; an error
/// of `on_line` stops the reading and is returned.
pub fn read_shard<E>(
    reader: impl Read,
    on_line: &mut dyn FnMut(LineResult) -> Result<(), E>,
) -> Result<Option<ShardHeader>, E> {
    let mut stopped = None;
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let header = ShardSeed {
        on_line,
        stopped: &mut stopped,
    }
    .deserialize(&mut de)
    .ok()
    .filter(|_| de.end().is_ok());
    match stopped {
        Some(e) => Err(e),
        None => Ok(header),
    }
}

const FIELDS: &[&str] = &["format", "spec_hash", "shard", "of", "lines", "results"];

struct ShardSeed<'a, 'b, E> {
    on_line: &'a mut dyn FnMut(LineResult) -> Result<(), E>,
    stopped: &'b mut Option<E>,
}

impl<'de, E> DeserializeSeed<'de> for ShardSeed<'_, '_, E> {
    type Value = ShardHeader;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ShardHeader, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, E> Visitor<'de> for ShardSeed<'_, '_, E> {
    type Value = ShardHeader;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a shard file")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ShardHeader, A::Error> {
        let (mut format, mut hash, mut shard, mut of, mut lines) = (None, None, None, None, None);
        let mut results = false;
        while let Some(key) = map.next_key::<String>()? {
            let dup = || A::Error::custom(format!("duplicate field {key}"));
            match key.as_str() {
                "format" if format.is_none() => format = Some(map.next_value::<String>()?),
                "spec_hash" if hash.is_none() => hash = Some(map.next_value::<String>()?),
                "shard" if shard.is_none() => shard = Some(map.next_value::<usize>()?),
                "of" if of.is_none() => of = Some(map.next_value::<usize>()?),
                "lines" if lines.is_none() => lines = Some(map.next_value::<[usize; 2]>()?),
                "results" if !results => {
                    // Shard files are written with the results last; lines must be known first.
                    let [start, end] =
                        lines.ok_or_else(|| A::Error::custom("results before lines"))?;
                    let count = map.next_value_seed(ResultsSeed {
                        start,
                        on_line: &mut *self.on_line,
                        stopped: &mut *self.stopped,
                    })?;
                    if start > end || count != end - start {
                        return Err(A::Error::custom("results do not match lines"));
                    }
                    results = true;
                }
                k if FIELDS.contains(&k) => return Err(dup()),
                k => return Err(A::Error::unknown_field(k, FIELDS)),
            }
        }
        match (format, hash, shard, of, lines, results) {
            (Some(f), Some(spec_hash), Some(shard), Some(of), Some(lines), true)
                if f == SHARD_FORMAT =>
            {
                Ok(ShardHeader {
                    spec_hash,
                    shard,
                    of,
                    lines,
                })
            }
            _ => Err(A::Error::custom("not a complete shard file")),
        }
    }
}

struct ResultsSeed<'a, 'b, E> {
    start: usize,
    on_line: &'a mut dyn FnMut(LineResult) -> Result<(), E>,
    stopped: &'b mut Option<E>,
}

impl<'de, E> DeserializeSeed<'de> for ResultsSeed<'_, '_, E> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, E> Visitor<'de> for ResultsSeed<'_, '_, E> {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of line results")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut count = 0;
        while let Some(line) = seq.next_element::<LineResult>()? {
            if line.line != self.start + count {
                return Err(A::Error::custom("lines out of order"));
            }
            if let Err(e) = (self.on_line)(line) {
                *self.stopped = Some(e);
                return Err(A::Error::custom("stopped"));
            }
            count += 1;
        }
        Ok(count)
    }
}

/// Writes a shard file line by line: the same bytes as `serde_json::to_vec` of the
/// [`ShardFile`], without holding its results.
pub struct ShardWriter<W: Write> {
    w: W,
    first: bool,
}

impl<W: Write> ShardWriter<W> {
    /// Starts shard k of n (lines `range`) of the spec with hash `hash`.
    pub fn begin(
        mut w: W,
        hash: &str,
        k: usize,
        n: usize,
        range: std::ops::Range<usize>,
    ) -> std::io::Result<Self> {
        w.write_all(b"{\"format\":")?;
        serde_json::to_writer(&mut w, SHARD_FORMAT)?;
        w.write_all(b",\"spec_hash\":")?;
        serde_json::to_writer(&mut w, hash)?;
        write!(
            w,
            ",\"shard\":{k},\"of\":{n},\"lines\":[{},{}],\"results\":[",
            range.start, range.end
        )?;
        Ok(Self { w, first: true })
    }

    /// Appends the next line's results.
    pub fn push(&mut self, line: &LineResult) -> std::io::Result<()> {
        if !self.first {
            self.w.write_all(b",")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.w, line)?;
        Ok(())
    }

    /// Closes the document and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.w.write_all(b"]}")?;
        Ok(self.w)
    }
}

/// Checks that shard headers (any order) are one split of this spec's `total` lines, each
/// shard present once with its expected lines; returns the indices of `shards` in line
/// order. The error says what is missing or inconsistent. Empty shards (more shards than
/// lines) are accepted.
pub fn check_split(shards: &[ShardHeader], hash: &str, total: usize) -> Result<Vec<usize>, String> {
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
    let mut order: Vec<usize> = (0..shards.len()).collect();
    order.sort_by_key(|&i| shards[i].shard);
    order.dedup_by_key(|i| shards[*i].shard);
    let missing: Vec<usize> = (1..=n)
        .filter(|k| order.binary_search_by_key(k, |&i| shards[i].shard).is_err())
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
    for &i in &order {
        let s = &shards[i];
        if s.range() != shard_range(total, s.shard - 1, n) {
            return Err(format!(
                "shard {}/{n} holds lines {}..{} but this spec's split gives {:?}; rerun it",
                s.shard,
                s.lines[0],
                s.lines[1],
                shard_range(total, s.shard - 1, n)
            ));
        }
    }
    Ok(order)
}

/// Joins shards (any order) covering lines 0..total into one result held in memory (see
/// [`check_split`] for the checks; `merge` streams instead, through [`read_shard`]).
pub fn merge_shards(
    shards: Vec<ShardFile>,
    hash: &str,
    total: usize,
) -> Result<SweepResult, String> {
    let headers: Vec<ShardHeader> = shards.iter().map(ShardHeader::from).collect();
    let order = check_split(&headers, hash, total)?;
    let mut shards: Vec<Option<ShardFile>> = shards.into_iter().map(Some).collect();
    let mut lines = Vec::with_capacity(total);
    for i in order {
        if let Some(s) = shards[i].take() {
            lines.extend(s.results);
        }
    }
    Ok(SweepResult {
        lines,
        axis_thresholds: Vec::new(),
    })
}
