// Ports of the catalog's bugs that fit both raw shuttle and raw loom (at most 4 spawned
// threads, no bounded channels, no reliance on a channel disconnecting: loom's mpsc has
// neither). Included into `ports::shuttle` and `ports::loom`, each of which supplies `rt`.
//
// Each function is the catalog scenario's body with interleave's types swapped for the engine's
// (see `scenarios/src/catalog/`), bug version only unless a `FIXED` parameter says otherwise
// (the fixed twins measured for throughput). Keep them in step with the catalog.

use std::collections::{HashMap, HashSet, VecDeque};

use rt::atomic::{AtomicBool, AtomicUsize, Ordering};
use rt::{channel, Builder, JoinHandle};
use rt::{Arc, Condvar, Mutex, RwLock};

/// The programs of this file, by catalog name.
pub(crate) fn programs() -> Vec<(&'static str, fn())> {
    vec![
        ("lock-order/ab-ba", ab_ba::<false>),
        ("lock-order/hold-and-wait-helper", hold_and_wait_helper),
        ("lock-order/read-write-read", read_write_read),
        ("lock-order/transfer-by-argument", transfer_by_argument),
        ("guard-lifetime/match-scrutinee", match_scrutinee),
        ("guard-lifetime/if-let-scrutinee", if_let_scrutinee),
        ("guard-lifetime/rwlock-upgrade", rwlock_upgrade),
        ("guard-lifetime/guard-across-join", guard_across_join),
        ("condvar/lost-wakeup", lost_wakeup),
        ("condvar/if-not-while", if_not_while::<false>),
        ("condvar/wrong-predicate", wrong_predicate),
        ("condvar/notify-one-not-all", notify_one_not_all),
        ("channel/recv-holding-lock", recv_holding_lock),
        ("atomicity/check-then-act", check_then_act),
        ("atomicity/lost-update", lost_update),
        ("atomicity/racy-lazy-init", racy_lazy_init),
        ("atomicity/teardown-before-use", teardown_before_use),
        ("pool/lifo-sentinel", lifo_sentinel),
        ("pool/early-termination", early_termination),
        ("pool/shutdown-drops-jobs", shutdown_drops_jobs),
        ("livelock/dueling-proposers", dueling_proposers),
    ]
}

/// The clean programs measured for throughput, by catalog name.
pub(crate) fn twins() -> Vec<(&'static str, fn())> {
    vec![
        ("lock-order/ab-ba-fixed", ab_ba::<true>),
        ("condvar/if-not-while-fixed", if_not_while::<true>),
    ]
}

fn spawn<T, F>(name: &str, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().name(name.to_owned()).spawn(f).unwrap()
}

fn ab_ba<const FIXED: bool>() {
    let accounts = Arc::new(Mutex::new(100));
    let ledger = Arc::new(Mutex::new(Vec::<i32>::new()));
    let (a, l) = (Arc::clone(&accounts), Arc::clone(&ledger));
    let transfer = spawn("transfer", move || {
        let mut balance = a.lock().unwrap();
        *balance -= 10;
        l.lock().unwrap().push(-10);
    });
    let audit = spawn("audit", move || {
        if FIXED {
            let balance = accounts.lock().unwrap();
            let entries = ledger.lock().unwrap();
            assert_eq!(*balance - entries.iter().sum::<i32>(), 100);
        } else {
            let entries = ledger.lock().unwrap();
            let balance = accounts.lock().unwrap();
            assert_eq!(*balance - entries.iter().sum::<i32>(), 100);
        }
    });
    transfer.join().unwrap();
    audit.join().unwrap();
}

struct Inventory {
    stock: Mutex<u32>,
    log: Mutex<Vec<String>>,
}

impl Inventory {
    fn record(&self, entry: String) {
        self.log.lock().unwrap().push(entry);
    }

    fn stock_level(&self) -> u32 {
        *self.stock.lock().unwrap()
    }

    fn sell(&self) {
        let mut stock = self.stock.lock().unwrap();
        *stock -= 1;
        self.record(format!("sold 1, {} left", *stock));
    }

