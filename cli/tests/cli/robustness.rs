//! Hostile input: forged, inconsistent, huge or special files. Nothing an artifact says is run,
//! every subcommand refuses what does not fit together (one line, exit 2) in bounded time and
//! memory, and nothing read from a file reaches the terminal raw.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use interleave::{Artifact, PriorExecution, Rerun, TestRerun};
use interleave_detector::{
    Attempt, Detail, Event, EventKind, LockMode, ObjectClass, ObjectId, Site, ThreadId,
};

use crate::artifacts::edited;
use crate::{ab_ba, bounded, html_check, interleave, interleave_with, scratch, scratch_file};

/// Generous: each of these runs takes well under a second when it behaves.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `args` bounded, and checks it failed as an input error should: exit 2, nothing on
/// standard output, one `error: ` line on standard error. Gives that line.
fn refused(what: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = bounded(what, args, env, TIMEOUT);
    assert_eq!(
        out.code, 2,
        "{what}: {args:?}: {}{}",
        out.stdout, out.stderr
    );
    assert_eq!(out.stdout, "", "{what}: {args:?}");
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "{what}: {args:?}: {}",
        out.stderr
    );
    assert!(out.stderr.starts_with("error: "), "{what}: {}", out.stderr);
    out.stderr
}

/// `replay`, `explain` and `graph` all refuse `path`: their lines, prefixed with `case`.
fn refused_by_all(case: &str, path: &str) -> String {
    ["replay", "explain", "graph"]
        .iter()
        .map(|command| {
            format!(
                "{case}: {command}: {}",
                refused(case, &[command, path], &[])
            )
        })
        .collect()
}

/// A change to an artifact.
type Edit<'a> = dyn Fn(&mut Artifact) + 'a;

/// A trace file holding `events` as its one execution.
fn trace_file(name: &str, events: &[Event]) -> PathBuf {
    let trace = interleave_detector::Trace {
        format_version: interleave_detector::TRACE_FORMAT_VERSION,
        executions: vec![interleave_detector::ExecutionTrace {
            execution: 1,
            events: events.to_vec(),
        }],
    };
    scratch_file(name, &trace.to_json())
}

fn event(step: u64, thread: u32, kind: EventKind) -> Event {
    Event {
        step,
        thread: ThreadId(thread),
        site: Site::new("a.rs", 1, 1),
        kind,
    }
}

/// An earlier execution with this schedule (and whatever else the format gives it by default).
fn prior(execution: u64, schedule: &str) -> PriorExecution {
    serde_json::from_value(serde_json::json!({"execution": execution, "schedule": schedule}))
        .unwrap()
}

/// A stand-in for cargo that records that it ran.
fn fake_cargo(ran: &Path) -> PathBuf {
    crate::fake_cargo(
        "recording-cargo",
        &format!("echo \"$*\" >> '{}'\n", ran.display()),
    )
}

