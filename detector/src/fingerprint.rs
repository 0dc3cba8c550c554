//! Building findings, and their fingerprints.
//!
//! A fingerprint names a problem, not a run: the same bug found with another seed, in another
//! execution, or after lines were added above or below it, has the same fingerprint. So it is
//! built from what stays put: the kind, object classes and user names, file names, columns, the
//! *relative* order of the finding's own sites within each file, and how many lines each of its
//! operation sites (where locks were taken, cells accessed, threads waited: every site but the
//! objects' creation sites) lies below the first of them in the same file. The line distances
//! tell apart two findings of the same shape at different places (two writes racing with one
//! read); creation sites carry none, so that an edit between where an object is made and where
//! the bug is leaves the fingerprint alone. Thread and object ids, step numbers and absolute
//! line numbers are left out.

use std::fmt::Write as _;

use crate::event::LockMode;
use crate::finding::{Detail, Finding, Kind, StepRange, TimeoutCause, WaitTarget};
use crate::identity::{Identities, ObjectInfo, ThreadInfo};
use crate::site::Site;

/// Collects the threads, objects and sites a finding refers to, by index.
#[derive(Debug, Default)]
pub(crate) struct FindingBuilder {
    threads: Vec<ThreadInfo>,
    objects: Vec<ObjectInfo>,
}

impl FindingBuilder {
    pub(crate) fn new() -> Self {
        FindingBuilder::default()
    }

    /// The index of stable thread `id` in the finding's `threads`.
    pub(crate) fn thread(&mut self, identities: &Identities, id: u32) -> usize {
        if let Some(index) = self.threads.iter().position(|t| t.id == id) {
            return index;
        }
        self.threads.push(identities.thread(id).clone());
        self.threads.len() - 1
    }

    /// The index of stable object `id` in the finding's `objects`.
    pub(crate) fn object(&mut self, identities: &Identities, id: u32) -> usize {
        if let Some(index) = self.objects.iter().position(|o| o.id == id) {
            return index;
        }
        self.objects.push(identities.object(id).clone());
        self.objects.len() - 1
    }

    pub(crate) fn finish(
        self,
        kind: Kind,
        headline: String,
        steps: StepRange,
        detail: Detail,
    ) -> Finding {
        let mut finding = Finding {
            kind,
            headline,
            threads: self.threads,
            objects: self.objects,
            sites: Vec::new(),
            steps,
            fingerprint: String::new(),
            detail,
        };
        finding.sites = collect_sites(&finding);
        finding.fingerprint = fingerprint(&finding);
        finding
    }
}

/// Every site the finding mentions, sorted.
fn collect_sites(finding: &Finding) -> Vec<Site> {
    let mut sites: Vec<Site> = finding
        .objects
        .iter()
        .map(|o| o.created_at.clone())
        .collect();
    sites.extend(operation_sites(finding));
    sites.sort();
    sites.dedup();
    sites
}

/// The sites of the finding's operations: all but its objects' creation sites.
fn operation_sites(finding: &Finding) -> Vec<Site> {
    let mut sites = Vec::new();
    match &finding.detail {
        Detail::LockCycle { edges } => {
            for edge in edges {
                sites.push(edge.held_at.clone());
                sites.push(edge.requested_at.clone());
            }
        }
        Detail::SelfDeadlock {
            held_at,
            requested_at,
            ..
        } => {
            sites.push(held_at.clone());
            sites.push(requested_at.clone());
        }
        Detail::AwaitHolding {
            held_at,
            awaited_at,
            ..
        } => {
            sites.push(held_at.clone());
            sites.push(awaited_at.clone());
        }
        Detail::Futurelock {
            held_at,
            waited_at,
            waits,
            ..
        } => {
            sites.push(held_at.clone());
            sites.push(waited_at.clone());
            sites.extend(wait_sites(waits));
        }
        Detail::Deadlock { waits, .. } | Detail::MissedTimeout { waits, .. } => {
            sites.extend(wait_sites(waits));
            if let Detail::MissedTimeout { cause, .. } = &finding.detail {
                match cause {
                    TimeoutCause::CannotReturn { site, .. }
                    | TimeoutCause::Deadline { site, .. } => {
                        sites.push(site.clone());
                    }
                    TimeoutCause::BlockedTooLong { .. } => {}
                }
            }
        }
        Detail::DataRace { first, second, .. } => {
            sites.push(first.site.clone());
            sites.push(second.site.clone());
        }
        Detail::Livelock { running, .. } => {
            sites.extend(running.iter().map(|r| r.last_site.clone()));
        }
        Detail::Panic { site, .. } => sites.push(site.clone()),
        Detail::MemoryError { site, freed_at, .. } => {
            sites.push(site.clone());
            sites.extend(freed_at.iter().cloned());
        }
    }
    sites
}

