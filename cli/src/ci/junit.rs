//! The JUnit report: one test suite per test binary, one test case per check. A check with new
//! findings is a failure whose message names them and whose text is the report and the replay
//! command; a check that could not run is an error; fingerprints (new, accepted, fixed), the
//! strategy, seed and executions are properties. Failed tests that no check explains are
//! failures of a suite of their own. No times or timestamps: the same run gives the same XML.

use std::collections::BTreeMap;

use interleave::CheckResult;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::results::{result_name, CheckRow, Results};

/// The suite of failed tests that are not interleave findings.
const OTHER_FAILURES: &str = "other failures";

pub(crate) fn render(results: &Results) -> String {
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for check in &results.checks {
        let suite = suites
            .entry(&check.target)
            .or_insert_with(|| TestSuite::new(check.target.as_str()));
        suite.add_test_case(test_case(check, results));
    }
    let mut report = Report::new("interleave");
    report.add_test_suites(suites.into_values());
    if !results.other_failures.is_empty() {
        let mut suite = TestSuite::new(OTHER_FAILURES);
        for failure in &results.other_failures {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message("the test failed, and no interleave check explains it");
            status.set_type("test failure");
            let mut case = TestCase::new(failure.as_str(), status);
            case.set_classname(OTHER_FAILURES);
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().expect("JUnit reports serialise")
}

fn test_case(check: &CheckRow, results: &Results) -> TestCase {
    let status = match check.result {
        CheckResult::Clean => TestCaseStatus::success(),
        CheckResult::Findings => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let findings: Vec<String> = results
                .new_findings
                .iter()
                .filter(|f| f.check == check.check && f.target == check.target)
                .map(|f| format!("{} {} ({})", f.kind, f.fingerprint, f.headline))
                .collect();
            status.set_message(format!(
                "{} new finding{}: {}",
                findings.len(),
                if findings.len() == 1 { "" } else { "s" },
                findings.join("; ")
            ));
            status.set_type(
                results
                    .new_findings
                    .iter()
                    .find(|f| f.check == check.check)
                    .map_or("finding", |f| f.kind.name()),
            );
            let mut text = check.message.clone().unwrap_or_default();
            if let Some(replay) = &check.replay {
                text.push_str(&format!("\n{replay}\n"));
            }
            status.set_description(text);
            status
        }
        CheckResult::Diverged | CheckResult::Error => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(check.message.clone().unwrap_or_default());
            status.set_type(result_name(check.result).to_lowercase());
            status
        }
    };
    let name = if check.ordinal > 1 {
        format!("{} #{}", check.check, check.ordinal)
    } else {
        check.check.clone()
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(check.target.as_str());
    let mut properties = vec![
        Property::new("strategy", check.strategy.as_str()),
        Property::new(
            "seed",
            check.seed.map_or_else(|| "-".to_owned(), |s| s.to_string()),
        ),
        Property::new("executions", check.executions.to_string()),
        Property::new("budget", check.budget.to_string()),
        Property::new(
            "coverage",
            if check.complete {
                "complete"
            } else {
                "bounded"
            },
        ),
    ];
    properties.extend(
        check
            .new_findings
            .iter()
            .map(|f| Property::new("fingerprint", f.as_str())),
    );
    properties.extend(
        check
            .accepted
            .iter()
            .map(|f| Property::new("accepted", f.as_str())),
    );
    properties.extend(
        results
            .fixed
            .iter()
            .filter(|e| e.check == check.check)
            .map(|e| Property::new("fixed", e.fingerprint.as_str())),
    );
    if let Some(artifact) = &check.artifact {
        properties.push(Property::new("artifact", artifact.display().to_string()));
    }
    case.add_properties(properties);
    case
}
