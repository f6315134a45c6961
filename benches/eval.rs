//! Evaluation benchmarks: (a) one transaction against the shipped library, excluding JSON
//! parsing; (b) JSONL batch throughput next to serde_json's parse-only throughput of the same
//! lines. Peak memory over a million records is measured by `benches/memory.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use vigil::eval::{Evaluator, RunConfig};
use vigil::semantic::Loader;
use vigil::source::SourceFile;

/// Reads imported policy files and data files from the repository.
struct Disk;

impl Loader for Disk {
    fn policy_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        Some(
            std::fs::read_to_string(path)
                .map(|t| SourceFile::new(path, t))
                .map_err(|e| e.to_string()),
        )
    }
    fn data_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        self.policy_file(path)
    }
    fn input(&mut self, _: &str) -> Option<Result<SourceFile, String>> {
        None
    }
}

fn policy_files(dir: &std::path::Path, out: &mut Vec<SourceFile>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            policy_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "vigil") {
            let name = path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap()
                .to_string_lossy()
                .trim_start_matches('/')
                .to_string();
            out.push(SourceFile::new(
                name,
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// The shipped library, compiled once.
pub fn shipped_evaluator() -> Evaluator {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut files = Vec::new();
    policy_files(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/policies")),
        &mut files,
    );
    let (compiled, diagnostics) = vigil::compile(files, &mut Disk);
    let compiled =
        compiled.unwrap_or_else(|| panic!("the shipped library does not compile: {diagnostics:?}"));
    Evaluator::new(compiled, Arc::from("bench")).unwrap()
}

/// A varied batch of transactions in JSONL, one a line, built from the examples.
pub fn batch(lines: usize) -> Vec<String> {
    let destinations = ["CN", "FR", "RU", "BR", "IN", "AE", "DE", "HK", "IR", "TH"];
    let eccns = [
        "EAR99", "3A981", "5A001.j", "4A005", "0A982", "5A980", "6A002.c", "5A002.a", "0A504",
        "4E001.c",
    ];
    let kinds = [
        "government",
        "private",
        "government_affiliated",
        "individual",
    ];
    let names = [
        "Urumqi Public Security Bureau",
        "Acme Trading GmbH",
        "Hikvision",
        "Northwind Logistics Ltd",
        "NSO Group",
        "Banco del Sur S.A.",
    ];
    (0..lines)
        .map(|i| {
            format!(
                r#"{{"id":"tx-{i}","date":"202{}-0{}-15","destination":"{}","items":[{{"id":"1","eccn":"{}","categories":["facial_recognition"]}}],"parties":[{{"name":"{}","aliases":[],"role":"end_user","country":"{}","kind":"{}","sector":"police"}}],"assistance":["advocacy"],"findings":[],"safeguards":[]}}"#,
                i % 6,
                1 + i % 9,
                destinations[i % destinations.len()],
                eccns[(i / 3) % eccns.len()],
                names[(i / 7) % names.len()],
                destinations[i % destinations.len()],
                kinds[(i / 2) % kinds.len()],
            )
        })
        .collect()
}

fn single(c: &mut Criterion) {
    let evaluator = shipped_evaluator();
    let line = &batch(1)[0];
    let json: serde_json::Value = serde_json::from_str(line).unwrap();
    let program = evaluator.engine().program();
    let schema = program.schema.unwrap();
    let transaction = vigil::eval::validate(program, schema, &json).unwrap();
    let date = vigil::date::Date::parse("2020-01-15").unwrap();
    let mut group = c.benchmark_group("one transaction");
    group.bench_function("evaluate (validated)", |b| {
        b.iter(|| {
            black_box(evaluator.engine().run(
                black_box(transaction.clone()),
                date,
                RunConfig::default(),
            ))
        })
    });
    group.bench_function("validate + evaluate + record", |b| {
        b.iter(|| black_box(evaluator.evaluate_json(black_box(&json), None, RunConfig::default())))
    });
    group.finish();
}

fn throughput(c: &mut Criterion) {
    let evaluator = shipped_evaluator();
    let lines = batch(20_000);
    let bytes: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
    let mut group = c.benchmark_group("jsonl batch");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.bench_with_input(
        BenchmarkId::new("serde_json parse only", lines.len()),
        &lines,
        |b, lines| {
            b.iter(|| {
                for line in lines {
                    black_box(serde_json::from_str::<serde_json::Value>(line).unwrap());
                }
            })
        },
    );
    // The machine's own scaling, for comparison: parsing scales with the cores.
    group.bench_with_input(
        BenchmarkId::new("serde_json parse only, all cores", lines.len()),
        &lines,
        |b, lines| {
            b.iter(|| {
                lines.par_chunks(64).for_each(|chunk| {
                    for line in chunk {
                        black_box(serde_json::from_str::<serde_json::Value>(line).unwrap());
                    }
                })
            })
        },
    );
    group.bench_with_input(
        BenchmarkId::new("evaluate, one thread", lines.len()),
        &lines,
        |b, lines| {
            b.iter(|| {
                for line in lines {
                    let evaluation =
                        evaluator.evaluate_bytes(line.as_bytes(), None, RunConfig::default());
                    let mut line = Vec::with_capacity(4096);
                    evaluator.write_jsonl(&evaluation, &mut line).unwrap();
                    evaluator.recycle(evaluation);
                    black_box(line);
                }
            })
        },
    );
    let buffers: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
    group.bench_with_input(
        BenchmarkId::new("evaluate, all cores", lines.len()),
        &lines,
        |b, lines| {
            b.iter(|| {
                // As `vigil eval` does: lines in groups across the cores, each group's records
                // written one after the other into one buffer, buffers kept for the next run.
                let out: Vec<Vec<u8>> = lines
                    .par_chunks(64)
                    .map(|chunk| {
                        let mut text = buffers
                            .lock()
                            .unwrap()
                            .pop()
                            .unwrap_or_else(|| Vec::with_capacity(chunk.len() * 4096));
                        for line in chunk {
                            let evaluation = evaluator.evaluate_bytes(
                                line.as_bytes(),
                                None,
                                RunConfig::default(),
                            );
                            evaluator.write_jsonl(&evaluation, &mut text).unwrap();
                            evaluator.recycle(evaluation);
                            text.push(b'\n');
                        }
                        text
                    })
                    .collect();
                let mut kept = buffers.lock().unwrap();
                for mut text in out {
                    black_box(&text);
                    text.clear();
                    kept.push(text);
                }
            })
        },
    );
    group.finish();
}

criterion_group!(benches, single, throughput);
criterion_main!(benches);
