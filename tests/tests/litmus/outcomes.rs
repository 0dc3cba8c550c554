//! What each litmus test reaches, exhaustively: under interleave's weak memory model
//! (`interleave`), and under loom 0.7 (`interleave` plus `loom_only`). The two differ only where
//! `why` says: each difference is one of loom's documented limits or one of interleave's
//! (docs/memory-model.md, "What differs from loom").

/// The outcomes of one litmus test.
pub(crate) struct Expected {
    pub(crate) name: &'static str,
    /// What interleave reaches.
    pub(crate) interleave: &'static [&'static [usize]],
    /// How many executions exhaustive exploration runs: interleave's (DPOR, every store a load
    /// may read), loom's (its DPOR, with its own choices of store).
    pub(crate) executions: (u64, u64),
    /// What loom reaches besides, and why.
    pub(crate) loom_only: &'static [&'static [usize]],
    pub(crate) why: &'static str,
}

/// `PROGRAMS`, in the same order.
pub(crate) const EXPECTED: &[Expected] = &[
    // Either store may be missed by the other thread's load: all four, (0, 0) included.
    Expected {
        name: "sb_relaxed",
        interleave: &[&[0, 0], &[0, 1], &[1, 0], &[1, 1]],
        executions: (8, 30),
        loom_only: &[],
        why: "",
    },
    Expected {
        name: "sb_seq_cst",
        interleave: &[&[0, 1], &[1, 0], &[1, 1]],
        executions: (6, 30),
        loom_only: &[&[0, 0]],
        why: "loom 0.7 does not order SeqCst accesses (its `seq_cst` is a no-op, loom#180): \
              both loads may read 0, which C11 forbids",
    },
    Expected {
        name: "sb_fences",
        interleave: &[&[0, 1], &[1, 0], &[1, 1]],
        executions: (6, 15),
        loom_only: &[],
        why: "",
    },
    // (flag, data): a Relaxed flag publishes nothing, so (1, 0) is reached.
    Expected {
        name: "mp_relaxed",
        interleave: &[&[0, 0], &[0, 1], &[1, 0], &[1, 1]],
        executions: (7, 21),
        loom_only: &[],
        why: "",
    },
    Expected {
        name: "mp_release_acquire",
        interleave: &[&[0, 0], &[0, 1], &[1, 1]],
        executions: (6, 19),
        loom_only: &[],
        why: "",
    },
    Expected {
        name: "mp_fences",
        interleave: &[&[0, 0], &[0, 1], &[1, 1]],
        executions: (6, 19),
        loom_only: &[],
        why: "",
    },
    // (1, 1) needs a load to read a store its thread has not run yet: out of scope for both.
    Expected {
        name: "lb_relaxed",
        interleave: &[&[0, 0], &[0, 1], &[1, 0]],
        executions: (5, 15),
        loom_only: &[],
        why: "",
    },
    Expected {
        name: "2+2w",
        interleave: &[&[1, 2], &[2, 1], &[2, 2]],
        executions: (3, 40),
        loom_only: &[&[1, 1]],
        why: "interleave's modification order is the order the stores ran in; C11 (and loom) \
              allow each thread's first store to come last",
    },
    // [main's y, main's x, reader's x, reader's y]: the readers disagree on the order of the
    // writes ([1, 0, 1, 0]) with Acquire loads, never with SeqCst ones.
    Expected {
        name: "iriw_acquire",
        interleave: &[
            &[0, 0, 0, 0],
            &[0, 0, 0, 1],
            &[0, 0, 1, 0],
            &[0, 0, 1, 1],
            &[0, 1, 0, 0],
            &[0, 1, 0, 1],
            &[0, 1, 1, 0],
            &[0, 1, 1, 1],
            &[1, 0, 0, 0],
            &[1, 0, 0, 1],
            &[1, 0, 1, 0],
            &[1, 0, 1, 1],
            &[1, 1, 0, 0],
            &[1, 1, 0, 1],
            &[1, 1, 1, 0],
            &[1, 1, 1, 1],
        ],
        executions: (77, 94600),
        loom_only: &[],
        why: "",
    },
    Expected {
        name: "iriw_seq_cst",
        interleave: &[
            &[0, 0, 0, 0],
            &[0, 0, 0, 1],
            &[0, 0, 1, 0],
            &[0, 0, 1, 1],
            &[0, 1, 0, 0],
            &[0, 1, 0, 1],
            &[0, 1, 1, 0],
            &[0, 1, 1, 1],
            &[1, 0, 0, 0],
            &[1, 0, 0, 1],
            &[1, 0, 1, 1],
            &[1, 1, 0, 0],
            &[1, 1, 0, 1],
            &[1, 1, 1, 0],
            &[1, 1, 1, 1],
        ],
        executions: (180, 94600),
        loom_only: &[&[1, 0, 1, 0]],
        why: "loom 0.7 does not order SeqCst accesses (loom#180): the readers may disagree on \
              the order of the writes, which C11 forbids",
    },
    // Two loads never go back: (1, 0), (2, 0), (2, 1) are never reached.
    Expected {
        name: "corr",
        interleave: &[&[0, 0], &[0, 1], &[0, 2], &[1, 1], &[1, 2], &[2, 2]],
        executions: (20, 44),
        loom_only: &[],
        why: "",
    },
    // The thread's own store or a newer one, never the initial 0.
    Expected {
        name: "cowr",
        interleave: &[&[1], &[2]],
        executions: (4, 15),
        loom_only: &[],
        why: "",
    },
    // Reading 2 (the RMW) synchronises with the Release store of 1: the data is 1.
    Expected {
        name: "release_sequence",
        interleave: &[&[0, 9], &[1, 9], &[2, 1]],
        executions: (12, 470),
        loom_only: &[],
        why: "",
    },
    // Read-modify-writes read the newest store: two orders, no lost increment. Two
    // executions: one per order of the two conflicting RMWs.
    Expected {
        name: "rmw_increments",
        interleave: &[&[0, 1, 2], &[1, 0, 2]],
        executions: (2, 4),
        loom_only: &[],
        why: "",
    },
];

/// The expected outcomes of the litmus test `name`: interleave's, and loom's.
pub(crate) fn expected(name: &str) -> &'static Expected {
    EXPECTED
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no expected outcomes for {name}"))
}

/// Outcomes as a set.
pub(crate) fn set(outcomes: &[&[usize]]) -> std::collections::BTreeSet<Vec<usize>> {
    outcomes.iter().map(|o| o.to_vec()).collect()
}
