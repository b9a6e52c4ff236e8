//! Shards: a deterministic block of lines run on its own (e.g. one task of a Slurm job array),
//! saved exactly (see [`crate::numerics::exact_f64`]) and merged into the result of an
//! unsharded run. A shard file is a [`ShardFile`] serialised as JSON.
//!
//! Integrity: a shard file states its shape (cells per line, columns per cell, threshold
//! records per line) before its results and ends with a checksum (FNV-1a, 64 bits) of its
//! header and of every line's results as written. Reading checks every line against the shape
//! and the checksum at the end, so an altered, truncated or foreign file is refused with the
//! line and what is wrong ([`ShardReadError`]).

use std::io::{Read, Write};

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::{LineResult, SweepResult};

/// The format tag of shard files.
pub const SHARD_FORMAT: &str = "starvation-sweep-shard-4";

/// The shape every line of a shard has: cells per line, columns per cell, threshold records
/// per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardShape {
    /// Cells per line (values of the last axis).
    pub cells: usize,
    /// Columns per cell (metric columns).
    pub columns: usize,
    /// Threshold records per line (thresholds along the last axis).
    pub thresholds: usize,
}

impl ShardShape {
    /// The shape of a plan's lines.
    pub fn of_plan(plan: &super::SweepPlan) -> Self {
        Self {
            cells: plan.line_length(),
            columns: plan.columns.len(),
            thresholds: plan.line_thresholds().count(),
        }
    }

    /// The shape of one line.
    pub(crate) fn of_line(line: &LineResult) -> Self {
        Self {
            cells: line.cells.len(),
            columns: line.cells.first().map(|c| c.values.len()).unwrap_or(0),
            thresholds: line.thresholds.len(),
        }
    }

    /// What is wrong with `line`'s shape, if anything.
    pub fn check(&self, line: &LineResult) -> Result<(), String> {
        if line.cells.len() != self.cells {
            return Err(format!(
                "has {} cells, but the shard's lines have {}",
                line.cells.len(),
                self.cells
            ));
        }
        if let Some((i, c)) = line
            .cells
            .iter()
            .enumerate()
            .find(|(_, c)| c.values.len() != self.columns)
        {
            return Err(format!(
                "cell {i} has {} columns, but the shard's cells have {}",
                c.values.len(),
                self.columns
            ));
        }
        if line.thresholds.len() != self.thresholds {
            return Err(format!(
                "has {} threshold records, but the shard's lines have {}",
                line.thresholds.len(),
                self.thresholds
            ));
        }
        Ok(())
    }
}

/// The running checksum of a shard file: FNV-1a (64 bits) over its header and every line's
/// results as serialised.
struct Checksum(u64);

impl Checksum {
    fn new(hash: &str, k: usize, n: usize, lines: [usize; 2], shape: ShardShape) -> Self {
        let mut c = Checksum(0xcbf2_9ce4_8422_2325);
        c.add(
            format!(
                "{SHARD_FORMAT}|{hash}|{k}|{n}|{}|{}|{}|{}|{}",
                lines[0], lines[1], shape.cells, shape.columns, shape.thresholds
            )
            .as_bytes(),
        );
        c
    }

    fn add(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn add_line(&mut self, line: &LineResult) {
        let bytes = serde_json::to_vec(line).unwrap_or_default();
        self.add(&bytes);
        self.add(b"\n");
    }

    fn text(&self) -> String {
        format!("fnv1a64:{:016x}", self.0)
    }
}

/// Why a shard file was refused, or the reader's own error.
#[derive(Debug)]
pub enum ShardReadError<E> {
    /// The file is not a complete, intact shard: what is wrong (with the sweep line when a
    /// line is at fault).
    Invalid(String),
    /// The line handler stopped the reading with this error.
    Stopped(E),
}

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
    /// The shape of every line.
    pub shape: ShardShape,
    /// Results of those lines, in order.
    pub results: Vec<LineResult>,
    /// Checksum of the header and the results (a 64-bit FNV-1a checksum).
    pub checksum: String,
}

impl ShardFile {
    /// Wraps the result of shard k of n (its shape read from its first line).
    pub fn new(hash: &str, k: usize, n: usize, result: SweepResult) -> Self {
        let start = result.lines.first().map(|l| l.line).unwrap_or(0);
        let end = result.lines.last().map(|l| l.line + 1).unwrap_or(0);
        let shape = result
            .lines
            .first()
            .map(ShardShape::of_line)
            .unwrap_or(ShardShape {
                cells: 0,
                columns: 0,
                thresholds: 0,
            });
        Self::with_shape(hash, k, n, start..end, shape, result)
    }

    /// The shard of k of n with its expected line range, for an empty result.
    pub fn with_range(
        hash: &str,
        k: usize,
        n: usize,
        range: std::ops::Range<usize>,
        result: SweepResult,
    ) -> Self {
        let shape = Self::new(hash, k, n, result.clone()).shape;
        Self::with_shape(hash, k, n, range, shape, result)
    }

