//! Stack overflow in a scenario thread: say which check and thread overflowed, and how to give
//! it more stack, before the process ends.
//!
//! Scenario threads run on the engine's coroutine stacks, each with a guard page below it.
//! Running into the guard page raises SIGSEGV; std's handler only recognises its own threads'
//! guard pages, so without this module the test binary dies with a bare "segmentation fault".
//! The handler here looks the faulting address up among the stacks of the scenario threads that
//! run on this OS thread, writes one message with `write(2)` (async-signal-safe; nothing is
//! allocated), and hands the signal on to the handler that was there before, which ends the
//! process as it would have. Nothing can resume a thread whose stack is exhausted.
//!
//! Linux only; elsewhere an overflow ends the process as it did.

use std::cell::{Cell, RefCell};

/// One scenario thread's stack.
#[derive(Debug)]
struct Stack {
    /// An address near the top of the stack (taken when the thread starts).
    top: usize,
    /// Its usable size.
    size: usize,
    /// The thread's index in its execution.
    thread: u32,
    name: Option<String>,
}

#[derive(Debug, Default)]
struct Stacks {
    check: String,
    stacks: Vec<Stack>,
}

thread_local! {
    static STACKS: RefCell<Stacks> = const {
        RefCell::new(Stacks {
            check: String::new(),
            stacks: Vec::new(),
        })
    };
    /// Whether this OS thread runs checks. The signal handler looks at nothing else on other
    /// threads: a first use of `STACKS` there could register its destructor, which allocates.
    static RUNS_CHECKS: Cell<bool> = const { Cell::new(false) };
}

/// The check whose executions run on this OS thread from now on.
pub(crate) fn set_check(name: &str) {
    imp::install();
    RUNS_CHECKS.with(|r| r.set(true));
    STACKS.with(|s| {
        let mut s = s.borrow_mut();
        s.check.clear();
        s.check.push_str(name);
        s.stacks.clear();
    });
}

/// The check running on this OS thread, if it runs checks (and is not in the middle of saying
/// which).
pub(crate) fn check_name() -> Option<String> {
    if !RUNS_CHECKS.with(Cell::get) {
        return None;
    }
    STACKS
        .with(|s| s.try_borrow().ok().map(|s| s.check.clone()))
        .filter(|name| !name.is_empty())
}

/// A new execution, whose main thread has a stack of `size` bytes: the stacks of the last one
/// are gone.
pub(crate) fn begin_execution(size: usize) {
    STACKS.with(|s| {
        let mut s = s.borrow_mut();
        s.stacks.clear();
        s.stacks.push(Stack {
            top: 0,
            size,
            thread: 0,
            name: None,
        });
    });
}

/// The scenario thread `thread` was spawned with a stack of `size` bytes.
pub(crate) fn spawned(thread: u32, size: usize, name: Option<&str>) {
    STACKS.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            s.stacks.push(Stack {
                top: 0,
                size,
                thread,
                name: name.map(str::to_owned),
            });
        }
    });
}

/// The scenario thread `thread` starts running, on a stack whose top is near `top` (the
/// address of a local of its first frame).
pub(crate) fn started(thread: u32, top: usize) {
    STACKS.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if let Some(stack) = s.stacks.iter_mut().find(|stack| stack.thread == thread) {
                stack.top = top;
            }
        }
    });
}

/// A guard page is hit just below a stack's usable size; the top was taken a few frames
/// below the stack's real base, so allow some slack on both sides.
const SLACK: usize = 256 << 10;

/// Writes the overflow message for a fault at `address` if it is in the guard region of one
/// of this OS thread's scenario stacks. `write` must be async-signal-safe.
fn report(address: usize, write: &mut dyn FnMut(&[u8])) -> bool {
    if !RUNS_CHECKS.with(Cell::get) {
        return false;
    }
    STACKS.with(|s| {
        let Ok(s) = s.try_borrow() else { return false };
        let Some(stack) = s.stacks.iter().find(|stack| {
            if stack.top == 0 {
                return false;
            }
            let bottom = stack.top.saturating_sub(stack.size);
            address < stack.top
                && address >= bottom.saturating_sub(SLACK)
                && address < bottom.saturating_add(SLACK)
        }) else {
            return false;
        };
        let mut number = [0u8; 20];
        write(b"\ninterleave: thread `");
        match &stack.name {
            Some(name) => write(name.as_bytes()),
            None if stack.thread == 0 => write(b"main"),
            None => {
                write(b"t");
                write(decimal(u64::from(stack.thread), &mut number));
            }
        }
        write(b"` of check `");
        write(s.check.as_bytes());
        write(b"` overflowed its stack of ");
        write(decimal((stack.size >> 10) as u64, &mut number));
        write(
            b" KiB. Give scenario threads more with `Config::stack_size(bytes)` or \
              INTERLEAVE_STACK_SIZE=<bytes>, or this thread with \
              `thread::Builder::stack_size`; the process ends now.\n",
        );
        true
    })
}