    fn audit(&self) {
        let log = self.log.lock().unwrap();
        let (level, entries) = (self.stock_level(), log.len());
        assert_eq!(level as usize + entries, 3, "stock and log disagree");
    }
}

fn hold_and_wait_helper() {
    let shop = Arc::new(Inventory {
        stock: Mutex::new(3),
        log: Mutex::new(Vec::new()),
    });
    let s = Arc::clone(&shop);
    let checkout = spawn("checkout", move || s.sell());
    let s = Arc::clone(&shop);
    let auditor = spawn("auditor", move || s.audit());
    checkout.join().unwrap();
    auditor.join().unwrap();
    assert_eq!(shop.stock_level(), 2);
}

struct Router {
    routes: RwLock<HashMap<&'static str, u16>>,
}

impl Router {
    fn backend(&self, path: &str) -> u16 {
        let routes = self.routes.read().unwrap();
        match routes.get(path) {
            Some(&port) => port,
            None => self.default_backend(),
        }
    }

    fn default_backend(&self) -> u16 {
        self.routes.read().unwrap().get("/").copied().unwrap_or(80)
    }
}

fn read_write_read() {
    let router = Arc::new(Router {
        routes: RwLock::new(HashMap::from([("/", 8080)])),
    });
    let r = Arc::clone(&router);
    let request = spawn("request", move || r.backend("/api"));
    let r = Arc::clone(&router);
    let admin = spawn("admin", move || {
        r.routes.write().unwrap().insert("/api", 9090);
    });
    let port = request.join().unwrap();
    admin.join().unwrap();
    assert!(port == 8080 || port == 9090, "routed to {port}");
}

struct Account {
    balance: Mutex<i64>,
}

fn transfer(from: &Account, to: &Account, amount: i64) {
    let mut debit = from.balance.lock().unwrap();
    let mut credit = to.balance.lock().unwrap();
    *debit -= amount;
    *credit += amount;
}

fn transfer_by_argument() {
    let alice = Arc::new(Account {
        balance: Mutex::new(100),
    });
    let bob = Arc::new(Account {
        balance: Mutex::new(50),
    });
    let (a, b) = (Arc::clone(&alice), Arc::clone(&bob));
    let pay_bob = spawn("alice-pays-bob", move || transfer(&a, &b, 30));
    let (a, b) = (Arc::clone(&alice), Arc::clone(&bob));
    let refund = spawn("bob-refunds-alice", move || transfer(&b, &a, 10));
    pay_bob.join().unwrap();
    refund.join().unwrap();
    let total = *alice.balance.lock().unwrap() + *bob.balance.lock().unwrap();
    assert_eq!(total, 150);
}

fn match_scrutinee() {
    let sessions = Arc::new(Mutex::new(HashMap::<u32, String>::new()));
    let s = Arc::clone(&sessions);
    let login = spawn("login", move || {
        s.lock().unwrap().insert(7, "alice".to_owned());
    });
    let s = Arc::clone(&sessions);
    let handler = spawn("handler", move || -> String {
        match s.lock().unwrap().get(&7) {
            Some(user) => user.clone(),
            None => {
                s.lock().unwrap().insert(7, "guest".to_owned());
                "guest".to_owned()
            }
        }
    });
    login.join().unwrap();
    let user = handler.join().unwrap();
    assert!(user == "alice" || user == "guest");
}

struct Job {
    id: u32,
    attempts: u32,
    flaky: bool,
}

fn if_let_scrutinee() {
    let queue = Arc::new(Mutex::new(VecDeque::<Job>::new()));
    let q = Arc::clone(&queue);
    let client = spawn("client", move || {
        for (id, flaky) in [(1, true), (2, false)] {
            q.lock().unwrap().push_back(Job {
                id,
                attempts: 0,
                flaky,
            });
        }
    });
    let q = Arc::clone(&queue);
    let worker = spawn("worker", move || {
        let mut done = Vec::new();
        for _ in 0..2 {
            let mut run = |mut job: Job| {
                job.attempts += 1;
                if job.flaky && job.attempts == 1 {
                    q.lock().unwrap().push_back(job);
                } else {
                    done.push(job.id);
                }
            };
            if let Some(job) = q.lock().unwrap().pop_front() {
                run(job);
            }
        }
        done
    });
    client.join().unwrap();
    let done = worker.join().unwrap();
    let left = queue.lock().unwrap().len();
    assert_eq!(done.len() + left, 2);
}

