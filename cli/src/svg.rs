//! The lock-order graph as SVG, laid out by us (no graphviz at run time): locks on a circle in
//! the graph's order, edges as curves with arrowheads (so that `A → B` and `B → A` do not
//! overlap), cycle edges and their locks in red. The same input always gives the same bytes.

use std::f64::consts::PI;
use std::fmt::Write as _;

use crate::lock_graph::LockGraph;
use crate::timeline::NodeStyle;

/// The highlight colour of cycles (also in the HTML report).
pub(crate) const CYCLE: &str = "#d62728";
const EDGE: &str = "#777777";
/// Width of a character of the 12px monospace font, and the box of a lock.
const CHAR: f64 = 7.2;
const NODE_HEIGHT: f64 = 28.0;
const MARGIN: f64 = 48.0;
/// Room above the boxes for a loop `L → L`.
const LOOP_ROOM: f64 = 40.0;

/// Escapes text for HTML and SVG, in content and in quoted attributes; control characters
/// (but newlines and tabs) become Rust escapes (`\u{1b}`), which XML cannot hold even as
/// character references.
pub(crate) fn escape(text: &str) -> String {
    let text = interleave_detector::printable_text(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Point {
    x: f64,
    y: f64,
}

impl Point {
    fn towards(self, other: Point, t: f64) -> Point {
        Point {
            x: self.x + (other.x - self.x) * t,
            y: self.y + (other.y - self.y) * t,
        }
    }
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1},{:.1}", self.x, self.y)
    }
}

/// Where the ray from the centre of a `half_width` × `half_height` box towards `to` leaves it.
fn exit_point(centre: Point, to: Point, half_width: f64, half_height: f64) -> Point {
    let (dx, dy) = (to.x - centre.x, to.y - centre.y);
    let tx = if dx == 0.0 {
        f64::INFINITY
    } else {
        half_width / dx.abs()
    };
    let ty = if dy == 0.0 {
        f64::INFINITY
    } else {
        half_height / dy.abs()
    };
    let t = tx.min(ty);
    Point {
        x: centre.x + dx * t,
        y: centre.y + dy * t,
    }
}

