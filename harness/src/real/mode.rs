//! What online lock-order detection does with a finding: `INTERLEAVE_ONLINE`, a process-wide
//! setting, and a per-thread override that the threads it spawns inherit.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use crate::error::Error;

/// What online lock-order detection does when a lock request on real threads closes a
/// lock-order cycle (see [`crate::online`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Panic in the thread whose request closes the cycle, with the report (the default).
    #[default]
    Panic,
    /// Print the report on standard error and go on.
    Warn,
    /// Record no lock order at all.
    Off,
}

impl Mode {
    /// The name `INTERLEAVE_ONLINE` takes: `panic`, `warn`, `off`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Panic => "panic",
            Mode::Warn => "warn",
            Mode::Off => "off",
        }
    }

    /// The mode named `text` (as [`name`](Self::name) gives it).
    pub fn parse(text: &str) -> Option<Mode> {
        [Mode::Panic, Mode::Warn, Mode::Off]
            .into_iter()
            .find(|m| m.name() == text.trim())
    }

    fn code(self) -> u8 {
        match self {
            Mode::Panic => 1,
            Mode::Warn => 2,
            Mode::Off => 3,
        }
    }

    fn from_code(code: u8) -> Option<Mode> {
        [Mode::Panic, Mode::Warn, Mode::Off]
            .into_iter()
            .find(|m| m.code() == code)
    }
}

/// Set by [`set_mode`]; 0 until then (the environment decides).
static PROCESS: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// This thread's override, from [`scoped`].
    static THREAD: Cell<Option<Mode>> = const { Cell::new(None) };
}

/// `INTERLEAVE_ONLINE`, read once.
fn from_env() -> Mode {
    static ENV: OnceLock<Result<Mode, String>> = OnceLock::new();
    let mode = ENV.get_or_init(|| {
        let value = crate::config::env("INTERLEAVE_ONLINE").map_err(|e| e.to_string())?;
        match value {
            None => Ok(Mode::Panic),
            Some(text) => Mode::parse(&text).ok_or_else(|| {
                Error::Env {
                    variable: "INTERLEAVE_ONLINE",
                    value: text,
                    expected: "`panic`, `warn` or `off`",
                }
                .to_string()
            }),
        }
    });
    match mode {
        Ok(mode) => *mode,
        Err(message) => panic!("interleave: {message}"),
    }
}

/// Sets the mode for the whole process (over `INTERLEAVE_ONLINE`); a thread's [`scoped`]
/// override still wins on that thread.
///
/// # Examples
///
/// ```
/// use interleave::online::{self, Mode};
///
/// online::set_mode(Mode::Warn);
/// assert_eq!(online::mode(), Mode::Warn);
/// # online::set_mode(Mode::Panic);
/// ```
pub fn set_mode(mode: Mode) {
    PROCESS.store(mode.code(), Ordering::Relaxed);
}

/// The mode in force on this thread: its [`scoped`] override, else [`set_mode`]'s, else
/// `INTERLEAVE_ONLINE` (`panic` if unset).
///
/// # Panics
///
/// If `INTERLEAVE_ONLINE` is set to anything but `panic`, `warn` or `off`.
pub fn mode() -> Mode {
    THREAD
        .try_with(Cell::get)
        .ok()
        .flatten()
        .or_else(|| Mode::from_code(PROCESS.load(Ordering::Relaxed)))
        .unwrap_or_else(from_env)
}

/// The override of the current thread, for the threads it spawns.
pub(crate) fn inherited() -> Option<Mode> {
    THREAD.try_with(Cell::get).ok().flatten()
}

/// Gives a newly spawned thread its parent's override.
pub(crate) fn inherit(mode: Option<Mode>) {
    let _ = THREAD.try_with(|t| t.set(mode));
}

/// Sets the mode of this thread, and of the threads it spawns through `interleave::thread` from
/// now on, until the guard is dropped: to silence online detection for one test whatever the
/// rest of the process does.
///
/// # Examples
///
/// ```
/// use interleave::online::{self, Mode};
///
/// {
///     let _quiet = online::scoped(Mode::Off);
///     assert_eq!(online::mode(), Mode::Off);
///     // … lock in any order: nothing is recorded on this thread.
/// }
/// assert_ne!(online::mode(), Mode::Off);
/// ```
#[must_use = "the mode lasts as long as the guard"]
pub fn scoped(mode: Mode) -> ModeGuard {
    let previous = THREAD.try_with(|t| t.replace(Some(mode))).ok().flatten();
    ModeGuard {
        previous,
        _not_send: std::marker::PhantomData,
    }
}

/// Restores the thread's previous mode when dropped (see [`scoped`]).
#[derive(Debug)]
pub struct ModeGuard {
    previous: Option<Mode>,
    /// Bound to the thread whose mode it set.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        let _ = THREAD.try_with(|t| t.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_as_documented_and_scopes_nest() {
        for mode in [Mode::Panic, Mode::Warn, Mode::Off] {
            assert_eq!(Mode::parse(mode.name()), Some(mode));
        }
        assert_eq!(Mode::parse("loud"), None);
        let outer = scoped(Mode::Warn);
        {
            let _inner = scoped(Mode::Off);
            assert_eq!(mode(), Mode::Off);
        }
        assert_eq!(mode(), Mode::Warn);
        drop(outer);
        assert_eq!(inherited(), None);
    }
}
