//! The 2-D field of a flow restricted to a slice through a full state.

use std::cell::RefCell;

use nalgebra::DMatrix;

use crate::error::InputError;
use crate::flow::VectorField;

/// The 2-D field of a flow restricted to a slice: state coordinates `x` and `y` vary, all others
/// stay at the values of `base`.
pub struct SliceField<'a> {
    field: &'a dyn VectorField,
    x: usize,
    y: usize,
    base: Vec<f64>,
    state: RefCell<Vec<f64>>,
    value: RefCell<Vec<f64>>,
    jacobian: RefCell<DMatrix<f64>>,
}

impl<'a> SliceField<'a> {
    /// The slice of `field` through `base` (a full state) along coordinates `x` and `y`
    /// (0-based, distinct, below the field's dimension).
    pub fn new(
        field: &'a dyn VectorField,
        x: usize,
        y: usize,
        base: Vec<f64>,
    ) -> Result<Self, InputError> {
        let dim = field.dim();
        if x >= dim || y >= dim {
            return Err(InputError::new(
                "coordinates",
                format!(
                    "coordinate {} is outside the {}-dimensional {} state",
                    x.max(y) + 1,
                    dim,
                    field.space()
                ),
            ));
        }
        if x == y {
            return Err(InputError::new(
                "coordinates",
                "x and y must be two different coordinates",
            ));
        }
        if base.len() != dim {
            return Err(InputError::new(
                "fixed",
                format!(
                    "has {} values but the {} state has dimension {dim}",
                    base.len(),
                    field.space()
                ),
            ));
        }
        if let Some(i) = base.iter().position(|v| !v.is_finite()) {
            return Err(InputError::new(
                format!("fixed[{i}]"),
                "must be a finite number",
            ));
        }
        Ok(Self {
            field,
            x,
            y,
            base,
            state: RefCell::new(vec![0.0; dim]),
            value: RefCell::new(vec![0.0; dim]),
            jacobian: RefCell::new(DMatrix::zeros(dim, dim)),
        })
    }

    /// The two coordinates (x, y), 0-based.
    pub fn coordinates(&self) -> (usize, usize) {
        (self.x, self.y)
    }

    /// The full state the slice passes through (x and y entries are replaced when evaluating).
    pub fn base(&self) -> &[f64] {
        &self.base
    }

    /// The flow the slice is taken from.
    pub fn field(&self) -> &dyn VectorField {
        self.field
    }

    /// The full state at slice point (x, y).
    pub fn state_at(&self, x: f64, y: f64) -> Vec<f64> {
        let mut s = self.base.clone();
        s[self.x] = x;
        s[self.y] = y;
        s
    }

    /// The field's x and y components at slice point (x, y) (non-finite outside the flow's
    /// domain, e.g. α ∉ (0, 1)).
    pub fn eval(&self, x: f64, y: f64) -> (f64, f64) {
        let mut s = self.state.borrow_mut();
        s.copy_from_slice(&self.base);
        s[self.x] = x;
        s[self.y] = y;
        let mut v = self.value.borrow_mut();
        self.field.eval(&s, &mut v);
        (v[self.x], v[self.y])
    }

    /// The 2 × 2 Jacobian of the slice field at (x, y): rows (ẋ, ẏ), columns (x, y).
    pub fn jacobian(&self, x: f64, y: f64) -> [[f64; 2]; 2] {
        let mut s = self.state.borrow_mut();
        s.copy_from_slice(&self.base);
        s[self.x] = x;
        s[self.y] = y;
        let mut j = self.jacobian.borrow_mut();
        self.field.jacobian(&s, &mut j);
        [
            [j[(self.x, self.x)], j[(self.x, self.y)]],
            [j[(self.y, self.x)], j[(self.y, self.y)]],
        ]
    }
}