/// The graph as one `<svg>` element. `style` gives a lock's alias and colour by label, as the
/// timeline names and colours it; a lock without a colour is white.
pub(crate) fn lock_graph(graph: &LockGraph, style: &dyn Fn(&str) -> NodeStyle) -> String {
    let texts: Vec<String> = graph
        .nodes
        .iter()
        .map(|n| match style(&n.key).alias {
            Some(alias) => format!("{alias} · {}", n.label),
            None => n.label.clone(),
        })
        .collect();
    let widths: Vec<f64> = texts
        .iter()
        .map(|t| t.chars().count() as f64 * CHAR + 20.0)
        .collect();
    let widest = widths.iter().copied().fold(0.0, f64::max);
    let n = graph.nodes.len();
    let radius = match n {
        0 | 1 => 0.0,
        _ => ((widest + 90.0) / (2.0 * (PI / n as f64).sin())).max(80.0),
    };
    let placed: Vec<Point> = (0..n)
        .map(|i| {
            let angle = PI + 2.0 * PI * i as f64 / n as f64;
            Point {
                x: radius * angle.cos(),
                y: radius * angle.sin(),
            }
        })
        .collect();
    // The boxes' extent, with room around for curves, labels and loops above a box.
    let left = (0..n)
        .map(|i| placed[i].x - widths[i] / 2.0)
        .fold(0.0, f64::min);
    let right = (0..n)
        .map(|i| placed[i].x + widths[i] / 2.0)
        .fold(0.0, f64::max);
    let top = placed
        .iter()
        .map(|p| p.y - NODE_HEIGHT / 2.0)
        .fold(0.0, f64::min);
    let bottom = placed
        .iter()
        .map(|p| p.y + NODE_HEIGHT / 2.0)
        .fold(0.0, f64::max);
    let width = (right - left + 2.0 * MARGIN).max(240.0);
    let height = bottom - top + 2.0 * MARGIN + LOOP_ROOM;
    let shift = Point {
        x: (width - (right - left)) / 2.0 - left,
        y: MARGIN + LOOP_ROOM - top,
    };
    let centre = Point {
        x: width / 2.0,
        y: shift.y,
    };
    let at: Vec<Point> = placed
        .iter()
        .map(|p| Point {
            x: p.x + shift.x,
            y: p.y + shift.y,
        })
        .collect();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lock-graph\" width=\"{width:.0}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         font-family=\"ui-monospace, Menlo, Consolas, monospace\" font-size=\"12\">"
    );
    out.push_str("<title>lock-order graph</title>\n<defs>\n");
    for (id, colour) in [("il-arrow", EDGE), ("il-arrow-cycle", CYCLE)] {
        let _ = writeln!(
            out,
            "<marker id=\"{id}\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" \
             orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M0,0 L10,4 L0,8 z\" \
             fill=\"{colour}\"/></marker>"
        );
    }
    out.push_str("</defs>\n");
    if n == 0 {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{EDGE}\">no lock-order \
             edges</text>",
            centre.x, centre.y
        );
    }

    for edge in &graph.edges {
        let cycle = !edge.cycles.is_empty();
        let (colour, marker, stroke) = if cycle {
            (CYCLE, "il-arrow-cycle", 2.0)
        } else {
            (EDGE, "il-arrow", 1.2)
        };
        let half = |i: usize| (widths[i] / 2.0, NODE_HEIGHT / 2.0);
        let (path, label_at) = if edge.from == edge.to {
            // A lock requested while held: a loop above its box.
            let p = at[edge.from];
            let top = p.y - NODE_HEIGHT / 2.0;
            let path = format!(
                "M{:.1},{top:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{top:.1}",
                p.x - 10.0,
                p.x - 40.0,
                top - 48.0,
                p.x + 40.0,
                top - 48.0,
                p.x + 10.0
            );
            (
                path,
                Point {
                    x: p.x,
                    y: top - 40.0,
                },
            )
        } else {
            let (a, b) = (at[edge.from], at[edge.to]);
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let length = (dx * dx + dy * dy).sqrt();
            // Bend to one side of the direction of travel: A → B and B → A part ways.
            let bend = 0.22 * length;
            let control = Point {
                x: (a.x + b.x) / 2.0 - dy / length * bend,
                y: (a.y + b.y) / 2.0 + dx / length * bend,
            };
            let (aw, ah) = half(edge.from);
            let (bw, bh) = half(edge.to);
            let start = exit_point(a, control, aw, ah);
            let end = exit_point(b, control, bw + 2.0, bh + 2.0);
            let label = start
                .towards(control, 0.5)
                .towards(control.towards(end, 0.5), 0.5);
            (format!("M{start} Q{control} {end}"), label)
        };
        let title = match &edge.witness {
            Some(witness) => witness.describe(),
            None => format!(
                "{} → {}: {} context{} in the failing execution",
                graph.nodes[edge.from].label,
                graph.nodes[edge.to].label,
                edge.witnesses,
                if edge.witnesses == 1 { "" } else { "s" }
            ),
        };
        let _ = writeln!(
            out,
            "<g class=\"edge{}\" data-from=\"{}\" data-to=\"{}\"><title>{}</title>\
             <path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{stroke}\" \
             marker-end=\"url(#{marker})\"/>",
            if cycle { " cycle" } else { "" },
            escape(&graph.nodes[edge.from].label),
            escape(&graph.nodes[edge.to].label),
            escape(&title),
        );
        if let Some(witness) = &edge.witness {
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{colour}\" \
                 stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
                label_at.x,
                label_at.y,
                escape(&witness.thread)
            );
        }
        out.push_str("</g>\n");
    }

    for (i, node) in graph.nodes.iter().enumerate() {
        let p = at[i];
        let (stroke, stroke_width) = if node.in_cycle {
            (CYCLE, 2.0)
        } else {
            (EDGE, 1.0)
        };
        let _ = writeln!(
            out,
            "<g class=\"node{}\" data-label=\"{}\"><title>{} created at {}</title>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{NODE_HEIGHT:.1}\" rx=\"6\" \
             fill=\"{}\" fill-opacity=\"0.35\" stroke=\"{stroke}\" stroke-width=\"{stroke_width}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text></g>",
            if node.in_cycle { " cycle" } else { "" },
            escape(&node.label),
            node.class,
            escape(&node.created_at),
            p.x - widths[i] / 2.0,
            p.y - NODE_HEIGHT / 2.0,
            widths[i],
            style(&node.key).fill.unwrap_or("#ffffff"),
            p.x,
            p.y,
            escape(&texts[i])
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rays_leave_boxes_on_their_border() {
        let c = Point { x: 0.0, y: 0.0 };
        assert_eq!(
            exit_point(c, Point { x: 100.0, y: 0.0 }, 10.0, 5.0),
            Point { x: 10.0, y: 0.0 }
        );
        assert_eq!(
            exit_point(c, Point { x: 0.0, y: -50.0 }, 10.0, 5.0),
            Point { x: 0.0, y: -5.0 }
        );
        assert_eq!(
            exit_point(c, Point { x: 20.0, y: 20.0 }, 10.0, 5.0),
            Point { x: 5.0, y: 5.0 }
        );
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
