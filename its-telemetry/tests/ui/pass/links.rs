use its_telemetry::{TraceLink, instrument_inference};

struct Request {
    frames: usize,
    trace_link: TraceLink,
}

#[instrument_inference(model = "yolo", batch = requests.len(), links = requests.iter().map(|r| &r.trace_link), skip_all)]
fn detect(requests: &[Request]) -> usize {
    requests.iter().map(|r| r.frames).sum()
}

#[instrument_inference(model = "yolo", links = requests, skip(requests))]
async fn detect_async(requests: &[TraceLink]) -> usize {
    requests.len()
}

fn main() {
    let requests = [Request {
        frames: 2,
        trace_link: TraceLink::default(),
    }];
    assert_eq!(detect(&requests), 2);
    let _ = detect_async(&[]);
}
