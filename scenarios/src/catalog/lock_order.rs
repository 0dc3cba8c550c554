//! Lock-order cycles: schedules that *can* deadlock, predicted from executions that did not.
//!
//! Each bug here is reported as a potential deadlock by the first execution that takes every
//! edge of the cycle, whatever the interleaving; the realized deadlock needs a precise one.

use std::collections::HashMap;

use interleave::sync::{Arc, Mutex, RwLock};
use interleave::Kind;

use super::spawn;
use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "lock-order/ab-ba",
            category: Category::LockOrder,
            description: "two threads take two mutexes in opposite orders",
            source: "the classic AB-BA deadlock (SCTBench `deadlock01`; GoKer's most common blocking bug shape)",
            expected: Expected::Finds(Kind::PotentialDeadlock),
            budget: 1,
            twin: Some("lock-order/ab-ba-fixed"),
            body: ab_ba::<false>,
        },
        Scenario {
            name: "lock-order/ab-ba-fixed",
            category: Category::LockOrder,
            description: "both threads take the two mutexes in the same order",
            source: "the fix: one global lock order",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("lock-order/ab-ba"),
            body: ab_ba::<true>,
        },
        Scenario {
            name: "lock-order/dining-philosophers",
            category: Category::LockOrder,
            description: "five philosophers each take their left fork, then their right: a 5-way cycle",
            source: "Dijkstra's dining philosophers (SCTBench `CS.din_phil*`): an N-way lock-order cycle",
            expected: Expected::Finds(Kind::PotentialDeadlock),
            budget: 1,
            twin: Some("lock-order/dining-philosophers-fixed"),
            body: dining_philosophers::<false>,
        },
        Scenario {
            name: "lock-order/dining-philosophers-fixed",
            category: Category::LockOrder,
            description: "every philosopher takes the lower-numbered fork first",
            source: "the fix: Dijkstra's resource hierarchy (one global fork order)",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("lock-order/dining-philosophers"),
            body: dining_philosophers::<true>,
        },
        Scenario {
            name: "lock-order/hold-and-wait-helper",
            category: Category::LockOrder,
            description: "a sale logs through a helper while holding the stock lock; an audit reads the stock through a helper while holding the log",
            source: "hold-and-wait where the second lock hides in a callee, the usual shape of GoKer's AB-BA bugs and of the conflicting-lock deadlocks of Qin et al., PLDI 2020",
            expected: Expected::Finds(Kind::PotentialDeadlock),
            budget: 1,
            twin: Some("lock-order/hold-and-wait-helper-fixed"),
            body: hold_and_wait_helper::<false>,
        },
        Scenario {
            name: "lock-order/hold-and-wait-helper-fixed",
            category: Category::LockOrder,
            description: "the audit takes the stock lock, then the log, as the sale does",
            source: "the fix: one lock order, including the locks taken inside helpers",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("lock-order/hold-and-wait-helper"),
            body: hold_and_wait_helper::<true>,
        },
        Scenario {
            name: "lock-order/read-write-read",
            category: Category::LockOrder,
            description: "a router read-locks the route table twice while an admin thread can queue a write",
            source: "GoKer's RWR deadlock (e.g. kubernetes#58107): a recursive read lock blocks behind a queued writer, which waits for the first read",
            expected: Expected::Finds(Kind::PotentialDeadlock),
            budget: 15,
            twin: Some("lock-order/read-write-read-fixed"),
            body: read_write_read::<false>,
        },
        Scenario {
            name: "lock-order/read-write-read-fixed",
            category: Category::LockOrder,
            description: "the router passes the guard it holds to the helper instead of locking again",
            source: "the fix: take the read lock once per operation",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("lock-order/read-write-read"),
            body: read_write_read::<true>,
        },
        Scenario {
            name: "lock-order/transfer-by-argument",
            category: Category::LockOrder,
            description: "transfer(from, to) locks `from` then `to`; two opposite transfers run at once",
            source: "the dynamic lock-order deadlock (Goetz et al., Java Concurrency in Practice §10.1.2): the order comes from the arguments",
            expected: Expected::Finds(Kind::PotentialDeadlock),
            budget: 1,
            twin: Some("lock-order/transfer-by-argument-fixed"),
            body: transfer_by_argument::<false>,
        },
        Scenario {
            name: "lock-order/transfer-by-argument-fixed",
            category: Category::LockOrder,
            description: "transfer locks the account with the lower id first, whatever the direction",
            source: "the fix: order the locks by a stable key (account id)",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("lock-order/transfer-by-argument"),
            body: transfer_by_argument::<true>,
        },
    ]
}

