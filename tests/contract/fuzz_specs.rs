//! Claim (developers' guide; reliability issue, "Also build"): "Bad input of any kind ends in a
//! one-line error naming the field and the fix, exit status 2 … no panic." A structure-aware
//! mutation fuzzer derives specs from the shipped ones in `simulations/` — keys deleted,
//! duplicated or renamed, types swapped, extreme numbers (±1e308, −0, 5e-324, 2⁶⁴−1, 1e400,
//! "NaN"/"inf" strings), huge arrays and counts, unicode, deep nesting, splices between specs,
//! truncation and byte flips — and feeds each to [`validate`], the validation entry point, with
//! panics caught. Every case must either validate or be rejected with a one-line message that
//! names a field, within a second of CPU time; a sample of the rejections is then run through the binary
//! (`starvation check FILE`) and must exit 2 with exactly one line on standard error.
//!
//! - `cargo test --release --test fuzz_specs smoke -- --ignored` runs a quick 20 000-case smoke
//!   fuzz (ignored until the defects in `tests/fuzz_corpus/` are fixed; then it belongs in CI).
//! - `cargo test --release --test fuzz_specs -- --ignored --nocapture` runs 10⁶ cases
//!   (`STARVATION_FUZZ_CASES`, `STARVATION_FUZZ_SEED` change count and seed). Failing cases are
//!   minimised and written to `target/fuzz-findings/`; the known ones live in `tests/fuzz_corpus/`.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use starvation::error::Error;

/// The validation entry point under test: what `starvation check` does before reporting
/// "valid". Returns a short description of an accepted spec. (Retarget this one function when
/// the check moves, e.g. to `tasks::check`.)
fn validate(text: &str) -> Result<String, Error> {
    let spec = starvation::spec::parse_spec(text)?;
    Ok(starvation::tasks::check(&spec)?.to_string())
}

// ── Random numbers ──────────────────────────────────────────────────────────────────────────

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ── Mutations ───────────────────────────────────────────────────────────────────────────────

/// Extreme or awkward numbers (JSON-representable ones; 1e400 and friends are text mutations).
fn extreme_number(rng: &mut Rng) -> Value {
    let choices: [Value; 18] = [
        json!(1e308),
        json!(-1e308),
        json!(f64::MAX),
        json!(-0.0),
        json!(0),
        json!(5e-324),
        json!(1e-320),
        json!(-1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(9_007_199_254_740_993_u64),
        json!(4_294_967_296_u64),
        json!(1e9),
        // 1e7 (= MAX_VALUES) as an axis count makes `check` allocate 13 GB: see
        // tests/fuzz_corpus/heavy/; kept out so the fuzzer survives.
        json!(1e5),
        json!(0.5),
        json!(2.5),
        json!(1e-300),
        json!(1e15),
    ];
    rng.pick(&choices).clone()
}

fn awkward_string(rng: &mut Rng) -> Value {
    let choices = [
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        "1e308",
        "",
        " ",
        "\u{0}",
        "日本語",
        "z₂*/z₂⁰",
        "🙂🙃",
        "\u{202e}rtl",
        "e\u{301}",
        "a/b",
        "../../etc",
        ".hidden",
        "l2",
        "sd",
        "toy",
        "dop853",
        "radau5",
        "auto",
        "z",
        "theta",
        "alpha",
        "heatmap",
        "linear",
        "log",
        "ratio2",
        "delta",
        "s1",
        "lambda",
    ];
    let s = rng.pick(&choices).to_string();
    if rng.chance(20) {
        Value::String(s.repeat(1 + rng.below(5000)))
    } else {
        Value::String(s)
    }
}

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(2)),
        2 | 3 => extreme_number(rng),
        _ => awkward_string(rng),
    }
}

