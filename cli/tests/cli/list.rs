//! `interleave list`.

use interleave_scenarios::{catalog, Category};

use crate::interleave;

/// Columns of a table row: fields are separated by two spaces or more.
pub(crate) fn columns(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

#[test]
fn list_shows_every_scenario_once_with_its_columns() {
    let out = interleave(&["list"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let mut lines = out.stdout.lines();
    assert_eq!(
        columns(lines.next().unwrap()),
        ["scenario", "category", "expected", "description"]
    );
    let rows: Vec<Vec<&str>> = lines.map(columns).collect();
    let scenarios = catalog();
    assert_eq!(rows.len(), scenarios.len());
    for (row, scenario) in rows.iter().zip(&scenarios) {
        assert_eq!(
            row[..],
            [
                scenario.name,
                scenario.category.name(),
                &scenario.expected.to_string(),
                scenario.description
            ],
        );
    }
}

#[test]
fn list_of_a_category_shows_the_ab_ba_pair() {
    let out = interleave(&["list", "--category", "lock-order"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Column widths follow the longest name of the category: compare columns, not spaces.
    let pair: Vec<String> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("scenario ") || l.starts_with("lock-order/ab-ba "))
        .chain(
            out.stdout
                .lines()
                .filter(|l| l.starts_with("lock-order/ab-ba-fixed ")),
        )
        .map(|l| columns(l).join(" | "))
        .collect();
    insta::assert_snapshot!(pair.join("\n"), @r"
    scenario | category | expected | description
    lock-order/ab-ba | lock-order | potential deadlock | two threads take two mutexes in opposite orders
    lock-order/ab-ba-fixed | lock-order | clean | both threads take the two mutexes in the same order
    ");
    let lock_order = catalog()
        .into_iter()
        .filter(|s| s.category == Category::LockOrder)
        .count();
    assert_eq!(out.stdout.lines().count(), 1 + lock_order);
}

#[test]
fn list_json_has_every_scenario() {
    let out = interleave(&["list", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    let expected: Vec<&str> = catalog().iter().map(|s| s.name).collect();
    assert_eq!(names, expected);
    let ab_ba = &rows[names.iter().position(|n| *n == "lock-order/ab-ba").unwrap()];
    assert_eq!(ab_ba["expected"], "potential deadlock");
    assert_eq!(ab_ba["twin"], "lock-order/ab-ba-fixed");
    assert_eq!(ab_ba["category"], "lock-order");
}