/// AB-BA (SCTBench `deadlock01`; the most common blocking-bug shape in GoKer): `transfer` takes
/// accounts then ledger, `audit` takes ledger then accounts. Reported as a potential deadlock by the
/// first execution, deadlocked or not. `FIXED`: both take accounts first.
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

const PHILOSOPHERS: usize = 5;

/// Dining philosophers (Dijkstra; SCTBench `CS.din_phil*`), an N-way lock-order cycle:
/// philosopher `i` needs forks `i` and `i + 1 (mod 5)` and takes the left one first. The cycle has
/// five edges from five threads; the realized deadlock needs all five to hold their left fork at
/// once. `FIXED`: Dijkstra's resource hierarchy, the lower-numbered fork first.
fn dining_philosophers<const FIXED: bool>() {
    let forks: Arc<Vec<Mutex<u32>>> = Arc::new((0..PHILOSOPHERS).map(|_| Mutex::new(0)).collect());
    let philosophers: Vec<_> = (0..PHILOSOPHERS)
        .map(|i| {
            let forks = Arc::clone(&forks);
            spawn(&format!("philosopher-{i}"), move || {
                let (left, right) = (i, (i + 1) % PHILOSOPHERS);
                let (first, second) = if FIXED {
                    (left.min(right), left.max(right))
                } else {
                    (left, right)
                };
                let mut first = forks[first].lock().unwrap();
                let mut second = forks[second].lock().unwrap();
                *first += 1;
                *second += 1;
            })
        })
        .collect();
    for philosopher in philosophers {
        philosopher.join().unwrap();
    }
    let meals: u32 = forks.iter().map(|fork| *fork.lock().unwrap()).sum();
    assert_eq!(meals, 2 * PHILOSOPHERS as u32, "every meal uses two forks");
}

/// A shop's stock and its audit log, each behind its own lock.
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

    /// Sells one item and logs it, holding `stock` so that the log never lags the stock.
    fn sell(&self) {
        let mut stock = self.stock.lock().unwrap();
        *stock -= 1;
        self.record(format!("sold 1, {} left", *stock));
    }

    /// Checks the log against the stock. The bug holds the log while reading the stock through
    /// a helper: the opposite order to `sell`.
    fn audit<const FIXED: bool>(&self) {
        let (level, entries) = if FIXED {
            let stock = self.stock.lock().unwrap();
            let log = self.log.lock().unwrap();
            (*stock, log.len())
        } else {
            let log = self.log.lock().unwrap();
            (self.stock_level(), log.len())
        };
        assert_eq!(level as usize + entries, 3, "stock and log disagree");
    }
}

/// Hold-and-wait through a helper (the conflicting-lock deadlocks of Qin et al., PLDI 2020;
/// GoKer's AB-BA bugs mostly look like this): `sell` logs through `record` while holding `stock`,
/// `audit` reads the stock through `stock_level` while holding `log`. Neither function names
/// both locks. `FIXED`: the audit takes stock, then log, like the sale.
fn hold_and_wait_helper<const FIXED: bool>() {
    let shop = Arc::new(Inventory {
        stock: Mutex::new(3),
        log: Mutex::new(Vec::new()),
    });
    let s = Arc::clone(&shop);
    let checkout = spawn("checkout", move || s.sell());
    let s = Arc::clone(&shop);
    let auditor = spawn("auditor", move || s.audit::<FIXED>());
    checkout.join().unwrap();
    auditor.join().unwrap();
    assert_eq!(shop.stock_level(), 2);
}