/// Paths (as key/index steps) of every node of `v`.
fn paths(v: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                prefix.push(Step::Key(k.clone()));
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(Step::Index(i));
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn node_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn random_path(rng: &mut Rng, v: &Value) -> Vec<Step> {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    rng.pick(&all).clone()
}

/// Keys that the shipped specs use anywhere (renamed keys come from here too).
fn keys_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                out.push(k.clone());
                keys_of(c, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| keys_of(c, out)),
        _ => {}
    }
}

/// One structural mutation of `v` (seeds give splice material and key names).
fn mutate(rng: &mut Rng, v: &mut Value, seeds: &[Value], keys: &[String]) {
    let path = random_path(rng, v);
    let Some(node) = node_mut(v, &path) else {
        return;
    };
    match rng.below(14) {
        // Delete a key / an element.
        0 | 1 => match node {
            Value::Object(m) if !m.is_empty() => {
                let k = m
                    .keys()
                    .nth(rng.below(m.len()))
                    .cloned()
                    .unwrap_or_default();
                m.remove(&k);
            }
            Value::Array(a) if !a.is_empty() => {
                a.remove(rng.below(a.len()));
            }
            _ => *node = Value::Null,
        },
        // Swap the type.
        2 | 3 => {
            *node = match rng.below(4) {
                0 => random_scalar(rng),
                1 => json!([]),
                2 => json!({}),
                _ => Value::Array(vec![node.clone()]),
            }
        }
        // Extreme numbers where numbers are.
        4 | 5 => {
            if node.is_number() || rng.chance(3) {
                *node = extreme_number(rng);
            } else {
                *node = random_scalar(rng);
            }
        }
        // Perturb a number.
        6 => {
            if let Some(x) = node.as_f64() {
                let factors = [-1.0, 0.0, 1e10, 1e-10, 1.5, 1e300];
                *node = json!(x * rng.pick(&factors));
            }
        }
        // Huge array.
        7 => {
            let n = *rng.pick(&[0usize, 1, 2, 3, 100, 1000]);
            let item = match &*node {
                Value::Array(a) if !a.is_empty() => a[0].clone(),
                other => other.clone(),
            };
            // At most about 200 kB of JSON per huge array.
            let size = serde_json::to_string(&item).map_or(1, |t| t.len().max(1));
            *node = Value::Array(vec![item; n.min(200_000 / size)]);
        }
        // Unicode / awkward strings (values or keys).
        8 => {
            if let Value::Object(m) = node
                && !m.is_empty()
            {
                let k = m
                    .keys()
                    .nth(rng.below(m.len()))
                    .cloned()
                    .unwrap_or_default();
                let val = m.remove(&k).unwrap_or(Value::Null);
                let new_key = awkward_string(rng).as_str().unwrap_or("").to_string();
                m.insert(new_key, val);
            } else {
                *node = awkward_string(rng);
            }
        }
        // Deep nesting.
        9 => {
            let depth = *rng.pick(&[2usize, 10, 100, 127, 128, 200]);
            let mut inner = node.clone();
            for i in 0..depth {
                inner = if i % 2 == 0 {
                    Value::Array(vec![inner])
                } else {
                    let mut m = Map::new();
                    m.insert("x".into(), inner);
                    Value::Object(m)
                };
            }
            *node = inner;
        }
        // Rename / add a key with a known name (right name, wrong place).
        10 | 11 => {
            if let Value::Object(m) = node {
                let k = rng.pick(keys).clone();
                let val = if rng.chance(2) {
                    random_scalar(rng)
                } else {
                    splice(rng, seeds)
                };
                m.insert(k, val);
            } else {
                *node = splice(rng, seeds);
            }
        }
        // Splice a subtree of another spec.
        _ => *node = splice(rng, seeds),
    }
}

/// A random subtree of a random seed.
fn splice(rng: &mut Rng, seeds: &[Value]) -> Value {
    let seed = &seeds[rng.below(seeds.len())];
    random_node(rng, seed)
}

