//! The text summary of a CI run: a headline, one row per check, then what needs attention
//! (new findings with their replay commands, accepted ones, checks that could not run, other
//! failures, and fixed baseline entries as warnings).

use std::fmt::Write as _;

use interleave::CheckResult;

use super::results::{line, plural, result_name, Results};

impl Results {
    /// The text summary: a headline, the checks, then what needs attention.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let failed = self
            .checks
            .iter()
            .filter(|c| c.result != CheckResult::Clean)
            .count();
        let _ = writeln!(
            out,
            "interleave ci: {} check{}, {failed} failed; {} new finding{}, {} accepted, {} fixed, \
             {} error{}, {} other failure{}",
            self.checks.len(),
            plural(self.checks.len()),
            self.new_findings.len(),
            plural(self.new_findings.len()),
            self.accepted.len(),
            self.fixed.len(),
            self.errors().len(),
            plural(self.errors().len()),
            self.other_failures.len(),
            plural(self.other_failures.len()),
        );
        if !self.checks.is_empty() {
            out.push('\n');
            out.push_str(&self.table());
        }
        if !self.new_findings.is_empty() {
            out.push_str("\nnew findings:\n");
            for f in &self.new_findings {
                let _ = writeln!(
                    out,
                    "  {} ({})  {}  {}\n    {}",
                    line(&f.check),
                    line(&f.target),
                    f.kind,
                    line(&f.fingerprint),
                    line(&f.headline)
                );
                if let Some(replay) = &f.replay {
                    let _ = writeln!(out, "    replay: {}", line(replay));
                }
            }
        }
        if !self.accepted.is_empty() {
            out.push_str("\naccepted by the baseline:\n");
            for f in &self.accepted {
                let _ = writeln!(
                    out,
                    "  {} ({})  {}  {}  {}",
                    line(&f.check),
                    line(&f.target),
                    f.kind,
                    line(&f.fingerprint),
                    line(f.reason.as_deref().unwrap_or(""))
                );
            }
        }
        let errors = self.errors();
        if !errors.is_empty() {
            out.push_str("\nchecks that could not run to their end:\n");
            for c in errors {
                let message = c.message.as_deref().unwrap_or("").lines().next();
                let _ = writeln!(
                    out,
                    "  {} ({}): {}",
                    line(&c.check),
                    line(&c.target),
                    line(message.unwrap_or(""))
                );
            }
        }
        if !self.other_failures.is_empty() {
            out.push_str("\nother failures (not an interleave finding):\n");
            for failure in &self.other_failures {
                let _ = writeln!(out, "  {}", line(failure));
            }
        }
        if !self.fixed.is_empty() {
            out.push('\n');
            for e in &self.fixed {
                let _ = writeln!(
                    out,
                    "warning: fixed: `{}` ran clean without {} ({}: {}): `interleave ci baseline` \
                     removes it from the baseline",
                    line(&e.check),
                    line(&e.fingerprint),
                    e.kind,
                    line(&e.headline)
                );
            }
        }
        out.push('\n');
        out
    }

    /// One row per check: what ran, with which seed, how far.
    fn table(&self) -> String {
        let rows: Vec<[String; 7]> = self
            .checks
            .iter()
            .map(|c| {
                let name = if c.ordinal > 1 {
                    format!("{} #{}", c.check, c.ordinal)
                } else {
                    c.check.clone()
                };
                [
                    line(&name),
                    line(&c.target),
                    result_name(c.result).to_owned(),
                    c.executions.to_string(),
                    line(&c.strategy),
                    c.seed.map_or_else(|| "-".to_owned(), |s| s.to_string()),
                    if c.complete { "complete" } else { "bounded" }.to_owned(),
                ]
            })
            .collect();
        let header = [
            "check",
            "target",
            "result",
            "executions",
            "strategy",
            "seed",
            "coverage",
        ]
        .map(str::to_owned);
        let widths: Vec<usize> = (0..7)
            .map(|i| {
                rows.iter()
                    .chain(std::iter::once(&header))
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&rows) {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    if i == 3 {
                        format!("{cell:>width$}", width = widths[i])
                    } else {
                        format!("{cell:<width$}", width = widths[i])
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
        out
    }
}
