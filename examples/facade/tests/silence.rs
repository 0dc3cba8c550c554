use interleave::online::{self, Mode};
use interleave::sync::Mutex;

#[test]
fn takes_two_locks_in_both_orders_on_purpose() {
    // Until `_quiet` is dropped, nothing this thread (or a thread it spawns through
    // `interleave::thread`) does is recorded, whatever INTERLEAVE_ONLINE says.
    let _quiet = online::scoped(Mode::Off);
    let (a, b) = (Mutex::new(1), Mutex::new(2));
    interleave::thread::scope(|s| {
        s.spawn(|| {
            let mut a = a.lock().unwrap();
            *a += *b.lock().unwrap();
        });
    });
    let b = b.lock().unwrap();
    assert_eq!(*b + *a.lock().unwrap(), 5);
    assert!(online::reported().is_empty());
}
