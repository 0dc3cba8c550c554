//! The walk over a trace that builds the timeline: lanes as threads appear, objects and their
//! aliases as they are created, each thread's held locks, virtual time, and each event's text.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use interleave_detector::{
    labels, printable_line, Attempt, Event, EventKind, LockMode, ObjectClass, ObjectId, ObjectInfo,
    ThreadId,
};
use serde::Serialize;

use super::{virtual_time, Lane, Object, Row};

/// The state of the walk over the trace. Every step costs time in proportion to the event, not
/// to the threads or objects seen so far: a trace of 100,000 objects is explained in seconds.
#[derive(Default)]
pub(super) struct Walk {
    /// In order of first appearance ([`finish`](Self::finish) sorts them by thread id).
    pub(super) lanes: Vec<Lane>,
    pub(super) lane_of: HashMap<ThreadId, usize>,
    pub(super) objects: Vec<Object>,
    /// The detector's view of each object, for labels that tell line-mates apart.
    infos: Vec<ObjectInfo>,
    pub(super) object_of: HashMap<ObjectId, usize>,
    /// Every alias given so far, and how many unnamed objects got one.
    aliases: HashSet<String>,
    unnamed: usize,
    /// The letters given last: the next unnamed object's are after them.
    letters_after: usize,
    /// Objects created per (thread, site) so far: the detector's ordinal, for labels.
    pub(super) ordinals: HashMap<(ThreadId, String), u32>,
    /// Per lane: (object index, mode) of the locks held, in acquisition order.
    pub(super) held: Vec<Vec<(usize, LockMode)>>,
    pub(super) rows: Vec<Row>,
    pub(super) now_ns: u64,
    pub(super) has_time: bool,
    pub(super) lock_slots: usize,
    /// Per condvar: the row of its last notification, for linking it to the thread it woke.
    last_notify: HashMap<ObjectId, usize>,
}

impl Walk {
    fn lane(&mut self, thread: ThreadId, name: Option<&str>) -> usize {
        if let Some(&lane) = self.lane_of.get(&thread) {
            return lane;
        }
        let name = match (thread, name) {
            (_, Some(name)) => printable_line(name).into_owned(),
            (ThreadId::MAIN, None) => "main".to_owned(),
            (ThreadId(id), None) => format!("t{id}"),
        };
        self.lanes.push(Lane {
            thread: thread.0,
            name,
        });
        self.held.push(Vec::new());
        self.lane_of.insert(thread, self.lanes.len() - 1);
        self.lanes.len() - 1
    }

    /// Puts the lanes in thread-id order, whatever order threads first appeared in.
    pub(super) fn finish(&mut self) {
        for (object, label) in self.objects.iter_mut().zip(labels(&self.infos)) {
            object.label = label;
        }
        let mut order: Vec<usize> = (0..self.lanes.len()).collect();
        order.sort_by_key(|&lane| self.lanes[lane].thread);
        let mut position = vec![0; order.len()];
        for (at, &lane) in order.iter().enumerate() {
            position[lane] = at;
        }
        let mut lanes: Vec<Option<Lane>> = std::mem::take(&mut self.lanes)
            .into_iter()
            .map(Some)
            .collect();
        self.lanes = order
            .iter()
            .filter_map(|&lane| lanes[lane].take())
            .collect();
        for row in &mut self.rows {
            row.lane = position[row.lane];
        }
        for lane in self.lane_of.values_mut() {
            *lane = position[*lane];
        }
    }

    fn create(&mut self, event: &Event, object: ObjectId, class: ObjectClass, name: Option<&str>) {
        let creator = self.lane(event.thread, None);
        let ordinal = self
            .ordinals
            .entry((event.thread, event.site.to_string()))
            .or_insert(0);
        let info = ObjectInfo {
            id: self.objects.len() as u32,
            class,
            name: name.map(str::to_owned),
            created_at: event.site.clone(),
            created_by: self.lanes[creator].name.clone(),
            ordinal: *ordinal,
        };
        *ordinal += 1;
        let alias = match name {
            Some(name) => printable_line(name).into_owned(),
            None => {
                // `A`, `B`, … in creation order, skipping a name the program gave.
                let from = self.unnamed.max(self.letters_after);
                let (n, alias) = (from..)
                    .map(|n| (n, letters(n)))
                    .find(|(_, a)| !self.aliases.contains(a))
                    .expect("an unused alias");
                self.unnamed += 1;
                self.letters_after = n + 1;
                alias
            }
        };
        self.aliases.insert(alias.clone());
        self.object_of.insert(object, self.objects.len());
        self.infos.push(info.clone());
        self.objects.push(Object {
            alias,
            key: info.key(),
            label: String::new(),
            class: class.name(),
            created_at: printable_line(&event.site.to_string()).into_owned(),
            created_by: info.created_by,
            slot: None,
        });
    }

    /// The object's alias (`object 7` for one never created).
    fn alias(&self, object: ObjectId) -> String {
        self.object_of.get(&object).map_or_else(
            || format!("object {}", object.0),
            |&o| self.objects[o].alias.clone(),
        )
    }

