//! `interleave explain`: what an artifact says, for a person — its findings, the lock-order
//! cycle with both sites per edge, and a per-thread timeline of the failing execution — as
//! text, as a JSON document, or as one self-contained HTML page.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use interleave::{Artifact, Rerun};
use interleave_detector::{labels, Detail, LockMode};
use serde::Serialize;

use crate::app::Result;
use crate::exit::{CliError, OK};
use crate::lock_graph::LockGraph;
use crate::timeline::fold::Fold;
use crate::timeline::Timeline;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The artifact: the JSON file a failing check or `interleave run` wrote.
    artifact: PathBuf,
    /// `text` for a terminal, `json` for tools, `html` for one self-contained page to look at.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    Html,
}

/// One edge of a lock-order cycle, with the objects as the timeline names them.
#[derive(Debug, Serialize)]
pub(crate) struct CycleEdge {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) from_alias: String,
    pub(crate) to_alias: String,
    pub(crate) thread: String,
    pub(crate) held_mode: LockMode,
    pub(crate) held_at: String,
    pub(crate) requested_mode: LockMode,
    pub(crate) requested_at: String,
    pub(crate) execution: u64,
    pub(crate) step: u64,
    /// The edge was taken in the failing execution, so the timeline shows it.
    pub(crate) in_trace: bool,
}

/// A lock-order cycle of the findings.
#[derive(Debug, Serialize)]
pub(crate) struct Cycle {
    /// Index into the artifact's findings.
    pub(crate) finding: usize,
    pub(crate) edges: Vec<CycleEdge>,
}

impl Cycle {
    /// `A → B → A`.
    pub(crate) fn path(&self) -> String {
        let mut locks: Vec<&str> = self.edges.iter().map(|e| e.from_alias.as_str()).collect();
        if let Some(first) = self.edges.first() {
            locks.push(&first.from_alias);
        }
        locks.join(" → ")
    }
}

/// `text` on one line, control characters escaped (`\u{1b}`): names, sites and fields read from
/// the artifact.
fn line(text: &str) -> String {
    interleave_detector::printable_line(text).into_owned()
}

/// Everything `explain` shows, whatever the format.
#[derive(Debug)]
pub(crate) struct Explanation<'a> {
    pub(crate) path: &'a Path,
    pub(crate) artifact: Artifact,
    pub(crate) timeline: Timeline,
    pub(crate) cycles: Vec<Cycle>,
    pub(crate) graph: LockGraph,
}

