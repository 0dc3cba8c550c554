//! The runtime: the per-execution context that instrumented primitives report to, and the glue
//! to the engine's coroutines (scheduling points, blocking, spawning).

mod context;
mod engine;
mod hook;
mod progress;
mod time;

pub(crate) use context::{emit, in_execution, with, Context, Stop};
pub(crate) use engine::{
    block_current, current_thread, run_thread, spawn, switch, unblock, yield_now, STACK_SIZE,
};
pub(crate) use hook::{install_panic_hook, payload_message};
pub(crate) use progress::atomic_accessed;
pub(crate) use time::{arm_timer, deadline_after, disarm_timer, now_ns, take_timeout};
