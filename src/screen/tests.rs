//! Unit tests of screening against small inline lists, so the matching logic is covered without
//! the shared CSL data.

use super::*;

fn entry(name: &str, aliases: &[&str]) -> ListEntry {
    ListEntry {
        name: name.to_owned(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        source: "Entity List (EL) - Bureau of Industry and Security".to_owned(),
        ..ListEntry::default()
    }
}

/// A small list with the kinds of names that make screening hard: shared generic words, legal
/// forms, individuals, and an entry whose name is a single generic word.
fn sample_index() -> ScreeningIndex {
    let mut entries = vec![
        entry("Zhejiang Dahua Technology Co., Ltd.", &["Dahua Technology"]),
        entry(
            "Hangzhou Hikvision Digital Technology Co., Ltd.",
            &["Hikvision"],
        ),
        entry("Huawei Technologies Co., Ltd.", &["Huawei"]),
        entry(
            "China Telecom Corporation Limited",
            &["CHINA TELECOM CO., LTD"],
        ),
        entry(
            "BANK OF KUNLUN CO LTD",
            &["KARAMAY CITY COMMERCIAL BANK CO LTD."],
        ),
        entry(
            "Joint-Stock Company Concern Almaz-Antey",
            &["Almaz-Antey Air and Space Defense Corporation"],
        ),
        entry("Mohammad Reza NAQDI", &[]),
        entry("Technology Group Ltd", &[]),
        entry("Aero Engine Corporation of China", &["AECC"]),
        entry("Beijing Institute of Technology", &[]),
        entry("Megvii Technology Limited", &[]),
        entry("Müller Präzisionstechnik GmbH", &[]),
    ];
    // Unrelated entries sharing generic words keep the IDF weights of those words realistic.
    for i in 0..40 {
        entries.push(entry(
            &format!("Filler{i} Technology Trading Group Limited"),
            &[],
        ));
        entries.push(entry(&format!("China Filler{i} Bank"), &[]));
    }
    ScreeningIndex::new(entries)
}

fn screen(index: &ScreeningIndex, name: &str) -> Vec<Match> {
    let mut out = Vec::new();
    index.screen(name, &[], &mut out);
    out
}

fn names(index: &ScreeningIndex, matches: &[Match]) -> Vec<String> {
    matches
        .iter()
        .map(|m| index.entries()[m.entry].name.clone())
        .collect()
}

#[test]
fn exact_and_case_variants_score_one() {
    let index = sample_index();
    for query in [
        "Zhejiang Dahua Technology Co., Ltd.",
        "ZHEJIANG DAHUA TECHNOLOGY CO LTD",
        "zhejiang dahua technology",
        "Dahua Technology Zhejiang Limited",
    ] {
        let found = screen(&index, query);
        assert_eq!(
            names(&index, &found)[0],
            "Zhejiang Dahua Technology Co., Ltd.",
            "{query}"
        );
        assert_eq!(found[0].score, 1.0, "{query}");
    }
}

#[test]
fn aliases_report_which_names_matched() {
    let index = sample_index();
    let mut out = Vec::new();
    index.screen("Acme Widgets", &["Shenzhen Widgets", "Hikvision"], &mut out);
    assert_eq!(out.len(), 1);
    let m = &out[0];
    assert_eq!(
        index.entries()[m.entry].name,
        "Hangzhou Hikvision Digital Technology Co., Ltd."
    );
    assert_eq!(m.query, 2);
    assert_eq!(m.listed_name, 1);
    assert_eq!(
        index.entries()[m.entry].listed_name(m.listed_name),
        Some("Hikvision")
    );
}

#[test]
fn typos_match_long_tokens() {
    let index = sample_index();
    for query in [
        "Zhejiang Dahau Technology",
        "Hikvison",
        "Huawei Technolgies",
        "Concern Almaz Antei",
        "Bank of Kunlum",
        "Mohammad Reza NAQDY",
        "Mueller Prazisionstechnik",
    ] {
        let found = screen(&index, query);
        assert!(!found.is_empty(), "{query} found nothing");
        assert!(found[0].score < 1.0, "{query}");
    }
}

#[test]
fn typos_in_short_tokens_do_not_match() {
    let index = sample_index();
    assert!(screen(&index, "AECD").is_empty());
    assert!(!screen(&index, "AECC").is_empty());
}

#[test]
fn word_order_and_legal_forms_do_not_matter() {
    let index = sample_index();
    let found = screen(&index, "Kunlun Bank Limited");
    assert_eq!(names(&index, &found), vec!["BANK OF KUNLUN CO LTD"]);
    let found = screen(&index, "Almaz-Antey Concern JSC");
    assert_eq!(
        names(&index, &found),
        vec!["Joint-Stock Company Concern Almaz-Antey"]
    );
    let found = screen(&index, "NAQDI, Mohammad Reza");
    assert_eq!(found[0].score, 1.0);
}

#[test]
fn lookalikes_sharing_one_word_do_not_match() {
    let index = sample_index();
    for query in [
        "Dahua Bakery Ltd",
        "Zhejiang Longsheng Technology",
        "China Unicom",
        "Kunlun Tea House",
        "Mohammad Ali",
        "Megvii Bakery",
    ] {
        let found = screen(&index, query);
        assert!(
            found.is_empty(),
            "{query} matched {:?}",
            names(&index, &found)
        );
    }
}

#[test]
fn single_generic_tokens_do_not_match_everything() {
    let index = sample_index();
    for query in ["Technology", "China", "Group", "Limited", "Bank", "Trading"] {
        let found = screen(&index, query);
        assert!(
            found.len() <= 1,
            "{query} matched {:?}",
            names(&index, &found)
        );
    }
    // The entry whose whole name is generic still matches itself.
    let found = screen(&index, "Technology Group Limited");
    assert_eq!(names(&index, &found), vec!["Technology Group Ltd"]);
}

#[test]
fn one_match_per_entry_best_first() {
    let index = sample_index();
    let mut out = Vec::new();
    index.screen("Dahua Technology", &["Zhejiang Dahua Technology"], &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].score, 1.0);
    // The party's name matches the alias exactly, which wins the tie with the second query.
    assert_eq!((out[0].query, out[0].listed_name), (0, 1));
    for pair in out.windows(2) {
        assert!(pair[0].score >= pair[1].score);
    }
}

