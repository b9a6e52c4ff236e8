//! Times one full-batch training step of the Colored-MNIST protocol on Fashion-MNIST
//! (`/usr/share/datasets/fashion-mnist`) and optionally trains a method:
//! `cargo run --release -p starvation-core --example colored_mnist_step -- [TRAIN TEST METHOD STEPS]`.

use std::path::Path;

use starvation_core::images::{
    ColouredMnist, MethodRun, Precision, read_labelled_images, seconds_per_step, train_restart,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let train: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(50_000);
    let test: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let method = args.get(3).cloned().unwrap_or_else(|| "time".into());
    let steps: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(0);
    let dir = Path::new("/usr/share/datasets/fashion-mnist");
    let t = std::time::Instant::now();
    let data = read_labelled_images(
        &dir.join("train-images-idx3-ubyte.gz"),
        &dir.join("train-labels-idx1-ubyte.gz"),
        10,
        "data",
    )
    .unwrap();
    println!(
        "read {} images in {:.2} s",
        data.len(),
        t.elapsed().as_secs_f64()
    );
    let protocol = ColouredMnist {
        train_examples: train,
        test_examples: test,
        ..ColouredMnist::default()
    };
    let split = protocol.build(&data, 0).unwrap();
    if method == "time" {
        for name in ["erm", "irm"] {
            let run = MethodRun::protocol(name).unwrap();
            for precision in [Precision::F32, Precision::F64] {
                let s = seconds_per_step(&split, &run, 5, precision).unwrap();
                let flops = 2.0 * run.multiply_adds(392, train);
                println!(
                    "{name} {precision:?}: {s:.3} s per step, {:.1} GFLOP/s",
                    flops / s / 1e9
                );
            }
        }
        return;
    }
    let mut run = MethodRun::protocol(&method).unwrap();
    if steps > 0 {
        run.steps = steps;
    }
    let r = train_restart(&split, &run, 0, 100, Precision::F32, None, &|_| {}).unwrap();
    for (k, s) in r.curve.steps.iter().enumerate() {
        println!(
            "step {s}: loss {:.4} train {:.4} test {:.4}",
            r.curve.loss[k], r.curve.train_accuracy[k], r.curve.test_accuracy[k]
        );
    }
    println!(
        "{method}: train {:.4} test {:.4} in {:.1} s",
        r.train_accuracy, r.test_accuracy, r.seconds
    );
}
