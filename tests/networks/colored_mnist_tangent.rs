//! Fact (issue #20, the theory's view on real data): the engine's tangent kernel of an image
//! network, computed layer by layer without forming J as K = A_L A_Lᵀ + Σ_l (A_{l−1} A_{l−1}ᵀ) ⊙
//! (Δ_l Δ_lᵀ), equals J Jᵀ with J = ∂ŷ/∂θ (biases included), and its outputs are the network's.
//!
//! Reference: J by central differences of the logits (f64, h = 10⁻⁶: error ~10⁻⁹ relative at
//! smooth points; ReLU kinks are met with probability ~0), so K agrees to 10⁻⁶ relative to its
//! largest entry.

use starvation::images::{
    ColouredMnist, ImageNetwork, LabelledImages, Precision, Rendering, initial_parameters,
    tangent_kernel,
};
use starvation::numerics::SeededRng;

#[test]
fn the_layerwise_kernel_is_j_j_transposed() {
    let mut rng = SeededRng::new(4);
    let n = 40;
    let data = LabelledImages {
        rows: 6,
        columns: 6,
        pixels: (0..n * 36).map(|_| (rng.next_u64() % 256) as u8).collect(),
        classes: (0..n).map(|i| (i % 10) as u8).collect(),
    };
    let split = ColouredMnist {
        train_examples: 30,
        test_examples: 10,
        ..ColouredMnist::default()
    }
    .build(&data, 1)
    .unwrap();
    for hidden in [vec![5], vec![5, 4], vec![4, 3, 5]] {
        let dimension = split.train.dimension(false);
        let mut parameters = initial_parameters(dimension, &hidden, 7);
        for p in parameters.iter_mut() {
            *p += 0.05 * (rng.uniform() - 0.5);
        }
        let net = |parameters: Vec<f64>| ImageNetwork {
            dimension,
            hidden: hidden.clone(),
            grey_input: false,
            precision: Precision::F64,
            parameters,
        };
        let rows = 6;
        let (k, outputs) = tangent_kernel(
            &net(parameters.clone()),
            &split.train,
            Rendering::PROTOCOL,
            rows,
        );
        let logits = net(parameters.clone()).logits(&split.train, Rendering::PROTOCOL);
        for i in 0..rows {
            assert!((outputs[i] - logits[i]).abs() < 1e-12);
        }
        let h = 1e-6;
        let m = parameters.len();
        let mut jacobian = vec![0.0; rows * m];
        for p in 0..m {
            let mut plus = parameters.clone();
            plus[p] += h;
            let mut minus = parameters.clone();
            minus[p] -= h;
            let fp = net(plus).logits(&split.train, Rendering::PROTOCOL);
            let fm = net(minus).logits(&split.train, Rendering::PROTOCOL);
            for i in 0..rows {
                jacobian[i * m + p] = (fp[i] - fm[i]) / (2.0 * h);
            }
        }
        let scale = k.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        for i in 0..rows {
            for j in 0..rows {
                let jj: f64 = (0..m)
                    .map(|p| jacobian[i * m + p] * jacobian[j * m + p])
                    .sum();
                assert!(
                    (jj - k[i * rows + j]).abs() < 1e-6 * scale,
                    "{hidden:?} K[{i},{j}] = {} but J Jᵀ = {jj}",
                    k[i * rows + j]
                );
            }
        }
    }
}
