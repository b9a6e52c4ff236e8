//! JSON values ↔ Python objects, and the library's errors → Python exceptions.
//!
//! Spec fragments cross the boundary as `serde_json::Value`, so that the library's own parsers
//! validate them and name the offending field exactly as the CLI does.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use starvation::error::{Error, InputError, SolveError};

pyo3::create_exception!(
    _core,
    NumericalError,
    pyo3::exceptions::PyRuntimeError,
    "A numerical failure of the engine (stiffness, step budget, Newton not converging, …)."
);

/// Bad input → `ValueError` with the CLI's one-line message (without its `error: ` prefix).
pub fn input_error(e: InputError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A numerical failure → `NumericalError`.
pub fn solve_error(e: SolveError) -> PyErr {
    NumericalError::new_err(e.to_string())
}

/// Any library error → the matching Python exception.
pub fn error(e: Error) -> PyErr {
    match e {
        Error::Input(i) => input_error(i),
        Error::Solve(s) => solve_error(s),
        io @ Error::Io { .. } => PyOSError::new_err(io.to_string()),
        memory @ Error::Memory { .. } => {
            pyo3::exceptions::PyMemoryError::new_err(memory.to_string())
        }
        other => pyo3::exceptions::PyRuntimeError::new_err(other.to_string()),
    }
}

/// A Python object (dict, list, tuple, str, bool, int, float, None, NumPy scalar or array via
/// `tolist`) as JSON; `path` names the place in errors. Non-finite floats are bad input.
pub fn to_value(obj: &Bound<'_, PyAny>, path: &str) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(obj.extract::<bool>()?));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return float_value(obj.extract::<f64>()?, path);
    }
    if obj.is_instance_of::<PyFloat>() {
        return float_value(obj.extract::<f64>()?, path);
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Value::String(obj.extract::<String>()?));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::new();
        for (k, v) in d.iter() {
            let key: String = k.str()?.extract()?;
            let p = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            m.insert(key, to_value(&v, &p)?);
        }
        return Ok(Value::Object(m));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            out.push(to_value(&item?, &format!("{path}[{i}]"))?);
        }
        return Ok(Value::Array(out));
    }
    // NumPy arrays and scalars (and anything else with `tolist`).
    if obj.hasattr("tolist")? {
        let plain = obj.call_method0("tolist")?;
        if !plain.hasattr("tolist")? {
            return to_value(&plain, path);
        }
    }
    Err(PyValueError::new_err(format!(
        "{}: {} is not JSON data; use dicts, lists, strings, numbers, booleans or None",
        if path.is_empty() { "spec" } else { path },
        obj.get_type().name()?
    )))
}

fn float_value(x: f64, path: &str) -> PyResult<Value> {
    Number::from_f64(x).map(Value::Number).ok_or_else(|| {
        input_error(InputError::new(
            if path.is_empty() { "spec" } else { path },
            format!("must be a finite number, got {x}"),
        ))
    })
}

/// JSON as plain Python objects (dict, list, str, float, int, bool, None).
pub fn to_python<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                PyInt::new(py, i).into_any()
            } else if let Some(u) = n.as_u64() {
                PyInt::new(py, u).into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(to_python(py, x)?)?;
            }
            list.into_any()
        }
        Value::Object(m) => {
            let d = PyDict::new(py);
            for (k, x) in m {
                d.set_item(k, to_python(py, x)?)?;
            }
            d.into_any()
        }
    })
}
