//! A loom-style test suite, written in loom's idioms (`loom::model`, `thread_local!`,
//! `lazy_static!`, `alloc`, `ConstPtr`/`MutPtr`, `Notify`, `block_on`), compiled against
//! `interleave-loom` under the name `loom`: the switch `docs/loom.md` teaches.
//! `interleave-loom-oracle` compiles the same file against real loom 0.7; the tests of both
//! assert that every case gets the same verdict.

mod cases;

pub use cases::{cases, model, Case, Verdict, EXECUTIONS};
