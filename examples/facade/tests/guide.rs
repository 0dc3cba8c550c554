//! The guide's Rust snippets are files of these example crates, verbatim: compiled (both sides
//! of each facade: the library build and the test build) and run by `cargo test`.

/// The ```rust blocks of `docs/guide.md`, in order.
fn rust_blocks() -> Vec<String> {
    let guide = include_str!("../../../docs/guide.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in guide.lines() {
        match &mut current {
            None if line == "```rust" => current = Some(String::new()),
            Some(_) if line == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn every_rust_snippet_of_the_guide_is_a_file_that_builds_and_runs() {
    let files = [
        include_str!("getting_started.rs"),
        include_str!("../src/sync.rs"),
        include_str!("../../facade-feature/src/sync.rs"),
        include_str!("silence.rs"),
    ];
    let blocks = rust_blocks();
    assert_eq!(blocks.len(), files.len(), "one file per snippet");
    for (i, (block, file)) in blocks.iter().zip(files).enumerate() {
        assert_eq!(block, file, "snippet {i} of docs/guide.md");
    }
}