/// A router's table, read-locked per request; an admin thread adds routes.
struct Router {
    routes: RwLock<HashMap<&'static str, u16>>,
}

impl Router {
    /// The backend for `path`, else the default one. The bug looks the default up with a
    /// second read lock while the first is still held.
    fn backend<const FIXED: bool>(&self, path: &str) -> u16 {
        let routes = self.routes.read().unwrap();
        match routes.get(path) {
            Some(&port) => port,
            None if FIXED => Self::default_in(&routes),
            None => self.default_backend(),
        }
    }

    fn default_backend(&self) -> u16 {
        Self::default_in(&self.routes.read().unwrap())
    }

    fn default_in(routes: &HashMap<&'static str, u16>) -> u16 {
        routes.get("/").copied().unwrap_or(80)
    }
}

/// Read-write-read (GoKer's RWR deadlocks, e.g. kubernetes#58107): on a miss the router's
/// request re-reads the route table through `default_backend` while its first read guard lives. If
/// the admin's write queues in between, the second read waits behind the writer (interleave's
/// `RwLock` is writer-preferring, as std's on Linux), which waits for the first read. Reported as a
/// potential deadlock once an execution takes the recursive read and some execution writes.
/// `FIXED`: the default is looked up in the guard already held.
fn read_write_read<const FIXED: bool>() {
    let router = Arc::new(Router {
        routes: RwLock::new(HashMap::from([("/", 8080)])),
    });
    let r = Arc::clone(&router);
    let request = spawn("request", move || r.backend::<FIXED>("/api"));
    let r = Arc::clone(&router);
    let admin = spawn("admin", move || {
        r.routes.write().unwrap().insert("/api", 9090);
    });
    let port = request.join().unwrap();
    admin.join().unwrap();
    assert!(port == 8080 || port == 9090, "routed to {port}");
}

/// A bank account; `id` is the stable key the fix orders locks by.
struct Account {
    id: u32,
    balance: Mutex<i64>,
}

fn transfer<const FIXED: bool>(from: &Account, to: &Account, amount: i64) {
    let (mut debit, mut credit) = if FIXED && from.id > to.id {
        let credit = to.balance.lock().unwrap();
        (from.balance.lock().unwrap(), credit)
    } else {
        let debit = from.balance.lock().unwrap();
        (debit, to.balance.lock().unwrap())
    };
    *debit -= amount;
    *credit += amount;
}

/// Dynamic lock order (Goetz et al., *Java Concurrency in Practice* §10.1.2): `transfer(from, to)`
/// locks `from` then `to`, so the order comes from the arguments and two opposite transfers form
/// an AB-BA cycle. `FIXED`: lock by account id.
fn transfer_by_argument<const FIXED: bool>() {
    let alice = Arc::new(Account {
        id: 1,
        balance: Mutex::new(100),
    });
    let bob = Arc::new(Account {
        id: 2,
        balance: Mutex::new(50),
    });
    let (a, b) = (Arc::clone(&alice), Arc::clone(&bob));
    let pay_bob = spawn("alice-pays-bob", move || transfer::<FIXED>(&a, &b, 30));
    let (a, b) = (Arc::clone(&alice), Arc::clone(&bob));
    let refund = spawn("bob-refunds-alice", move || transfer::<FIXED>(&b, &a, 10));
    pay_bob.join().unwrap();
    refund.join().unwrap();
    let total = *alice.balance.lock().unwrap() + *bob.balance.lock().unwrap();
    assert_eq!(total, 150, "money was created or destroyed");
}
