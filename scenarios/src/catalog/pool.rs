//! Thread pools and work queues: FIFO and LIFO queues, termination detection, shutdown and
//! sentinels. Each pool is small (two workers, a handful of jobs) but written the way real
//! pools are: a shared queue behind a mutex and a condvar, or an mpsc channel.

use std::collections::VecDeque;

use interleave::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use interleave::sync::{Arc, Condvar, Mutex};
use interleave::thread::JoinHandle;
use interleave::Kind;

use super::spawn;
use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "pool/join-before-close",
            category: Category::Pool,
            description: "the pool's drop joins its workers before dropping the job sender they wait on",
            source: "the graceful-shutdown order of The Rust Programming Language's ThreadPool (ch. 20): drop the sender, then join",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 1,
            twin: Some("pool/join-before-close-fixed"),
            body: join_before_close::<false>,
        },
        Scenario {
            name: "pool/join-before-close-fixed",
            category: Category::Pool,
            description: "the pool drops the sender first, so every worker's `recv` returns and it exits",
            source: "the fix: close the queue, then join",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("pool/join-before-close"),
            body: join_before_close::<true>,
        },
        Scenario {
            name: "pool/lifo-sentinel",
            category: Category::Pool,
            description: "shutdown pushes one stop sentinel per worker onto a LIFO stack, on top of jobs still queued",
            source: "a shutdown sentinel in a LIFO queue overtakes the work queued before it (owner-side work-stealing deques are LIFO)",
            expected: Expected::Finds(Kind::Panic),
            budget: 50,
            twin: Some("pool/lifo-sentinel-fixed"),
            body: lifo_sentinel::<false>,
        },
        Scenario {
            name: "pool/lifo-sentinel-fixed",
            category: Category::Pool,
            description: "the queue is FIFO, so the sentinels come after every job",
            source: "the fix: sentinels need FIFO order (or a count of outstanding jobs)",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("pool/lifo-sentinel"),
            body: lifo_sentinel::<true>,
        },
        Scenario {
            name: "pool/early-termination",
            category: Category::Pool,
            description: "a crawl worker marks its page done before queueing the links it found; main sees zero pending and stops",
            source: "termination detection in a work queue whose jobs spawn jobs: the pending count must rise before it falls",
            expected: Expected::Finds(Kind::Panic),
            budget: 20,
            twin: Some("pool/early-termination-fixed"),
            body: early_termination::<false>,
        },
        Scenario {
            name: "pool/early-termination-fixed",
            category: Category::Pool,
            description: "the worker queues the links, then marks its page done",
            source: "the fix: count the children in before counting the parent out",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("pool/early-termination"),
            body: early_termination::<true>,
        },
        Scenario {
            name: "pool/shutdown-drops-jobs",
            category: Category::Pool,
            description: "a worker checks the shutdown flag before the queue, so jobs submitted before shutdown never run",
            source: "immediate instead of graceful shutdown (Java's `shutdownNow` where `shutdown` was meant)",
            expected: Expected::Finds(Kind::Panic),
            budget: 40,
            twin: Some("pool/shutdown-drops-jobs-fixed"),
            body: shutdown_drops_jobs::<false>,
        },
        Scenario {
            name: "pool/shutdown-drops-jobs-fixed",
            category: Category::Pool,
            description: "workers drain the queue and exit only when it is empty and shut down",
            source: "the fix: drain, then stop",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("pool/shutdown-drops-jobs"),
            body: shutdown_drops_jobs::<true>,
        },
        Scenario {
            name: "pool/bounded-pipeline",
            category: Category::Pool,
            description: "main submits every job to a bounded queue before collecting any result from a bounded result channel",
            source: "a pipeline whose bounded stages fill up in a cycle (GoKer's channel communication deadlocks)",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 1,
            twin: Some("pool/bounded-pipeline-fixed"),
            body: bounded_pipeline::<false>,
        },
        Scenario {
            name: "pool/bounded-pipeline-fixed",
            category: Category::Pool,
            description: "a feeder thread submits the jobs while main collects the results",
            source: "the fix: submit and collect concurrently",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("pool/bounded-pipeline"),
            body: bounded_pipeline::<true>,
        },
    ]
}

type Job = Box<dyn FnOnce() + Send>;

/// The Rust book's thread pool: workers share the job receiver behind a mutex.
struct ThreadPool<const FIXED: bool> {
    workers: Vec<JoinHandle<()>>,
    sender: Option<Sender<Job>>,
}

