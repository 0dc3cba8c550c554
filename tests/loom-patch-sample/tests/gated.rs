//! Built only with `RUSTFLAGS="--cfg sample_loom"`, as some crates gate their loom tests on a
//! cfg name of their own (`oneshot`: `--cfg oneshot_loom`).
#![cfg(sample_loom)]

use std::sync::Arc;

use loom::thread;
use loom_patch_sample::Counter;

#[test]
fn gated_load_then_store_loses_one() {
    loom::model(|| {
        let counter = Arc::new(Counter::default());
        let other = Arc::clone(&counter);
        let t = thread::spawn(move || other.add_racy());
        counter.add_racy();
        t.join().unwrap();
        assert_eq!(counter.get(), 2);
    });
}
