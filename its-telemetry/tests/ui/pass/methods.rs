use its_telemetry::instrument_inference;

struct Detector {
    calls: usize,
}

impl Detector {
    #[instrument_inference(model = "yolo", batch = frames.len(), skip(frames))]
    fn detect(&self, frames: &[u8]) -> usize {
        frames.len() + self.calls
    }

    #[instrument_inference(model = "yolo", batch = frames.len(), skip_all, fields(site = "A7"))]
    fn detect_mut(&mut self, frames: &[u8]) -> usize {
        self.calls += 1;
        frames.len()
    }

    #[instrument_inference(model = "yolo")]
    async fn detect_async(&self, frame: u8) -> u8 {
        frame + u8::try_from(self.calls).unwrap_or(0)
    }
}

fn main() {
    let mut detector = Detector { calls: 0 };
    assert_eq!(detector.detect_mut(&[1, 2]), 2);
    assert_eq!(detector.detect(&[1]), 2);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    assert_eq!(runtime.block_on(detector.detect_async(4)), 5);
}
