//! Compile-time scaling: parse, check and build the decision graph of generated policy
//! libraries of 1,000, 10,000 and 100,000 rules. Compile time must grow linearly with the number
//! of rules; 10,000 rules must compile in under a second on one core. Figures are recorded in
//! `docs/performance.md`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vigil::source::SourceFile;

/// Rules per generated file, as a large library would split them.
const RULES_PER_FILE: usize = 500;

const SCHEMA: &str = r#"
schema transaction
  id: string
  date: date
  destination: country
  items: list of at least 1 item
  parties: optional list of party
  findings: optional set of finding
end

record item
  eccn: eccn
  categories: optional set of category
end

record party
  name: string
  aliases: optional list of string
  kind: party_kind
  country: country
end

enum party_kind
  government, government_affiliated, private, individual
end

enum category
  spyware, facial_recognition, drone, thermal_imaging
end

enum finding
  civil_disorder, diversion_risk, human_rights_abuse_record
end

decision license
  values not_required, indeterminate, required
  combine by most restrictive
  default not_required
  unknown indeterminate
end

decision review
  type bool
  combine by any
  default false
end

decision obligations
  type set of string
  combine by union
  default []
end

table country_groups
  source "15 CFR part 740, Supplement No. 1"
  columns group: string, country: country
  row "E:1", "IR"
  row "E:1", "KP"
  row "D:5", "CN"
  row "D:5", "VE" effective 2023-01-01
end
"#;

const COUNTRIES: &[&str] = &["CN", "RU", "IR", "KP", "VE", "BY", "CU", "SY", "MM", "AF"];
const KINDS: &[&str] = &[
    "government",
    "government_affiliated",
    "private",
    "individual",
];

/// One generated rule; the shapes cycle so the library mixes every kind of condition.
fn rule(file: usize, index: usize) -> String {
    let n = file * RULES_PER_FILE + index;
    let country = COUNTRIES.get(n % COUNTRIES.len()).unwrap_or(&"CN");
    let kind = KINDS.get(n % KINDS.len()).unwrap_or(&"private");
    let eccn = format!("{}A{:03}", n % 10, n % 1000);
    let condition = match n % 5 {
        0 => format!("any item in items where item.eccn within \"{eccn}\" and destination is \"{country}\""),
        1 => format!("any party in parties where party.kind is {kind} and party.country is \"{country}\""),
        2 => format!("destination in table_{file}.country and any item in items where item.eccn within \"{eccn}\""),
        3 => format!("any g in country_groups where g.group is \"E:1\" and g.country is destination and count(items) > {}", n % 7),
        _ => format!("(findings is not missing and civil_disorder in findings) or destination in [\"{country}\", \"CU\"]"),
    };
    let outcome = match n % 3 {
        0 => "license is required".to_string(),
        1 => "license is required and review is true".to_string(),
        _ => format!("obligations includes \"obligation {n}\""),
    };
    format!(
        "  rule r{n} \"Generated rule {n}\"\n    cite \"15 CFR 742.{}\"\n    effective 2020-10-06\n    when {condition}\n    then {outcome}\n    because \"rule {n} applies to {{destination}}\"\n  end\n\n",
        n % 20
    )
}

/// A generated library of about `rules` rules: the schema and `rules / RULES_PER_FILE` policy
/// files importing it.
fn library(rules: usize) -> Vec<SourceFile> {
    let mut files = vec![SourceFile::new("bench/schema.vigil", SCHEMA)];
    for file in 0..rules.div_ceil(RULES_PER_FILE) {
        let mut text = format!("import \"schema.vigil\"\n\npolicy bench.p{file} \"Generated policy {file}\"\n  cite \"15 CFR 742\"\n\n");
        text.push_str(&format!(
            "  table table_{file}\n    columns country: country\n"
        ));
        for country in COUNTRIES {
            text.push_str(&format!("    row \"{country}\"\n"));
        }
        text.push_str("  end\n\n");
        for index in 0..RULES_PER_FILE.min(rules - file * RULES_PER_FILE) {
            text.push_str(&rule(file, index));
        }
        text.push_str("end\n");
        files.push(SourceFile::new(format!("bench/p{file}.vigil"), text));
    }
    files
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for rules in [1_000usize, 10_000, 100_000] {
        let files = library(rules);
        // A library that does not compile would measure the error path, not the compiler.
        let (compiled, diagnostics) = vigil::compile(files.clone(), &mut vigil::semantic::NoFiles);
        let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(
            compiled.is_some() && errors.is_empty(),
            "the generated library has errors: {errors:#?}"
        );
        group.throughput(Throughput::Elements(rules as u64));
        // Ten samples of the largest library take minutes; ask for no more than that.
        group.measurement_time(Duration::from_secs(if rules >= 100_000 { 60 } else { 10 }));
        group.bench_with_input(BenchmarkId::from_parameter(rules), &files, |b, files| {
            b.iter(|| vigil::compile(files.clone(), &mut vigil::semantic::NoFiles));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Plots add nothing to the recorded figures and need more samples than 100,000 rules allow.
    config = Criterion::default().without_plots();
    targets = compile
}
criterion_main!(benches);
