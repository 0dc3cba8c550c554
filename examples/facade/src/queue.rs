//! A bounded blocking queue, as a thread pool's job queue is.

use std::collections::VecDeque;
use std::time::Duration;

use crate::sync::{Condvar, Instant, Mutex};

/// A first-in first-out queue of at most `capacity` items: `push` waits while it is full, `pop`
/// while it is empty and open.
#[derive(Debug)]
pub struct Queue<T> {
    capacity: usize,
    state: Mutex<State<T>>,
    not_empty: Condvar,
    not_full: Condvar,
}

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    closed: bool,
}

/// `pop_timeout` found nothing in time.
#[derive(Debug, PartialEq, Eq)]
pub struct PopTimeout;

impl<T> Queue<T> {
    /// An empty, open queue of at most `capacity` items (at least 1).
    pub fn new(capacity: usize) -> Self {
        Queue {
            capacity: capacity.max(1),
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
        }
    }

    /// Adds `item`, waiting while the queue is full. A closed queue gives it back.
    ///
    /// # Errors
    ///
    /// The queue is closed: `item` comes back.
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut state = self.state.lock().unwrap();
        while state.items.len() == self.capacity && !state.closed {
            state = self.not_full.wait(state).unwrap();
        }
        if state.closed {
            return Err(item);
        }
        state.items.push_back(item);
        self.not_empty.notify_one();
        Ok(())
    }

    /// The oldest item, waiting while the queue is empty; `None` once it is empty and closed.
    pub fn pop(&self) -> Option<T> {
        let mut state = self.state.lock().unwrap();
        loop {
            if let Some(item) = state.items.pop_front() {
                self.not_full.notify_one();
                return Some(item);
            }
            if state.closed {
                return None;
            }
            state = self.not_empty.wait(state).unwrap();
        }
    }

    /// As [`pop`](Self::pop), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// Nothing came in time (and the queue is open).
    pub fn pop_timeout(&self, timeout: Duration) -> Result<Option<T>, PopTimeout> {
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock().unwrap();
        loop {
            if let Some(item) = state.items.pop_front() {
                self.not_full.notify_one();
                return Ok(Some(item));
            }
            if state.closed {
                return Ok(None);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(PopTimeout);
            }
            state = self.not_empty.wait_timeout(state, left).unwrap().0;
        }
    }

    /// Closes the queue: waiting `push`es give their items back, `pop`s drain what is left and
    /// then return `None`.
    pub fn close(&self) {
        self.state.lock().unwrap().closed = true;
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interleave::sync::Arc;
    use interleave::thread;

    /// Two producers push `per_producer` items each, two consumers pop until the queue is
    /// closed; returns every item popped, sorted.
    fn pass_items_through(per_producer: u32) -> Vec<u32> {
        let queue = Arc::new(Queue::new(2));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || std::iter::from_fn(|| queue.pop()).collect::<Vec<_>>())
            })
            .collect();
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || {
                    for i in 0..per_producer {
                        queue.push(p * per_producer + i).unwrap();
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.join().unwrap();
        }
        queue.close();
        let mut popped: Vec<u32> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        popped.sort_unstable();
        popped
    }

    // Ordinary tests: real threads, real time.

    #[test]
    fn every_item_comes_out_once_a_hundred_times_over() {
        let start = std::time::Instant::now();
        for _ in 0..100 {
            assert_eq!(pass_items_through(50), (0..100).collect::<Vec<_>>());
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(30));
    }

    #[test]
    fn pop_timeout_times_out_on_an_empty_queue() {
        let queue: Queue<u8> = Queue::new(1);
        let start = std::time::Instant::now();
        assert_eq!(
            queue.pop_timeout(Duration::from_millis(30)),
            Err(PopTimeout)
        );
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn a_blocked_push_and_a_timed_pop_are_served() {
        let queue = Arc::new(Queue::new(1));
        queue.push(1).unwrap();
        let q2 = Arc::clone(&queue);
        let pusher = thread::spawn(move || q2.push(2));
        assert_eq!(queue.pop_timeout(Duration::from_secs(10)), Ok(Some(1)));
        assert_eq!(queue.pop_timeout(Duration::from_secs(10)), Ok(Some(2)));
        assert_eq!(pusher.join().unwrap(), Ok(()));
        queue.close();
        assert_eq!(queue.pop_timeout(Duration::from_secs(10)), Ok(None));
        assert_eq!(queue.push(3), Err(3));
    }

    // Checks: the same code, explored.

    #[test]
    fn the_queue_is_clean_under_every_schedule_tried() {
        let report = interleave::Config::pct(300, 3)
            .write_artifact(false)
            .explore(|| assert_eq!(pass_items_through(2), [0, 1, 2, 3]));
        assert!(report.is_clean(), "{report}");
        assert_eq!(report.executions, 300);
    }

    #[test]
    fn a_timed_pop_times_out_in_virtual_time_inside_a_check() {
        interleave::check(|| {
            let queue: Queue<u8> = Queue::new(1);
            let start = Instant::now();
            assert_eq!(
                queue.pop_timeout(Duration::from_secs(3600)),
                Err(PopTimeout)
            );
            assert_eq!(start.elapsed(), Duration::from_secs(3600));
        });
    }
}
