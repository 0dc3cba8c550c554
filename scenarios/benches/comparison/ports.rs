//! The catalog's bugs ported to raw shuttle and raw loom: the same program, with the engine's
//! `std`-like types instead of interleave's. Each port lists itself by catalog name; a bug
//! with no loom port says why it does not fit loom.

/// Raw shuttle ports: every bug of the catalog.
pub(crate) mod shuttle {
    mod rt {
        pub(crate) use shuttle::sync::mpsc::{channel, sync_channel, Sender};
        pub(crate) use shuttle::sync::{atomic, Arc, Condvar, Mutex, RwLock};
        pub(crate) use shuttle::thread::{self, Builder, JoinHandle};
    }

    include!("ports/common.rs");
    include!("ports/bounded.rs");
}

/// Raw loom ports: the bugs that fit loom.
#[expect(
    dead_code,
    reason = "the clean twins in common.rs are measured for throughput against shuttle only"
)]
pub(crate) mod loom {
    mod rt {
        pub(crate) use loom::sync::mpsc::channel;
        pub(crate) use loom::sync::{atomic, Arc, Condvar, Mutex, RwLock};
        pub(crate) use loom::thread::{self, Builder, JoinHandle};
    }

    include!("ports/common.rs");
}

/// The raw-shuttle port of the catalog bug `name`.
pub(crate) fn shuttle(name: &str) -> Option<fn()> {
    find(
        shuttle::programs()
            .into_iter()
            .chain(shuttle::bounded_programs()),
        name,
    )
}

/// The raw-loom port of the catalog bug `name`, or why there is none.
pub(crate) fn loom(name: &str) -> Result<fn(), &'static str> {
    if let Some(program) = find(loom::programs(), name) {
        return Ok(program);
    }
    Err(match name {
        "lock-order/dining-philosophers" => "5 spawned threads (loom runs at most 4)",
        "channel/rendezvous-no-partner"
        | "channel/full-while-receiver-locks"
        | "pool/bounded-pipeline" => "bounded channel (loom has none)",
        "channel/join-unclosed" | "pool/join-before-close" => {
            "ends on a channel disconnecting (loom's never does)"
        }
        _ => "no port",
    })
}

/// The clean programs measured for throughput, interleave's and raw shuttle's.
pub(crate) fn shuttle_twins() -> Vec<(&'static str, fn())> {
    shuttle::twins()
        .into_iter()
        .chain(shuttle::bounded_twins())
        .collect()
}

fn find(programs: impl IntoIterator<Item = (&'static str, fn())>, name: &str) -> Option<fn()> {
    programs
        .into_iter()
        .find(|(port, _)| *port == name)
        .map(|(_, program)| program)
}
