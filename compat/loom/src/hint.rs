//! loom's `hint`.

/// A spin-loop hint: std's, and no scheduling point. loom makes the spinning thread yield here,
/// which hides bugs where it must keep running; interleave tells a spin from the atomics it
/// re-reads (an unchanged value), so a spin loop still lets the thread it waits for run.
pub fn spin_loop() {
    std::hint::spin_loop();
}

/// loom's `unreachable_unchecked`: panics (as loom's does) rather than being undefined, so that
/// reaching it is a finding.
///
/// # Safety
///
/// None needed here; `unsafe` for the same signature as std's and loom's.
#[expect(unsafe_code, reason = "loom's signature")]
#[track_caller]
pub unsafe fn unreachable_unchecked() -> ! {
    unreachable!("unreachable_unchecked was reached!");
}
