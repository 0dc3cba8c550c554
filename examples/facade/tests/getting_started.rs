use interleave::sync::{Arc, Mutex};
use interleave::thread;

#[test]
fn transfer_keeps_the_total() {
    interleave::check(|| {
        let accounts = Arc::new(Mutex::new([100, 0]));
        let a = Arc::clone(&accounts);
        let t = thread::spawn(move || {
            let mut acc = a.lock().unwrap();
            acc[0] -= 10;
            acc[1] += 10;
        });
        let total: i32 = accounts.lock().unwrap().iter().sum();
        assert_eq!(total, 100);
        t.join().unwrap();
    });
}
