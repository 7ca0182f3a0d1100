use its_telemetry::instrument_inference;

#[instrument_inference(model = "yolo")]
const fn detect(n: usize) -> usize {
    n
}

fn main() {}