/// Where each wait began, and where the locks it involves were acquired.
fn wait_sites(waits: &[crate::finding::Wait]) -> impl Iterator<Item = Site> + '_ {
    waits.iter().flat_map(|wait| {
        let holds = wait.holding.iter().chain(&wait.held_by);
        std::iter::once(wait.site.clone()).chain(holds.map(|h| h.acquired_at.clone()))
    })
}

/// Renders sites as `file:c<column>:r<rank within the file among the finding's sites>`, and
/// an operation site with `:+<lines below the finding's first operation site in the file>`.
struct SiteTokens<'a> {
    sites: &'a [Site],
    /// Per file, the first line of the finding's operation sites.
    first_lines: Vec<(&'a str, u32)>,
}

impl<'a> SiteTokens<'a> {
    /// Tokens for `sites`, of which `operations` are the operation sites.
    fn new(sites: &'a [Site], operations: &'a [Site]) -> Self {
        let mut first_lines: Vec<(&str, u32)> = Vec::new();
        for site in operations {
            let file = stable_file(&site.file);
            match first_lines.iter_mut().find(|(f, _)| *f == file) {
                Some((_, line)) => *line = (*line).min(site.line),
                None => first_lines.push((file, site.line)),
            }
        }
        SiteTokens { sites, first_lines }
    }

    /// The token of an object's creation site.
    fn token(&self, site: &Site) -> String {
        let file = stable_file(&site.file);
        let rank = self
            .sites
            .iter()
            .filter(|s| {
                stable_file(&s.file) == file && (s.line, s.column) < (site.line, site.column)
            })
            .count();
        format!("{file}:c{}:r{rank}", site.column)
    }

    /// The token of an operation site.
    fn operation(&self, site: &Site) -> String {
        let file = stable_file(&site.file);
        let first = self
            .first_lines
            .iter()
            .find(|(f, _)| *f == file)
            .map_or(site.line, |&(_, line)| line);
        format!("{}:+{}", self.token(site), site.line.saturating_sub(first))
    }
}

/// A site's file as the same on every machine: workspace paths are relative already, but a
/// dependency's (in the cargo registry) or the standard library's (`/rustc/<hash>/…`) is
/// absolute. Those keep the crate directory on: `foo-1.2.3/src/lib.rs`, `std/src/sync/…`.
fn stable_file(file: &str) -> &str {
    let absolute = file.starts_with('/') || file.contains(":\\");
    if !absolute {
        return file;
    }
    let src = file.rfind("/src/").or_else(|| file.rfind("\\src\\"));
    match src {
        Some(at) => {
            let crate_start = file[..at].rfind(['/', '\\']).map_or(0, |i| i + 1);
            &file[crate_start..]
        }
        None => file,
    }
}

fn object_token(object: &ObjectInfo, sites: &SiteTokens<'_>) -> String {
    match &object.name {
        Some(name) => format!("{}:{name}", object.class.name()),
        None => format!(
            "{}@{}#{}",
            object.class.name(),
            sites.token(&object.created_at),
            object.ordinal
        ),
    }
}

fn mode(mode: LockMode) -> &'static str {
    match mode {
        LockMode::Exclusive => "x",
        LockMode::Shared => "s",
    }
}

