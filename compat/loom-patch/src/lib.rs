//! loom 0.7's API on interleave, under loom's own name: [`interleave_loom`] re-exported, for a
//! workspace that patches `loom` (`docs/loom.md`, "The switch").

pub use interleave_loom::*;
