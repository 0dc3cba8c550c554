//! `explain --format html`: one self-contained page (inline CSS and SVG, no script, nothing
//! fetched) to look at rather than read: the findings on top, the lock-order cycle and graph,
//! then the timeline with one lane per thread and the locks each holds drawn as coloured bars.
//! The markup is XHTML-compatible (every element closed, every attribute quoted), so that an
//! XML parser can check it.

use std::fmt::Write as _;

use crate::explain::Explanation;
use crate::svg::{escape, CYCLE};
use crate::timeline::fold::Fold;
use crate::timeline::{colour, virtual_time, Row, Timeline};

const STYLE: &str = "\
:root { --cycle: CYCLE; }
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, sans-serif; color: #222; margin: 1.5rem auto; max-width: 1280px; padding: 0 1rem; }
code, pre, table.timeline, table.cycle, table.objects { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
h1 { font-size: 1.35rem; margin-bottom: .5rem; }
h2 { font-size: 1.1rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.meta dt { color: #666; }
dl.meta dd { margin: 0; }
article.finding { border-left: 4px solid var(--cycle); background: #fdf4f4; padding: .4rem 1rem; margin: 1rem 0; }
article.finding h3 { margin: .3rem 0; font-size: 1rem; }
article.finding pre { white-space: pre-wrap; margin: .3rem 0; }
p.path { font-size: 1.1rem; color: var(--cycle); font-weight: 600; }
table { border-collapse: collapse; }
table.cycle th, table.cycle td, table.objects th, table.objects td { padding: .2rem .7rem; text-align: left; border-bottom: 1px solid #eee; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px; vertical-align: -0.1em; border: 1px solid #0002; }
div.graph { overflow-x: auto; }
table.timeline th, table.timeline td { padding: 1px 10px; border-bottom: 1px solid #f3f3f3; white-space: nowrap; text-align: left; }
table.timeline thead th { position: sticky; top: 0; background: #fff; border-bottom: 2px solid #bbb; }
table.timeline td.step, table.timeline td.time { color: #888; text-align: right; }
table.timeline td.lane { position: relative; padding-left: calc(var(--slots) * 6px + 10px); border-left: 1px solid #e2e2e2; }
table.timeline span.hold { position: absolute; top: 0; bottom: 0; width: 4px; }
table.timeline tr.marked { background: #fff5d1; }
table.timeline tr.marked span.event { color: var(--cycle); font-weight: 600; }
table.timeline span.held { color: #999; }
table.timeline td.marks { color: var(--cycle); }
";

/// The page.
pub(crate) fn page(e: &Explanation<'_>) -> String {
    let a = &e.artifact;
    let headline = a.findings.first().map_or("clean", |f| f.headline.as_str());
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(
        out,
        "<title>interleave: {} — {}</title>",
        escape(&a.check),
        escape(headline)
    );
    let _ = writeln!(out, "<style>\n{}</style>", STYLE.replace("CYCLE", CYCLE));
    out.push_str("</head>\n<body>\n<header>\n");
    let _ = writeln!(
        out,
        "<h1>interleave: <code>{}</code></h1>",
        escape(&a.check)
    );
    out.push_str("<dl class=\"meta\">\n");
    let meta = [
        (
            "artifact",
            format!("<code>{}</code>", escape(&e.path.display().to_string())),
        ),
        (
            "check",
            format!("{} ({})", escape(&a.check), escape(&e.origin())),
        ),
        (
            "replay",
            format!("<code>{}</code>", escape(&e.replay_command())),
        ),
        (
            "strategy",
            format!("{}, seed {}", escape(&a.strategy), a.seed),
        ),
        (
            "failing execution",
            format!(
                "{} ({} steps), schedule <code>{}</code>",
                a.execution,
                a.trace.len(),
                escape(&crate::timeline::fold::schedule(&a.schedule))
            ),
        ),
    ];
    for (term, description) in meta {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{description}</dd>");
    }
    out.push_str("</dl>\n</header>\n");

    out.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    for finding in &a.findings {
        // The report starts with the headline, which is the article's heading here.
        let report = finding.to_string();
        let body = report
            .strip_prefix(&finding.headline)
            .unwrap_or(&report)
            .trim_matches('\n');
        let _ = writeln!(
            out,
            "<article class=\"finding {}\">\n<h3>{}</h3>\n<pre>{}</pre>\n</article>",
            escape(&finding.kind.name().replace(' ', "-")),
            escape(&finding.headline),
            escape(body)
        );
    }
    out.push_str("</section>\n");

    cycles(&mut out, e);
    let style = |label: &str| e.timeline.node_style(label);
    let graph = if e.graph.nodes.is_empty() {
        "<p>No thread of this execution requested a lock while holding another.</p>\n".to_owned()
    } else {
        format!(
            "<div class=\"graph\">\n{}</div>\n",
            crate::svg::lock_graph(&e.graph, &style)
        )
    };
    let _ = writeln!(
        out,
        "<section id=\"graph\">\n<h2>Lock-order graph</h2>\n{graph}</section>"
    );
    objects(&mut out, &e.timeline);
    timeline(&mut out, &e.timeline);
    out.push_str("</body>\n</html>\n");
    out
}

fn cycles(out: &mut String, e: &Explanation<'_>) {
    for (number, cycle) in (1..).zip(&e.cycles) {
        let heading = if e.cycles.len() == 1 {
            "Lock-order cycle".to_owned()
        } else {
            format!("Lock-order cycle {number}")
        };
        let _ = writeln!(
            out,
            "<section class=\"cycle\">\n<h2>{heading}</h2>\n<p class=\"path\">{}</p>",
            escape(&cycle.path())
        );
        out.push_str(
            "<table class=\"cycle\">\n<thead><tr><th>edge</th><th>thread</th><th>holds</th>\
             <th>acquired at</th><th>requests</th><th>requested at</th><th>when</th></tr></thead>\n<tbody>\n",
        );
        for (i, edge) in (1..).zip(&cycle.edges) {
            let when = if edge.in_trace {
                format!("step {}", edge.step)
            } else {
                format!("execution {}, step {}", edge.execution, edge.step)
            };
            let _ = writeln!(
                out,
                "<tr><td>{i}</td><td>{}</td><td title=\"{}\">{}</td><td>{}</td>\
                 <td title=\"{}\">{}</td><td>{}</td><td>{when}</td></tr>",
                escape(&edge.thread),
                escape(&edge.from),
                escape(&edge.from_alias),
                escape(&edge.held_at),
                escape(&edge.to),
                escape(&edge.to_alias),
                escape(&edge.requested_at),
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
}

fn objects(out: &mut String, timeline: &Timeline) {
    if timeline.objects.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"objects\">\n<h2>Objects</h2>\n<table class=\"objects\">\n\
         <thead><tr><th></th><th>name</th><th>object</th><th>created by</th><th>at</th></tr></thead>\n<tbody>\n",
    );
    for fold in timeline.object_folds() {
        let object = match fold {
            Fold::Item(i) => &timeline.objects[i],
            Fold::Repeat {
                period,
                more,
                from,
                to,
            } => {
                let _ = writeln!(
                    out,
                    "<tr class=\"fold\"><td></td><td>⋮</td><td colspan=\"3\">{}</td></tr>",
                    escape(&timeline.object_fold_line(period, more, from, to))
                );
                continue;
            }
        };
        let swatch = object.slot.map_or_else(String::new, |slot| {
            format!(
                "<span class=\"swatch\" style=\"background:{}\"></span>",
                colour(slot)
            )
        });
        let label = if object.label == object.alias {
            object.class.to_owned()
        } else {
            object.label.clone()
        };
        let _ = writeln!(
            out,
            "<tr><td>{swatch}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&object.alias),
            escape(&label),
            escape(&object.created_by),
            escape(&object.created_at)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn timeline(out: &mut String, timeline: &Timeline) {
    let _ = writeln!(
        out,
        "<section id=\"timeline\">\n<h2>Timeline of execution {}</h2>\n<p>One lane per thread, one \
         row per step. The coloured bars in a lane are the locks its thread holds; highlighted \
         rows are the steps the findings point at. Hover over an event for its source location.</p>",
        timeline.execution
    );
    let _ = writeln!(
        out,
        "<table class=\"timeline\" style=\"--slots: {}\">",
        timeline.lock_slots
    );
    out.push_str("<thead><tr><th>step</th>");
    if timeline.has_time {
        out.push_str("<th>time</th>");
    }
    if timeline.has_lanes() {
        for lane in &timeline.lanes {
            let _ = write!(
                out,
                "<th class=\"lane\" data-thread=\"{}\">{}</th>",
                lane.thread,
                escape(&lane.name)
            );
        }
    } else {
        out.push_str("<th>thread</th><th class=\"lane\">event</th>");
    }
    out.push_str("<th>site</th><th>findings</th></tr></thead>\n<tbody>\n");
    // The slots of the locks each lane holds, as the walk goes.
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); timeline.lanes.len()];
    let columns = 3
        + usize::from(timeline.has_time)
        + if timeline.has_lanes() {
            timeline.lanes.len()
        } else {
            2
        };
    for fold in timeline.folds() {
        let row = match fold {
            crate::timeline::fold::Fold::Item(i) => &timeline.rows[i],
            crate::timeline::fold::Fold::Repeat {
                period,
                more,
                from,
                to,
            } => {
                // The held locks stay those of the block's last copy.
                for row in &timeline.rows[from..to] {
                    held[row.lane].clone_from(&row.held_slots);
                }
                let _ = writeln!(
                    out,
                    "<tr class=\"fold\"><td class=\"step\">⋮</td><td colspan=\"{}\">{}</td></tr>",
                    columns - 1,
                    escape(&timeline.fold_line(period, more, from, to))
                );
                continue;
            }
        };
        held[row.lane].clone_from(&row.held_slots);
        let marked = if row.marks.is_empty() {
            ""
        } else {
            " class=\"marked\""
        };
        let _ = write!(
            out,
            "<tr id=\"step-{}\"{marked}><td class=\"step\">{}</td>",
            row.step, row.step
        );
        if timeline.has_time {
            let time = if row.time_advanced {
                virtual_time(row.now_ns)
            } else {
                String::new()
            };
            let _ = write!(out, "<td class=\"time\">{time}</td>");
        }
        if timeline.has_lanes() {
            for (lane, slots) in held.iter().enumerate() {
                lane_cell(out, slots, (lane == row.lane).then_some(row));
            }
        } else {
            let name = &timeline.lanes[row.lane].name;
            let _ = write!(out, "<td>{}</td>", escape(name));
            lane_cell(out, &held[row.lane], Some(row));
        }
        let _ = writeln!(
            out,
            "<td class=\"site\">{}</td><td class=\"marks\">{}</td></tr>",
            escape(&row.short_site()),
            escape(&row.marks.join("; "))
        );
    }
    out.push_str(
        "</tbody>\n</table>\n<h3>Where each thread ended up</h3>\n<ul class=\"endings\">\n",
    );
    for (name, ending) in timeline.endings() {
        let _ = writeln!(
            out,
            "<li><b>{}</b>: {}</li>",
            escape(&name),
            escape(&ending)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

/// One thread's cell of a row: the locks it holds as bars, and the row's event if it is its.
fn lane_cell(out: &mut String, slots: &[usize], row: Option<&Row>) {
    out.push_str("<td class=\"lane\">");
    for &slot in slots {
        let _ = write!(
            out,
            "<span class=\"hold\" style=\"left:{}px;background:{}\"></span>",
            4 + 6 * slot,
            colour(slot)
        );
    }
    if let Some(row) = row {
        let _ = write!(
            out,
            "<span class=\"event\" title=\"{}\">{}</span>",
            escape(&row.site),
            escape(&row.text)
        );
        // A notification and the wake-ups it caused, linked both ways.
        if let Some(step) = row.notified_at {
            let _ = write!(
                out,
                " <a class=\"link\" href=\"#step-{step}\">(notified at step {step})</a>"
            );
        }
        for (i, (thread, step)) in row.woke.iter().enumerate() {
            let lead = if i == 0 { " → woke " } else { ", " };
            let _ = write!(
                out,
                "{lead}<a class=\"link\" href=\"#step-{step}\">{} at step {step}</a>",
                escape(thread)
            );
        }
        if row.waits && !row.held.is_empty() {
            let _ = write!(
                out,
                " <span class=\"held\">[{}]</span>",
                escape(&row.held.join(", "))
            );
        }
    }
    out.push_str("</td>");
}