fn fingerprint(finding: &Finding) -> String {
    let operations = operation_sites(finding);
    let sites = SiteTokens::new(&finding.sites, &operations);
    let object = |index: usize| object_token(&finding.objects[index], &sites);
    let mut parts: Vec<String> = vec![finding.kind.name().to_owned()];
    match &finding.detail {
        Detail::LockCycle { edges } => {
            let tokens: Vec<String> = edges
                .iter()
                .map(|e| {
                    format!(
                        "{}|{}|{}|{}|{}",
                        object(e.held),
                        mode(e.held_mode),
                        sites.operation(&e.held_at),
                        mode(e.requested_mode),
                        sites.operation(&e.requested_at)
                    )
                })
                .collect();
            // The cycle has no natural start: take its smallest rotation.
            let best = (0..tokens.len())
                .map(|start| {
                    let mut rotated = tokens[start..].to_vec();
                    rotated.extend_from_slice(&tokens[..start]);
                    rotated
                })
                .min()
                .unwrap_or_default();
            parts.extend(best);
        }
        Detail::AwaitHolding {
            lock,
            held_at,
            awaited_at,
            ..
        } => parts.push(format!(
            "await|{}|{}|{}",
            object(*lock),
            sites.operation(held_at),
            sites.operation(awaited_at)
        )),
        Detail::SelfDeadlock {
            lock,
            held_mode,
            held_at,
            requested_mode,
            requested_at,
            ..
        } => parts.push(format!(
            "{}|{}|{}|{}|{}",
            object(*lock),
            mode(*held_mode),
            sites.operation(held_at),
            mode(*requested_mode),
            sites.operation(requested_at)
        )),
        Detail::Deadlock { waits, .. } => parts.extend(wait_tokens(finding, &sites, waits)),
        Detail::Futurelock {
            object: lock,
            held_at,
            granted,
            waited_at,
            waits,
            ..
        } => {
            parts.push(format!(
                "futurelock|{}|{}|{}|{}",
                object(*lock),
                if *granted { "granted" } else { "held" },
                sites.operation(held_at),
                sites.operation(waited_at)
            ));
            parts.extend(wait_tokens(finding, &sites, waits));
        }
        Detail::MissedTimeout { cause, waits, .. } => {
            parts.push(match cause {
                TimeoutCause::CannotReturn { condvar, site, .. } => {
                    format!(
                        "cannot return|{}|{}",
                        object(*condvar),
                        sites.operation(site)
                    )
                }
                TimeoutCause::Deadline {
                    deadline_ns,
                    entered_ns,
                    site,
                } => format!(
                    "deadline|{}|{}",
                    deadline_ns.saturating_sub(*entered_ns),
                    sites.operation(site)
                ),
                TimeoutCause::BlockedTooLong { max_block_ns, .. } => {
                    format!("blocked too long|{max_block_ns}")
                }
            });
            parts.extend(wait_tokens(finding, &sites, waits));
        }
        Detail::DataRace {
            cell,
            first,
            second,
        } => {
            parts.push(object(*cell));
            let mut accesses = [first, second].map(|a| {
                format!(
                    "{}{}",
                    if a.write { "w" } else { "r" },
                    sites.operation(&a.site)
                )
            });
            accesses.sort();
            parts.extend(accesses);
        }
        Detail::Livelock { running, .. } => {
            let mut tokens: Vec<String> = running
                .iter()
                .map(|r| sites.operation(&r.last_site))
                .collect();
            tokens.sort();
            parts.extend(tokens);
        }
        Detail::Panic { message, site, .. } => {
            parts.push(sites.operation(site));
            parts.push(message.clone());
        }
        Detail::MemoryError {
            error,
            site,
            freed_at,
            ..
        } => {
            parts.push(error.name().to_owned());
            parts.push(sites.operation(site));
            if let Some(freed) = freed_at {
                parts.push(sites.operation(freed));
            }
        }
    }
    let mut hash = Fnv1a::new();
    for part in &parts {
        hash.write(part.as_bytes());
        hash.write(&[0xff]);
    }
    let mut hex = String::with_capacity(16);
    write!(hex, "{:016x}", hash.0).expect("writing to a String cannot fail");
    hex
}

/// The waits of a deadlock or missed timeout as sorted tokens: what each waits for, where, and
/// where its holders took it.
fn wait_tokens(
    finding: &Finding,
    sites: &SiteTokens<'_>,
    waits: &[crate::finding::Wait],
) -> Vec<String> {
    let object = |index: usize| object_token(&finding.objects[index], sites);
    let mut tokens: Vec<String> = waits
        .iter()
        .map(|w| {
            let target = match &w.target {
                WaitTarget::Lock { lock, mode: m } => {
                    format!("lock {} {}", object(*lock), mode(*m))
                }
                WaitTarget::Join { .. } => "join".to_owned(),
                WaitTarget::Condvar { condvar } => format!("condvar {}", object(*condvar)),
                WaitTarget::Recv { channel } => format!("recv {}", object(*channel)),
                WaitTarget::Send { channel } => format!("send {}", object(*channel)),
                WaitTarget::Barrier { barrier } => format!("barrier {}", object(*barrier)),
                WaitTarget::Once { once } => format!("once {}", object(*once)),
                WaitTarget::Timer { .. } => "timer".to_owned(),
                WaitTarget::Park => "park".to_owned(),
                WaitTarget::Async { object: o } => format!("async {}", object(*o)),
                WaitTarget::LostWaker => "lost waker".to_owned(),
            };
            let mut holders: Vec<String> = w
                .held_by
                .iter()
                .map(|h| sites.operation(&h.acquired_at))
                .collect();
            holders.sort();
            format!(
                "{target}|{}|{}",
                sites.operation(&w.site),
                holders.join(",")
            )
        })
        .collect();
    tokens.sort();
    tokens
}

