//! JSON reading helpers of the input layer: syntax errors that name the field being read, and
//! typed deserialisation whose errors carry the exact field path.

use serde_json::Value;

use crate::error::InputError;

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