fn rwlock_upgrade() {
    let cache = Arc::new(RwLock::new(HashMap::<&'static str, u16>::new()));
    let c = Arc::clone(&cache);
    let loader = spawn("loader", move || {
        c.write().unwrap().insert("db", 5432);
    });
    let c = Arc::clone(&cache);
    let resolver = spawn("resolver", move || -> u16 {
        match c.read().unwrap().get("db") {
            Some(&port) => port,
            None => {
                c.write().unwrap().insert("db", 5432);
                5432
            }
        }
    });
    loader.join().unwrap();
    assert_eq!(resolver.join().unwrap(), 5432);
}

#[derive(Default)]
struct Metrics {
    flushed: u32,
    summaries: u32,
}

fn guard_across_join() {
    let metrics = Arc::new(Mutex::new(Metrics::default()));
    let m = Arc::clone(&metrics);
    let flusher = spawn("flusher", move || {
        m.lock().unwrap().flushed += 3;
    });
    let mut metrics = metrics.lock().unwrap();
    metrics.summaries += 1;
    flusher.join().unwrap();
    assert_eq!(metrics.flushed, 3);
}

struct Config {
    loaded: Mutex<bool>,
    changed: Condvar,
}

impl Config {
    fn is_loaded(&self) -> bool {
        *self.loaded.lock().unwrap()
    }
}

fn lost_wakeup() {
    let config = Arc::new(Config {
        loaded: Mutex::new(false),
        changed: Condvar::new(),
    });
    let c = Arc::clone(&config);
    let loader = spawn("loader", move || {
        *c.loaded.lock().unwrap() = true;
        c.changed.notify_one();
    });
    if !config.is_loaded() {
        let loaded = config.loaded.lock().unwrap();
        drop(config.changed.wait(loaded).unwrap());
    }
    loader.join().unwrap();
}

fn if_not_while<const FIXED: bool>() {
    let orders = Arc::new((Mutex::new(VecDeque::<u32>::new()), Condvar::new()));
    let consumers: Vec<_> = (0..2)
        .map(|i| {
            let orders = Arc::clone(&orders);
            spawn(&format!("consumer-{i}"), move || -> u32 {
                let (queue, not_empty) = &*orders;
                let mut queue = queue.lock().unwrap();
                if FIXED {
                    while queue.is_empty() {
                        queue = not_empty.wait(queue).unwrap();
                    }
                } else if queue.is_empty() {
                    queue = not_empty.wait(queue).unwrap();
                }
                queue.pop_front().expect("woken with an order to take")
            })
        })
        .collect();
    let o = Arc::clone(&orders);
    let producer = spawn("producer", move || {
        let (queue, not_empty) = &*o;
        for order in [101, 102] {
            queue.lock().unwrap().push_back(order);
            not_empty.notify_one();
        }
    });
    producer.join().unwrap();
    let mut taken: Vec<u32> = consumers.into_iter().map(|c| c.join().unwrap()).collect();
    taken.sort_unstable();
    assert_eq!(taken, [101, 102]);
}

#[derive(Default)]
struct Log {
    entries: VecDeque<String>,
    closed: bool,
    written: usize,
}

fn wrong_predicate() {
    let log = Arc::new((Mutex::new(Log::default()), Condvar::new()));
    let l = Arc::clone(&log);
    let writer = spawn("log-writer", move || {
        let (log, changed) = &*l;
        let mut log = log.lock().unwrap();
        loop {
            if log.closed && log.entries.is_empty() {
                break;
            }
            while log.entries.is_empty() {
                log = changed.wait(log).unwrap();
            }
            match log.entries.pop_front() {
                Some(_entry) => log.written += 1,
                None => break,
            }
        }
    });
    let (state, changed) = &*log;
    state
        .lock()
        .unwrap()
        .entries
        .push_back("server started".to_owned());
    changed.notify_all();
    state.lock().unwrap().closed = true;
    changed.notify_all();
    writer.join().unwrap();
    assert_eq!(state.lock().unwrap().written, 1);
}

fn notify_one_not_all() {
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let gate = Arc::clone(&gate);
            spawn(&format!("worker-{i}"), move || {
                let (open, opened) = &*gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = opened.wait(open).unwrap();
                }
            })
        })
        .collect();
    let (open, opened) = &*gate;
    *open.lock().unwrap() = true;
    opened.notify_one();
    for worker in workers {
        worker.join().unwrap();
    }
}

