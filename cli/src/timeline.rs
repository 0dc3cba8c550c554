//! The failing execution as a per-thread timeline: one lane per thread, one row per step, the
//! locks each thread holds, virtual time where it advanced, and the steps the findings point at.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use interleave_detector::{Detail, Event, EventKind, Finding, ObjectInfo};
use serde::Serialize;

use walk::Walk;

pub(crate) mod fold;
mod source;
mod walk;

/// A thread of the execution.
#[derive(Debug, Serialize)]
pub(crate) struct Lane {
    /// Its execution-local id (0 is main).
    pub(crate) thread: u32,
    pub(crate) name: String,
}

/// An object of the execution, with the short alias the timeline uses for it.
#[derive(Debug, Serialize)]
pub(crate) struct Object {
    /// The user's name, else `A`, `B`, … in creation order.
    pub(crate) alias: String,
    /// The detector's label (`mutex@lib.rs:10`, `mutex#2@lib.rs:10`, or the user's name).
    pub(crate) label: String,
    /// [`ObjectInfo::key`](interleave_detector::ObjectInfo::key): how findings name it.
    #[serde(skip)]
    pub(crate) key: String,
    pub(crate) class: &'static str,
    pub(crate) created_at: String,
    pub(crate) created_by: String,
    /// Its slot among the locks ever held (for the held-lock bars), if it was ever held.
    #[serde(skip)]
    pub(crate) slot: Option<usize>,
}

/// One step: one event of one thread.
#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) step: u64,
    pub(crate) thread: u32,
    /// Index into [`Timeline::lanes`].
    #[serde(skip)]
    pub(crate) lane: usize,
    pub(crate) site: String,
    /// The function the site is in, when its source file could be read (see `source`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) function: Option<String>,
    /// What happened, with objects and threads by alias and name.
    pub(crate) text: String,
    /// Aliases of the locks the thread holds after this event.
    pub(crate) held: Vec<String>,
    /// Slots of those locks.
    #[serde(skip)]
    pub(crate) held_slots: Vec<usize>,
    /// A request or a wait: the text shows what the thread holds meanwhile.
    #[serde(skip)]
    pub(crate) waits: bool,
    /// Virtual time after this event, in nanoseconds.
    pub(crate) now_ns: u64,
    /// Virtual time moved (or a timer fired) at this step.
    pub(crate) time_advanced: bool,
    /// What the findings say about this step (`cycle edge 1: A → B`).
    pub(crate) marks: Vec<String>,
    /// A notification: the threads it woke, and the steps at which they woke.
    pub(crate) woke: Vec<(String, u64)>,
    /// A wake-up by a notification: the notification's step.
    pub(crate) notified_at: Option<u64>,
    /// The event itself, as the artifact holds it.
    pub(crate) event: EventKind,
}

/// How the lock graph draws a lock.
#[derive(Debug, Default)]
pub(crate) struct NodeStyle {
    /// Shown before the label (`A · mutex@lib.rs:10`).
    pub(crate) alias: Option<String>,
    pub(crate) fill: Option<&'static str>,
}

/// The failing execution of an artifact, laid out by thread.
#[derive(Debug, Serialize)]
pub(crate) struct Timeline {
    pub(crate) execution: u64,
    pub(crate) lanes: Vec<Lane>,
    pub(crate) objects: Vec<Object>,
    pub(crate) rows: Vec<Row>,
    /// The trace has virtual-time events: show a time column.
    pub(crate) has_time: bool,
    /// How many locks were ever held (slots of the held-lock bars).
    #[serde(skip)]
    pub(crate) lock_slots: usize,
    /// The first object with each detector label.
    #[serde(skip)]
    by_label: HashMap<String, usize>,
}

impl Timeline {
    /// Walks `trace` (the events of execution `execution`), keeping each thread's held locks.
    /// Events that contradict the ones before them are shown as they are, never refused: the
    /// timeline is for looking at whatever the artifact holds.
    pub(crate) fn new(trace: &[Event], execution: u64, findings: &[Finding]) -> Timeline {
        let mut walk = Walk::default();
        for event in trace {
            walk.event(event);
        }
        walk.finish();
        let mut sources = source::Sources::here();
        for row in &mut walk.rows {
            if let Some((file, line)) = file_and_line(&row.site) {
                row.function = sources.function(file, line);
            }
        }
        let mut by_label = HashMap::new();
        for (i, object) in walk.objects.iter().enumerate() {
            by_label.entry(object.key.clone()).or_insert(i);
        }
        let mut timeline = Timeline {
            execution,
            lanes: walk.lanes,
            objects: walk.objects,
            rows: walk.rows,
            has_time: walk.has_time,
            lock_slots: walk.lock_slots,
            by_label,
        };
        let mut marks = marks(findings, execution, &|object| timeline.alias_of(object));
        for row in &mut timeline.rows {
            row.marks = marks.remove(&row.step).unwrap_or_default();
        }
        timeline
    }

