//! The crate README's configuration table lists exactly the variables the SDK reads.

#[test]
fn readme_lists_every_environment_variable() {
    let readme = include_str!("../README.md");
    for (name, meaning) in its_telemetry::ENVIRONMENT_VARIABLES {
        let row = format!("| `{name}` | {meaning} |");
        assert!(
            readme.contains(&row),
            "its-telemetry/README.md lacks the row:\n{row}"
        );
    }
    let rows = readme
        .lines()
        .filter(|l| {
            l.starts_with("| `OTEL_") || l.starts_with("| `ITS_") || l.starts_with("| `RUST_LOG")
        })
        .count();
    assert_eq!(
        rows,
        its_telemetry::ENVIRONMENT_VARIABLES.len(),
        "README lists unknown variables"
    );
}