fn random_node(rng: &mut Rng, v: &Value) -> Value {
    let p = random_path(rng, v);
    let mut copy = v.clone();
    node_mut(&mut copy, &p)
        .map(|n| n.clone())
        .unwrap_or(Value::Null)
}

/// Text-level mutations: duplicate keys, unrepresentable numbers, truncation, byte flips.
fn mutate_text(rng: &mut Rng, text: &mut String) {
    match rng.below(5) {
        // Duplicate a key (serde's Value cannot hold duplicates; the reader must refuse them).
        0 => {
            duplicate_a_key(rng, text);
        }
        // Numbers JSON allows but f64 does not hold, and ones it forbids.
        1 => {
            let numbers: Vec<(usize, usize)> = number_spans(text);
            if numbers.is_empty() {
                return;
            }
            let (s, e) = *rng.pick(&numbers);
            let with = [
                "1e400",
                "-1e400",
                "1e-400",
                "NaN",
                "Infinity",
                "-0",
                "00",
                "1.",
                ".5",
                "+1",
                "0x10",
                "123456789012345678901234567890",
                "-9223372036854775809",
                "18446744073709551616",
            ];
            let w = with[rng.below(with.len())];
            text.replace_range(s..e, w);
        }
        // Truncate.
        2 => {
            let mut cut = rng.below(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        // Flip or insert a byte (kept valid UTF-8).
        3 => {
            let mut at = rng.below(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let c = *rng.pick(&[
                '{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', 'e', ' ', 'é',
            ]);
            text.insert(at, c);
        }
        // A comment or a trailing comma.
        _ => {
            let i = text.rfind('}').unwrap_or(0);
            text.insert_str(i, if rng.chance(2) { ", " } else { "// note\n" });
        }
    }
}

/// Writes one key of `text` (pretty or compact JSON) a second time in its object, before the
/// original, with an arbitrary value; returns the key (None when `text` has no key).
fn duplicate_a_key(rng: &mut Rng, text: &mut String) -> Option<String> {
    // Object keys only: strings (escapes skipped) followed by ':' — not a `\"x\":` inside a
    // string value such as a description.
    let b = text.as_bytes();
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let open = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            if b.get(i + 1) == Some(&b':') {
                keys.push((open, i + 1));
            }
        }
        i += 1;
    }
    if keys.is_empty() {
        return None;
    }
    let (start, end) = *rng.pick(&keys);
    let key = text[start..end].to_string();
    let value = ["0", "null", "\"x\"", "[]", "{}", "-1", "1e308"][rng.below(7)];
    text.insert_str(start, &format!("{key}: {value}, "));
    Some(key.trim_matches('"').to_string())
}

fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_string = false;
    while i < b.len() {
        match b[i] {
            b'"' if i == 0 || b[i - 1] != b'\\' => in_string = !in_string,
            c if !in_string && (c == b'-' || c.is_ascii_digit()) => {
                let s = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                out.push((s, i));
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

// ── Running cases ───────────────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Defect {
    /// The validator panicked (message and location).
    Panic(String),
    /// A rejection that is not one line or names no field.
    BadMessage(String),
    /// A rejection that is not an input error (the CLI would exit 1, not 2).
    NotInput(String),
    /// Validation took longer than a second.
    Slow(String),
}

impl Defect {
    fn class(&self) -> String {
        match self {
            Defect::Panic(m) => format!("panic: {m}"),
            Defect::BadMessage(m) => format!("bad message: {m}"),
            Defect::NotInput(m) => format!("not an input error: {m}"),
            Defect::Slow(m) => format!("slow: {m}"),
        }
    }
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn install_quiet_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        // Keep the message's first line; numbers vary between cases, the location does not.
        let first = msg
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(120)
            .collect::<String>();
        LAST_PANIC.with(|p| *p.borrow_mut() = format!("{at}: {first}"));
    }));
}

