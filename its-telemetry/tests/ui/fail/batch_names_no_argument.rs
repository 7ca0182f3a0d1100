use its_telemetry::instrument_inference;

#[instrument_inference(model = "yolo", batch = images.len())]
fn detect(frames: &[u8]) -> usize {
    frames.len()
}

fn main() {}
