//! Claim (issue 9, class 3): "everything that scales with the grid must stream to disk in
//! bounded memory" — and streaming changes no byte: the outputs written chunk by chunk (here a
//! small grid split into chunks of 1, 2 and 5 lines, with thresholds along the last and the
//! first axis and a failing region) equal, byte for byte, the outputs of the result held in
//! memory; a shard written line by line equals the serialised in-memory shard; a streamed merge
//! equals the streamed whole run.

use std::path::Path;

use starvation::output::{prepare_output_dir, write_files};
use starvation::spec::parse_spec;
use starvation::sweep::{ShardFile, read_shard, stream_lines};
use starvation::tasks::{SweepTask, read_shards};

const SPEC: &str = r#"{
  "name": "streamed",
  "model": { "features": { "toy": { "s1": 2.0, "s2": 2.0, "delta": 0.5 } }, "regulariser": { "l2": { "lambda": 0.01 } } },
  "sweep": {
    "axes": [
      { "parameter": "regulariser", "values": [ { "l2": { "lambda": 0.01 } }, { "sd": { "lambda": 0.01 } } ] },
      { "parameter": "delta", "values": [0.1, 0.3, 0.5, 1.2] },
      { "parameter": "s1", "values": { "logspace": { "start": 1.0, "stop": 60.0, "count": 9 } } }
    ],
    "metrics": [ "z", "starvation_ratio", { "time_to_fraction": { "feature": 2, "fraction": 0.9 } } ],
    "thresholds": [ { "metric": "ratio2", "level": 0.5 }, { "metric": "z2", "level": 0.0, "along": "delta" } ]
  }
}"#;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .filter(|(n, _)| !n.contains(".shard-"))
        .collect();
    v.sort();
    v
}

/// The document's provenance carries the time of writing: compare everything else.
fn comparable(files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    files
        .into_iter()
        .map(|(n, b)| {
            if n.ends_with(".json") {
                let mut v: serde_json::Value = serde_json::from_slice(&b).unwrap();
                v.as_object_mut().unwrap().remove("provenance");
                (n, serde_json::to_vec(&v).unwrap())
            } else {
                (n, b)
            }
        })
        .collect()
}

#[test]
fn streamed_outputs_equal_the_in_memory_outputs_for_any_chunk_size() {
    let spec = parse_spec(SPEC).unwrap();
    let task = SweepTask::new(&spec).unwrap();
    let lines = task.plan.lines();
    assert_eq!(lines, 8);
    let root = tempfile::tempdir().unwrap();
    let memory = root.path().join("memory");
    prepare_output_dir(&memory).unwrap();
    let result = task.run(true, &|_| {});
    assert!(!result.axis_thresholds.is_empty());
    assert!(
        result
            .lines
            .iter()
            .flat_map(|l| &l.cells)
            .any(|c| c.failure.is_some())
    );
    write_files(&memory, task.outputs(&result).unwrap().files).unwrap();
    let expected = comparable(files(&memory));
    assert_eq!(
        expected.len(),
        3,
        "{:?}",
        expected.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (chunk, parallel) in [(1, true), (2, false), (5, true), (lines, true)] {
        let dir = root.path().join(format!("chunk{chunk}"));
        prepare_output_dir(&dir).unwrap();
        let mut chunks = 0;
        task.write_streamed(&dir, parallel, &mut |sink| {
            stream_lines(&task.plan, 0..lines, chunk, parallel, &|_| {}, &mut |c| {
                chunks += 1;
                sink(c)
            })
        })
        .unwrap();
        assert_eq!(chunks, lines.div_ceil(chunk));
        assert!(
            comparable(files(&dir)) == expected,
            "chunks of {chunk} lines"
        );
    }
    // The command's path (default chunks) too.
    let whole = root.path().join("whole");
    prepare_output_dir(&whole).unwrap();
    task.run_to(&whole, true, &|_| {}).unwrap();
    assert!(comparable(files(&whole)) == expected);

    // Shards written line by line are the serialised in-memory shards; their merge, read line
    // by line, gives the whole run's outputs (7 shards of 8 lines: some hold one line).
    let sharded = root.path().join("sharded");
    prepare_output_dir(&sharded).unwrap();
    for k in 1..=7 {
        let file = sharded.join(format!("streamed.shard-{k}-of-7.json"));
        task.run_shard_to(&file, k, 7, k % 2 == 0, &|_| {}).unwrap();
        let bytes = std::fs::read(&file).unwrap();
        let in_memory = serde_json::to_vec(&task.run_shard(k, 7, false, &|_| {})).unwrap();
        assert!(bytes == in_memory, "shard {k}");
        assert!(task.shard_file_is_done(k, 7, &file));
        let mut seen = 0;
        let header = read_shard::<()>(bytes.as_slice(), &mut |_| {
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, header.range().len());
        assert_eq!(
            ShardFile::parse(std::str::from_utf8(&bytes).unwrap())
                .unwrap()
                .range(),
            header.range()
        );
        // A truncated shard is not a shard.
        assert!(read_shard::<()>(&bytes[..bytes.len() - 2], &mut |_| Ok(())).is_err());
    }
    let shards = read_shards(&sharded, "streamed").unwrap();
    assert_eq!(shards.len(), 7);
    task.merge_to(&sharded, &shards, &|_| {}).unwrap();
    assert!(comparable(files(&sharded)) == expected);
}