#[test]
fn a_forged_test_artifact_runs_nothing() {
    let marker = scratch().join("pwned");
    let ran = scratch().join("cargo-ran");
    let cargo = fake_cargo(&ran);
    let runner = format!("touch {}", marker.display());
    let test = |package: Option<&str>, test: String| TestRerun {
        package: package.map(str::to_owned),
        test,
        ..TestRerun::default()
    };
    let valid = || test(Some("bank"), "bank::tests::transfer".to_owned());
    let target = |kind, name: &str| {
        Some(interleave::Target {
            kind,
            name: name.to_owned(),
        })
    };
    let cases = [
        (
            "a cargo flag as the test",
            test(
                Some("bank"),
                format!("--config=target.x86_64-unknown-linux-gnu.runner='{runner}'"),
            ),
        ),
        (
            "a cargo flag as the package",
            test(
                Some("--config=build.rustc-wrapper='touch'"),
                "bank::tests::transfer".to_owned(),
            ),
        ),
        (
            "a flag as the test",
            test(None, "--include-ignored".to_owned()),
        ),
        (
            "a shell command in the test",
            test(Some("bank"), format!("bank::tests::transfer; {runner}")),
        ),
        ("two words", test(None, "transfer --exact".to_owned())),
        ("a newline", test(None, "transfer\n--ignored".to_owned())),
        ("no test", test(None, String::new())),
        (
            "a flag as the target",
            TestRerun {
                target: target(interleave::TargetKind::Test, "--config=x"),
                ..valid()
            },
        ),
        (
            "a shell command as the target",
            TestRerun {
                target: target(interleave::TargetKind::Bin, &format!("x;{runner}")),
                ..valid()
            },
        ),
        (
            "a flag as a feature",
            TestRerun {
                features: vec!["audit".to_owned(), "--config=x".to_owned()],
                ..valid()
            },
        ),
        (
            "two features in one",
            TestRerun {
                features: vec!["a,b".to_owned()],
                ..valid()
            },
        ),
        (
            "a flag as the profile",
            TestRerun {
                profile: Some("--config=x".to_owned()),
                ..valid()
            },
        ),
        (
            "an absolute working directory",
            TestRerun {
                workdir: Some("/etc".to_owned()),
                ..valid()
            },
        ),
        (
            "a working directory out of the workspace",
            TestRerun {
                workdir: Some("crates/../../..".to_owned()),
                ..valid()
            },
        ),
        (
            "a flag as the working directory",
            TestRerun {
                workdir: Some("-C".to_owned()),
                ..valid()
            },
        ),
    ];
    let mut lines = String::new();
    for (i, (case, rerun)) in cases.iter().enumerate() {
        let path = edited(&format!("forged-{i}.json"), |a| {
            a.rerun = Rerun::Test(rerun.clone());
        });
        let line = refused(
            case,
            &["replay", &path],
            &[("CARGO", cargo.to_str().unwrap())],
        );
        lines.push_str(&format!("{case}: {line}"));
        for command in ["explain", "graph"] {
            refused(case, &[command, &path], &[]);
        }
        // The library refuses it too.
        let error = interleave::replay(&path, || {}).unwrap_err();
        assert!(
            matches!(error, interleave::Error::ArtifactFormat { .. }),
            "{case}: {error}"
        );
    }
    assert!(
        !ran.exists(),
        "cargo ran: {:?}",
        std::fs::read_to_string(&ran)
    );
    assert!(!marker.exists());
    insta::assert_snapshot!(ab_ba().redact(&lines));

    // A real test path does reach cargo, after `--`: the stand-in works.
    let path = edited("not-forged.json", |a| {
        a.rerun = Rerun::Test(TestRerun {
            package: Some("bank".to_owned()),
            test: "bank::tests::transfer".to_owned(),
            ..TestRerun::default()
        });
    });
    let out = interleave_with(&["replay", &path], &[("CARGO", cargo.to_str().unwrap())]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&ran).unwrap(),
        "test -p bank -- bank::tests::transfer --exact --include-ignored\n"
    );
}

#[test]
fn schedules_are_bounded_before_anything_is_allocated() {
    // Each would be a gigabyte of decisions.
    let runs = ["0x16777216"; 4].join(".");
    let one = edited("huge-schedule.json", |a| a.schedule = runs.clone());
    let priors = edited("huge-priors.json", |a| {
        a.prior = (0..20).map(|n| prior(n, "0x9000000")).collect();
    });
    let lines = refused_by_all("one schedule", &one) + &refused_by_all("prior schedules", &priors);
    insta::assert_snapshot!(ab_ba().redact(&lines));
}

