//! Folding what repeats: a livelock or a spin loop is thousands of copies of the same few steps,
//! and a timeline (or a schedule) that shows each one is read by no one. A block of consecutive
//! items that repeats at least [`MIN_REPEATS`] times in a row is shown once, followed by one line
//! saying how many more times it ran.

use std::hash::{Hash, Hasher};

/// The longest block looked for, in items.
const MAX_PERIOD: usize = 32;

/// The fewest copies in a row that are folded.
pub(crate) const MIN_REPEATS: usize = 3;

/// One thing to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fold {
    /// Item `i`, as it is.
    Item(usize),
    /// The `period` items just shown ran `more` more times, items `from..to` (exclusive).
    Repeat {
        period: usize,
        more: usize,
        from: usize,
        to: usize,
    },
}

/// Folds `keys` (one per item; equal keys mean equal items). An item for which `keep` says
/// `true` is never folded away (a step a finding points at).
pub(crate) fn fold<K: Eq>(keys: &[K], keep: impl Fn(usize) -> bool) -> Vec<Fold> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        // The period that folds the most items from `i` on (the shortest of equals).
        let mut best: Option<(usize, usize)> = None;
        for period in 1..=MAX_PERIOD.min((keys.len() - i) / MIN_REPEATS) {
            let mut copies = 1;
            while i + (copies + 1) * period <= keys.len()
                && (0..period).all(|k| {
                    let j = i + copies * period + k;
                    keys[j] == keys[i + k] && !keep(j)
                })
            {
                copies += 1;
            }
            let folded = (copies - 1) * period;
            if copies >= MIN_REPEATS && best.is_none_or(|(_, f)| folded > f) {
                best = Some((period, folded));
            }
        }
        match best {
            Some((period, folded)) => {
                out.extend((i..i + period).map(Fold::Item));
                out.push(Fold::Repeat {
                    period,
                    more: folded / period,
                    from: i + period,
                    to: i + period + folded,
                });
                i += period + folded;
            }
            None => {
                out.push(Fold::Item(i));
                i += 1;
            }
        }
    }
    out
}

/// A 64-bit key for anything hashable, stable within one run (folding compares, never stores).
pub(crate) fn key(value: &impl Hash) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A schedule's text with repeated runs of decisions folded: `0x4.(1x7.2x7)×1607.0`.
pub(crate) fn schedule(text: &str) -> String {
    let tokens: Vec<&str> = text.split('.').collect();
    let mut out: Vec<String> = Vec::new();
    let folded = fold(&tokens, |_| false);
    let mut k = 0;
    while k < folded.len() {
        match (&folded[k], folded.get(k + 1)) {
            (Fold::Item(i), _) => {
                // An item followed by its fold is written in the group.
                let group_end = folded[k..]
                    .iter()
                    .position(|f| matches!(f, Fold::Repeat { .. }));
                match group_end.map(|g| (g, &folded[k + g])) {
                    Some((g, Fold::Repeat { period, more, .. })) if g == *period => {
                        let group: Vec<&str> = (0..*period).map(|p| tokens[i + p]).collect();
                        out.push(format!("({})×{}", group.join("."), more + 1));
                        k += period + 1;
                    }
                    _ => {
                        out.push(tokens[*i].to_owned());
                        k += 1;
                    }
                }
            }
            (Fold::Repeat { .. }, _) => k += 1,
        }
    }
    out.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_that_repeats_is_shown_once_with_its_count() {
        let keys = [0, 1, 2, 1, 2, 1, 2, 1, 2, 3];
        assert_eq!(
            fold(&keys, |_| false),
            [
                Fold::Item(0),
                Fold::Item(1),
                Fold::Item(2),
                Fold::Repeat {
                    period: 2,
                    more: 3,
                    from: 3,
                    to: 9
                },
                Fold::Item(9),
            ]
        );
        // Twice is not folded.
        assert_eq!(fold(&[5, 5], |_| false), [Fold::Item(0), Fold::Item(1)]);
        assert_eq!(
            fold(&[5, 5, 5], |_| false),
            [
                Fold::Item(0),
                Fold::Repeat {
                    period: 1,
                    more: 2,
                    from: 1,
                    to: 3
                }
            ]
        );
    }

    #[test]
    fn a_kept_item_stops_the_fold_before_it() {
        let keys = [7, 7, 7, 7, 7];
        assert_eq!(
            fold(&keys, |i| i == 3),
            [
                Fold::Item(0),
                Fold::Repeat {
                    period: 1,
                    more: 2,
                    from: 1,
                    to: 3
                },
                Fold::Item(3),
                Fold::Item(4),
            ]
        );
    }

    #[test]
    fn schedules_fold_their_repeated_runs() {
        assert_eq!(
            schedule("0x4.1x3.2x3.1x7.2x7.1x7.2x7.1x7.2x7.0"),
            "0x4.1x3.2x3.(1x7.2x7)×3.0"
        );
        assert_eq!(schedule("0.1.0.1"), "0.1.0.1");
        assert_eq!(schedule(""), "");
    }
}