impl<'a> Explanation<'a> {
    pub(crate) fn new(path: &'a Path) -> Result<Explanation<'a>> {
        let artifact = crate::load::artifact(path)?;
        let graph = LockGraph::new(&artifact).map_err(|e| CliError::artifact_trace(path, e))?;
        let timeline = Timeline::new(&artifact.trace, artifact.execution, &artifact.findings);
        let cycles = artifact
            .findings
            .iter()
            .enumerate()
            .filter_map(|(i, finding)| {
                let Detail::LockCycle { edges, .. } = &finding.detail else {
                    return None;
                };
                let labels = labels(&finding.objects);
                let edges = edges
                    .iter()
                    .map(|e| {
                        let (from, to) = (&finding.objects[e.held], &finding.objects[e.requested]);
                        CycleEdge {
                            from_alias: timeline.alias_of(from),
                            to_alias: timeline.alias_of(to),
                            from: labels[e.held].clone(),
                            to: labels[e.requested].clone(),
                            thread: line(&finding.threads[e.thread].name),
                            held_mode: e.held_mode,
                            held_at: line(&e.held_at.to_string()),
                            requested_mode: e.requested_mode,
                            requested_at: line(&e.requested_at.to_string()),
                            execution: e.execution,
                            step: e.step,
                            in_trace: e.execution == artifact.execution && e.execution != 0,
                        }
                    })
                    .collect();
                Some(Cycle { finding: i, edges })
            })
            .collect();
        Ok(Explanation {
            path,
            artifact,
            timeline,
            cycles,
            graph,
        })
    }

    /// How to replay the artifact.
    pub(crate) fn replay_command(&self) -> String {
        if self.on_real_threads() {
            return "none: recorded on real threads, which have no schedule (run the tests again)"
                .to_owned();
        }
        format!(
            "interleave replay {}",
            line(&self.path.display().to_string())
        )
    }

    /// Recorded by online lock-order detection on real threads (execution 0): no schedule, no
    /// trace, no timeline.
    pub(crate) fn on_real_threads(&self) -> bool {
        self.artifact.execution == 0
    }

    /// What kind of check wrote it: `catalog scenario`, `test in package p`.
    pub(crate) fn origin(&self) -> String {
        match &self.artifact.rerun {
            Rerun::Scenario { .. } => "catalog scenario".to_owned(),
            Rerun::Test(test) => match &test.package {
                Some(package) => format!("test of package {}", line(package)),
                None => "test".to_owned(),
            },
        }
    }
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    crate::output::print(&render(&args.artifact, args.format)?)?;
    Ok(OK)
}

/// What `explain` prints for the artifact at `path`.
pub(crate) fn render(path: &Path, format: Format) -> Result<String> {
    let explanation = Explanation::new(path)?;
    Ok(match format {
        Format::Text => text(&explanation),
        Format::Json => json(&explanation),
        Format::Html => crate::html::page(&explanation),
    })
}

fn text(e: &Explanation<'_>) -> String {
    let a = &e.artifact;
    let mut out = String::new();
    let _ = writeln!(out, "artifact  {}", line(&e.path.display().to_string()));
    let _ = writeln!(out, "check     {} ({})", line(&a.check), e.origin());
    let _ = writeln!(out, "replay    {}", e.replay_command());
    let model = match a.memory_model {
        interleave::MemoryModel::Weak => ", weak memory model",
        _ => "",
    };
    let _ = writeln!(
        out,
        "strategy  {}, seed {}{model}",
        line(&a.strategy),
        a.seed
    );
    if e.on_real_threads() {
        let _ = writeln!(
            out,
            "failing   on real threads (online lock-order detection): no schedule"
        );
    } else {
        let _ = writeln!(
            out,
            "failing   execution {}, {} steps, schedule {}",
            a.execution,
            a.trace.len(),
            line(&crate::timeline::fold::schedule(&a.schedule))
        );
    }
    let _ = writeln!(out, "\n── findings ──");
    for finding in &a.findings {
        let _ = write!(out, "\n{finding}");
    }
    let stale = a.stale_reads();
    if !stale.is_empty() {
        let _ = writeln!(
            out,
            "\n── weak memory: loads that read an older store than the newest ──\n"
        );
        for read in &stale {
            let _ = writeln!(out, "  {}", line(read));
        }
    }
    for (number, cycle) in (1..).zip(&e.cycles) {
        let heading = if e.cycles.len() == 1 {
            "lock-order cycle".to_owned()
        } else {
            format!("lock-order cycle {number}")
        };
        let _ = writeln!(out, "\n── {heading} ──\n\n  {}\n", cycle.path());
        for (i, edge) in (1..).zip(&cycle.edges) {
            let _ = writeln!(
                out,
                "  {i}. `{}` holds {}, acquired at {}",
                edge.thread, edge.from_alias, edge.held_at
            );
            let where_ = if edge.in_trace {
                format!("step {} below", edge.step)
            } else if edge.execution == 0 {
                "on real threads".to_owned()
            } else {
                format!("execution {}, step {}", edge.execution, edge.step)
            };
            let _ = writeln!(
                out,
                "     and requests {} at {}  ({where_})",
                edge.to_alias, edge.requested_at
            );
        }
    }
    if !e.timeline.objects.is_empty() {
        let _ = writeln!(out, "\n── objects ──\n");
        let width = e
            .timeline
            .objects
            .iter()
            .map(|o| o.alias.chars().count())
            .max()
            .unwrap_or(1)
            .min(crate::timeline::MAX_COLUMN_WIDTH);
        let objects = &e.timeline.objects;
        for fold in e.timeline.object_folds() {
            match fold {
                Fold::Item(i) => {
                    let object = &objects[i];
                    let label = if object.label == object.alias {
                        object.class.to_owned()
                    } else {
                        line(&object.label)
                    };
                    let _ = writeln!(
                        out,
                        "  {:width$}  {label}, created by {} at {}",
                        object.alias, object.created_by, object.created_at
                    );
                }
                Fold::Repeat {
                    period,
                    more,
                    from,
                    to,
                } => {
                    let _ = writeln!(
                        out,
                        "  {:width$}  {}",
                        "⋮",
                        line(&e.timeline.object_fold_line(period, more, from, to))
                    );
                }
            }
        }
    }
    if e.on_real_threads() {
        return out;
    }
    let _ = writeln!(out, "\n── timeline: execution {} ──\n", a.execution);
    out.push_str(&e.timeline.text());
    out
}

#[derive(Serialize)]
struct Document<'a> {
    artifact: String,
    check: &'a str,
    rerun: &'a Rerun,
    replay: String,
    strategy: &'a str,
    seed: u64,
    execution: u64,
    schedule: &'a str,
    findings: &'a [interleave::Finding],
    cycles: &'a [Cycle],
    lock_graph: &'a LockGraph,
    timeline: &'a Timeline,
}

fn json(e: &Explanation<'_>) -> String {
    let a = &e.artifact;
    let document = Document {
        artifact: e.path.display().to_string(),
        check: &a.check,
        rerun: &a.rerun,
        replay: e.replay_command(),
        strategy: &a.strategy,
        seed: a.seed,
        execution: a.execution,
        schedule: &a.schedule,
        findings: &a.findings,
        cycles: &e.cycles,
        lock_graph: &e.graph,
        timeline: &e.timeline,
    };
    crate::output::json(&document)
}