#[test]
fn ids_far_beyond_the_trace_and_unbounded_traces_are_refused() {
    let artifact = Artifact::read(&ab_ba().artifact).unwrap();
    let far = 4_000_000_000;
    let object = |a: &mut Artifact| {
        for event in &mut a.trace {
            match &mut event.kind {
                EventKind::Create { object, .. } if object.0 == 1 => *object = ObjectId(far),
                EventKind::LockRequest { lock, .. }
                | EventKind::LockAcquired { lock, .. }
                | EventKind::LockReleased { lock }
                    if lock.0 == 1 =>
                {
                    *lock = ObjectId(far);
                }
                _ => {}
            }
        }
    };
    let threads = |a: &mut Artifact| {
        a.trace = many(0, interleave_detector::MAX_TRACE_THREADS as u32);
        a.findings.clear();
    };
    let nested = |a: &mut Artifact| {
        let n = interleave_detector::MAX_TRACE_HELD_LOCKS as u32 + 1;
        let mut events = many(n, 0);
        events.pop();
        for lock in (0..n).map(ObjectId) {
            let step = events.len() as u64 + 1;
            let (mode, attempt) = (LockMode::Exclusive, Attempt::Blocking);
            events.push(event(
                step,
                0,
                EventKind::LockRequest {
                    lock,
                    mode,
                    attempt,
                },
            ));
            events.push(event(step + 1, 0, EventKind::LockAcquired { lock, mode }));
        }
        a.trace = events;
        a.findings.clear();
    };
    let cases: [(&str, &Edit<'_>); 5] = [
        ("more threads than a trace may have", &threads),
        ("more locks held than a trace may have", &nested),
        ("an object id", &object),
        ("a thread id", &|a| a.trace[3].thread = ThreadId(far)),
        ("a spawned thread id", &|a| {
            let spawn = a
                .trace
                .iter_mut()
                .find(|e| matches!(e.kind, EventKind::Spawn { .. }))
                .unwrap();
            spawn.kind = EventKind::Spawn {
                child: ThreadId(far),
                name: None,
            };
        }),
    ];
    let mut lines = String::new();
    for (i, (case, edit)) in cases.iter().enumerate() {
        let path = edited(&format!("far-{i}.json"), |a| edit(a));
        lines += &refused_by_all(case, &path);
        let mut events = artifact.clone();
        edit(&mut events);
        let trace = trace_file(&format!("far-{i}-trace.json"), &events.trace);
        let line = refused(case, &["analyze", trace.to_str().unwrap()], &[]);
        lines += &format!("{case}: analyze: {line}");
    }
    insta::assert_snapshot!(ab_ba().redact(&lines));
}

/// The events of `main` creating `n` mutexes, one in 1,000 named `B` (an alias the unnamed
/// ones must then skip), then spawning `threads` threads that exit at once.
fn many(n: u32, threads: u32) -> Vec<Event> {
    let mut events = Vec::new();
    let mut push = |thread: u32, kind: EventKind| {
        let step = events.len() as u64 + 1;
        events.push(event(step, thread, kind));
    };
    for i in 0..n {
        let name = (i % 1000 == 0).then(|| "B".to_owned());
        let class = ObjectClass::Mutex;
        push(
            0,
            EventKind::Create {
                object: ObjectId(i),
                class,
                name,
            },
        );
    }
    for child in 1..=threads {
        push(
            0,
            EventKind::Spawn {
                child: ThreadId(child),
                name: None,
            },
        );
        push(child, EventKind::Exit);
    }
    push(0, EventKind::Exit);
    events
}

#[test]
fn explain_of_100_000_objects_takes_time_in_proportion() {
    let path = edited("100k-objects.json", |a| {
        a.trace = many(100_000, 1);
    });
    let out = bounded("100,000 objects", &["explain", &path], &[], TIMEOUT);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let objects: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| *l != "── objects ──")
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect();
    // Each thousand is the named `B`, the first unnamed mutex, and the 998 others folded.
    assert_eq!(objects.len(), 300);
    assert_eq!(
        objects[..4],
        [
            "  B     mutex, created by main at a.rs:1:1",
            "  A     mutex#1@a.rs:1, created by main at a.rs:1:1",
            "  ⋮     × 998 more like it: C … ALL (mutex#2@a.rs:1 … mutex#999@a.rs:1)",
            "  B     mutex, created by main at a.rs:1:1",
        ]
    );
    assert_eq!(
        objects[299],
        "  ⋮     × 998 more like it: EPGZ … EQTI (mutex#98903@a.rs:1 … mutex#99900@a.rs:1)"
    );
    // The creations fold too (steps 9 and 16 carry the AB-BA artifact's marks, so the block
    // that repeats is the first 16 steps).
    let timeline: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("── timeline"))
        .collect();
    assert_eq!(timeline.len(), 27, "{timeline:#?}");
    assert_eq!(
        timeline[19..23],
        [
            "     ⋮  × 6,249 more: the 16 steps above, again and again (steps 17–100,000)",
            "100001  spawn t1              a.rs:1",
            "100002                  exit  a.rs:1",
            "100003  exit                  a.rs:1",
        ]
    );
    // Every object has its alias in the JSON document: the program named the first `B`, and
    // the others are `A`, `C`, `D`, … in creation order.
    let out = bounded(
        "100,000 objects",
        &["explain", "--format", "json", &path],
        &[],
        TIMEOUT,
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let document: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let objects = document["timeline"]["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 100_000);
    let alias = |i: usize| objects[i]["alias"].as_str().unwrap();
    assert_eq!(alias(0), "B");
    assert_eq!(alias(1), "A");
    assert_eq!(alias(2), "C");
    assert_eq!(alias(1000), "B");
    assert_eq!(alias(1001), "ALM");
    // 99,900 unnamed objects, with the letters of 0 to 99,900 but `B`'s.
    assert_eq!(alias(99_999), "EQTI");
    assert_eq!(objects[1]["label"], "mutex#1@a.rs:1");
    for format in ["json", "html"] {
        let out = bounded(
            format,
            &["explain", "--format", format, &path],
            &[],
            TIMEOUT,
        );
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{format}");
    }
    let out = bounded("svg", &["graph", "--format", "svg", &path], &[], TIMEOUT);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
}

#[test]
fn objects_created_one_after_another_at_one_site_are_folded() {
    let path = edited("10-objects.json", |a| {
        a.trace = many(10, 0);
        a.findings.clear();
    });
    let out = interleave(&["explain", &path]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let shown: String = out
        .stdout
        .lines()
        .skip_while(|l| *l != "── objects ──")
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(shown, @r"
    ── objects ──

      B  mutex, created by main at a.rs:1:1
      A  mutex#1@a.rs:1, created by main at a.rs:1:1
      ⋮  × 8 more like it: C … J (mutex#2@a.rs:1 … mutex#9@a.rs:1)

    ── timeline: execution 1 ──

    step  main         site
       1  new mutex B  a.rs:1
       ⋮  × 9 more: new mutex A … new mutex J (steps 2–10)
      11  exit         a.rs:1

    where each thread ended up:
      main  finished (step 11)
    ");
    // The page lists them as the text does.
    let html = interleave(&["explain", "--format", "html", &path]);
    assert_eq!((html.code, html.stderr.as_str()), (0, ""));
    crate::html_check::check(&html.stdout).unwrap();
    let rows: Vec<&str> = html
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("<section id=\"objects\">"))
        .filter(|l| l.starts_with("<tr>") || l.starts_with("<tr class=\"fold\">"))
        .take_while(|l| !l.contains("class=\"step\""))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert_eq!(
        rows[2],
        "<tr class=\"fold\"><td></td><td>⋮</td><td colspan=\"3\">× 8 more like it: C … J \
         (mutex#2@a.rs:1 … mutex#9@a.rs:1)</td></tr>"
    );
}

#[test]
fn past_16_threads_the_timeline_names_each_step_s_thread() {
    let path = edited("17-threads.json", |a| {
        a.trace = many(1, 17);
        a.findings.clear();
    });
    let out = interleave(&["explain", &path]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let timeline: String = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("── timeline"))
        .take(8)
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(timeline, @r"
    ── timeline: execution 1 ──

    step  thread  event        site
       1  main    new mutex B  a.rs:1
       2  main    spawn t1     a.rs:1
       3  t1      exit         a.rs:1
       4  main    spawn t2     a.rs:1
       5  t2      exit         a.rs:1
    ");
    // As many threads as a trace may have: one row per step, not one column per thread.
    let path = edited("4k-threads.json", |a| {
        a.trace = many(1, interleave_detector::MAX_TRACE_THREADS as u32 - 1);
        a.findings.clear();
    });
    for format in ["text", "html"] {
        let out = bounded(
            format,
            &["explain", "--format", format, &path],
            &[],
            TIMEOUT,
        );
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{format}");
        // Its spawn, its one step, and where it ended up.
        assert_eq!(out.stdout.matches("t4095").count(), 3, "{format}");
    }
}

#[test]
fn only_regular_files_of_bounded_size_are_read() {
    let fifo = scratch().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Sparse: no disk space.
    let huge = scratch().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(interleave::MAX_ARTIFACT_BYTES + 1)
        .unwrap();
    let cases = [
        ("a FIFO", fifo.to_str().unwrap()),
        ("a device", "/dev/zero"),
        ("a directory", scratch().to_str().unwrap()),
        ("one byte over the cap", huge.to_str().unwrap()),
    ];
    let mut lines = String::new();
    for (case, path) in cases {
        lines += &refused_by_all(case, path);
        let line = refused(case, &["analyze", path], &[]);
        lines += &format!("{case}: analyze: {line}");
    }
    insta::assert_snapshot!(ab_ba().redact(&lines));
}

#[test]
fn inconsistent_artifacts_are_refused_by_every_subcommand() {
    let cycle_edge_step = |a: &mut Artifact, step: u64| {
        let Detail::LockCycle { edges } = &mut a.findings[0].detail else {
            panic!("a cycle");
        };
        edges[1].step = step;
    };
    let cases: [(&str, &Edit<'_>); 8] = [
        ("a check name with control characters", &|a| {
            a.check = "check\u{1b}[2J".to_owned();
        }),
        ("kind and detail disagree", &|a| {
            a.findings[0].kind = interleave::Kind::DataRace;
        }),
        ("steps out of order", &|a| a.trace.swap(4, 5)),
        ("a finding past the trace", &|a| {
            a.findings[0].steps.last = 1_000;
        }),
        ("a cycle edge past the trace", &|a| {
            cycle_edge_step(a, 1_000)
        }),
        ("a broken cycle", &|a| {
            let Detail::LockCycle { edges } = &mut a.findings[0].detail else {
                panic!("a cycle");
            };
            edges[0].requested = edges[0].held;
        }),
        ("a prior schedule that does not parse", &|a| {
            a.prior = vec![prior(1, "0x2.-1")];
        }),
        ("a lock released twice", &|a| {
            let release = a
                .trace
                .iter()
                .position(|e| matches!(e.kind, EventKind::LockReleased { .. }))
                .unwrap();
            a.trace[release + 1].kind = a.trace[release].kind.clone();
        }),
    ];
    let mut lines = String::new();
    for (i, (case, edit)) in cases.iter().enumerate() {
        lines += &refused_by_all(
            case,
            &edited(&format!("inconsistent-{i}.json"), |a| edit(a)),
        );
    }
    // A trace file's steps must increase too.
    let mut events = Artifact::read(&ab_ba().artifact).unwrap().trace;
    events.swap(4, 5);
    let trace = trace_file("steps-out-of-order-trace.json", &events);
    let line = refused("trace steps", &["analyze", trace.to_str().unwrap()], &[]);
    lines += &format!("trace steps out of order: analyze: {line}");
    insta::assert_snapshot!(ab_ba().redact(&lines));
}

/// Text that clears the screen, returns the cursor, sets the terminal's title, starts a line
/// and reverses what follows.
const HOSTILE: &str = "x\u{1b}[2J\r\u{1b}]0;owned\u{7}\u{9b}1m\nfake line\u{202e}y";

/// How [`HOSTILE`] prints: escaped, on one line.
const ESCAPED: &str = "x\\u{1b}[2J\\r\\u{1b}]0;owned\\u{7}\\u{9b}1m\\nfake line\\u{202e}y";

/// Whether `text` holds a control character other than a newline, or a bidirectional control.
fn has_raw_controls(text: &str) -> bool {
    text.chars()
        .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c))
}

#[test]
fn control_characters_from_an_artifact_print_escaped() {
    let findings = |a: &mut Artifact| {
        a.findings[0].fingerprint = HOSTILE.to_owned();
        a.findings[0].headline = format!("potential deadlock: {HOSTILE}");
        for thread in &mut a.findings[0].threads {
            thread.name = format!("{}{HOSTILE}", thread.name);
        }
    };
    // A replay runs the program again: only what the artifact recorded of it is hostile, so
    // that it takes the recorded path.
    let recorded = edited("hostile-findings.json", findings);
    let path = edited("hostile.json", |a| {
        findings(a);
        for event in &mut a.trace {
            match &mut event.kind {
                EventKind::Spawn {
                    name: Some(name), ..
                } => name.push_str(HOSTILE),
                EventKind::Create { name, .. } => *name = Some(format!("lock{HOSTILE}")),
                _ => {}
            }
            event.site.file = format!("src/{HOSTILE}.rs").into();
        }
    });
    let outputs = [
        ("explain", interleave(&["explain", &path])),
        (
            "explain json",
            interleave(&["explain", "--format", "json", &path]),
        ),
        (
            "explain html",
            interleave(&["explain", "--format", "html", &path]),
        ),
        ("graph", interleave(&["graph", &path])),
        (
            "graph svg",
            interleave(&["graph", "--format", "svg", &path]),
        ),
        ("replay", interleave(&["replay", &recorded])),
    ];
    for (what, out) in &outputs {
        assert!(out.code < 2, "{what}: {}", out.stderr);
        assert!(!has_raw_controls(&out.stdout), "{what}: {:?}", out.stdout);
        assert!(!has_raw_controls(&out.stderr), "{what}: {:?}", out.stderr);
        // DOT strings double the escapes' backslashes; JSON has its own escapes.
        let escaped = match *what {
            "graph" => ESCAPED.replace('\\', "\\\\"),
            "explain json" => ESCAPED.replace("\\u{1b}", "\\u001b"),
            _ => ESCAPED.to_owned(),
        };
        if *what != "explain json" {
            assert!(out.stdout.contains(&escaped), "{what}: {}", out.stdout);
        }
    }
    let text = &outputs[0].1.stdout;
    assert!(text.contains(&format!("transfer{ESCAPED}")), "{text}");
    // JSON keeps the values, as escapes JSON reads back.
    let json: serde_json::Value = serde_json::from_str(&outputs[1].1.stdout).unwrap();
    assert_eq!(json["findings"][0]["fingerprint"], HOSTILE);
    for (what, page) in [
        ("html", &outputs[2].1.stdout),
        ("svg", &outputs[4].1.stdout),
    ] {
        html_check::check(page).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    // The replay's verdict shows the recorded fingerprint.
    assert!(outputs[5]
        .1
        .stdout
        .contains(&format!("recorded potential deadlock ({ESCAPED})")));

    // A trace's names, through `analyze`.
    let mut trace = Artifact::read(Path::new(&path)).unwrap().trace;
    trace.truncate(3);
    let trace = trace_file("hostile-trace.json", &trace);
    for args in [&["analyze"][..], &["analyze", "--json"]] {
        let out = interleave(&[args, &[trace.to_str().unwrap()]].concat());
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!has_raw_controls(&out.stdout), "{:?}", out.stdout);
    }
    // An error naming the file.
    let out = interleave(&["replay", &format!("{HOSTILE}.json")]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(!has_raw_controls(&out.stderr), "{:?}", out.stderr);
}

#[test]
fn usage_errors_are_one_line_and_help_is_not() {
    let mut lines = String::new();
    for args in [
        &[][..],
        &["frobnicate"],
        &["replay"],
        &["run", "--bogus"],
        &["run", "--all", "lock-order/ab-ba"],
        &["run", "--seed", "soon", "lock-order/ab-ba"],
        &["explain", "--format", "pdf", "x.json"],
        &["list", "extra"],
        &["ci", "--shard", "0/2"],
        &["ci", "--runner", "mocha"],
        &["ci", "merge"],
        &["ci", "baseline", "--bogus"],
    ] {
        let out = interleave(args);
        assert_eq!((out.code, out.stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        lines += &format!("{}: {}", args.join(" "), out.stderr);
    }
    insta::assert_snapshot!(lines);
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["help", "replay"],
        &["ci", "--help"],
        &["ci", "merge", "--help"],
        &["--version"],
    ] {
        let out = interleave(args);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{args:?}");
        assert!(!out.stdout.starts_with("error"), "{args:?}");
    }
    let help = interleave(&["run", "--help"]).stdout;
    assert!(
        help.contains("Usage: interleave run [OPTIONS] [NAME]..."),
        "{help}"
    );
    assert!(help.lines().count() > 10, "{help}");
}

#[test]
fn run_refuses_an_artifact_directory_it_cannot_write() {
    // Under a regular file: no one can create it, root included.
    let file = scratch_file("a-file", "");
    let dir = file.join("artifacts");
    let dir = dir.to_str().unwrap();
    let by_flag = interleave(&["run", "lock-order/ab-ba", "--artifact-dir", dir]);
    let by_variable = interleave_with(
        &["run", "lock-order/ab-ba"],
        &[("INTERLEAVE_ARTIFACT_DIR", dir)],
    );
    for out in [by_flag, by_variable] {
        assert_eq!((out.code, out.stdout.as_str()), (2, ""), "{}", out.stderr);
        assert_eq!(
            crate::redact::redact(&out.stderr, &[]),
            "error: write artifacts to [dir]/a-file/artifacts: Not a directory (os error 20)\n"
        );
    }
}

#[test]
fn run_takes_seed_random_as_interleave_seed_does() {
    let seed = |args: &[&str]| {
        let dir = scratch().join("seeds");
        let dir = dir.to_str().unwrap();
        let out = interleave(
            &[
                &["run", "lock-order/ab-ba", "--json", "--artifact-dir", dir],
                args,
            ]
            .concat(),
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        json["scenarios"][0]["seed"].as_u64().unwrap()
    };
    assert_eq!(seed(&["--seed", "7"]), 7);
    // Fresh each time: two equal 64-bit seeds in a row would be a bug, not bad luck.
    assert_ne!(seed(&["--seed", "random"]), seed(&["--seed", "random"]));
}

#[test]
fn names_of_100_000_characters_run_past_their_column() {
    let long = "n".repeat(100_000);
    let path = edited("long-names.json", |a| {
        for event in &mut a.trace {
            match &mut event.kind {
                EventKind::Spawn {
                    name: Some(name), ..
                } => *name = long.clone(),
                EventKind::Create { name, .. } => *name = Some(long.clone()),
                _ => {}
            }
        }
        for object in &mut a.findings[0].objects {
            object.name = Some(long.clone());
        }
    });
    for command in ["explain", "graph"] {
        let out = bounded("long names", &[command, &path], &[], TIMEOUT);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{command}");
        assert!(out.stdout.contains(&long), "{command}");
    }
    // The findings' report, on its own.
    let artifact = Artifact::read(Path::new(&path)).unwrap();
    let report = artifact.findings[0].to_string();
    // The cycle `A → B → A`, both locks of both edges, and the objects table.
    assert_eq!(report.matches(&long).count(), 3 + 4 + 2);
}
