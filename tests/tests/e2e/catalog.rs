//! The catalog's expectations, and its traces as files.

use interleave_detector::{DetectorConfig, Trace};
use interleave_scenarios::{catalog, Expected};

#[test]
fn every_scenario_behaves_as_the_catalog_expects() {
    let unexpected: Vec<String> = catalog()
        .iter()
        .map(|s| (s, s.run()))
        .filter(|(_, outcome)| !outcome.as_expected)
        .map(|(s, outcome)| {
            format!(
                "{}: expected {}, got {:#?}",
                s.name, s.expected, outcome.findings
            )
        })
        .collect();
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

#[test]
fn every_bug_has_a_clean_twin_that_points_back() {
    let all = catalog();
    for bug in all.iter().filter(|s| s.expected != Expected::Clean) {
        let twin_name = bug
            .twin
            .unwrap_or_else(|| panic!("{} has no fixed twin", bug.name));
        let twin = all
            .iter()
            .find(|s| s.name == twin_name)
            .unwrap_or_else(|| panic!("{}'s twin {twin_name} is not in the catalog", bug.name));
        assert_eq!(twin.expected, Expected::Clean, "{twin_name}");
        assert_eq!(
            twin.twin,
            Some(bug.name),
            "{twin_name} must name {} back",
            bug.name
        );
        assert_eq!(twin.category, bug.category);
    }
}

#[test]
fn names_are_unique_and_prefixed_by_their_category() {
    let all = catalog();
    let mut names: Vec<&str> = all.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all.len(), "duplicate scenario names");
    for s in &all {
        assert!(
            s.name.starts_with(&format!("{}/", s.category.name())),
            "{}",
            s.name
        );
    }
}

#[test]
fn traces_written_as_json_give_the_same_findings() {
    for scenario in catalog() {
        let trace = scenario.trace();
        let direct = trace.analyze(DetectorConfig::default()).unwrap();
        let reread = Trace::from_json(&trace.to_json()).unwrap();
        let from_file = reread.analyze(DetectorConfig::default()).unwrap();
        assert_eq!(direct, from_file, "{}", scenario.name);
        // Fingerprints do not depend on the run either.
        let again = scenario.trace().analyze(DetectorConfig::default()).unwrap();
        let prints = |f: &[interleave_detector::Finding]| -> Vec<String> {
            f.iter().map(|f| f.fingerprint.clone()).collect()
        };
        assert_eq!(prints(&direct), prints(&again), "{}", scenario.name);
    }
}
