//! Issue 17, "The toy has an identity": "a model knows it is the toy (or a rotation in one
//! plane) from how it was built; the fast paths ask it, not the matrix".

use starvation::model::{FeatureModel, toy_coupling};
use starvation::spec::build_model;

#[test]
fn a_model_built_as_the_toy_knows_its_delta() {
    let toy = FeatureModel::two_feature_toy(3.0, 1.0, 0.3).unwrap();
    assert_eq!(toy.toy_delta(), Some(0.3));
    assert_eq!(toy.coupling(), &toy_coupling(0.3));
    let moved = toy.with_toy_coupling(-0.45).unwrap();
    assert_eq!(moved.toy_delta(), Some(-0.45));
    assert_eq!(
        moved.coupling(),
        &toy_coupling(-0.45),
        "the same U(δ) bit for bit"
    );
    assert_eq!(moved.clone().uncoupled().toy_delta(), Some(0.0));
}

#[test]
fn a_rotation_of_two_features_is_the_toy_in_either_order() {
    for plane in [[1, 2], [2, 1]] {
        let m = build_model(serde_json::json!({"features": {"rotation":
            {"strengths": [3, 1], "plane": plane, "delta": 0.4}}}))
        .unwrap();
        let delta = m
            .toy_delta()
            .expect("a rotation of two features is the toy");
        assert_eq!(delta.abs(), 0.4);
        assert_eq!(m.coupling(), &toy_coupling(delta));
    }
}

#[test]
fn a_matrix_is_not_the_toy_whatever_its_entries() {
    let explicit = FeatureModel::from_coupling(vec![3.0, 1.0], toy_coupling(0.3), None).unwrap();
    assert_eq!(explicit.toy_delta(), None);
    let five = build_model(serde_json::json!({"features": {"rotation":
        {"strengths": [5, 4, 3, 2, 1], "plane": [2, 4], "delta": 0.6}}}))
    .unwrap();
    assert_eq!(five.toy_delta(), None, "five features are not the toy");
    assert_eq!(five.rotation_plane(), Some(([1, 3], 0.6)));
    let skew = build_model(serde_json::json!({"features": {"skew_exponential":
        {"strengths": [2, 1], "delta": 0.7, "generator": {"matrix": [[0, -1], [1, 0]]}}}}))
    .unwrap();
    assert_eq!(
        skew.toy_delta(),
        None,
        "exp(δA) is a rotation by δ, not U(δ)"
    );
}
