use its_telemetry::instrument_inference;

#[instrument_inference(model = "yolo", gpu = "0")]
fn detect(frames: &[u8]) -> usize {
    frames.len()
}

fn main() {}
