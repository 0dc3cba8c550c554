//! One panic hook for the process: panics inside a check are recorded for the report and print
//! nothing; every other panic goes to the hook that was there before.

use std::panic::{self, PanicHookInfo};
use std::sync::Once;

use interleave_detector::Site;

/// Installs interleave's panic hook (once per process). The engine installs its own hook the
/// first time it runs an execution and prints through it; interleave replaces that hook with
/// its own, which keeps the hook that was installed before the engine's for other panics.
pub(crate) fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let original = panic::take_hook();
        // Let the engine install (and so spend) its once-per-process hook now, around a
        // placeholder, so that it is never installed later on top of ours.
        panic::set_hook(Box::new(|_| {}));
        super::engine::run_empty_execution();
        let _engine_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            let recorded = super::with(|context| {
                context.last_panic = Some((message(info), location(info)));
            });
            if recorded.is_none() && !super::in_execution() {
                original(info);
            }
        }));
    });
}

fn message(info: &PanicHookInfo<'_>) -> String {
    payload_message(info.payload())
}

fn location(info: &PanicHookInfo<'_>) -> Site {
    info.location().map_or_else(Site::unknown, |l| Site {
        file: std::borrow::Cow::Owned(l.file().to_owned()),
        line: l.line(),
        column: l.column(),
    })
}

/// The message of a panic payload.
pub(crate) fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}