    fn is_rwlock(&self, object: ObjectId) -> bool {
        self.object_of
            .get(&object)
            .is_some_and(|&o| self.objects[o].class == ObjectClass::RwLock.name())
    }

    fn thread_name(&self, thread: ThreadId) -> String {
        self.lane_of
            .get(&thread)
            .map_or_else(|| format!("t{}", thread.0), |&l| self.lanes[l].name.clone())
    }

    pub(super) fn event(&mut self, event: &Event) {
        let lane = self.lane(event.thread, None);
        let mut time_advanced = false;
        let mut waits = false;
        let mut notified_at = None;
        let text = match &event.kind {
            EventKind::Spawn { child, name, .. } => {
                self.lane(*child, name.as_deref());
                format!("spawn {}", self.thread_name(*child))
            }
            EventKind::Exit => "exit".to_owned(),
            EventKind::JoinRequest { child, .. } => {
                waits = true;
                format!("join {}", self.thread_name(*child))
            }
            EventKind::Joined { child, .. } => format!("joined {}", self.thread_name(*child)),
            EventKind::JoinCancel { child } => {
                format!("stops waiting for {}", self.thread_name(*child))
            }
            EventKind::Unpark { target, .. } => format!("unpark {}", self.thread_name(*target)),
            EventKind::Create {
                object,
                class,
                name,
                ..
            } => {
                self.create(event, *object, *class, name.as_deref());
                format!("new {} {}", class.name(), self.alias(*object))
            }
            EventKind::LockRequest {
                lock,
                mode,
                attempt,
                ..
            } => {
                waits = true;
                let verb = self.lock_verb(*lock, *mode);
                match attempt {
                    Attempt::Blocking => format!("{verb} {}", self.alias(*lock)),
                    Attempt::Try => format!("try_{verb} {}", self.alias(*lock)),
                    Attempt::Timed => format!("{verb} {} (timed)", self.alias(*lock)),
                }
            }
            EventKind::LockAcquired { lock, mode, .. } => {
                if let Some(&object) = self.object_of.get(lock) {
                    self.held[lane].push((object, *mode));
                    if self.objects[object].slot.is_none() {
                        self.objects[object].slot = Some(self.lock_slots);
                        self.lock_slots += 1;
                    }
                }
                format!("{}ed {}", self.lock_verb(*lock, *mode), self.alias(*lock))
            }
            EventKind::LockFailed { lock, .. } => format!("gave up on {}", self.alias(*lock)),
            EventKind::LockReleased { lock, .. } => {
                if let Some(&object) = self.object_of.get(lock) {
                    if let Some(at) = self.held[lane].iter().rposition(|&(o, _)| o == object) {
                        self.held[lane].remove(at);
                    }
                }
                format!("unlock {}", self.alias(*lock))
            }
            EventKind::CondvarWait { condvar, timed, .. } => {
                waits = true;
                let timed = if *timed { " (timed)" } else { "" };
                format!("wait on {}{timed}", self.alias(*condvar))
            }
            EventKind::CondvarWoken {
                condvar, timed_out, ..
            } => {
                if *timed_out {
                    format!("timed out on {}", self.alias(*condvar))
                } else {
                    // The notification that woke it: linked both ways.
                    if let Some(&notify) = self.last_notify.get(condvar) {
                        notified_at = Some(self.rows[notify].step);
                        let woken = self.thread_name(event.thread);
                        self.rows[notify].woke.push((woken, event.step));
                    }
                    format!("woken by {}", self.alias(*condvar))
                }
            }
            EventKind::CondvarNotify { condvar, all, .. } => {
                self.last_notify.insert(*condvar, self.rows.len());
                let verb = if *all { "notify_all" } else { "notify_one" };
                format!("{verb} {}", self.alias(*condvar))
            }
            EventKind::SendRequest { channel, .. } => {
                waits = true;
                format!("send on {}", self.alias(*channel))
            }
            EventKind::Sent { channel, ok, .. } => {
                let ok = if *ok { "sent on" } else { "send failed on" };
                format!("{ok} {}", self.alias(*channel))
            }
            EventKind::RecvRequest {
                channel, bounded, ..
            } => {
                waits = true;
                let verb = if *bounded { "try_recv" } else { "recv" };
                format!("{verb} on {}", self.alias(*channel))
            }
            EventKind::Received { channel, ok, .. } => {
                let ok = if *ok {
                    "received on"
                } else {
                    "nothing received on"
                };
                format!("{ok} {}", self.alias(*channel))
            }
            EventKind::Atomic {
                object,
                op,
                ordering,
                reads: None,
            } => format!("{} {} ({ordering:?})", snake(op), self.alias(*object)),
            // Under the weak memory model: which store of the atomic the load read.
            EventKind::Atomic {
                object,
                op,
                ordering,
                reads: Some(store),
            } => format!(
                "{} {} ({ordering:?}, read store {store})",
                snake(op),
                self.alias(*object)
            ),
            EventKind::CellRead { cell, .. } => format!("read {}", self.alias(*cell)),
            EventKind::CellWrite { cell, .. } => format!("write {}", self.alias(*cell)),
            EventKind::TimerArm {
                timer, deadline_ns, ..
            } => {
                self.has_time = true;
                format!(
                    "arm {} for {}",
                    self.alias(*timer),
                    virtual_time(*deadline_ns)
                )
            }
            EventKind::TimerFire { timer, .. } => {
                self.has_time = true;
                time_advanced = true;
                format!("{} fires", self.alias(*timer))
            }
            EventKind::ClockAdvance { now_ns, .. } => {
                self.has_time = true;
                time_advanced = true;
                self.now_ns = *now_ns;
                // `early`: a strategy fired the timer ahead of threads that could still run.
                let flags = true_flags(&event.kind);
                if flags.is_empty() {
                    format!("clock → {}", virtual_time(*now_ns))
                } else {
                    format!("clock → {} ({})", virtual_time(*now_ns), flags.join(", "))
                }
            }
            EventKind::Stuck => "stuck: no thread can run".to_owned(),
            EventKind::StepLimit { max_steps, .. } => format!("step limit ({max_steps}) reached"),
            EventKind::Panic { message, .. } => {
                format!("panic: {}", message.lines().next().unwrap_or(""))
            }
            EventKind::MemoryFree { size, .. } => format!("free {size} bytes"),
            EventKind::MemoryError {
                error, freed_at, ..
            } => match freed_at {
                Some(freed) => format!("{} (freed at {freed})", error.name()),
                None => error.name().to_owned(),
            },
            // Barriers, once, parking, fences, and whatever the vocabulary gains: by the
            // event's own name and fields.
            other => {
                waits = true;
                self.generic(other)
            }
        };
        let held = &self.held[lane];
        let row = Row {
            step: event.step,
            thread: event.thread.0,
            lane,
            site: printable_line(&event.site.to_string()).into_owned(),
            function: None,
            text: printable_line(&text).into_owned(),
            held: held
                .iter()
                .map(|&(o, _)| self.objects[o].alias.clone())
                .collect(),
            held_slots: held
                .iter()
                .filter_map(|&(o, _)| self.objects[o].slot)
                .collect(),
            waits,
            now_ns: self.now_ns,
            time_advanced,
            marks: Vec::new(),
            woke: Vec::new(),
            notified_at,
            event: event.kind.clone(),
        };
        self.rows.push(row);
    }

