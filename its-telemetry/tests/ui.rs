//! `#[instrument_inference]` compiles where it should and fails with a pointed error where it
//! should not; the expected errors are the committed `.stderr` files
//! (regenerate with `TRYBUILD=overwrite cargo test -p its-telemetry --test ui`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