impl<const FIXED: bool> ThreadPool<FIXED> {
    fn new(size: usize) -> Self {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = (0..size)
            .map(|i| {
                let receiver: Arc<Mutex<Receiver<Job>>> = Arc::clone(&receiver);
                spawn(&format!("pool-worker-{i}"), move || loop {
                    let message = receiver.lock().unwrap().recv();
                    match message {
                        Ok(job) => job(),
                        Err(_) => break,
                    }
                })
            })
            .collect();
        ThreadPool {
            workers,
            sender: Some(sender),
        }
    }

    fn execute(&self, job: impl FnOnce() + Send + 'static) {
        self.sender.as_ref().unwrap().send(Box::new(job)).unwrap();
    }
}

impl<const FIXED: bool> Drop for ThreadPool<FIXED> {
    fn drop(&mut self) {
        if FIXED {
            drop(self.sender.take());
        }
        for worker in self.workers.drain(..) {
            worker.join().unwrap();
        }
        drop(self.sender.take());
    }
}

/// Join before close (the graceful-shutdown order of *The Rust Programming Language*'s
/// `ThreadPool`, ch. 20): the pool's `Drop` joins workers that wait in `recv` on a channel whose
/// sender the pool still holds. `FIXED`: drop the sender, then join.
fn join_before_close<const FIXED: bool>() {
    let total = Arc::new(Mutex::new(0));
    {
        let pool = ThreadPool::<FIXED>::new(2);
        for n in 1..=3 {
            let total = Arc::clone(&total);
            pool.execute(move || *total.lock().unwrap() += n);
        }
    }
    assert_eq!(*total.lock().unwrap(), 6);
}

/// A task of a stack-based queue: a job, or a worker's stop sentinel.
enum Task {
    Run(u32),
    Stop,
}

/// A queue of tasks: a stack (LIFO) for the bug, a queue (FIFO) for the fix.
struct TaskQueue<const FIXED: bool> {
    tasks: Mutex<VecDeque<Task>>,
    available: Condvar,
}

impl<const FIXED: bool> TaskQueue<FIXED> {
    fn push(&self, task: Task) {
        self.tasks.lock().unwrap().push_back(task);
        self.available.notify_one();
    }

    fn pop(&self) -> Task {
        let mut tasks = self.tasks.lock().unwrap();
        loop {
            let task = if FIXED {
                tasks.pop_front()
            } else {
                tasks.pop_back()
            };
            match task {
                Some(task) => return task,
                None => tasks = self.available.wait(tasks).unwrap(),
            }
        }
    }
}

/// A sentinel in a LIFO queue: shutdown pushes one `Stop` per worker on top of a stack that may
/// still hold jobs, so workers stop before running them (owner-side work-stealing deques are LIFO,
/// which is why sentinels belong in FIFO queues). `FIXED`: a FIFO queue.
fn lifo_sentinel<const FIXED: bool>() {
    let queue = Arc::new(TaskQueue::<FIXED> {
        tasks: Mutex::new(VecDeque::new()),
        available: Condvar::new(),
    });
    let done = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let (queue, done) = (Arc::clone(&queue), Arc::clone(&done));
            spawn(&format!("worker-{i}"), move || {
                while let Task::Run(job) = queue.pop() {
                    done.lock().unwrap().push(job);
                }
            })
        })
        .collect();
    for job in 1..=3 {
        queue.push(Task::Run(job));
    }
    for _ in &workers {
        queue.push(Task::Stop);
    }
    for worker in workers {
        worker.join().unwrap();
    }
    let mut done = done.lock().unwrap().clone();
    done.sort_unstable();
    assert_eq!(done, [1, 2, 3], "jobs queued before shutdown never ran");
}

/// A crawl: pages to visit, how many are queued or in progress, and what was visited.
#[derive(Debug, Default)]
struct Crawl {
    frontier: VecDeque<&'static str>,
    pending: usize,
    visited: Vec<&'static str>,
    stopped: bool,
}

/// The links on each page of a tiny site.
fn links(page: &str) -> &'static [&'static str] {
    match page {
        "/" => &["/docs", "/blog"],
        "/docs" => &["/docs/api"],
        _ => &[],
    }
}

