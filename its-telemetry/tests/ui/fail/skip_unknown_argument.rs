use its_telemetry::instrument_inference;

#[instrument_inference(model = "yolo", skip(images))]
fn detect(frames: &[u8]) -> usize {
    frames.len()
}

fn main() {}
