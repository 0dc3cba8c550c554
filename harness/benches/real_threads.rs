//! The cost of interleave's `Mutex` outside a check, on real threads, against
//! `std::sync::Mutex` and `parking_lot::Mutex`:
//!
//! - an uncontended lock + unlock with nothing else held;
//! - the same with another lock held (the online analysis looks the lock order up in the
//!   thread's own set of known orders: a hit, no global lock);
//! - contended throughput: 4 threads incrementing one counter.
//!
//! `cargo bench -p interleave --bench real_threads` (set `REAL_THREADS_OPS` to change the number
//! of lock + unlock per measurement; default 5,000,000). Each figure is the best of 7
//! measurements, taken in turns with the other two mutexes.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A mutex to measure: lock, add one, unlock.
trait Counter: Send + Sync + 'static {
    fn new() -> Self;
    fn bump(&self);
    fn get(&self) -> u64;
    /// Runs `f` with this mutex held.
    fn holding(&self, f: &mut dyn FnMut());
}

impl Counter for std::sync::Mutex<u64> {
    fn new() -> Self {
        std::sync::Mutex::new(0)
    }
    fn bump(&self) {
        *self.lock().unwrap() += 1;
    }
    fn get(&self) -> u64 {
        *self.lock().unwrap()
    }
    fn holding(&self, f: &mut dyn FnMut()) {
        let _held = self.lock().unwrap();
        f();
    }
}

impl Counter for parking_lot::Mutex<u64> {
    fn new() -> Self {
        parking_lot::Mutex::new(0)
    }
    fn bump(&self) {
        *self.lock() += 1;
    }
    fn get(&self) -> u64 {
        *self.lock()
    }
    fn holding(&self, f: &mut dyn FnMut()) {
        let _held = self.lock();
        f();
    }
}

impl Counter for interleave::sync::Mutex<u64> {
    fn new() -> Self {
        interleave::sync::Mutex::new(0)
    }
    fn bump(&self) {
        *self.lock().unwrap() += 1;
    }
    fn get(&self) -> u64 {
        *self.lock().unwrap()
    }
    fn holding(&self, f: &mut dyn FnMut()) {
        let _held = self.lock().unwrap();
        f();
    }
}

/// Nanoseconds per lock + unlock on one thread, in one measurement.
fn uncontended<M: Counter>(ops: u64) -> Duration {
    let m = M::new();
    let start = Instant::now();
    for _ in 0..ops {
        black_box(&m).bump();
    }
    let elapsed = start.elapsed();
    assert_eq!(m.get(), ops);
    elapsed
}

/// As `uncontended`, with another lock of the same kind held throughout.
fn nested<M: Counter>(ops: u64) -> Duration {
    let mut elapsed = Duration::ZERO;
    M::new().holding(&mut || elapsed = uncontended::<M>(ops));
    elapsed
}

/// `threads` threads sharing one counter, `ops` lock + unlock in all.
fn contended<M: Counter>(ops: u64, threads: u64) -> Duration {
    let m = Arc::new(M::new());
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let m = Arc::clone(&m);
            std::thread::spawn(move || {
                for _ in 0..ops / threads {
                    black_box(&*m).bump();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let elapsed = start.elapsed();
    assert_eq!(m.get(), ops / threads * threads);
    elapsed
}

/// The best of `ROUNDS` measurements of each of std's, parking_lot's and interleave's mutex,
/// taken in turns so that a busy machine slows all three alike.
fn measure(mut f: impl FnMut(usize) -> Duration) -> [Duration; 3] {
    let mut best = [Duration::MAX; 3];
    for _ in 0..ROUNDS {
        for (kind, best) in best.iter_mut().enumerate() {
            *best = (*best).min(f(kind));
        }
    }
    best
}

const ROUNDS: usize = 7;
const THREADS: u64 = 4;

fn main() {
    let ops: u64 = match std::env::var("REAL_THREADS_OPS") {
        Err(_) => 5_000_000,
        Ok(text) => match text.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("error: REAL_THREADS_OPS={text:?} is not a positive number");
                std::process::exit(2);
            }
        },
    };
    println!(
        "real threads, outside any check: {ops} lock + unlock per measurement, best of {ROUNDS}\n"
    );
    type Std = std::sync::Mutex<u64>;
    type Pl = parking_lot::Mutex<u64>;
    type Il = interleave::sync::Mutex<u64>;
    let ns = |d: Duration| d.as_nanos() as f64 / ops as f64;

    let [std_ns, pl_ns, il_ns] = measure(|kind| match kind {
        0 => uncontended::<Std>(ops),
        1 => uncontended::<Pl>(ops),
        _ => uncontended::<Il>(ops),
    })
    .map(ns);
    println!("uncontended lock + unlock, nothing else held");
    println!("  std::sync::Mutex          {std_ns:7.1} ns");
    println!("  parking_lot::Mutex        {pl_ns:7.1} ns");
    println!(
        "  interleave::sync::Mutex   {il_ns:7.1} ns   {:.2}x std (target: within 2x)",
        il_ns / std_ns
    );

    let [std_ns, pl_ns, il_ns] = measure(|kind| match kind {
        0 => nested::<Std>(ops),
        1 => nested::<Pl>(ops),
        _ => nested::<Il>(ops),
    })
    .map(ns);
    println!("\nuncontended lock + unlock, another lock held (a known lock order)");
    println!("  std::sync::Mutex          {std_ns:7.1} ns");
    println!("  parking_lot::Mutex        {pl_ns:7.1} ns");
    println!(
        "  interleave::sync::Mutex   {il_ns:7.1} ns   {:.2}x std (target: within 4x)",
        il_ns / std_ns
    );

    let rate = |d: Duration| ops as f64 / d.as_secs_f64() / 1e6;
    let [std_rate, pl_rate, il_rate] = measure(|kind| match kind {
        0 => contended::<Std>(ops, THREADS),
        1 => contended::<Pl>(ops, THREADS),
        _ => contended::<Il>(ops, THREADS),
    })
    .map(rate);
    println!("\ncontended: {THREADS} threads, one counter");
    println!("  std::sync::Mutex          {std_rate:7.2} M lock/s");
    println!("  parking_lot::Mutex        {pl_rate:7.2} M lock/s");
    println!(
        "  interleave::sync::Mutex   {il_rate:7.2} M lock/s   {:.2}x std's throughput",
        il_rate / std_rate
    );
}
