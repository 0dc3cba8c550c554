//! The catalog's expectations: every bug found within its budget under the default strategy,
//! every fixed twin clean over its budget.

use interleave_scenarios::{catalog, Expected};

#[test]
fn every_scenario_behaves_as_the_catalog_expects() {
    let unexpected: Vec<String> = catalog()
        .iter()
        .map(|s| (s, s.run_with(s.config().write_artifact(false))))
        .filter(|(_, outcome)| !outcome.as_expected)
        .map(|(s, outcome)| {
            format!(
                "{}: expected {}, got:\n{}",
                s.name, s.expected, outcome.report
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
        assert!(
            twin.budget >= 1_000,
            "{twin_name} must stay clean over at least 1,000 executions"
        );
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
        assert!(
            !s.source.is_empty() && !s.description.is_empty(),
            "{}",
            s.name
        );
    }
}
