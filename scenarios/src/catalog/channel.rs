//! Channels: a send with nobody to receive, a receive nobody will ever satisfy, and the mixed
//! deadlocks of channels and locks that GoKer (Yuan et al., "GoBench", CGO 2021) counts among
//! the most common blocking bugs of real Go code. Rust's `std::sync::mpsc` has the same
//! shapes: a `sync_channel(0)` send waits for a receiver, a full `sync_channel(n)` send waits
//! for room, and `recv` waits until every sender is dropped.
//!
//! The detector's wait-for graph does not model channels (a message can come from any
//! sender), so these deadlocks are reported when no thread can run.

use interleave::sync::mpsc::{channel, sync_channel};
use interleave::sync::{Arc, Mutex};
use interleave::Kind;

use super::spawn;
use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "channel/rendezvous-no-partner",
            category: Category::Channel,
            description: "two replicas answer on a rendezvous channel; the caller takes the first answer and joins both",
            source: "an unbuffered send whose receiver stopped listening (GoKer kubernetes#5316, fixed there with a one-slot buffer)",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 1,
            twin: Some("channel/rendezvous-no-partner-fixed"),
            body: rendezvous_no_partner::<false>,
        },
        Scenario {
            name: "channel/rendezvous-no-partner-fixed",
            category: Category::Channel,
            description: "the answer channel has a slot per replica, so the late answer is buffered and dropped",
            source: "the fix: buffer one message per sender (`sync_channel(replicas)`)",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("channel/rendezvous-no-partner"),
            body: rendezvous_no_partner::<true>,
        },
        Scenario {
            name: "channel/full-while-receiver-locks",
            category: Category::Channel,
            description: "a producer sends on a full bounded channel holding the stats lock the consumer takes before receiving",
            source: "GoKer's channel-and-lock mixed deadlocks (kubernetes#10182, etcd#7492): a blocked send holds a lock the receiver needs",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 20,
            twin: Some("channel/full-while-receiver-locks-fixed"),
            body: full_while_receiver_locks::<false>,
        },
        Scenario {
            name: "channel/full-while-receiver-locks-fixed",
            category: Category::Channel,
            description: "the producer updates the stats, releases them, then sends",
            source: "the fix: never block on a channel inside a critical section",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("channel/full-while-receiver-locks"),
            body: full_while_receiver_locks::<true>,
        },
        Scenario {
            name: "channel/join-unclosed",
            category: Category::Channel,
            description: "main joins an indexer that iterates a channel while main still holds a sender",
            source: "ranging over a channel nobody closes (GoKer's channel communication deadlocks); in Rust, a `Sender` kept alive",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 1,
            twin: Some("channel/join-unclosed-fixed"),
            body: join_unclosed::<false>,
        },
        Scenario {
            name: "channel/join-unclosed-fixed",
            category: Category::Channel,
            description: "main drops its sender before joining, which ends the indexer's loop",
            source: "the fix: close the channel (drop every sender) before waiting for the receiver",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("channel/join-unclosed"),
            body: join_unclosed::<true>,
        },
        Scenario {
            name: "channel/recv-holding-lock",
            category: Category::Channel,
            description: "a client waits for a reply holding the connection lock the server takes to answer",
            source: "GoKer's channel-and-lock mixed deadlocks, receive side: a receive inside the critical section its sender needs",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 20,
            twin: Some("channel/recv-holding-lock-fixed"),
            body: recv_holding_lock::<false>,
        },
        Scenario {
            name: "channel/recv-holding-lock-fixed",
            category: Category::Channel,
            description: "the client records the request, releases the connection, then waits",
            source: "the fix: never block on a channel inside a critical section",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("channel/recv-holding-lock"),
            body: recv_holding_lock::<true>,
        },
    ]
}

/// A rendezvous with no partner (GoKer kubernetes#5316): two replicas answer on a `sync_channel(0)`;
/// the caller takes the first answer and joins both, so the second answer waits forever for a
/// receiver that still exists but never receives. `FIXED`: one buffer slot per replica, GoKer's
/// fix.
fn rendezvous_no_partner<const FIXED: bool>() {
    let replicas = 2;
    let (answers, first_answer) = sync_channel::<u32>(if FIXED { replicas } else { 0 });
    let handles: Vec<_> = (0..replicas)
        .map(|i| {
            let answers = answers.clone();
            spawn(&format!("replica-{i}"), move || {
                // The caller may be gone (fixed twin: nobody receives the late answer).
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

/// Batches and their accounting.
#[derive(Debug, Default)]
struct Stats {
    sent: u32,
    received: u32,
}

/// A full bounded channel and a lock (GoKer's channel-and-lock mixed deadlocks, kubernetes#10182,
/// etcd#7492): the producer sends while holding the stats lock; the consumer takes that lock before
/// each receive. With the one slot full, the producer waits for the consumer, which waits for the
/// lock. `FIXED`: release the stats before sending.
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

/// A join on a thread that waits on a channel nobody closes (GoKer's channel deadlocks, `range`
/// over an open channel): the indexer iterates until every sender is dropped, and main joins it
/// while still holding one. `FIXED`: drop the sender first.
fn join_unclosed<const FIXED: bool>() {
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
    if FIXED {
        drop(documents);
    }
    assert_eq!(indexer.join().unwrap(), 9);
}

/// A connection's state, shared by a client and the server that answers it.
#[derive(Debug, Default)]
struct Connection {
    in_flight: Option<u32>,
    answered: u32,
}

/// A receive inside a critical section (GoKer's channel-and-lock mixed deadlocks, receiving side):
/// the client holds the connection lock while it waits for the reply, and the server takes that
/// lock before replying. Found when the client locks before the server does. `FIXED`: record the
/// request, release, then wait.
fn recv_holding_lock<const FIXED: bool>() {
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
    let reply = if FIXED {
        connection.lock().unwrap().in_flight = Some(1);
        client_inbox.recv().unwrap()
    } else {
        let mut conn = connection.lock().unwrap();
        conn.in_flight = Some(1);
        let reply = client_inbox.recv().unwrap();
        conn.in_flight = None;
        reply
    };
    assert_eq!(reply, "reply to 1");
    server.join().unwrap();
    assert_eq!(connection.lock().unwrap().answered, 1);
}
