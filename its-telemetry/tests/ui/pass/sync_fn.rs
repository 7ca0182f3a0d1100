use its_telemetry::inference::ErrorReason;
use its_telemetry::instrument_inference;

#[derive(Debug)]
enum DetectError {
    Timeout,
}

impl ErrorReason for DetectError {
    fn reason(&self) -> &'static str {
        "timeout"
    }
}

#[instrument_inference(model = "yolo", batch = frames.len())]
fn detect(frames: &[u8]) -> Result<usize, DetectError> {
    if frames.is_empty() {
        return Err(DetectError::Timeout);
    }
    let first = frames.first().ok_or(DetectError::Timeout)?;
    Ok(usize::from(*first))
}

#[instrument_inference(model = "classifier", version = "3")]
fn classify(_frame: u8) {}

fn main() {
    assert_eq!(detect(&[7, 8]).ok(), Some(7));
    assert!(detect(&[]).is_err());
    classify(1);
}