    /// The alias of `object` (a finding's), or its label.
    pub(crate) fn alias_of(&self, object: &ObjectInfo) -> String {
        self.object(&object.key())
            .map_or_else(|| object.label(), |o| o.alias.clone())
    }

    fn object(&self, label: &str) -> Option<&Object> {
        self.by_label.get(label).map(|&i| &self.objects[i])
    }

    /// How the lock graph draws the lock whose [key](ObjectInfo::key) is `key`: its alias, and
    /// its colour if a thread of the execution held it.
    pub(crate) fn node_style(&self, key: &str) -> NodeStyle {
        let object = self.object(key);
        NodeStyle {
            alias: object
                .filter(|o| o.alias != o.label)
                .map(|o| o.alias.clone()),
            fill: object.and_then(|o| o.slot).map(colour),
        }
    }

    /// Whether the timeline has a column per thread: up to [`MAX_LANES`] threads. With more, a
    /// `thread` column names each step's thread instead (a table of thousands of columns
    /// could be read by no one, and would grow as threads times steps).
    pub(crate) fn has_lanes(&self) -> bool {
        self.lanes.len() <= MAX_LANES
    }

    /// The rows to show: a block of steps that repeats (a spin, a livelock) once, then how
    /// many more times it ran. Steps the findings point at, and steps where virtual time moved,
    /// are always shown.
    /// Objects of one class created one after another at one site (a table of atomics, a
    /// pool's slots) fold as one step repeated, whatever their aliases.
    pub(crate) fn folds(&self) -> Vec<fold::Fold> {
        let keys: Vec<u64> = self
            .rows
            .iter()
            .map(|r| match &r.event {
                EventKind::Create { class, .. } => {
                    fold::key(&(0u8, r.lane, class.name(), &r.site, &r.held))
                }
                _ => fold::key(&(1u8, r.lane, &r.text, &r.held)),
            })
            .collect();
        fold::fold(&keys, |i| {
            !self.rows[i].marks.is_empty() || self.rows[i].time_advanced
        })
    }

