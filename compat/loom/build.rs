//! Which `--cfg` names this build was given in its flags (`RUSTFLAGS`, `build.rustflags`): a
//! crate's loom tests are built with them (`--cfg loom`, or a name of the crate's own, as
//! `oneshot`'s `--cfg oneshot_loom`), and so is this crate. `Builder::check` tells the harness,
//! so that an artifact's replay command passes them again; without them cargo would build the
//! tests without their `#[cfg(…)]` items and run none.

include!("build_cfgs.rs");

fn main() {
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    println!(
        "cargo:rustc-env=INTERLEAVE_LOOM_BUILT_WITH_CFGS={}",
        cfg_names(&flags).join(",")
    );
}