    /// The shard k of n holding lines `range` of the given shape.
    pub fn with_shape(
        hash: &str,
        k: usize,
        n: usize,
        range: std::ops::Range<usize>,
        shape: ShardShape,
        result: SweepResult,
    ) -> Self {
        let lines = [range.start, range.end];
        let mut sum = Checksum::new(hash, k, n, lines, shape);
        for l in &result.lines {
            sum.add_line(l);
        }
        Self {
            format: SHARD_FORMAT.into(),
            spec_hash: hash.into(),
            shard: k,
            of: n,
            lines,
            shape,
            results: result.lines,
            checksum: sum.text(),
        }
    }

    /// Reads a shard file's text; None unless it is a complete, intact shard (the checks of
    /// [`read_shard`]).
    pub fn parse(text: &str) -> Option<Self> {
        let mut results = Vec::new();
        let header = read_shard::<()>(text.as_bytes(), &mut |l| {
            results.push(l);
            Ok(())
        })
        .ok()?;
        Some(Self {
            format: SHARD_FORMAT.into(),
            spec_hash: header.spec_hash,
            shard: header.shard,
            of: header.of,
            lines: header.lines,
            shape: header.shape,
            results,
            checksum: header.checksum,
        })
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
    /// The shape of every line.
    pub shape: ShardShape,
    /// The checksum it carries (verified when it was read).
    pub checksum: String,
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
            shape: s.shape,
            checksum: s.checksum.clone(),
        }
    }
}

/// Reads a shard file from `reader`, handing its line results one by one, in order, to
/// `on_line` (so a shard of any size is read in the memory of one line). Returns the header
/// when the file is a complete, intact shard: format tag, every field, results numbered from
/// the first line on, each of the stated shape, as many as the lines it claims, and the
/// checksum at the end matching the content. Otherwise [`ShardReadError::Invalid`] says what
/// is wrong and where (the sweep line and its place in the file); an error of `on_line` stops
/// the reading and is returned as [`ShardReadError::Stopped`].
pub fn read_shard<E>(
    reader: impl Read,
    on_line: &mut dyn FnMut(LineResult) -> Result<(), E>,
) -> Result<ShardHeader, ShardReadError<E>> {
    let mut stopped = None;
    let mut problem = None;
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let header = ShardSeed {
        on_line,
        stopped: &mut stopped,
        problem: &mut problem,
    }
    .deserialize(&mut de)
    .and_then(|h| de.end().map(|()| h));
    if let Some(e) = stopped {
        return Err(ShardReadError::Stopped(e));
    }
    header.map_err(|e| {
        ShardReadError::Invalid(problem.unwrap_or_else(|| match e.classify() {
            serde_json::error::Category::Eof => format!(
                "ends early at line {} column {} (truncated); rerun that shard",
                e.line(),
                e.column()
            ),
            _ => format!("{e}"),
        }))
    })
}

const FIELDS: &[&str] = &[
    "format",
    "spec_hash",
    "shard",
    "of",
    "lines",
    "shape",
    "results",
    "checksum",
];

/// Records `message` as what is wrong with the file and makes the deserialiser's error of it.
fn fail<Er: serde::de::Error>(slot: &mut Option<String>, message: String) -> Er {
    *slot = Some(message.clone());
    Er::custom(message)
}

