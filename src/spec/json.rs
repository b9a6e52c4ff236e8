//! JSON reading helpers of the input layer: syntax errors that name the field being read, and
//! typed deserialisation whose errors carry the exact field path.

use std::cell::RefCell;
use std::collections::HashSet;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::InputError;

/// Parses JSON text into a value: a syntax error or a key that appears twice in one object is an
/// error naming the place (serde_json alone keeps the last of two equal keys silently).
pub fn parse_json(text: &str) -> Result<Value, InputError> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_syntax_error(text, &e))?;
    reject_duplicate_keys(text)?;
    Ok(value)
}

/// Refuses JSON text in which one object has a key twice, naming the object's path and the key
/// (e.g. `model.regulariser: key "l2" appears twice; keep one`). Text that is not valid JSON
/// passes (its syntax error is reported by the parser).
pub fn reject_duplicate_keys(text: &str) -> Result<(), InputError> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let _ = KeyCheck {
        path: String::new(),
        found: &found,
    }
    .deserialize(&mut de);
    match found.into_inner() {
        Some((path, key)) => Err(InputError::new(
            if path.is_empty() {
                "spec".to_string()
            } else {
                path
            },
            format!("key {key:?} appears twice; keep one"),
        )),
        None => Ok(()),
    }
}

/// Walks a JSON document, remembering the first object with a repeated key.
struct KeyCheck<'f> {
    path: String,
    found: &'f RefCell<Option<(String, String)>>,
}

impl KeyCheck<'_> {
    fn child(&self, path: String) -> Self {
        KeyCheck {
            path,
            found: self.found,
        }
    }
}

impl<'de> DeserializeSeed<'de> for KeyCheck<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyCheck<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq
            .next_element_seed(self.child(format!("{}[{i}]", self.path)))?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key.clone()) {
                *self.found.borrow_mut() = Some((self.path.clone(), key));
                return Err(A::Error::custom("duplicate key"));
            }
            map.next_value_seed(self.child(path))?;
        }
        Ok(())
    }
}

pub(crate) fn json_syntax_error(text: &str, e: &serde_json::Error) -> InputError {
    let hint = if e.is_eof() {
        "the file ends too early (truncated JSON?); close every brace and bracket"
    } else {
        "fix the JSON syntax (JSON has no NaN, Infinity or comments; numbers must be finite)"
    };
    let offset: usize = text
        .split_inclusive('\n')
        .take(e.line().saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        + e.column().saturating_sub(1);
    let path = json_path_at(text, offset.min(text.len()));
    let place = format!("line {}, column {}", e.line(), e.column());
    let field = if path.is_empty() {
        format!("spec ({place})")
    } else {
        format!("{path} ({place})")
    };
    InputError::new(field, format!("is not valid JSON: {e}; {hint}"))
}

/// The dotted path of the JSON value being read at byte `offset` (for syntax errors).
fn json_path_at(text: &str, offset: usize) -> String {
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut chars = text[..end].char_indices().peekable();
    let mut last_string = String::new();
    while let Some((_, c)) = chars.next() {
        match c {
            '"' => {
                last_string.clear();
                while let Some((_, d)) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        other => last_string.push(other),
                    }
                }
            }
            ':' => {
                if let Some(Frame::Object(key)) = stack.last_mut() {
                    *key = Some(last_string.clone());
                }
            }
            ',' => match stack.last_mut() {
                Some(Frame::Array(i)) => *i += 1,
                Some(Frame::Object(key)) => *key = None,
                None => {}
            },
            '{' => stack.push(Frame::Object(None)),
            '[' => stack.push(Frame::Array(0)),
            '}' | ']' => {
                stack.pop();
            }
            _ => {}
        }
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some(k)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object(None) => {}
            Frame::Array(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

/// Deserializes `value` into `T`, turning serde's message into an [`InputError`] at the exact
/// field path (under `prefix`).
pub fn from_value<T: serde::de::DeserializeOwned>(
    value: Value,
    prefix: &str,
) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        let field = match (prefix.is_empty(), path == ".") {
            (true, true) => "spec".to_string(),
            (true, false) => path,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{path}"),
        };
        if let Some(forms) = accepted_forms(&field, &inner) {
            return InputError::new(field, forms);
        }
        let fix = if inner.starts_with("unknown field") {
            "; remove it or correct its spelling"
        } else if inner.starts_with("missing field") {
            "; add it"
        } else if inner.contains("unknown variant") {
            "; use one of the listed names"
        } else {
            ""
        };
        InputError::new(field, format!("{inner}{fix}"))
    })
}

/// The accepted forms, with an example, of the enum a serde message is about when the value has
/// the wrong shape (e.g. `"l2": 0.01` instead of `{"l2": {"lambda": 0.01}}`); `None` for other
/// messages (an unknown field inside a correct form keeps serde's precise message).
fn accepted_forms(field: &str, inner: &str) -> Option<String> {
    const FORMS: [(&str, &str, &str); 4] = [
        (
            "RegulariserSpec",
            "regulariser",
            r#"must be "none", {"l2": {"lambda": 0.01}} or {"sd": {"lambda": 0.01}} (sd also takes lambda_negative, target_positive, target_negative)"#,
        ),
        (
            "FeaturesSpec",
            "features",
            r#"must be one of {"toy": {"s1": 2, "s2": 1, "delta": 0.3}}, {"explicit": {"strengths": [2, 1], "coupling": [[1, 0], [0, 1]]}}, {"tangent": {"phi": [[1, 0], [0, 1]], "labels": [1, -1]}}, {"random": {"examples": 5, "seed": 1, "strengths": [5, 4, 3, 2, 1]}}, {"rotation": {"strengths": [2, 1], "plane": [1, 2], "delta": 0.3}} or {"skew_exponential": {"strengths": [2, 1], "delta": 0.3, "generator": {"seed": 7}}}"#,
        ),
        (
            "LossSpec",
            "loss",
            r#"must be "exact", "quadratic", "exponential_tail", "squared" or "smooth_hinge""#,
        ),
        (
            "RangeSpec",
            "",
            r#"must be {"linspace": {"start": 0, "stop": 1, "count": 11}} or {"logspace": {"start": 0.001, "stop": 1, "count": 4}}"#,
        ),
    ];
    let shape_error = inner.starts_with("invalid type")
        || inner.starts_with("unknown variant")
        || inner.starts_with("data did not match")
        || inner.starts_with("invalid length")
        || inner.starts_with("expected");
    if !shape_error {
        return None;
    }
    // The enum is named in serde's message, or is the field (or its parent, when the error is
    // inside a variant such as `regulariser.l2`).
    let mut segments = field.rsplit('.');
    let last = segments.next().unwrap_or("");
    let parent = segments.next().unwrap_or("");
    FORMS.iter().find_map(|(name, key, forms)| {
        let here = !key.is_empty() && (last == *key || parent == *key);
        (inner.contains(name) || here).then(|| {
            let given = inner.split(", expected").next().unwrap_or(inner);
            format!("{forms} ({given})")
        })
    })
}
