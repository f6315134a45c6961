//! Peak memory of `vigil eval` over JSONL files of growing size: streaming must keep it flat in
//! the number of records. Runs the release binary on generated files of 10,000, 100,000 and
//! 1,000,000 transactions and samples its peak resident set size (VmHWM) from /proc.
//!
//! Run with `cargo bench --bench memory`. Linux only (reads /proc); elsewhere it says so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn line(i: usize) -> String {
    let destinations = ["CN", "FR", "RU", "BR", "IN", "AE", "DE", "HK", "IR", "TH"];
    let eccns = [
        "EAR99", "3A981", "5A001.j", "4A005", "0A982", "5A980", "6A002.c", "5A002.a", "0A504",
        "4E001.c",
    ];
    let names = [
        "Urumqi Public Security Bureau",
        "Acme Trading GmbH",
        "Hikvision",
        "Northwind Logistics Ltd",
        "NSO Group",
        "Banco del Sur S.A.",
    ];
    format!(
        r#"{{"id":"tx-{i}","date":"202{}-0{}-15","destination":"{}","items":[{{"id":"1","eccn":"{}","categories":["facial_recognition"]}}],"parties":[{{"name":"{}","aliases":[],"role":"end_user","country":"CN","kind":"government","sector":"police"}}],"assistance":["advocacy"],"findings":[],"safeguards":[]}}"#,
        i % 6,
        1 + i % 9,
        destinations[i % destinations.len()],
        eccns[(i / 3) % eccns.len()],
        names[(i / 7) % names.len()],
    )
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    if !std::path::Path::new("/proc/self/status").exists() {
        println!("skipped: peak memory is read from /proc, which this system does not have");
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-memory");
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "{:>10}  {:>12}  {:>10}  {:>14}",
        "records", "peak RSS", "wall", "records/s"
    );
    for count in [10_000usize, 100_000, 1_000_000] {
        let path = dir.join(format!("batch-{count}.jsonl"));
        if !path.exists() {
            let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
            for i in 0..count {
                writeln!(file, "{}", line(i)).unwrap();
            }
        }
        let start = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["eval", "--format", "jsonl"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("vigil runs");
        let mut peak = 0;
        loop {
            if let Some(kib) = peak_rss_kib(child.id()) {
                peak = peak.max(kib);
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let wall = start.elapsed().as_secs_f64();
        println!(
            "{count:>10}  {:>9.1} MiB  {wall:>8.2} s  {:>14.0}",
            peak as f64 / 1024.0,
            count as f64 / wall
        );
    }
}