    /// `lock`, `read-lock` or `write-lock`.
    fn lock_verb(&self, lock: ObjectId, mode: LockMode) -> &'static str {
        match (self.is_rwlock(lock), mode) {
            (_, LockMode::Shared) => "read-lock",
            (true, LockMode::Exclusive) => "write-lock",
            (false, LockMode::Exclusive) => "lock",
        }
    }

    /// An event by its serialised name and fields: `barrier wait E (generation 0)`,
    /// `park (timed)`, `deadline enter (t=10ms)`.
    fn generic(&self, kind: &EventKind) -> String {
        let serde_json::Value::Object(fields) = serde_json::to_value(kind).unwrap_or_default()
        else {
            return format!("{kind:?}");
        };
        let mut text = fields
            .get("event")
            .and_then(|e| e.as_str())
            .unwrap_or("event")
            .replace('_', " ");
        let mut extra = Vec::new();
        for (key, value) in fields.iter().filter(|(k, _)| *k != "event") {
            match value {
                serde_json::Value::Bool(true) => extra.push(key.replace('_', " ")),
                serde_json::Value::Bool(false) | serde_json::Value::Null => {}
                serde_json::Value::Number(n) if key.ends_with("_ns") => {
                    extra.push(virtual_time(n.as_u64().unwrap_or(0)));
                }
                serde_json::Value::Number(n) if is_object_field(key) => {
                    let id = n.as_u64().unwrap_or(0) as u32;
                    let _ = write!(text, " {}", self.alias(ObjectId(id)));
                }
                serde_json::Value::Number(n) if key == "target" || key == "child" => {
                    let id = n.as_u64().unwrap_or(0) as u32;
                    let _ = write!(text, " {}", self.thread_name(ThreadId(id)));
                }
                other => extra.push(format!("{} {other}", key.replace('_', " "))),
            }
        }
        if !extra.is_empty() {
            let _ = write!(text, " ({})", extra.join(", "));
        }
        text
    }
}

/// The names of an event's fields that are `true` (`early`, `timed`).
fn true_flags(kind: &EventKind) -> Vec<String> {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::Object(fields)) => fields
            .iter()
            .filter(|(_, v)| **v == serde_json::Value::Bool(true))
            .map(|(k, _)| k.replace('_', " "))
            .collect(),
        _ => Vec::new(),
    }
}

/// Event fields that name an object.
fn is_object_field(key: &str) -> bool {
    matches!(
        key,
        "object" | "lock" | "condvar" | "channel" | "barrier" | "once" | "cell" | "timer"
    )
}

/// A unit variant as serde names it (`AtomicOp::Rmw` → `rmw`).
fn snake(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "?".to_owned(),
    }
}

/// `A`, `B`, …, `Z`, `AA`, `AB`, …
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_letters_then_pairs() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
        assert_eq!(letters(26 * 27), "AAA");
    }
}