#[derive(Default)]
struct Connection {
    in_flight: Option<u32>,
    answered: u32,
}

fn recv_holding_lock() {
    let connection = Arc::new(Mutex::new(Connection::default()));
    let (requests, server_inbox) = channel::<u32>();
    let (replies, client_inbox) = channel::<String>();
    let c = Arc::clone(&connection);
    let server = spawn("server", move || {
        let request = server_inbox.recv().unwrap();
        c.lock().unwrap().answered += 1;
        replies.send(format!("reply to {request}")).unwrap();
    });
    requests.send(1).unwrap();
    let mut conn = connection.lock().unwrap();
    conn.in_flight = Some(1);
    let reply = client_inbox.recv().unwrap();
    conn.in_flight = None;
    drop(conn);
    assert_eq!(reply, "reply to 1");
    server.join().unwrap();
    assert_eq!(connection.lock().unwrap().answered, 1);
}

fn check_then_act() {
    let balance = Arc::new(Mutex::new(100u64));
    let atms: Vec<_> = (0..2)
        .map(|i| {
            let balance = Arc::clone(&balance);
            spawn(&format!("atm-{i}"), move || -> bool {
                let sufficient = *balance.lock().unwrap() >= 60;
                if sufficient {
                    let mut balance = balance.lock().unwrap();
                    *balance = balance.checked_sub(60).expect("overdraft");
                }
                sufficient
            })
        })
        .collect();
    let paid = atms
        .into_iter()
        .map(|atm| atm.join().unwrap())
        .filter(|&paid| paid)
        .count();
    assert_eq!(paid, 1);
    assert_eq!(*balance.lock().unwrap(), 40);
}

fn lost_update() {
    let hits = Arc::new(AtomicUsize::new(0));
    let handlers: Vec<_> = (0..2)
        .map(|i| {
            let hits = Arc::clone(&hits);
            spawn(&format!("handler-{i}"), move || {
                let seen = hits.load(Ordering::SeqCst);
                hits.store(seen + 1, Ordering::SeqCst);
            })
        })
        .collect();
    for handler in handlers {
        handler.join().unwrap();
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2, "a hit was lost");
}

struct Telemetry {
    initialized: AtomicBool,
    registry: Mutex<HashSet<&'static str>>,
}

impl Telemetry {
    fn ensure_init(&self) {
        if !self.initialized.load(Ordering::Acquire) {
            let mut registry = self.registry.lock().unwrap();
            assert!(registry.insert("requests_total"), "metric registered twice");
            drop(registry);
            self.initialized.store(true, Ordering::Release);
        }
    }
}

