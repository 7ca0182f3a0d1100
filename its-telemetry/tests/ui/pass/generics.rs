use std::fmt::Debug;

use its_telemetry::instrument_inference;

#[instrument_inference(model = "generic", batch = items.len())]
fn count<T: Debug>(items: &[T]) -> usize {
    items.len()
}

#[instrument_inference(model = "boxes", batch = items.len(), skip(items))]
fn boxes<'a, T>(items: &'a [T]) -> impl Iterator<Item = &'a T> + 'a {
    items.iter()
}

fn main() {
    assert_eq!(count(&[1, 2, 3]), 3);
    assert_eq!(count(&["a"]), 1);
    assert_eq!(boxes(&[1, 2]).count(), 2);
}