/// CPU time used so far by the calling thread (Linux: `/proc/thread-self/schedstat`).
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Outcome of one case: Ok(true) accepted, Ok(false) rejected properly, Err(defect).
fn run_case(text: &str) -> Result<bool, Defect> {
    let t = Instant::now();
    let cpu = thread_cpu();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| validate(text)));
    // CPU time of this thread where the system reports it (wall time depends on the load of a
    // shared machine; unbounded work shows in both).
    let spent = match (cpu, thread_cpu()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => t.elapsed(),
    };
    let slow = spent > Duration::from_secs(1);
    let verdict = match outcome {
        Err(_) => Err(Defect::Panic(LAST_PANIC.with(|p| p.borrow().clone()))),
        Ok(Ok(_)) => Ok(true),
        Ok(Err(Error::Input(e))) => {
            let line = format!("error: {e}");
            if line.contains('\n') || line.contains('\r') {
                Err(Defect::BadMessage(format!("multi-line ({})", e.field)))
            } else if e.field.trim().is_empty() {
                Err(Defect::BadMessage(format!("no field: {}", e.message)))
            } else if e.message.trim().is_empty() {
                Err(Defect::BadMessage(format!("no message for {}", e.field)))
            } else {
                Ok(false)
            }
        }
        Ok(Err(other)) => Err(Defect::NotInput(
            other.to_string().chars().take(100).collect(),
        )),
    };
    match verdict {
        Ok(_) if slow => Err(Defect::Slow(format!("{spent:.1?}"))),
        v => v,
    }
}

fn seeds() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("simulations");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One generated case: a seed with 1–4 structural mutations, sometimes a text mutation.
fn generate(rng: &mut Rng, seeds: &[Value], keys: &[String]) -> String {
    let mut v = rng.pick(seeds).clone();
    for _ in 0..1 + rng.below(4) {
        mutate(rng, &mut v, seeds, keys);
        // Skip `vary` products above 10⁵ runs: `check` expands them all before any limit (see
        // tests/fuzz_corpus/heavy/vary_product_explodes.json) and would exhaust memory.
        if vary_product(&v) > 1e5 {
            v = rng.pick(seeds).clone();
        }
        // Keep documents below 500 kB (validation memory grows with some lists: see the
        // corpus; unbounded growth here would take the machine down, not find more).
        if serde_json::to_string(&v).map_or(0, |t| t.len()) > 500_000 {
            v = rng.pick(seeds).clone();
        }
    }
    let mut text = if rng.chance(2) {
        serde_json::to_string_pretty(&v).unwrap()
    } else {
        serde_json::to_string(&v).unwrap()
    };
    if rng.chance(6) {
        mutate_text(rng, &mut text);
    }
    text
}

/// Number of runs `vary` asks for (product of its value counts).
fn vary_product(v: &Value) -> f64 {
    v.get("vary").and_then(Value::as_array).map_or(1.0, |axes| {
        axes.iter()
            .map(|a| {
                a.get("values")
                    .and_then(Value::as_array)
                    .map_or(1.0, |x| x.len().max(1) as f64)
            })
            .product()
    })
}

