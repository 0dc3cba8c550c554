//! The runtime: the per-execution context that instrumented primitives report to, and the glue
//! to the engine's coroutines (scheduling points, blocking, spawning).

mod context;
mod engine;
mod footprint;
mod hook;
pub(crate) mod memory;
mod model;
mod overflow;
mod progress;
mod steps;
mod time;
mod watchdog;

pub(crate) use context::{
    emit, ends_execution, in_execution, with, Context, ExecutionOutcome, Stop,
};
pub(crate) use engine::{
    block_current, current_thread, outside_a_check, random_u64, require_check, run_thread,
    set_stack_size, spawn, stack_size, switch, unblock, with_stacks, yield_now, DEFAULT_STACK_SIZE,
};
pub(crate) use footprint::{Access, Footprint, Key};
pub(crate) use hook::{
    install_panic_hook, payload_message, put_in_front as put_back_panic_hook,
    unrecorded_count as unrecorded_panics,
};
pub(crate) use progress::{atomic_accessed, clock_read, site_key};
pub(crate) use steps::{
    announced_try, channel_registered, future_pending, note_read, note_write, receiver_dropped,
    sender_dropped, task_polling, task_waits_on, thread_finished,
};
pub(crate) use time::{
    arm_timer, arm_timer_until, cancel_timer, deadline_after, disarm_timer, now_ns,
    take_future_timer_fired, take_timeout, timer_armed,
};
pub(crate) use watchdog::{
    parse_limit as parse_watchdog, progress, watched, Progress, DEFAULT_LIMIT as DEFAULT_WATCHDOG,
};

/// An OS thread joins the check `name` running on another one, as one of its threads running
/// executions: the same watchdog, stack size and overflow report.
pub(crate) fn join_check(name: &str, progress: Option<std::sync::Arc<Progress>>, stack: usize) {
    begin_check(name);
    set_stack_size(stack);
    watchdog::adopt(progress);
}

/// A new execution begins on this OS thread: the watchdog and the overflow handler follow it.
pub(crate) fn begin_execution(execution: u64) {
    watchdog::begin_execution(execution);
    overflow::begin_execution(stack_size());
}

/// The check `name` runs on this OS thread from now on.
/// The name of the check this thread explores, if any (DPOR's redundancy measurement).
#[cfg(test)]
pub(crate) fn check_name() -> Option<String> {
    overflow::check_name()
}

pub(crate) fn begin_check(name: &str) {
    overflow::set_check(name);
}
