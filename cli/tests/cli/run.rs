//! `interleave run`.

use interleave_scenarios::catalog;

use crate::list::columns;
use crate::{ab_ba, interleave, interleave_with, scratch};

#[test]
fn run_of_the_ab_ba_bug_and_its_twin() {
    let ab_ba = ab_ba();
    // Piped: no progress bar, nothing on stderr.
    assert_eq!(ab_ba.run.stderr, "");
    insta::assert_snapshot!(ab_ba.redact(&ab_ba.run.stdout));
}

/// Whether `text` is a wall-clock time as the table shows it (`0.13s`).
fn is_time(text: &str) -> bool {
    text.strip_suffix('s')
        .and_then(|t| t.split_once('.'))
        .is_some_and(|(s, cs)| {
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && cs.len() == 2
        })
}

#[test]
fn run_all_behaves_as_the_catalog_expects() {
    let dir = scratch().join("all");
    let out = interleave(&["run", "--all", "--artifact-dir", dir.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stderr, "");
    let mut lines = out.stdout.lines();
    assert_eq!(
        columns(lines.next().unwrap()),
        [
            "scenario",
            "expected",
            "found",
            "executions",
            "time",
            "result",
            "artifact"
        ]
    );
    let rows: Vec<Vec<&str>> = lines
        .by_ref()
        .take_while(|l| !l.is_empty())
        .map(columns)
        .collect();
    let scenarios = catalog();
    assert_eq!(rows.len(), scenarios.len());
    for (row, scenario) in rows.iter().zip(&scenarios) {
        let [name, expected, found, executions, time, result, artifact] = row[..] else {
            panic!("7 columns: {row:?}");
        };
        assert_eq!(name, scenario.name);
        assert_eq!(expected, scenario.expected.to_string());
        assert_eq!(found, expected, "{name}");
        assert!(
            executions.parse::<u64>().unwrap() >= 1,
            "{name}: {executions}"
        );
        assert!(is_time(time), "{name}: {time}");
        assert_eq!(result, "ok", "{name}");
        assert_eq!(artifact == "-", expected == "clean", "{name}: {artifact}");
    }
    let n = scenarios.len();
    let summary = lines.next().unwrap();
    let prefix = format!("{n} scenarios: {n} as expected, 0 unexpected (");
    assert!(summary.starts_with(&prefix), "{summary}");
    assert_eq!(lines.next(), None, "no reports without -v");
}

#[test]
fn run_json_and_overrides() {
    let dir = scratch().join("json");
    let out = interleave(&[
        "run",
        "--category",
        "lock-order",
        "--json",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let document: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rows = document["scenarios"].as_array().unwrap();
    let summary = &document["summary"];
    assert_eq!(summary["scenarios"], rows.len());
    assert_eq!(summary["unexpected"], 0);
    assert!(rows.iter().all(|r| r["as_expected"] == true));
    let bug = rows
        .iter()
        .find(|r| r["name"] == "lock-order/ab-ba")
        .unwrap();
    assert_eq!(bug["found"], "potential deadlock");
    assert_eq!(bug["failing_execution"], 1);
    assert_eq!(bug["strategy"], "pct:3");
    assert_eq!(bug["findings"][0]["kind"], "potential_deadlock");
    let artifact = bug["artifact"].as_str().unwrap();
    assert!(artifact.starts_with(dir.to_str().unwrap()), "{artifact}");
    assert_eq!(bug["replay"], format!("interleave replay {artifact}"));
    let twin = rows
        .iter()
        .find(|r| r["name"] == "lock-order/ab-ba-fixed")
        .unwrap();
    assert_eq!(
        (&twin["found"], &twin["artifact"]),
        (&"clean".into(), &serde_json::Value::Null)
    );

    // The flags override each scenario's strategy, budget and seed.
    let run = |args: &[&str]| {
        let mut all = vec!["run", "--json", "--artifact-dir", dir.to_str().unwrap()];
        all.extend(args);
        let out = interleave(&all);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        let document: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        document["scenarios"][0].clone()
    };
    let row = run(&[
        "lock-order/ab-ba-fixed",
        "--strategy",
        "random",
        "--iterations",
        "7",
        "--seed",
        "3",
    ]);
    assert_eq!(
        (&row["strategy"], &row["seed"], &row["executions"]),
        (&"random".into(), &3.into(), &7.into())
    );
    let row = run(&[
        "lock-order/ab-ba-fixed",
        "--strategy",
        "pct:2",
        "--executions",
        "5",
    ]);
    assert_eq!(
        (&row["strategy"], &row["executions"]),
        (&"pct:2".into(), &5.into())
    );
    // A budget below the scenario's 2 exhaustive schedules: it is what stops the run.
    let row = run(&[
        "lock-order/ab-ba-fixed",
        "--strategy",
        "exhaustive",
        "--iterations",
        "1",
    ]);
    assert_eq!(
        (&row["strategy"], &row["executions"]),
        (&"exhaustive".into(), &1.into())
    );
    let row = run(&["lock-order/ab-ba", "--seed", "11"]);
    assert_eq!(
        (&row["strategy"], &row["seed"]),
        (&"pct:3".into(), &11.into())
    );

    // `INTERLEAVE_*` variables apply as in any check, but a flag beats them.
    let seed = |args: &[&str]| {
        let mut all = vec!["run", "--json", "--artifact-dir", dir.to_str().unwrap()];
        all.extend(args);
        let out = interleave_with(&all, &[("INTERLEAVE_SEED", "5")]);
        let document: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        document["scenarios"][0]["seed"].as_u64().unwrap()
    };
    assert_eq!(seed(&["lock-order/ab-ba"]), 5);
    assert_eq!(seed(&["lock-order/ab-ba", "--seed", "11"]), 11);
}

#[test]
fn bad_run_arguments_and_environment_exit_two() {
    let mut lines = Vec::new();
    for (args, env) in [
        (&["run"][..], &[][..]),
        (&["run", "no/such-scenario"], &[]),
        (&["run", "lock-order/ab_ba"], &[]),
        (&["run", "ab-ba"], &[]),
        (&["run", "--category", "nope"], &[]),
        (&["list", "--category", "nope"], &[]),
        (&["run", "lock-order/ab-ba"], &[("INTERLEAVE_SEED", "abc")]),
        (
            &["run", "lock-order/ab-ba"],
            &[("INTERLEAVE_REPLAY", "x.json")],
        ),
    ] {
        let out = interleave_with(args, env);
        assert_eq!((out.code, out.stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
        lines.push(format!(
            "{}{}: {}",
            env.concat(),
            args.join(" "),
            out.stderr
        ));
    }
    // clap's own usage errors: exit 2, starting with `error:`.
    for args in [
        &["run", "--strategy", "bogus", "lock-order/ab-ba"][..],
        &["run", "--iterations", "0", "lock-order/ab-ba"],
        &["run", "--all", "lock-order/ab-ba"],
        &["explain", "--format", "pdf", "x.json"],
        &["graph", "--format", "png", "x.json"],
        &["frobnicate"],
    ] {
        let out = interleave(args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
    }
    insta::assert_snapshot!(lines.concat());
}

#[test]
fn colour_only_when_asked_for_or_on_a_terminal() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["run", "lock-order/ab-ba"];
        all.extend_from_slice(args);
        interleave_with(&all, env).stdout
    };
    // Piped (as here): no escape codes unless `--color always`.
    assert!(!run(&[], &[]).contains('\u{1b}'));
    assert!(!run(&["--color", "never"], &[]).contains('\u{1b}'));
    let coloured = run(&["--color", "always"], &[]);
    assert!(
        coloured.contains("  \u{1b}[32mok\u{1b}[0m  "),
        "{coloured:?}"
    );
    // NO_COLOR turns `auto` off, not an explicit `always`.
    assert!(!run(&["--color", "auto"], &[("NO_COLOR", "1")]).contains('\u{1b}'));
    assert!(run(&["--color", "always"], &[("NO_COLOR", "1")]).contains('\u{1b}'));
}

#[test]
fn clean_removes_what_interleave_wrote_and_nothing_else() {
    let dir = scratch().join("to-clean");
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let run = interleave(&[
        "run",
        "lock-order/ab-ba",
        "lock-order/ab-ba-fixed",
        "--artifact-dir",
        d,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(dir.join("notes.json"), "{\"mine\": true}").unwrap();
    std::fs::write(dir.join(".lock-order_ab-ba.1.2.tmp"), "half").unwrap();
    let dry = interleave(&["clean", "--artifact-dir", d, "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    // One artifact (the bug's), a ledger record per check, the temporary file.
    let summary = format!("1 artifact, 2 ledger records and 1 temporary file from {d}\n");
    assert_eq!(dry.stdout, format!("would remove {summary}"));
    let clean = interleave(&["clean", "--artifact-dir", d]);
    assert_eq!(clean.stdout, format!("removed {summary}"));
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["notes.json"]);
}

#[test]
fn artifacts_indexes_the_directory_and_names_what_it_cannot_read() {
    let dir = scratch().join("to-index");
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let empty = interleave(&["artifacts", "--artifact-dir", d]);
    assert_eq!(
        (empty.code, empty.stdout.as_str()),
        (0, format!("no artifacts in {d}\n").as_str())
    );
    let run = interleave(&[
        "run",
        "lock-order/ab-ba",
        "condvar/if-not-while",
        "--artifact-dir",
        d,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A forged file with an artifact's fields is listed as unreadable; the user's other JSON is
    // not an artifact and is not listed.
    std::fs::write(
        dir.join("forged.json"),
        r#"{"format_version": 1, "check": "x", "schedule": "zz"}"#,
    )
    .unwrap();
    std::fs::write(dir.join("notes.json"), "{\"mine\": true}").unwrap();
    let index = interleave(&["artifacts", "--artifact-dir", d]);
    assert_eq!((index.code, index.stderr.as_str()), (0, ""));
    insta::assert_snapshot!(index.stdout.replace(d, "[dir]"));
    // Each replay line works as printed.
    let replay_line = index
        .stdout
        .lines()
        .find(|l| l.contains("interleave replay") && l.contains("lock-order_ab-ba"))
        .unwrap();
    let artifact = replay_line
        .trim()
        .trim_start_matches("replay     interleave replay ");
    let replay = interleave(&["replay", artifact]);
    assert_eq!(replay.code, 1, "{}", replay.stderr);
    let json = interleave(&["artifacts", "--artifact-dir", d, "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let checks: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["check"]
                .as_str()
                .or(r["unreadable"].as_str().map(|_| "?"))
                .unwrap()
        })
        .collect();
    assert_eq!(checks, ["condvar/if-not-while", "?", "lock-order/ab-ba"]);
}