/// `value` in decimal, in `buffer`.
fn decimal(mut value: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buffer[start..];
        }
    }
}

#[cfg(target_os = "linux")]
#[expect(
    unsafe_code,
    reason = "a SIGSEGV handler: sigaction, write(2) and calling the previous handler"
)]
mod imp {
    use std::sync::{Once, OnceLock};

    /// The handlers that were there before ours, for SIGSEGV and SIGBUS.
    static PREVIOUS: OnceLock<[libc::sigaction; 2]> = OnceLock::new();
    const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

    pub(super) fn install() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let mut previous = [const_zeroed(); 2];
            for (signal, previous) in SIGNALS.iter().zip(previous.iter_mut()) {
                let mut action = const_zeroed();
                action.sa_sigaction = on_fault as *const () as libc::sighandler_t;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                // SAFETY: `action` is a valid, fully initialised sigaction with an
                // `extern "C"` handler of the SA_SIGINFO signature; `previous` is writable.
                unsafe {
                    libc::sigemptyset(&mut action.sa_mask);
                    if libc::sigaction(*signal, &action, previous) != 0 {
                        return;
                    }
                }
            }
            // Set before the handler can run: a fault before this line cannot happen on a
            // scenario stack, which only exist once a check has started.
            let _ = PREVIOUS.set(previous);
        });
    }

    fn const_zeroed() -> libc::sigaction {
        // SAFETY: sigaction is a plain C struct for which all-zero bytes are a valid value
        // (no handler, no flags, an empty mask).
        unsafe { std::mem::zeroed() }
    }

    extern "C" fn on_fault(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        // SAFETY: the kernel passes a valid siginfo_t for a SA_SIGINFO handler of SIGSEGV or
        // SIGBUS, whose si_addr is the faulting address.
        let address = unsafe { (*info).si_addr() } as usize;
        super::report(address, &mut |bytes| {
            // SAFETY: write(2) is async-signal-safe; `bytes` is a valid buffer.
            unsafe {
                libc::write(2, bytes.as_ptr().cast(), bytes.len());
            }
        });
        // Hand the signal on (reading a set OnceLock takes no lock).
        let index = usize::from(signal != libc::SIGSEGV);
        match PREVIOUS.get().map(|p| p[index]) {
            Some(previous)
                if previous.sa_sigaction != libc::SIG_DFL
                    && previous.sa_sigaction != libc::SIG_IGN =>
            {
                // SAFETY: the previous handler was installed with these flags for this signal;
                // calling it with the arguments we were given is what the kernel would do.
                unsafe {
                    if previous.sa_flags & libc::SA_SIGINFO != 0 {
                        let handler: extern "C" fn(
                            libc::c_int,
                            *mut libc::siginfo_t,
                            *mut libc::c_void,
                        ) = std::mem::transmute(previous.sa_sigaction);
                        handler(signal, info, context);
                    } else {
                        let handler: extern "C" fn(libc::c_int) =
                            std::mem::transmute(previous.sa_sigaction);
                        handler(signal);
                    }
                }
            }
            _ => {
                // The default action: returning runs the faulting instruction again, which
                // now ends the process with the signal, as it would have without us.
                let mut action = const_zeroed();
                action.sa_sigaction = libc::SIG_DFL;
                // SAFETY: a valid sigaction restoring the default disposition.
                unsafe {
                    libc::sigaction(signal, &action, std::ptr::null_mut());
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) fn install() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_decimal() {
        let mut buffer = [0; 20];
        assert_eq!(decimal(0, &mut buffer), b"0");
        assert_eq!(decimal(2048, &mut buffer), b"2048");
        assert_eq!(decimal(u64::MAX, &mut buffer), b"18446744073709551615");
    }

    #[test]
    fn a_fault_just_below_a_stack_is_its_overflow_and_elsewhere_is_not() {
        assert!(!report(0x1000_0000 - 0x10_0000 - 8, &mut |_| {}));
        RUNS_CHECKS.with(|r| r.set(true));
        STACKS.with(|s| {
            *s.borrow_mut() = Stacks {
                check: "deep".to_owned(),
                stacks: vec![Stack {
                    top: 0x1000_0000,
                    size: 0x10_0000,
                    thread: 2,
                    name: None,
                }],
            }
        });
        let mut out = Vec::new();
        assert!(report(0x1000_0000 - 0x10_0000 - 8, &mut |b| out
            .extend_from_slice(b)));
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(
                "\ninterleave: thread `t2` of check `deep` overflowed its stack of 1024 KiB."
            ),
            "{text}"
        );
        assert!(!report(0x10, &mut |_| {}));
        assert!(!report(0x2000_0000, &mut |_| {}));
        STACKS.with(|s| *s.borrow_mut() = Stacks::default());
        RUNS_CHECKS.with(|r| r.set(false));
    }
}
