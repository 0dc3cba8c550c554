//! The catalog's entries, one file per category.

mod condvar;
mod deadlock;
mod lock_order;
mod race;

use crate::scenario::Scenario;

/// Every scenario, grouped by category, each bug followed by its fixed twin.
pub fn catalog() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(lock_order::scenarios());
    all.extend(deadlock::scenarios());
    all.extend(condvar::scenarios());
    all.extend(race::scenarios());
    all
}
