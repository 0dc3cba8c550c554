//! The lock-order graph of an artifact: the edges of its failing execution, as the detector sees
//! them, plus the edges of every lock-order cycle its findings report (a cycle's edges may come
//! from earlier executions, which the trace does not hold). Rendered as DOT here, as SVG in
//! `svg.rs`.

use std::collections::HashMap;
use std::fmt::Write as _;

use interleave::Artifact;
use interleave_detector::{labels, printable_line, Detail, Detector, EventError, ObjectInfo};
use serde::Serialize;

/// A lock.
#[derive(Debug, Serialize)]
pub(crate) struct Node {
    /// The detector's label: the user's name, or `mutex@file.rs:line` (`mutex#2@file.rs:line`
    /// when another lock of the graph was created on that line).
    pub(crate) label: String,
    /// [`ObjectInfo::key`]: the timeline's name for it.
    #[serde(skip)]
    pub(crate) key: String,
    pub(crate) class: &'static str,
    pub(crate) created_at: String,
    /// On some lock-order cycle.
    pub(crate) in_cycle: bool,
}

/// `from → to`: a thread requested `to` while holding `from`.
#[derive(Debug, Serialize)]
pub(crate) struct Edge {
    /// Index into [`LockGraph::nodes`].
    pub(crate) from: usize,
    pub(crate) to: usize,
    /// Distinct contexts the detector saw it in, in the failing execution (0: only known from
    /// a finding).
    pub(crate) witnesses: usize,
    /// The cycles (numbered from 1, in finding order) this edge is part of.
    pub(crate) cycles: Vec<usize>,
    /// For a cycle edge, who took it and where.
    pub(crate) witness: Option<Witness>,
}

/// The thread and sites of a cycle edge.
#[derive(Debug, Serialize)]
pub(crate) struct Witness {
    pub(crate) thread: String,
    pub(crate) held_at: String,
    pub(crate) requested_at: String,
    pub(crate) execution: u64,
    pub(crate) step: u64,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct LockGraph {
    pub(crate) nodes: Vec<Node>,
    pub(crate) edges: Vec<Edge>,
    /// Where each object key and each (from, to) pair is in `nodes` and `edges`.
    #[serde(skip)]
    node_of: HashMap<String, usize>,
    /// The object behind each node, for its label.
    #[serde(skip)]
    infos: Vec<ObjectInfo>,
    #[serde(skip)]
    edge_of: HashMap<(usize, usize), usize>,
}

impl LockGraph {
    /// Runs a detector over the artifact's trace for the edges of the failing execution, then
    /// adds the cycles of its findings.
    ///
    /// # Errors
    ///
    /// An event of the trace contradicts the ones before it.
    pub(crate) fn new(artifact: &Artifact) -> Result<LockGraph, EventError> {
        let mut detector = Detector::new(artifact.detector);
        detector.begin_execution(artifact.execution);
        for event in &artifact.trace {
            detector.observe(event)?;
        }
        let mut graph = LockGraph::default();
        for (from, to, witnesses) in detector.lock_order_edges() {
            let (from, to) = (graph.node(&from), graph.node(&to));
            graph.edge(from, to).witnesses = witnesses;
        }
        let cycles = artifact.findings.iter().filter_map(|f| match &f.detail {
            Detail::LockCycle { edges, .. } => Some((f, edges)),
            _ => None,
        });
        for (number, (finding, edges)) in (1..).zip(cycles) {
            for cycle_edge in edges {
                let from = graph.node(&finding.objects[cycle_edge.held]);
                let to = graph.node(&finding.objects[cycle_edge.requested]);
                graph.nodes[from].in_cycle = true;
                graph.nodes[to].in_cycle = true;
                let edge = graph.edge(from, to);
                edge.cycles.push(number);
                edge.witness.get_or_insert_with(|| Witness {
                    thread: printable_line(&finding.threads[cycle_edge.thread].name).into_owned(),
                    held_at: printable_line(&cycle_edge.held_at.to_string()).into_owned(),
                    requested_at: printable_line(&cycle_edge.requested_at.to_string()).into_owned(),
                    execution: cycle_edge.execution,
                    step: cycle_edge.step,
                });
            }
        }
        for (node, label) in graph.nodes.iter_mut().zip(labels(&graph.infos)) {
            node.label = label;
        }
        Ok(graph)
    }

    fn node(&mut self, object: &ObjectInfo) -> usize {
        let key = object.key();
        if let Some(&at) = self.node_of.get(&key) {
            return at;
        }
        self.node_of.insert(key.clone(), self.nodes.len());
        self.infos.push(object.clone());
        self.nodes.push(Node {
            label: String::new(),
            key,
            class: object.class.name(),
            created_at: printable_line(&object.created_at.to_string()).into_owned(),
            in_cycle: false,
        });
        self.nodes.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize) -> &mut Edge {
        let at = *self.edge_of.entry((from, to)).or_insert_with(|| {
            self.edges.push(Edge {
                from,
                to,
                witnesses: 0,
                cycles: Vec::new(),
                witness: None,
            });
            self.edges.len() - 1
        });
        &mut self.edges[at]
    }

    /// Graphviz DOT: cycle edges and their locks in red.
    pub(crate) fn dot(&self, name: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph {} {{", quote(&format!("lock order: {name}")));
        let _ = writeln!(out, "  rankdir=LR;");
        let _ = writeln!(
            out,
            "  node [shape=box, style=rounded, fontname=\"monospace\"];"
        );
        let _ = writeln!(out, "  edge [fontname=\"monospace\", fontsize=10];");
        for (i, node) in self.nodes.iter().enumerate() {
            let tooltip = format!("{} created at {}", node.class, node.created_at);
            let colour = if node.in_cycle {
                ", color=\"#d62728\", penwidth=2"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  n{i} [label={}, tooltip={}{colour}];",
                quote(&node.label),
                quote(&tooltip)
            );
        }
        for edge in &self.edges {
            let mut attributes = Vec::new();
            if let Some(witness) = &edge.witness {
                attributes.push(format!("label={}", quote(&witness.thread)));
                attributes.push(format!("tooltip={}", quote(&witness.describe())));
            }
            if !edge.cycles.is_empty() {
                attributes.push("color=\"#d62728\", fontcolor=\"#d62728\", penwidth=2".to_owned());
            }
            let attributes = if attributes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", attributes.join(", "))
            };
            let _ = writeln!(out, "  n{} -> n{}{attributes};", edge.from, edge.to);
        }
        out.push_str("}\n");
        out
    }
}

impl Witness {
    /// `held at …, requested at … (execution 1, step 6)`.
    pub(crate) fn describe(&self) -> String {
        format!(
            "{}: held at {}, requested at {} (execution {}, step {})",
            self.thread, self.held_at, self.requested_at, self.execution, self.step
        )
    }
}

/// A DOT string literal, on one line: control characters as Rust escapes (`\u{1b}`, `\n`).
fn quote(text: &str) -> String {
    let text = printable_line(text);
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_strings_are_escaped() {
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(quote("a\nb\u{1b}[2J"), r#""a\\nb\\u{1b}[2J""#);
    }
}