/// FNV-1a, 64 bit: fixed by its definition, so fingerprints are the same on every platform
/// and toolchain (std's `DefaultHasher` promises neither).
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_keep_only_the_crate_directory_on() {
        assert_eq!(stable_file("src/lib.rs"), "src/lib.rs");
        assert_eq!(
            stable_file("/root/.cargo/registry/src/index.crates.io-1949/foo-1.2.3/src/a/b.rs"),
            "foo-1.2.3/src/a/b.rs"
        );
        assert_eq!(
            stable_file("/rustc/59807616e1fa/library/std/src/sync/mutex.rs"),
            "std/src/sync/mutex.rs"
        );
        assert_eq!(stable_file("/tmp/no-src-dir/x.rs"), "/tmp/no-src-dir/x.rs");
    }

    #[test]
    fn fnv1a_matches_its_reference_values() {
        let mut empty = Fnv1a::new();
        empty.write(b"");
        assert_eq!(empty.0, 0xcbf2_9ce4_8422_2325);
        let mut a = Fnv1a::new();
        a.write(b"a");
        assert_eq!(a.0, 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn site_tokens_use_columns_and_ranks_not_lines() {
        let sites = [
            Site::new("a.rs", 10, 5),
            Site::new("a.rs", 20, 9),
            Site::new("b.rs", 3, 1),
        ];
        let tokens = SiteTokens::new(&sites, &sites);
        assert_eq!(tokens.token(&sites[1]), "a.rs:c9:r1");
        assert_eq!(tokens.token(&sites[2]), "b.rs:c1:r0");
        assert_eq!(tokens.operation(&sites[1]), "a.rs:c9:r1:+10");
        assert_eq!(tokens.operation(&sites[2]), "b.rs:c1:r0:+0");
        // The same sites moved down by 7 lines give the same tokens.
        let moved = sites.clone().map(|mut s| {
            s.line += 7;
            s
        });
        let moved_tokens = SiteTokens::new(&moved, &moved);
        for (site, moved_site) in sites.iter().zip(&moved) {
            assert_eq!(tokens.token(site), moved_tokens.token(moved_site));
            assert_eq!(tokens.operation(site), moved_tokens.operation(moved_site));
        }
    }

    #[test]
    fn operation_sites_of_the_same_shape_at_other_lines_differ_creation_sites_do_not_count() {
        // A cell created at line 3, written at line 10 or 12, read at line 20.
        let created = Site::new("a.rs", 3, 16);
        let read = Site::new("a.rs", 20, 9);
        let tokens_of = |write_line: u32| {
            let write = Site::new("a.rs", write_line, 9);
            let operations = [write.clone(), read.clone()];
            let sites = [created.clone(), write.clone(), read.clone()];
            let tokens = SiteTokens::new(&sites, &operations);
            [
                tokens.token(&created),
                tokens.operation(&write),
                tokens.operation(&read),
            ]
        };
        assert_eq!(
            tokens_of(10),
            ["a.rs:c16:r0", "a.rs:c9:r1:+0", "a.rs:c9:r2:+10"]
        );
        assert_eq!(
            tokens_of(12),
            ["a.rs:c16:r0", "a.rs:c9:r1:+0", "a.rs:c9:r2:+8"]
        );
        // The cell made 100 lines further up: the same tokens.
        let (created, write) = (Site::new("a.rs", 1, 16), Site::new("a.rs", 110, 9));
        let sites = [created, write.clone()];
        let operations = [write.clone()];
        let far = SiteTokens::new(&sites, &operations);
        assert_eq!(far.operation(&write), "a.rs:c9:r1:+0");
    }
}
