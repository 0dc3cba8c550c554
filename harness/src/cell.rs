//! Race-checked cells (being written).