    /// The objects to list: objects of one class created one after another at one site (a
    /// table of atomics, a pool's pages) fold as steps do, the first block shown. Named objects
    /// fold only with others of their name, and a lock a thread held (it has a colour) never.
    pub(crate) fn object_folds(&self) -> Vec<fold::Fold> {
        let keys: Vec<u64> = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let named = (o.label == o.alias).then_some(&o.label);
                let held = o.slot.map(|_| i);
                fold::key(&(o.class, &o.created_at, &o.created_by, named, held))
            })
            .collect();
        fold::fold(&keys, |_| false)
    }

    /// The line that stands for a folded block of objects.
    pub(crate) fn object_fold_line(
        &self,
        period: usize,
        more: usize,
        from: usize,
        to: usize,
    ) -> String {
        let (first, last) = (&self.objects[from], &self.objects[to - 1]);
        let above = match period {
            1 => "it".to_owned(),
            n => format!("the {n} above"),
        };
        format!(
            "× {} more like {above}: {} … {} ({} … {})",
            thousands(more as u64),
            first.alias,
            last.alias,
            first.label,
            last.label
        )
    }

    /// The line that stands for a folded block.
    pub(crate) fn fold_line(&self, period: usize, more: usize, from: usize, to: usize) -> String {
        let steps = if period == 1 { "step" } else { "steps" };
        if period == 1 && matches!(self.rows[from].event, EventKind::Create { .. }) {
            return format!(
                "× {} more: {} … {} (steps {}–{})",
                thousands(more as u64),
                self.rows[from].text,
                self.rows[to - 1].text,
                thousands(self.rows[from].step),
                thousands(self.rows[to - 1].step)
            );
        }
        format!(
            "× {} more: the {period} {steps} above, again and again (steps {}–{})",
            thousands(more as u64),
            thousands(self.rows[from].step),
            thousands(self.rows[to - 1].step)
        )
    }

    /// Where each thread ended up: its last event, and where it was (the last event with a
    /// source site: the end of an execution, a step limit, has none of its own).
    pub(crate) fn endings(&self) -> Vec<(String, String)> {
        let mut last: Vec<Option<&Row>> = vec![None; self.lanes.len()];
        let mut last_sited: Vec<Option<&Row>> = vec![None; self.lanes.len()];
        for row in &self.rows {
            last[row.lane] = Some(row);
            if !row.site.starts_with("<unknown>") {
                last_sited[row.lane] = Some(row);
            }
        }
        self.lanes
            .iter()
            .zip(last.into_iter().zip(last_sited))
            .map(|(lane, (row, sited))| {
                let ending = match (row, sited) {
                    (None, _) => "no event".to_owned(),
                    (Some(row), _) if matches!(row.event, EventKind::Exit) => {
                        format!("finished (step {})", thousands(row.step))
                    }
                    (Some(row), Some(sited)) if sited.step != row.step => format!(
                        "{} (step {}), last in {} at {} (step {})",
                        row.cell(),
                        thousands(row.step),
                        sited.cell(),
                        sited.site,
                        thousands(sited.step)
                    ),
                    (Some(row), _) => format!(
                        "{} at {} (step {})",
                        row.cell(),
                        row.site,
                        thousands(row.step)
                    ),
                };
                (lane.name.clone(), ending)
            })
            .collect()
    }

    /// The timeline as a text table: `step`, `time` (when virtual time is used), one column
    /// per thread (or a `thread` column), then the findings' marks; repeated blocks folded,
    /// and where each thread ended up.
    pub(crate) fn text(&self) -> String {
        let step_width = self
            .rows
            .iter()
            .map(|r| r.step.to_string().len())
            .chain(["step".len()])
            .max()
            .unwrap_or(4);
        let time_width = self
            .rows
            .iter()
            .filter(|r| r.time_advanced)
            .map(|r| virtual_time(r.now_ns).chars().count())
            .chain(["time".len()])
            .max()
            .unwrap_or(4);
        let cells: Vec<String> = self.rows.iter().map(Row::cell).collect();
        let sites: Vec<String> = self.rows.iter().map(Row::short_site).collect();
        let site_width = sites
            .iter()
            .map(|s| s.chars().count())
            .chain(["site".len()])
            .max()
            .unwrap_or(4)
            .min(MAX_COLUMN_WIDTH);
        // One column per lane, or the `thread` column and one column for every event.
        let mut widths: Vec<usize> = if self.has_lanes() {
            self.lanes.iter().map(|l| l.name.chars().count()).collect()
        } else {
            let names = self.lanes.iter().map(|l| l.name.chars().count());
            vec![names.chain(["thread".len()]).max().unwrap_or(6), 0]
        };
        for (row, cell) in self.rows.iter().zip(&cells) {
            let column = if self.has_lanes() { row.lane } else { 1 };
            widths[column] = widths[column].max(cell.chars().count());
        }
        for width in &mut widths {
            *width = (*width).min(MAX_COLUMN_WIDTH);
        }
        let mut out = String::new();
        let mut line = format!("{:>step_width$}", "step");
        if self.has_time {
            let _ = write!(line, "  {:time_width$}", "time");
        }
        if self.has_lanes() {
            for (lane, width) in self.lanes.iter().zip(&widths) {
                let _ = write!(line, "  {:width$}", lane.name);
            }
        } else {
            let _ = write!(
                line,
                "  {:width$}  {:event$}",
                "thread",
                "event",
                width = widths[0],
                event = widths[1]
            );
        }
        let _ = write!(line, "  {:site_width$}", "site");
        let _ = writeln!(out, "{}", line.trim_end());
        for fold in self.folds() {
            let i = match fold {
                fold::Fold::Item(i) => i,
                fold::Fold::Repeat {
                    period,
                    more,
                    from,
                    to,
                } => {
                    let _ = writeln!(
                        out,
                        "{:>step_width$}  {}",
                        "⋮",
                        self.fold_line(period, more, from, to)
                    );
                    continue;
                }
            };
            let (row, cell, site) = (&self.rows[i], &cells[i], &sites[i]);
            let mut line = format!("{:>step_width$}", row.step);
            if self.has_time {
                let time = if row.time_advanced {
                    virtual_time(row.now_ns)
                } else {
                    String::new()
                };
                let _ = write!(line, "  {time:time_width$}");
            }
            if self.has_lanes() {
                for (lane, width) in widths.iter().enumerate() {
                    let text = if lane == row.lane { cell.as_str() } else { "" };
                    let _ = write!(line, "  {text:width$}");
                }
            } else {
                let (name, name_width) = (&self.lanes[row.lane].name, widths[0]);
                let event_width = widths[1];
                let _ = write!(line, "  {name:name_width$}  {cell:event_width$}");
            }
            let _ = write!(line, "  {site:site_width$}");
            if !row.marks.is_empty() {
                let _ = write!(line, "  ◀ {}", row.marks.join("; "));
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let endings = self.endings();
        let width = endings
            .iter()
            .map(|(name, _)| name.chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_COLUMN_WIDTH);
        let _ = writeln!(out, "\nwhere each thread ended up:");
        for (name, ending) in endings {
            let _ = writeln!(out, "  {name:width$}  {ending}");
        }
        out
    }
}

/// `file` and `line` of a `file:line:column` site.
fn file_and_line(site: &str) -> Option<(&str, u32)> {
    let (file_line, _column) = site.rsplit_once(':')?;
    let (file, line) = file_line.rsplit_once(':')?;
    Some((file, line.parse().ok()?))
}

impl Row {
    /// Where the step happened, short, and in which function when the source says:
    /// `lock_order.rs:127 ab_ba` (nothing for an event that has no site of its own, the end of
    /// an execution say).
    pub(crate) fn short_site(&self) -> String {
        let Some((file_line, _column)) = self.site.rsplit_once(':') else {
            return String::new();
        };
        if file_line.starts_with("<unknown>") {
            return String::new();
        }
        let short = file_line
            .rsplit_once('/')
            .map_or(file_line, |(_, name)| name);
        match &self.function {
            Some(function) => format!("{short} {function}"),
            None => short.to_owned(),
        }
    }

    /// The text of this row's cell: the event, and the locks held while it waits.
    pub(crate) fn cell(&self) -> String {
        let mut cell = self.text.clone();
        if let Some(step) = self.notified_at {
            let _ = write!(cell, " (notified at step {step})");
        }
        if !self.woke.is_empty() {
            let woke: Vec<String> = self
                .woke
                .iter()
                .map(|(thread, step)| format!("{thread} at step {step}"))
                .collect();
            let _ = write!(cell, " → woke {}", woke.join(", "));
        }
        if self.waits && !self.held.is_empty() {
            let _ = write!(cell, "  [{}]", self.held.join(", "));
        }
        cell
    }
}

/// The widest a column of the timeline gets: a longer cell (a long panic message) runs past it
/// rather than widening every row.
pub(crate) const MAX_COLUMN_WIDTH: usize = 100;

/// The most threads the timeline shows as columns side by side.
pub(crate) const MAX_LANES: usize = 16;

/// Lock colours, by the order locks were first taken (red is kept for cycles).
const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#7f7f7f", "#aec7e8",
];

