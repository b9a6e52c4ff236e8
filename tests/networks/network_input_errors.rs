//! Fact (project rule): bad input to the network engine ends in a one-line `InputError` naming
//! the field and the fix, from `check_training`, before any work.

use starvation::network::{
    Architecture, Dataset, Optimiser, Training, check_training, train_seeds,
};

fn good() -> (Dataset, Training) {
    let data = Dataset {
        dimension: 2,
        points: vec![0.0, 1.0, 1.0, 0.0],
        labels: vec![1.0, -1.0],
    };
    let training = Training {
        architecture: Architecture {
            hidden: vec![4],
            dropout: 0.0,
            batch_norm: false,
            parameterisation: starvation::network::Parameterisation::Standard,
        },
        optimiser: Optimiser::Sgd {
            learning_rate: 0.01,
            momentum: 0.9,
        },
        epochs: 3,
        weight_decay: 0.0,
        sd: 0.0,
        batch_size: None,
        batch_sampling: Default::default(),
        loss: starvation::model::LossModel::Exact,
    };
    (data, training)
}

fn field_of(data: &Dataset, training: &Training) -> String {
    let e = check_training(data, training).unwrap_err();
    assert!(!e.to_string().contains('\n'));
    e.field
}

#[test]
fn good_input_passes() {
    let (d, t) = good();
    check_training(&d, &t).unwrap();
}

#[test]
fn each_bad_field_is_named() {
    let (d, t) = good();
    let mut e = d.clone();
    e.points.clear();
    e.labels.clear();
    assert_eq!(field_of(&e, &t), "data");
    let mut e = d.clone();
    e.labels[0] = 0.5;
    assert_eq!(field_of(&e, &t), "data.labels");
    let mut e = d.clone();
    e.points[1] = f64::NAN;
    assert_eq!(field_of(&e, &t), "data.points");
    let mut b = t.clone();
    b.architecture.hidden = vec![4, 0];
    assert_eq!(field_of(&d, &b), "architecture.hidden[1]");
    let mut b = t.clone();
    b.architecture.dropout = 1.0;
    assert_eq!(field_of(&d, &b), "architecture.dropout");
    let mut b = t.clone();
    b.optimiser = Optimiser::Sgd {
        learning_rate: 0.0,
        momentum: 0.9,
    };
    assert_eq!(field_of(&d, &b), "optimiser.sgd.learning_rate");
    let mut b = t.clone();
    b.optimiser = Optimiser::Sgd {
        learning_rate: f64::NAN,
        momentum: 0.9,
    };
    assert_eq!(field_of(&d, &b), "optimiser.sgd.learning_rate");
    let mut b = t.clone();
    b.optimiser = Optimiser::Adam {
        learning_rate: 1e-3,
        beta1: 1.0,
        beta2: 0.999,
        epsilon: 1e-8,
    };
    assert_eq!(field_of(&d, &b), "optimiser.adam.beta1");
    let mut b = t.clone();
    b.weight_decay = f64::NAN;
    assert_eq!(field_of(&d, &b), "weight_decay");
    let mut b = t.clone();
    b.sd = -1.0;
    assert_eq!(field_of(&d, &b), "sd");
    let mut b = t.clone();
    b.epochs = 0;
    assert_eq!(field_of(&d, &b), "epochs");
}

#[test]
fn train_seeds_refuses_before_training() {
    let (d, mut t) = good();
    t.architecture.dropout = -0.1;
    let err = train_seeds(&d, &t, &[0], None, &|_| panic!("no work before the check")).unwrap_err();
    assert!(err.to_string().starts_with("architecture.dropout: "));
}