/// Early termination of a work queue whose jobs spawn jobs (termination detection): a crawler
/// counts its page out (`pending -= 1`) before counting the links it found in, so main can see
/// zero pending, stop the crawl and report too few pages. `FIXED`: children in, then parent out.
fn early_termination<const FIXED: bool>() {
    let crawl = Arc::new((
        Mutex::new(Crawl {
            frontier: VecDeque::from(["/"]),
            pending: 1,
            ..Crawl::default()
        }),
        Condvar::new(),
    ));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let crawl = Arc::clone(&crawl);
            spawn(&format!("crawler-{i}"), move || {
                let (state, changed) = &*crawl;
                loop {
                    let page = {
                        let mut state = state.lock().unwrap();
                        loop {
                            if state.stopped {
                                return;
                            }
                            if let Some(page) = state.frontier.pop_front() {
                                break page;
                            }
                            state = changed.wait(state).unwrap();
                        }
                    };
                    let found = links(page);
                    let mut state = state.lock().unwrap();
                    state.visited.push(page);
                    if FIXED {
                        state.frontier.extend(found);
                        state.pending += found.len();
                        state.pending -= 1;
                    } else {
                        state.pending -= 1;
                        drop(state);
                        changed.notify_all();
                        let mut state = crawl.0.lock().unwrap();
                        state.frontier.extend(found);
                        state.pending += found.len();
                    }
                    changed.notify_all();
                }
            })
        })
        .collect();
    let (state, changed) = &*crawl;
    let mut guard = state.lock().unwrap();
    while guard.pending > 0 {
        guard = changed.wait(guard).unwrap();
    }
    guard.stopped = true;
    let visited = guard.visited.len();
    drop(guard);
    changed.notify_all();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(
        visited, 4,
        "the crawl stopped before every page was visited"
    );
}

/// A FIFO job queue with a shutdown flag.
#[derive(Debug, Default)]
struct Queue {
    jobs: VecDeque<u32>,
    shutdown: bool,
}

/// Immediate instead of graceful shutdown (`shutdownNow` where `shutdown` was meant): workers check
/// the shutdown flag before the queue, so jobs submitted before the shutdown are dropped. `FIXED`:
/// drain the queue, then stop.
fn shutdown_drops_jobs<const FIXED: bool>() {
    let queue = Arc::new((Mutex::new(Queue::default()), Condvar::new()));
    let completed = Arc::new(Mutex::new(0));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let (queue, completed) = (Arc::clone(&queue), Arc::clone(&completed));
            spawn(&format!("worker-{i}"), move || {
                let (state, changed) = &*queue;
                loop {
                    let mut state = state.lock().unwrap();
                    while state.jobs.is_empty() && !state.shutdown {
                        state = changed.wait(state).unwrap();
                    }
                    let job = if FIXED {
                        match state.jobs.pop_front() {
                            Some(job) => job,
                            None => return,
                        }
                    } else {
                        if state.shutdown {
                            return;
                        }
                        state.jobs.pop_front().expect("woken for a job")
                    };
                    drop(state);
                    *completed.lock().unwrap() += job;
                }
            })
        })
        .collect();
    let (state, changed) = &*queue;
    for job in [1, 2, 3] {
        state.lock().unwrap().jobs.push_back(job);
        changed.notify_one();
    }
    state.lock().unwrap().shutdown = true;
    changed.notify_all();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(*completed.lock().unwrap(), 6, "a submitted job never ran");
}

/// A bounded pipeline that fills up in a cycle (GoKer's channel deadlocks): main submits four jobs
/// to a one-slot queue before collecting any result from a one-slot result channel; the squarer
/// blocks on a full result channel and main on a full job queue. `FIXED`: a feeder thread submits
/// while main collects.
fn bounded_pipeline<const FIXED: bool>() {
    let (jobs, job_inbox) = sync_channel::<u64>(1);
    let (results, result_inbox) = sync_channel::<u64>(1);
    let worker = spawn("squarer", move || {
        for n in job_inbox {
            results.send(n * n).unwrap();
        }
    });
    let numbers = [1, 2, 3, 4];
    let feeder = if FIXED {
        Some(spawn("feeder", move || {
            for n in numbers {
                jobs.send(n).unwrap();
            }
        }))
    } else {
        for n in numbers {
            jobs.send(n).unwrap();
        }
        drop(jobs);
        None
    };
    let sum: u64 = result_inbox.iter().sum();
    if let Some(feeder) = feeder {
        feeder.join().unwrap();
    }
    worker.join().unwrap();
    assert_eq!(sum, 1 + 4 + 9 + 16);
}
