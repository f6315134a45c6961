//! Benchmark of restricted-party screening: the time to screen one party (a name and a couple
//! of aliases) against the full Consolidated Screening List, with the index built once.
//! Skips with a message when the shared CSL file is not present.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use vigil::screen::{parse_csl_json, ScreeningIndex};

const CSL_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/csl/consolidated.json"
);

/// Representative parties: each is a name plus aliases, as a screening request would carry.
const PARTIES: &[(&str, &str, &[&str])] = &[
    (
        "hit",
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
        &["Hikvision", "HIKVISION DIGITAL TECHNOLOGY"],
    ),
    (
        "typo_hit",
        "Zhejiang Dahau Technolgy Co Ltd",
        &["Dahau Technology"],
    ),
    (
        "miss",
        "Acme Precision Widgets GmbH",
        &["Acme Widgets", "Acme Industrial Supplies"],
    ),
    (
        "generic_words",
        "China International Technology Trading Group Co Ltd",
        &["China Technology Group", "International Trading Company"],
    ),
    ("person", "Mohammad Ali Hassan", &["Muhammad Ali Hasan"]),
];

fn screening(c: &mut Criterion) {
    let Ok(text) = std::fs::read_to_string(CSL_PATH) else {
        println!("skipped: ../shared/data/csl/consolidated.json not found");
        return;
    };
    let started = Instant::now();
    let entries = match parse_csl_json(&text) {
        Ok(entries) => entries,
        Err(e) => {
            println!("skipped: the CSL does not parse: {e}");
            return;
        }
    };
    let parsed = started.elapsed();
    let count = entries.len();
    let index = ScreeningIndex::new(entries);
    println!(
        "CSL: {count} entries, parsed in {parsed:?}, index built in {:?}",
        started.elapsed() - parsed
    );

    let mut group = c.benchmark_group("screen_one_party");
    let mut out = Vec::new();
    for &(label, name, aliases) in PARTIES {
        index.screen(name, aliases, &mut out);
        println!("{label}: {name:?} + {aliases:?} -> {} match(es)", out.len());
        group.bench_function(label, |b| {
            b.iter(|| {
                index.screen(black_box(name), black_box(aliases), &mut out);
                black_box(out.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, screening);
criterion_main!(benches);
