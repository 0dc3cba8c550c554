//! Condvars, RwLocks, barriers and once through the harness.
