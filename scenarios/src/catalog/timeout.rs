//! Timeouts in virtual time: waits with deadlines, timers racing the events they wait for.

use std::collections::BTreeMap;

use interleave::sync::mpsc::{self, RecvTimeoutError};
use interleave::sync::{Arc, Mutex};
use interleave::time::{deadline, Duration, Instant};
use interleave::{thread, Kind};

use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "timeout/pool-shutdown-sentinel",
            category: Category::Timeout,
            description: "a pool's shutdown sends one stop sentinel for two polling workers and misses its deadline",
            source: "shutdown with sentinels (GoKer's `grpc` and `etcd` stop-channel bugs; the thread-pool shutdown pattern of the PLDI 2020 Rust study)",
            expected: Expected::Finds(Kind::MissedTimeout),
            budget: 1,
            twin: Some("timeout/pool-shutdown-sentinel-fixed"),
            body: pool_shutdown::<false>,
        },
        Scenario {
            name: "timeout/pool-shutdown-sentinel-fixed",
            category: Category::Timeout,
            description: "one stop sentinel per worker: the shutdown finishes well within its deadline",
            source: "the fix: a sentinel for every consumer",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("timeout/pool-shutdown-sentinel"),
            body: pool_shutdown::<true>,
        },
        Scenario {
            name: "timeout/event-loop-first-timer",
            category: Category::Timeout,
            description: "an event loop sleeps until its first registered timer, not its earliest, so a callback fires late",
            source: "event loops with timer queues (timer wheels sleeping on a stale head; tokio issue class `sleep until the wrong deadline`)",
            expected: Expected::Finds(Kind::MissedTimeout),
            budget: 10,
            twin: Some("timeout/event-loop-first-timer-fixed"),
            body: event_loop::<false>,
        },
        Scenario {
            name: "timeout/event-loop-first-timer-fixed",
            category: Category::Timeout,
            description: "the loop sleeps until the earliest pending timer",
            source: "the fix: wait until the minimum deadline",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("timeout/event-loop-first-timer"),
            body: event_loop::<true>,
        },
        Scenario {
            name: "timeout/late-response",
            category: Category::Timeout,
            description: "a response arriving just after its timeout is taken as the answer to the next request",
            source: "request/response with a timeout (the stale-reply bug of RPC clients; GoKer `kubernetes` timeout-channel bugs)",
            expected: Expected::Finds(Kind::Panic),
            budget: 200,
            twin: Some("timeout/late-response-fixed"),
            body: late_response::<false>,
        },
        Scenario {
            name: "timeout/late-response-fixed",
            category: Category::Timeout,
            description: "responses carry the request id and stale ones are dropped",
            source: "the fix: correlate replies with requests",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("timeout/late-response"),
            body: late_response::<true>,
        },
    ]
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

enum Job {
    Work(u32),
    Stop,
}

/// Two workers poll a job queue every 50ms. Shutdown must finish within 200ms; it sends one
/// `Stop` (`FIXED`: one per worker) and joins the workers. With a single sentinel, one worker
/// never stops, and the join waits past the deadline while it keeps polling.
fn pool_shutdown<const FIXED: bool>() {
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    let done = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let (queue, done) = (Arc::clone(&queue), Arc::clone(&done));
            thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || loop {
                    let next = queue.lock().unwrap().recv_timeout(ms(50));
                    match next {
                        Ok(Job::Work(n)) => done.lock().unwrap().push(n),
                        Ok(Job::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                })
                .unwrap()
        })
        .collect();
    for n in 0..3 {
        jobs.send(Job::Work(n)).unwrap();
    }
    deadline(ms(200), || {
        let sentinels = if FIXED { workers.len() } else { 1 };
        for _ in 0..sentinels {
            jobs.send(Job::Stop).unwrap();
        }
        for worker in workers {
            worker.join().unwrap();
        }
    });
    let mut done = done.lock().unwrap().clone();
    done.sort_unstable();
    assert_eq!(done, [0, 1, 2]);
}

enum Command {
    /// Run the callback with this id `after` from now.
    After(u32, Duration),
    Quit,
}

/// A client registers a 100ms timer, then a 20ms one, and needs the 20ms callback within 30ms.
/// The loop sleeps until its first registered timer (`FIXED`: its earliest), so the 20ms
/// callback runs at 100ms and the client's deadline passes while it waits.
fn event_loop<const FIXED: bool>() {
    let (commands, inbox) = mpsc::channel::<Command>();
    let (fired_tx, fired) = mpsc::channel::<u32>();
    let event_loop = thread::Builder::new()
        .name("event-loop".into())
        .spawn(move || {
            // Deadline → callback id; the order timers were registered in.
            let mut timers: BTreeMap<Instant, u32> = BTreeMap::new();
            let mut registered: Vec<Instant> = Vec::new();
            loop {
                let now = Instant::now();
                for (&at, &id) in timers.range(..=now) {
                    let _ = fired_tx.send(id);
                    registered.retain(|&r| r != at);
                }
                timers.retain(|&at, _| at > now);
                let next = if FIXED {
                    timers.keys().next().copied()
                } else {
                    registered.first().copied()
                };
                let command = match next {
                    Some(at) => match inbox.recv_timeout(at.saturating_duration_since(now)) {
                        Ok(command) => command,
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => break,
                    },
                    None => match inbox.recv() {
                        Ok(command) => command,
                        Err(_) => break,
                    },
                };
                match command {
                    Command::After(id, after) => {
                        let at = Instant::now() + after;
                        timers.insert(at, id);
                        registered.push(at);
                    }
                    Command::Quit => break,
                }
            }
        })
        .unwrap();
    commands.send(Command::After(1, ms(100))).unwrap();
    commands.send(Command::After(2, ms(20))).unwrap();
    // The 20ms callback must run within 30ms of registering it (any other callback may come
    // first: a descheduled loop can wake with both due).
    deadline(ms(30), || while fired.recv().unwrap() != 2 {});
    commands.send(Command::Quit).unwrap();
    event_loop.join().unwrap();
}

/// A client sends two requests, waiting 100ms for each answer; the server answers each with
/// the request's id. If a response comes after its timeout, the client takes it as the answer
/// to the next request (`FIXED`: stale responses are recognised by their id and dropped).
fn late_response<const FIXED: bool>() {
    let (request_tx, request_rx) = mpsc::channel::<u32>();
    let (response_tx, response_rx) = mpsc::channel::<u32>();
    let server = thread::Builder::new()
        .name("server".into())
        .spawn(move || {
            for id in request_rx {
                if response_tx.send(id).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    for id in 1..=2 {
        request_tx.send(id).unwrap();
        let answer = loop {
            match response_rx.recv_timeout(ms(100)) {
                Ok(answer) if FIXED && answer != id => continue,
                Ok(answer) => break Some(answer),
                Err(_) => break None,
            }
        };
        if let Some(answer) = answer {
            assert_eq!(
                answer, id,
                "the answer to request {id} is for request {answer}"
            );
        }
    }
    drop(request_tx);
    server.join().unwrap();
}
