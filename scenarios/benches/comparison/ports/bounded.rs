// Ports of the catalog's bugs that raw shuttle can run but raw loom cannot: more than 4
// spawned threads, bounded (`sync_channel`) channels, or a channel whose disconnection ends a
// loop (loom's mpsc has no bounded channels and never disconnects). Included into
// `ports::shuttle`, which supplies `rt`.

use rt::sync_channel;

/// The programs of this file, by catalog name.
pub(crate) fn bounded_programs() -> Vec<(&'static str, fn())> {
    vec![
        ("lock-order/dining-philosophers", dining_philosophers),
        ("channel/rendezvous-no-partner", rendezvous_no_partner),
        (
            "channel/full-while-receiver-locks",
            full_while_receiver_locks::<false>,
        ),
        ("channel/join-unclosed", join_unclosed),
        ("pool/join-before-close", join_before_close),
        ("pool/bounded-pipeline", bounded_pipeline),
    ]
}

/// The clean programs measured for throughput, by catalog name.
pub(crate) fn bounded_twins() -> Vec<(&'static str, fn())> {
    vec![(
        "channel/full-while-receiver-locks-fixed",
        full_while_receiver_locks::<true>,
    )]
}

const PHILOSOPHERS: usize = 5;

fn dining_philosophers() {
    let forks: Arc<Vec<Mutex<u32>>> = Arc::new((0..PHILOSOPHERS).map(|_| Mutex::new(0)).collect());
    let philosophers: Vec<_> = (0..PHILOSOPHERS)
        .map(|i| {
            let forks = Arc::clone(&forks);
            spawn(&format!("philosopher-{i}"), move || {
                let (left, right) = (i, (i + 1) % PHILOSOPHERS);
                let mut first = forks[left].lock().unwrap();
                let mut second = forks[right].lock().unwrap();
                *first += 1;
                *second += 1;
            })
        })
        .collect();
    for philosopher in philosophers {
        philosopher.join().unwrap();
    }
    let meals: u32 = forks.iter().map(|fork| *fork.lock().unwrap()).sum();
    assert_eq!(meals, 2 * PHILOSOPHERS as u32);
}

fn rendezvous_no_partner() {
    let replicas = 2;
    let (answers, first_answer) = sync_channel::<u32>(0);
    let handles: Vec<_> = (0..replicas)
        .map(|i| {
            let answers = answers.clone();
            spawn(&format!("replica-{i}"), move || {
                let _ = answers.send(40 + i as u32);
            })
        })
        .collect();
    drop(answers);
    let answer = first_answer.recv().expect("a replica answers");
    for handle in handles {
        handle.join().unwrap();
    }
    assert!(answer == 40 || answer == 41);
}

#[derive(Default)]
struct Stats {
    sent: u32,
    received: u32,
}

fn full_while_receiver_locks<const FIXED: bool>() {
    let stats = Arc::new(Mutex::new(Stats::default()));
    let (batches, inbox) = sync_channel::<Vec<u8>>(1);
    let s = Arc::clone(&stats);
    let producer = spawn("producer", move || {
        for batch in 0..2u8 {
            if FIXED {
                s.lock().unwrap().sent += 1;
                batches.send(vec![batch; 4]).unwrap();
            } else {
                let mut stats = s.lock().unwrap();
                stats.sent += 1;
                batches.send(vec![batch; 4]).unwrap();
            }
        }
    });
    let s = Arc::clone(&stats);
    let consumer = spawn("consumer", move || {
        for _ in 0..2 {
            s.lock().unwrap().received += 1;
            let batch = inbox.recv().unwrap();
            assert_eq!(batch.len(), 4);
        }
    });
    producer.join().unwrap();
    consumer.join().unwrap();
    let stats = stats.lock().unwrap();
    assert_eq!((stats.sent, stats.received), (2, 2));
}

fn join_unclosed() {
    let (documents, inbox) = channel::<String>();
    let indexer = spawn("indexer", move || {
        let mut words = 0;
        for document in inbox {
            words += document.split_whitespace().count();
        }
        words
    });
    for document in ["the quick brown fox", "jumps over", "the lazy dog"] {
        documents.send(document.to_owned()).unwrap();
    }
    assert_eq!(indexer.join().unwrap(), 9);
    drop(documents);
}

type PoolJob = Box<dyn FnOnce() + Send>;

struct ThreadPool {
    workers: Vec<JoinHandle<()>>,
    sender: Option<rt::Sender<PoolJob>>,
}

impl ThreadPool {
    fn new(size: usize) -> Self {
        let (sender, receiver) = channel::<PoolJob>();
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = (0..size)
            .map(|i| {
                let receiver = Arc::clone(&receiver);
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

impl Drop for ThreadPool {
    fn drop(&mut self) {
        for worker in self.workers.drain(..) {
            worker.join().unwrap();
        }
        drop(self.sender.take());
    }
}

fn join_before_close() {
    let total = Arc::new(Mutex::new(0));
    {
        let pool = ThreadPool::new(2);
        for n in 1..=3 {
            let total = Arc::clone(&total);
            pool.execute(move || *total.lock().unwrap() += n);
        }
    }
    assert_eq!(*total.lock().unwrap(), 6);
}

fn bounded_pipeline() {
    let (jobs, job_inbox) = sync_channel::<u64>(1);
    let (results, result_inbox) = sync_channel::<u64>(1);
    let worker = spawn("squarer", move || {
        for n in job_inbox {
            results.send(n * n).unwrap();
        }
    });
    for n in [1, 2, 3, 4] {
        jobs.send(n).unwrap();
    }
    drop(jobs);
    let sum: u64 = result_inbox.iter().sum();
    worker.join().unwrap();
    assert_eq!(sum, 1 + 4 + 9 + 16);
}