struct ShardSeed<'a, 'b, E> {
    on_line: &'a mut dyn FnMut(LineResult) -> Result<(), E>,
    stopped: &'b mut Option<E>,
    problem: &'b mut Option<String>,
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
        let (mut format, mut hash, mut shard, mut of, mut lines, mut shape) =
            (None, None, None, None, None, None);
        let mut sum: Option<Checksum> = None;
        let mut checksum: Option<String> = None;
        let problem = self.problem;
        while let Some(key) = map.next_key::<String>()? {
            let dup = || A::Error::custom(format!("duplicate field {key}"));
            match key.as_str() {
                "format" if format.is_none() => {
                    let f = map.next_value::<String>()?;
                    if f != SHARD_FORMAT {
                        return Err(fail::<A::Error>(
                            &mut *problem,
                            format!(
                                "has format {f:?}, not {SHARD_FORMAT:?} (an older or foreign file); rerun that shard"
                            ),
                        ));
                    }
                    format = Some(f);
                }
                "spec_hash" if hash.is_none() => hash = Some(map.next_value::<String>()?),
                "shard" if shard.is_none() => shard = Some(map.next_value::<usize>()?),
                "of" if of.is_none() => of = Some(map.next_value::<usize>()?),
                "lines" if lines.is_none() => lines = Some(map.next_value::<[usize; 2]>()?),
                "shape" if shape.is_none() => shape = Some(map.next_value::<ShardShape>()?),
                "results" if sum.is_none() => {
                    // Shard files are written with the results after the header fields.
                    let (Some(h), Some(k), Some(n), Some([start, end]), Some(sh)) =
                        (&hash, shard, of, lines, shape)
                    else {
                        return Err(fail::<A::Error>(&mut *problem,
                            "has its results before its header (format, spec_hash, shard, of, lines, shape); rerun that shard".into(),
                        ));
                    };
                    if start > end {
                        return Err(fail::<A::Error>(
                            &mut *problem,
                            format!("has lines [{start}, {end}): start after end"),
                        ));
                    }
                    let mut running = Checksum::new(h, k, n, [start, end], sh);
                    let count = map.next_value_seed(ResultsSeed {
                        start,
                        end,
                        shape: sh,
                        sum: &mut running,
                        on_line: &mut *self.on_line,
                        stopped: &mut *self.stopped,
                        problem: &mut *problem,
                    })?;
                    if count != end - start {
                        return Err(fail::<A::Error>(
                            &mut *problem,
                            format!(
                                "holds {count} lines but claims lines {start}..{end} ({}); the file was cut or altered, rerun that shard",
                                end - start
                            ),
                        ));
                    }
                    sum = Some(running);
                }
                "checksum" if checksum.is_none() => checksum = Some(map.next_value::<String>()?),
                k if FIELDS.contains(&k) => return Err(dup()),
                k => return Err(A::Error::unknown_field(k, FIELDS)),
            }
        }
        if let (Some(found), Some(expected)) = (&checksum, sum.as_ref().map(Checksum::text))
            && *found != expected
        {
            return Err(fail::<A::Error>(
                &mut *problem,
                format!(
                    "checksum {found} does not match its content ({expected}): the file was altered; rerun that shard"
                ),
            ));
        }
        match (format, hash, shard, of, lines, shape, checksum) {
            (
                Some(_),
                Some(spec_hash),
                Some(shard),
                Some(of),
                Some(lines),
                Some(shape),
                Some(c),
            ) => Ok(ShardHeader {
                spec_hash,
                shard,
                of,
                lines,
                shape,
                checksum: c,
            }),
            (.., None) if sum.is_some() => Err(fail::<A::Error>(
                &mut *problem,
                "has no checksum after its results (truncated or altered); rerun that shard".into(),
            )),
            _ => Err(fail::<A::Error>(
                &mut *problem,
                "is not a complete shard file (a header field is missing); rerun that shard".into(),
            )),
        }
    }
}

struct ResultsSeed<'a, 'b, E> {
    start: usize,
    end: usize,
    shape: ShardShape,
    sum: &'b mut Checksum,
    on_line: &'a mut dyn FnMut(LineResult) -> Result<(), E>,
    stopped: &'b mut Option<E>,
    problem: &'b mut Option<String>,
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
        loop {
            let expected = self.start + count;
            let line = match seq.next_element::<LineResult>() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) => {
                    if !e.to_string().contains("EOF") {
                        *self.problem = Some(format!(
                            "results[{count}] (sweep line {expected}): {e}; the file was altered, rerun that shard"
                        ));
                    }
                    return Err(e);
                }
            };
            let mut fail = |what: String| {
                let m = format!("results[{count}] (sweep line {expected}): {what}");
                *self.problem = Some(m.clone());
                A::Error::custom(m)
            };
            if line.line != expected {
                return Err(fail(format!(
                    "holds sweep line {}; the lines are out of order, rerun that shard",
                    line.line
                )));
            }
            if expected >= self.end {
                return Err(fail(format!(
                    "is past the claimed lines {}..{}; rerun that shard",
                    self.start, self.end
                )));
            }
            if let Err(what) = self.shape.check(&line) {
                return Err(fail(format!(
                    "{what}; the file was altered, rerun that shard"
                )));
            }
            self.sum.add_line(&line);
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
    sum: Checksum,
}

impl<W: Write> ShardWriter<W> {
    /// Starts shard k of n (lines `range`, each of `shape`) of the spec with hash `hash`.
    pub fn begin(
        mut w: W,
        hash: &str,
        k: usize,
        n: usize,
        range: std::ops::Range<usize>,
        shape: ShardShape,
    ) -> std::io::Result<Self> {
        w.write_all(b"{\"format\":")?;
        serde_json::to_writer(&mut w, SHARD_FORMAT)?;
        w.write_all(b",\"spec_hash\":")?;
        serde_json::to_writer(&mut w, hash)?;
        write!(
            w,
            ",\"shard\":{k},\"of\":{n},\"lines\":[{},{}],\"shape\":",
            range.start, range.end
        )?;
        serde_json::to_writer(&mut w, &shape)?;
        w.write_all(b",\"results\":[")?;
        let sum = Checksum::new(hash, k, n, [range.start, range.end], shape);
        Ok(Self {
            w,
            first: true,
            sum,
        })
    }

    /// Appends the next line's results.
    pub fn push(&mut self, line: &LineResult) -> std::io::Result<()> {
        if !self.first {
            self.w.write_all(b",")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.w, line)?;
        self.sum.add_line(line);
        Ok(())
    }

    /// Closes the document with its checksum and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.w.write_all(b"],\"checksum\":")?;
        serde_json::to_writer(&mut self.w, &self.sum.text())?;
        self.w.write_all(b"}")?;
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
