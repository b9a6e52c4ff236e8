//! Minibatches (theory.md §9): one epoch is one pass over the data in batches of `batch_size`
//! examples (the last batch holds the remainder, as PyTorch's `DataLoader` with
//! `shuffle=True, drop_last=False`), the order drawn afresh each epoch.
//!
//! The random stream: SplitMix64 ([`SeededRng`]) started from `seed ^ BATCH_STREAM`, where
//! `seed` is the network's seed; each epoch draws a uniform permutation of 0 … n−1 by
//! Fisher–Yates (from the identity, index j of position i uniform in 0 ..= i by the high half
//! of a 64 × 64-bit product). The stream is independent of the initialisation and of dropout,
//! and the real network, the linearised network and the stochastic map of one seed each build
//! their own [`BatchSchedule`] from the same seed, so they see the same batches. Full batch
//! (no `batch_size`, or `batch_size` = n) draws nothing: one batch 0 … n−1 per epoch.

use crate::numerics::SeededRng;

use super::BatchSampling;

/// Mixed into the seed for the batch-order stream.
pub const BATCH_STREAM: u64 = 0xBA7C_0DE5_5EED_0002;

/// The batches of every epoch of one seed's training.
#[derive(Debug, Clone)]
pub struct BatchSchedule {
    order: Vec<usize>,
    size: usize,
    rng: Option<SeededRng>,
    independent: bool,
    examples: usize,
}

impl BatchSchedule {
    /// The schedule of `examples` examples in batches of `batch_size` (None = full batch) for
    /// the network of `seed`.
    pub fn new(
        examples: usize,
        batch_size: Option<usize>,
        sampling: BatchSampling,
        seed: u64,
    ) -> Self {
        let size = batch_size.unwrap_or(examples).clamp(1, examples.max(1));
        let full = size >= examples;
        let independent = !full && sampling == BatchSampling::Independent;
        let length = if independent {
            examples.div_ceil(size) * size
        } else {
            examples
        };
        Self {
            order: (0..length).map(|i| i % examples.max(1)).collect(),
            size: if full { examples.max(1) } else { size },
            rng: (!full).then(|| SeededRng::new(seed ^ BATCH_STREAM)),
            independent,
            examples,
        }
    }

    /// Whether every step sees the whole data set (in its order).
    pub fn is_full(&self) -> bool {
        self.rng.is_none()
    }

    /// Optimiser steps per epoch: ⌈n / batch_size⌉.
    pub fn steps_per_epoch(&self) -> usize {
        self.examples.div_ceil(self.size).max(1)
    }

    /// Batch size |B| (the last batch of an epoch may be smaller).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Draws the next epoch's order (nothing for full batch) and returns its batches.
    pub fn next_epoch(&mut self) -> std::slice::Chunks<'_, usize> {
        if self.independent
            && let Some(rng) = &mut self.rng
        {
            let mut pool: Vec<usize> = (0..self.examples).collect();
            for batch in self.order.chunks_mut(self.size) {
                for (k, slot) in batch.iter_mut().enumerate() {
                    let span = (self.examples - k) as u128;
                    let j = k + ((rng.next_u64() as u128 * span) >> 64) as usize;
                    pool.swap(k, j);
                    *slot = pool[k];
                }
            }
        } else if let Some(rng) = &mut self.rng {
            for (i, o) in self.order.iter_mut().enumerate() {
                *o = i;
            }
            for i in (1..self.order.len()).rev() {
                let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize;
                self.order.swap(i, j);
            }
        }
        self.order.chunks(self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_epoch_is_a_permutation_in_batches() {
        let mut s = BatchSchedule::new(10, Some(4), BatchSampling::Reshuffle, 7);
        assert_eq!(s.steps_per_epoch(), 3);
        let mut previous = Vec::new();
        for _ in 0..3 {
            let batches: Vec<Vec<usize>> = s.next_epoch().map(<[usize]>::to_vec).collect();
            assert_eq!(
                batches.iter().map(Vec::len).collect::<Vec<_>>(),
                vec![4, 4, 2]
            );
            let mut all: Vec<usize> = batches.concat();
            let order = all.clone();
            all.sort_unstable();
            assert_eq!(all, (0..10).collect::<Vec<_>>());
            assert_ne!(order, previous, "the order is redrawn each epoch");
            previous = order;
        }
    }

    #[test]
    fn full_batch_is_the_identity_and_the_same_seed_the_same_batches() {
        let mut f = BatchSchedule::new(5, None, BatchSampling::Reshuffle, 1);
        assert!(f.is_full());
        assert_eq!(f.next_epoch().next(), Some(&[0, 1, 2, 3, 4][..]));
        assert!(BatchSchedule::new(5, Some(5), BatchSampling::Independent, 1).is_full());
        let a: Vec<usize> = BatchSchedule::new(50, Some(8), BatchSampling::Reshuffle, 3)
            .next_epoch()
            .flatten()
            .copied()
            .collect();
        let b: Vec<usize> = BatchSchedule::new(50, Some(8), BatchSampling::Reshuffle, 3)
            .next_epoch()
            .flatten()
            .copied()
            .collect();
        let c: Vec<usize> = BatchSchedule::new(50, Some(8), BatchSampling::Reshuffle, 4)
            .next_epoch()
            .flatten()
            .copied()
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn independent_batches_hold_distinct_examples_and_vary() {
        let mut s = BatchSchedule::new(10, Some(4), BatchSampling::Independent, 2);
        assert_eq!(s.steps_per_epoch(), 3);
        let mut counts = [0usize; 10];
        for _ in 0..2000 {
            let batches: Vec<Vec<usize>> = s.next_epoch().map(<[usize]>::to_vec).collect();
            assert_eq!(batches.len(), 3);
            for b in &batches {
                assert_eq!(b.len(), 4);
                let mut sorted = b.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), 4, "distinct within a batch: {b:?}");
                for &i in b {
                    counts[i] += 1;
                }
            }
        }
        // Each example is in a batch with probability 4/10: 2400 of 6000 batches, binomial
        // standard deviation 38; 5 standard deviations allowed.
        for c in counts {
            assert!((c as f64 - 2400.0).abs() < 190.0, "{counts:?}");
        }
    }
}
