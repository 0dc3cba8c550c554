//! What a report says of the weak memory model: the loads of an execution that read an older
//! store than the newest, found again from its events (so a replay and `explain` say the same
//! as the check).

use std::collections::BTreeMap;

use interleave_detector::{AtomicOp, Event, EventKind, ObjectId, Site};

/// Per load of `events` that read an older store than the newest: "the load at X read the
/// value stored at Y; a newer store at Z existed" (the value an atomic was created with is
/// stored where it was created).
pub(crate) fn stale_reads(events: &[Event]) -> Vec<String> {
    // Per atomic: the site of each store kept, by its place in the modification order.
    let mut stores: BTreeMap<ObjectId, Vec<Site>> = BTreeMap::new();
    let mut lines = Vec::new();
    for event in events {
        match &event.kind {
            EventKind::Create { object, .. } => {
                stores.insert(*object, vec![event.site.clone()]);
            }
            EventKind::Atomic {
                object, op, reads, ..
            } => {
                let sites = stores
                    .entry(*object)
                    .or_insert_with(|| vec![event.site.clone()]);
                match (op, reads) {
                    (AtomicOp::Load, Some(index)) => {
                        let read = usize::try_from(*index).ok().and_then(|i| sites.get(i));
                        if let (Some(read), true) = (read, (*index as usize) + 1 < sites.len()) {
                            let newer = sites.last().expect("more than one store");
                            lines.push(format!(
                                "the load at {} read the value stored at {read}; a newer store at {newer} existed",
                                event.site
                            ));
                        }
                    }
                    (AtomicOp::Load, None) => {}
                    (AtomicOp::Store | AtomicOp::Rmw, _) => sites.push(event.site.clone()),
                }
            }
            _ => {}
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use interleave_detector::{MemoryOrdering, ObjectClass, ThreadId};

    fn event(step: u64, line: u32, kind: EventKind) -> Event {
        Event {
            step,
            thread: ThreadId::MAIN,
            site: Site::new("lib.rs", line, 1),
            kind,
        }
    }

    fn atomic(op: AtomicOp, reads: Option<u64>) -> EventKind {
        EventKind::Atomic {
            object: ObjectId(0),
            op,
            ordering: MemoryOrdering::Relaxed,
            reads,
        }
    }

    #[test]
    fn names_the_store_read_and_the_newest() {
        let events = [
            event(
                1,
                10,
                EventKind::Create {
                    object: ObjectId(0),
                    class: ObjectClass::Atomic,
                    name: None,
                },
            ),
            event(2, 20, atomic(AtomicOp::Store, None)),
            event(3, 30, atomic(AtomicOp::Load, Some(1))),
            event(4, 40, atomic(AtomicOp::Rmw, None)),
            event(5, 50, atomic(AtomicOp::Load, Some(0))),
        ];
        assert_eq!(
            stale_reads(&events),
            ["the load at lib.rs:50:1 read the value stored at lib.rs:10:1; a newer store at lib.rs:40:1 existed"]
        );
    }
}