fn racy_lazy_init() {
    let telemetry = Arc::new(Telemetry {
        initialized: AtomicBool::new(false),
        registry: Mutex::new(HashSet::new()),
    });
    let threads: Vec<_> = ["http", "grpc"]
        .into_iter()
        .map(|server| {
            let telemetry = Arc::clone(&telemetry);
            spawn(server, move || telemetry.ensure_init())
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(telemetry.registry.lock().unwrap().len(), 1);
}

enum LogMessage {
    Line,
    Shutdown,
}

fn teardown_before_use() {
    let (log, inbox) = channel::<LogMessage>();
    let logger = spawn("logger", move || {
        let mut written = 0;
        while let Ok(message) = inbox.recv() {
            match message {
                LogMessage::Line => written += 1,
                LogMessage::Shutdown => break,
            }
        }
        written
    });
    let l = log.clone();
    let handler = spawn("request-handler", move || {
        for line in ["GET /", "200 OK"] {
            l.send(LogMessage::Line)
                .unwrap_or_else(|_| panic!("logged `{line}` after the logger shut down"));
        }
    });
    log.send(LogMessage::Shutdown).unwrap();
    let written = logger.join().unwrap();
    handler.join().unwrap();
    assert!(written <= 2);
}

enum Task {
    Run(u32),
    Stop,
}

struct TaskStack {
    tasks: Mutex<Vec<Task>>,
    available: Condvar,
}

impl TaskStack {
    fn push(&self, task: Task) {
        self.tasks.lock().unwrap().push(task);
        self.available.notify_one();
    }

    fn pop(&self) -> Task {
        let mut tasks = self.tasks.lock().unwrap();
        loop {
            match tasks.pop() {
                Some(task) => return task,
                None => tasks = self.available.wait(tasks).unwrap(),
            }
        }
    }
}

fn lifo_sentinel() {
    let queue = Arc::new(TaskStack {
        tasks: Mutex::new(Vec::new()),
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

#[derive(Default)]
struct Crawl {
    frontier: VecDeque<&'static str>,
    pending: usize,
    visited: Vec<&'static str>,
    stopped: bool,
}

fn links(page: &str) -> &'static [&'static str] {
    match page {
        "/" => &["/docs", "/blog"],
        "/docs" => &["/docs/api"],
        _ => &[],
    }
}

fn early_termination() {
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
                    let mut guard = state.lock().unwrap();
                    guard.visited.push(page);
                    guard.pending -= 1;
                    drop(guard);
                    changed.notify_all();
                    let mut guard = state.lock().unwrap();
                    guard.frontier.extend(found);
                    guard.pending += found.len();
                    drop(guard);
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

#[derive(Default)]
struct Queue {
    jobs: VecDeque<u32>,
    shutdown: bool,
}

fn shutdown_drops_jobs() {
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
                    if state.shutdown {
                        return;
                    }
                    let job = state.jobs.pop_front().expect("woken for a job");
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

#[derive(Default)]
struct Acceptor {
    promised: u64,
    accepted: Option<(u64, &'static str)>,
}

#[derive(Default)]
struct Consensus {
    acceptor: Mutex<Acceptor>,
    chosen: Mutex<Option<&'static str>>,
    decided: Condvar,
}

impl Consensus {
    fn propose(&self, id: u64, value: &'static str) -> &'static str {
        let mut ballot = id;
        loop {
            let promise = {
                let mut acceptor = self.acceptor.lock().unwrap();
                if ballot > acceptor.promised {
                    acceptor.promised = ballot;
                    Some(acceptor.accepted)
                } else {
                    None
                }
            };
            if let Some(prior) = promise {
                let value = prior.map_or(value, |(_, accepted)| accepted);
                rt::thread::yield_now();
                let mut acceptor = self.acceptor.lock().unwrap();
                if acceptor.promised == ballot {
                    acceptor.accepted = Some((ballot, value));
                    drop(acceptor);
                    *self.chosen.lock().unwrap() = Some(value);
                    self.decided.notify_all();
                    return value;
                }
            }
            let promised = self.acceptor.lock().unwrap().promised;
            ballot = promised + 1 + (promised + 1 + id) % 2;
        }
    }
}

fn dueling_proposers() {
    let consensus = Arc::new(Consensus::default());
    let c = Arc::clone(&consensus);
    let first = spawn("proposer-1", move || c.propose(1, "blue"));
    let c = Arc::clone(&consensus);
    let second = spawn("proposer-2", move || c.propose(2, "green"));
    let (a, b) = (first.join().unwrap(), second.join().unwrap());
    assert_eq!(a, b, "the proposers chose different values");
}
