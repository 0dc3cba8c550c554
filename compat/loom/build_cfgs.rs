/// The `--cfg` names among `flags` (`CARGO_ENCODED_RUSTFLAGS`: flags separated by `\x1f`), in
/// order, each once: `--cfg name` and `--cfg=name`. Names only (ASCII letters, digits and `_`,
/// not starting with a digit): `--cfg feature="x"` is cargo's business, and the harness takes
/// names.
fn cfg_names(flags: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let mut flags = flags.split('\u{1f}');
    while let Some(flag) = flags.next() {
        let name = match flag.strip_prefix("--cfg") {
            Some("") => flags.next(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        let is_name = |n: &&str| {
            n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && n.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        };
        if let Some(name) = name.filter(is_name) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}
