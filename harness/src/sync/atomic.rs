//! Atomic types (being written).
