//! Channels, atomics and race-checked cells through the harness.