#[test]
fn output_is_cleared_and_empty_queries_find_nothing() {
    let index = sample_index();
    let mut out = vec![Match {
        entry: 99,
        listed_name: 0,
        query: 0,
        score: 1.0,
    }];
    index.screen("", &["  ", "--"], &mut out);
    assert!(out.is_empty());
}

#[test]
fn threshold_can_be_changed() {
    let index = sample_index().with_threshold(0.5);
    assert_eq!(index.threshold(), 0.5);
    let found = screen(&index, "Huawei");
    assert!(!found.is_empty());
    assert!(found.iter().all(|m| m.score >= 0.5));
}

#[test]
fn scores_stay_in_range_and_repeat() {
    let index = sample_index().with_threshold(0.0);
    let first = screen(&index, "China Technology Trading Dahua Huawei");
    let second = screen(&index, "China Technology Trading Dahua Huawei");
    assert_eq!(first, second);
    assert!(first.iter().all(|m| (0.0..=1.0).contains(&m.score)));
}

#[test]
fn empty_index_finds_nothing() {
    let index = ScreeningIndex::new(Vec::new());
    assert!(screen(&index, "Huawei").is_empty());
    assert!(index.entries().is_empty());
}

#[test]
fn listed_name_lookup() {
    let e = entry("A", &["B", "C"]);
    assert_eq!(e.listed_name(0), Some("A"));
    assert_eq!(e.listed_name(2), Some("C"));
    assert_eq!(e.listed_name(3), None);
}

#[test]
fn index_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ScreeningIndex>();
    let index = sample_index();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| screen(&index, "Hikvison").len()))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 1);
        }
    });
}