/// Greedy minimisation of a failing JSON case: drop keys/elements and collapse subtrees while the
/// same defect class remains.
fn minimise(text: &str, class: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(text) else {
        return text.to_string();
    };
    let same = |v: &Value| {
        let t = serde_json::to_string_pretty(v).unwrap();
        matches!(run_case(&t), Err(d) if d.class() == class)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut changed = true;
    while changed && Instant::now() < deadline {
        changed = false;
        let mut all = Vec::new();
        paths(&v, &mut Vec::new(), &mut all);
        all.sort_by_key(|p| p.len());
        for p in all.iter().skip(1) {
            if Instant::now() > deadline {
                break;
            }
            let mut trial = v.clone();
            let (last, parent) = p.split_last().unwrap();
            let Some(parent) = node_mut(&mut trial, parent) else {
                continue;
            };
            match (last, parent) {
                (Step::Key(k), Value::Object(m)) => {
                    m.remove(k);
                }
                (Step::Index(i), Value::Array(a)) if *i < a.len() => {
                    a.remove(*i);
                }
                _ => continue,
            }
            if same(&trial) {
                v = trial;
                changed = true;
                break;
            }
        }
    }
    serde_json::to_string_pretty(&v).unwrap()
}

struct Summary {
    cases: usize,
    accepted: usize,
    rejected: usize,
    defects: BTreeMap<String, (usize, String)>,
    rejected_sample: Vec<String>,
    elapsed: Duration,
}

fn fuzz(cases: usize, seed: u64) -> Summary {
    install_quiet_panic_hook();
    let seeds: Vec<Value> = seeds().into_iter().map(|(_, v)| v).collect();
    let mut keys = Vec::new();
    for s in &seeds {
        keys_of(s, &mut keys);
    }
    keys.sort();
    keys.dedup();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let start = Instant::now();
    let parts: Vec<Summary> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (seeds, keys) = (&seeds, &keys);
                let share = cases / threads + usize::from(t < cases % threads);
                scope.spawn(move || {
                    fuzz_stream(
                        share,
                        seed ^ ((t as u64 + 1) * 0x9e37_79b9_7f4a_7c15),
                        seeds,
                        keys,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Back to the default hook so that the test's own assertions are reported.
    let _ = std::panic::take_hook();
    let mut total = Summary {
        cases,
        accepted: 0,
        rejected: 0,
        defects: BTreeMap::new(),
        rejected_sample: Vec::new(),
        elapsed: start.elapsed(),
    };
    for p in parts {
        total.accepted += p.accepted;
        total.rejected += p.rejected;
        total.rejected_sample.extend(p.rejected_sample);
        for (class, (count, text)) in p.defects {
            let e = total.defects.entry(class).or_insert((0, text.clone()));
            e.0 += count;
            if text.len() < e.1.len() {
                e.1 = text;
            }
        }
    }
    total
}

/// One thread's deterministic stream of cases.
fn fuzz_stream(cases: usize, seed: u64, seeds: &[Value], keys: &[String]) -> Summary {
    let mut rng = Rng(seed | 1);
    let mut s = Summary {
        cases,
        accepted: 0,
        rejected: 0,
        defects: BTreeMap::new(),
        rejected_sample: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let trace = std::env::var_os("STARVATION_FUZZ_TRACE").is_some();
    let dump = std::env::var("STARVATION_FUZZ_DUMP")
        .ok()
        .and_then(|s| s.parse::<usize>().ok());
    for i in 0..cases {
        let text = generate(&mut rng, seeds, keys);
        if dump == Some(i) {
            std::fs::write(format!("fuzz-case-{seed:x}.json"), &text).unwrap();
        }
        if trace {
            eprintln!("trace {seed:x} {i}");
        }
        if let Some(d) = dump {
            if i >= d {
                break;
            }
            continue;
        }
        match run_case(&text) {
            Ok(true) => s.accepted += 1,
            Ok(false) => {
                s.rejected += 1;
                if i % 97 == 0 && s.rejected_sample.len() < 150 && text.len() < 200_000 {
                    s.rejected_sample.push(text);
                }
            }
            Err(d) => {
                let e = s.defects.entry(d.class()).or_insert((0, text.clone()));
                e.0 += 1;
                if text.len() < e.1.len() {
                    e.1 = text;
                }
            }
        }
    }
    s
}

/// Runs the rejected sample through the binary: exit 2, one line on stderr, nothing on stdout.
fn check_through_binary(sample: &[String]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for (i, text) in sample.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.json"));
        std::fs::write(&path, text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_starvation"))
            .arg("check")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines = stderr.lines().count();
        if out.status.code() != Some(2) || lines != 1 || !out.stdout.is_empty() {
            problems.push(format!(
                "case{i}: status {:?}, {lines} stderr lines: {}",
                out.status.code(),
                stderr.lines().next().unwrap_or("")
            ));
        }
    }
    problems
}

fn report(s: &Summary, findings: Option<&Path>) -> usize {
    eprintln!(
        "{} cases in {:.1?} ({:.1} µs/case): {} accepted, {} rejected properly, {} defective",
        s.cases,
        s.elapsed,
        s.elapsed.as_secs_f64() * 1e6 / s.cases as f64,
        s.accepted,
        s.rejected,
        s.cases - s.accepted - s.rejected
    );
    let mut total = 0;
    for (i, (class, (count, text))) in s.defects.iter().enumerate() {
        total += count;
        eprintln!("  DEFECT ×{count}: {class}");
        if let Some(dir) = findings {
            let min = minimise(text, class);
            let path: PathBuf = dir.join(format!("finding-{i:02}.json"));
            std::fs::write(&path, format!("{min}\n")).unwrap();
            eprintln!("    minimised → {}", path.display());
        }
    }
    total
}

#[test]
fn smoke_fuzz_of_spec_validation() {
    let s = fuzz(20_000, 0x5eed);
    let defects = report(&s, None);
    assert!(
        s.rejected > 1000 && s.accepted > 100,
        "the mutator explores both sides"
    );
    let problems = check_through_binary(&s.rejected_sample[..s.rejected_sample.len().min(60)]);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(defects, 0, "{:#?}", s.defects.keys().collect::<Vec<_>>());
}

#[test]
#[ignore = "slow: 10⁶ cases; run with --ignored --nocapture"]
fn million_case_fuzz_of_spec_validation() {
    let cases = std::env::var("STARVATION_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let seed = std::env::var("STARVATION_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00f0_221e);
    let s = fuzz(cases, seed);
    let findings = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-findings");
    std::fs::create_dir_all(&findings).unwrap();
    let defects = report(&s, Some(&findings));
    let problems = check_through_binary(&s.rejected_sample);
    eprintln!(
        "binary: {} rejected cases through `starvation check`, {} problems",
        s.rejected_sample.len(),
        problems.len()
    );
    for p in &problems {
        eprintln!("  {p}");
    }
    assert!(problems.is_empty() && defects == 0);
}

#[test]
fn fuzz_corpus_is_rejected_cleanly() {
    install_quiet_panic_hook();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus");
    let mut failures = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().extension().is_none_or(|x| x != "json") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        if let Err(d) = run_case(&text) {
            failures.push(format!(
                "{}: {}",
                e.file_name().to_string_lossy(),
                d.class()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Issue 9, class 8: "duplicate JSON keys are accepted silently (the last wins)". Every shipped
/// spec, pretty and compact, with a key written twice (200 random keys per spec, all depths) is
/// refused with one line naming the key; none validates.
#[test]
fn a_key_written_twice_anywhere_is_refused() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut cases = 0;
    for (file, seed) in seeds() {
        for _ in 0..200 {
            let mut text = if rng.chance(2) {
                serde_json::to_string_pretty(&seed).unwrap()
            } else {
                serde_json::to_string(&seed).unwrap()
            };
            let Some(key) = duplicate_a_key(&mut rng, &mut text) else {
                continue;
            };
            cases += 1;
            match validate(&text) {
                Err(Error::Input(e)) => {
                    let line = format!("error: {e}");
                    assert!(!line.contains('\n'), "{file}: {line}");
                    assert!(
                        e.message.contains(&format!("key {key:?} appears twice")),
                        "{file}: duplicate {key:?} not named: {line}"
                    );
                }
                other => panic!(
                    "{file}: duplicate key {key:?} not refused: {:?}",
                    other.map_err(|e| e.to_string())
                ),
            }
        }
    }
    assert!(cases > 1000, "only {cases} cases");
}
