use std::sync::Arc;

use loom::thread;
use loom_patch_sample::Counter;

fn two_threads_add(add: fn(&Counter)) {
    loom::model(move || {
        let counter = Arc::new(Counter::default());
        let other = Arc::clone(&counter);
        let t = thread::spawn(move || add(&other));
        add(&counter);
        t.join().unwrap();
        assert_eq!(counter.get(), 2);
    });
}

#[test]
fn fetch_add_counts_both() {
    two_threads_add(Counter::add);
}

#[test]
fn load_then_store_loses_one() {
    two_threads_add(Counter::add_racy);
}
