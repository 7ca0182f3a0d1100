use its_telemetry::instrument_inference;

#[instrument_inference(model = "yolo", batch = frames.len(), skip(frames))]
async fn detect(frames: Vec<u8>) -> std::io::Result<usize> {
    tokio::task::yield_now().await;
    let n = u8::try_from(frames.len())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    Ok(usize::from(n))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    assert_eq!(runtime.block_on(detect(vec![1, 2, 3])).ok(), Some(3));
}