/// The colour of the lock in held-lock slot `slot`.
pub(crate) fn colour(slot: usize) -> &'static str {
    PALETTE[slot % PALETTE.len()]
}

/// `25719` as `25,719`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Virtual time as the timeline shows it: `t=0`, `t=500ns`, `t=1.5µs`, `t=10ms`, `t=2s`.
pub(crate) fn virtual_time(ns: u64) -> String {
    let (unit, scale) = match ns {
        0 => return "t=0".to_owned(),
        1..=999 => ("ns", 1.0),
        1_000..=999_999 => ("µs", 1e3),
        1_000_000..=999_999_999 => ("ms", 1e6),
        _ => ("s", 1e9),
    };
    let value = format!("{:.3}", ns as f64 / scale);
    let value = value.trim_end_matches('0').trim_end_matches('.');
    format!("t={value}{unit}")
}

/// What the findings point at in execution `execution`, by step.
fn marks(
    findings: &[Finding],
    execution: u64,
    alias: &dyn Fn(&ObjectInfo) -> String,
) -> BTreeMap<u64, Vec<String>> {
    let mut marks: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let cycles = findings
        .iter()
        .filter(|f| matches!(f.detail, Detail::LockCycle { .. }))
        .count();
    let mut cycle = 0;
    for finding in findings {
        let here = finding.steps.execution == execution;
        let mut mark = |step: u64, text: String| marks.entry(step).or_default().push(text);
        match &finding.detail {
            Detail::LockCycle { edges, .. } => {
                cycle += 1;
                for (i, edge) in edges
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.execution == execution)
                {
                    let name = if cycles == 1 {
                        format!("cycle edge {}", i + 1)
                    } else {
                        format!("cycle {cycle} edge {}", i + 1)
                    };
                    let from = alias(&finding.objects[edge.held]);
                    let to = alias(&finding.objects[edge.requested]);
                    mark(edge.step, format!("{name}: {from} → {to}"));
                }
            }
            Detail::DataRace { first, second, .. } if here => {
                mark(first.step, "data race: first access".to_owned());
                mark(second.step, "data race: second access".to_owned());
            }
            _ if here => {
                // Deadlocks, missed timeouts and whatever comes next: the waits they list, by
                // their serialised form, else the step the finding was made at.
                let detail = serde_json::to_value(&finding.detail).unwrap_or_default();
                let waits: Vec<u64> = detail["waits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|w| w["since_step"].as_u64())
                    .collect();
                let kind = finding.kind.name();
                for &step in &waits {
                    mark(step, format!("{kind}: waits for good"));
                }
                if !waits.contains(&finding.steps.last) {
                    mark(finding.steps.last, kind.to_owned());
                }
            }
            _ => {}
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_is_short() {
        assert_eq!(virtual_time(0), "t=0");
        assert_eq!(virtual_time(500), "t=500ns");
        assert_eq!(virtual_time(1_500), "t=1.5µs");
        assert_eq!(virtual_time(10_000_000), "t=10ms");
        assert_eq!(virtual_time(2_000_000_000), "t=2s");
        assert_eq!(virtual_time(1_234_567), "t=1.235ms");
    }

    /// Events as the artifact stores them, by their JSON (robust to fields the vocabulary
    /// gains with defaults).
    fn events(json: &str) -> Vec<Event> {
        let kinds: Vec<(u32, serde_json::Value)> = serde_json::from_str(json).unwrap();
        kinds
            .into_iter()
            .enumerate()
            .map(|(i, (thread, kind))| {
                serde_json::from_value(serde_json::json!({
                    "step": i + 1, "thread": thread, "site": "a.rs:1:1", "kind": kind,
                }))
                .unwrap()
            })
            .collect()
    }

    #[test]
    fn the_timeline_shows_lanes_held_locks_and_virtual_time() {
        let trace = events(
            r#"[
            [0, {"event": "create", "object": 0, "class": "mutex", "name": "state"}],
            [0, {"event": "create", "object": 1, "class": "rw_lock"}],
            [0, {"event": "spawn", "child": 1, "name": "worker"}],
            [1, {"event": "lock_request", "lock": 0, "mode": "exclusive", "attempt": "blocking"}],
            [1, {"event": "lock_acquired", "lock": 0, "mode": "exclusive"}],
            [1, {"event": "lock_request", "lock": 1, "mode": "shared", "attempt": "try"}],
            [1, {"event": "lock_acquired", "lock": 1, "mode": "shared"}],
            [0, {"event": "create", "object": 2, "class": "timer"}],
            [0, {"event": "timer_arm", "timer": 2, "deadline_ns": 10000000}],
            [0, {"event": "join_request", "child": 1}],
            [1, {"event": "clock_advance", "now_ns": 10000000, "early": true}],
            [1, {"event": "timer_fire", "timer": 2}],
            [1, {"event": "barrier_wait", "barrier": 1, "generation": 0}],
            [1, {"event": "lock_released", "lock": 1}],
            [1, {"event": "lock_released", "lock": 0}],
            [1, {"event": "exit"}]
        ]"#,
        );
        let timeline = Timeline::new(&trace, 1, &[]);
        assert_eq!(timeline.lock_slots, 2);
        assert_eq!(timeline.rows[6].held, ["state", "A"]);
        insta::assert_snapshot!(timeline.text(), @r"
        step  time    main              worker                                     site
           1          new mutex state                                              a.rs:1
           2          new rwlock A                                                 a.rs:1
           3          spawn worker                                                 a.rs:1
           4                            lock state                                 a.rs:1
           5                            locked state                               a.rs:1
           6                            try_read-lock A  [state]                   a.rs:1
           7                            read-locked A                              a.rs:1
           8          new timer B                                                  a.rs:1
           9          arm B for t=10ms                                             a.rs:1
          10          join worker                                                  a.rs:1
          11  t=10ms                    clock → t=10ms (early)                     a.rs:1
          12  t=10ms                    B fires                                    a.rs:1
          13                            barrier wait A (generation 0)  [state, A]  a.rs:1
          14                            unlock A                                   a.rs:1
          15                            unlock state                               a.rs:1
          16                            exit                                       a.rs:1

        where each thread ended up:
          main    join worker at a.rs:1:1 (step 10)
          worker  finished (step 16)
        ");
    }
}
