//! An incremental topological order of a growing directed acyclic graph (Pearce and Kelly, "A
//! Dynamic Topological Sort Algorithm for Directed Acyclic Graphs", 2006), as tracing-mutex
//! keeps for its lock graph.
//!
//! Every node has a position; every edge goes from a lower position to a higher one. An edge
//! `x → y` with `x` already before `y` costs nothing. Otherwise only the nodes between the two
//! positions are searched: forward from `y` (reaching `x` means the edge closes a cycle, and it
//! is refused), backward from `x`, and the two sets swap their positions.

use rustc_hash::FxHashSet;

/// The nodes (dense `u32`s, added as they are first named) in a topological order.
#[derive(Debug, Default)]
pub(crate) struct TopologicalOrder {
    /// The position of each node.
    position: Vec<u32>,
    /// The node at each position.
    node_at: Vec<u32>,
    successors: Vec<Vec<u32>>,
    predecessors: Vec<Vec<u32>>,
}

impl TopologicalOrder {
    /// Makes sure `node` (and every smaller one) exists, at the end of the order if new.
    fn ensure(&mut self, node: u32) {
        while self.position.len() <= node as usize {
            let n = self.position.len() as u32;
            self.position.push(n);
            self.node_at.push(n);
            self.successors.push(Vec::new());
            self.predecessors.push(Vec::new());
        }
    }

    /// Whether `x` comes before `y`.
    #[cfg(test)]
    fn precedes(&self, x: u32, y: u32) -> bool {
        self.position[x as usize] < self.position[y as usize]
    }

    /// Adds the edge `x → y` if the graph stays acyclic, and returns whether it did (or had it
    /// already). `false`: `y` reaches `x` (or `x == y`), the edge would close a cycle and is
    /// not added.
    pub(crate) fn add_edge(&mut self, x: u32, y: u32) -> bool {
        self.ensure(x.max(y));
        if x == y {
            return false;
        }
        if self.successors[x as usize].contains(&y) {
            return true;
        }
        let lower = self.position[y as usize];
        let upper = self.position[x as usize];
        if lower > upper {
            self.link(x, y);
            return true;
        }
        // The affected region is [lower, upper]: what `y` reaches in it must move after what
        // reaches `x` in it.
        let Some(mut forward) = self.forward(y, upper) else {
            return false;
        };
        let mut backward = self.backward(x, lower);
        forward.sort_by_key(|&n| self.position[n as usize]);
        backward.sort_by_key(|&n| self.position[n as usize]);
        let mut slots: Vec<u32> = backward
            .iter()
            .chain(&forward)
            .map(|&n| self.position[n as usize])
            .collect();
        slots.sort_unstable();
        for (&node, &slot) in backward.iter().chain(&forward).zip(&slots) {
            self.position[node as usize] = slot;
            self.node_at[slot as usize] = node;
        }
        self.link(x, y);
        true
    }

    fn link(&mut self, x: u32, y: u32) {
        self.successors[x as usize].push(y);
        self.predecessors[y as usize].push(x);
    }

    /// The nodes `start` reaches through positions up to `upper`; `None` if that includes the
    /// node at `upper` (the cycle).
    fn forward(&self, start: u32, upper: u32) -> Option<Vec<u32>> {
        let mut seen = FxHashSet::default();
        let mut stack = vec![start];
        seen.insert(start);
        while let Some(node) = stack.pop() {
            for &next in &self.successors[node as usize] {
                let position = self.position[next as usize];
                if position == upper {
                    return None;
                }
                if position < upper && seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        Some(seen.into_iter().collect())
    }

    /// The nodes that reach `start` through positions above `lower`.
    fn backward(&self, start: u32, lower: u32) -> Vec<u32> {
        let mut seen = FxHashSet::default();
        let mut stack = vec![start];
        seen.insert(start);
        while let Some(node) = stack.pop() {
            for &previous in &self.predecessors[node as usize] {
                if self.position[previous as usize] > lower && seen.insert(previous) {
                    stack.push(previous);
                }
            }
        }
        seen.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Whether `from` reaches `to` over `edges` (breadth-first, the oracle).
    fn reaches(edges: &[(u32, u32)], from: u32, to: u32) -> bool {
        let mut seen = vec![from];
        let mut i = 0;
        while i < seen.len() {
            let node = seen[i];
            if node == to {
                return true;
            }
            for &(a, b) in edges {
                if a == node && !seen.contains(&b) {
                    seen.push(b);
                }
            }
            i += 1;
        }
        false
    }

    #[test]
    fn an_edge_backwards_reorders_and_a_cycle_is_refused() {
        let mut order = TopologicalOrder::default();
        assert!(order.add_edge(2, 1));
        assert!(order.precedes(2, 1));
        assert!(order.add_edge(1, 0));
        assert!(order.precedes(2, 1) && order.precedes(1, 0));
        assert!(!order.add_edge(0, 2), "0 → 2 closes 2 → 1 → 0 → 2");
        assert!(!order.add_edge(0, 0));
        assert!(order.add_edge(2, 0), "a shortcut keeps the order");
    }

    #[test]
    fn agrees_with_reachability_on_random_graphs() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        for _ in 0..200 {
            let nodes = rng.random_range(2..12u32);
            let mut order = TopologicalOrder::default();
            let mut edges: Vec<(u32, u32)> = Vec::new();
            for _ in 0..40 {
                let (x, y) = (rng.random_range(0..nodes), rng.random_range(0..nodes));
                let cycle = x == y || reaches(&edges, y, x);
                assert_eq!(order.add_edge(x, y), !cycle, "{x} → {y} over {edges:?}");
                if !cycle && !edges.contains(&(x, y)) {
                    edges.push((x, y));
                }
                for &(a, b) in &edges {
                    assert!(order.precedes(a, b), "{a} → {b} against the order");
                }
            }
        }
    }
}
