//! The consumer crate that CI builds against the packaged SDK (scripts/consumer-check.sh) runs
//! exactly the quick start of the crate README, so the README cannot drift from code that works.

#[test]
fn consumer_crate_runs_the_readme_quick_start() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("its-telemetry/README.md")).expect("README");
    let start = readme
        .find("## Quick start")
        .expect("a quick start section");
    let code = readme[start..]
        .split("```rust,no_run\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a rust block in the quick start");
    let consumer = std::fs::read_to_string(root.join("tests/consumer-crate/src/main.rs"))
        .expect("consumer main.rs");
    assert_eq!(
        consumer, code,
        "tests/consumer-crate/src/main.rs must be the README quick start, verbatim"
    );
}
