use its_telemetry::instrument_inference;

#[instrument_inference(version = "1")]
fn detect(frames: &[u8]) -> usize {
    frames.len()
}

fn main() {}
