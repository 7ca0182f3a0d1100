//! The dynamic batcher: frames from many requests are grouped into GPU batches of at most
//! `max_batch` frames, waiting at most `max_wait` for a batch to fill.
//!
//! Traces: a batch serves frames of many requests, so its `infer {model}` span is a root of its
//! own, linked to the span of every request it carries; each request's span links back to the
//! batches that served it ([`TraceLink`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use its_telemetry::TraceLink;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::detector::{Detection, Detector, Frame, InferError};

/// What a request gets back.
pub type Reply = Result<Vec<Detection>, InferError>;

/// Counters the live summary reads.
#[derive(Debug, Default)]
pub struct BatchStats {
    /// Batches run.
    pub batches: AtomicU64,
    /// Batches that failed.
    pub failed: AtomicU64,
    /// Frames inferred.
    pub frames: AtomicU64,
    /// Recent batch latencies (queue + compute), for the summary's p95.
    pub recent_latency_ms: Mutex<Vec<f64>>,
}

impl BatchStats {
    fn record_latency(&self, took: Duration) {
        let mut recent = self
            .recent_latency_ms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() >= 10_000 {
            recent.clear();
        }
        recent.push(took.as_secs_f64() * 1000.0);
    }

    /// The 95th percentile of latencies since the last call, and clears them.
    pub fn take_p95_ms(&self) -> Option<f64> {
        let mut recent = std::mem::take(
            &mut *self
                .recent_latency_ms
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if recent.is_empty() {
            return None;
        }
        recent.sort_by(f64::total_cmp);
        let index = ((recent.len() as f64) * 0.95).ceil() as usize;
        recent.get(index.saturating_sub(1)).copied()
    }
}

/// One request waiting for all of its frames.
struct Job {
    remaining: AtomicUsize,
    detections: Mutex<Vec<Detection>>,
    reply: Mutex<Option<oneshot::Sender<Reply>>>,
    /// The request's span, for the batches to link to.
    request: TraceLink,
    /// The batches that carried its frames, for the request's span to link back to.
    served_by: Mutex<Vec<TraceLink>>,
}

impl Job {
    fn served_by(&self, batch: &TraceLink) {
        let mut served_by = self
            .served_by
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !batch.is_empty() && !served_by.contains(batch) {
            served_by.push(batch.clone());
        }
    }

    fn complete(&self, frames: usize, result: Result<Vec<Detection>, InferError>) {
        match result {
            Ok(mut found) => {
                self.detections
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .append(&mut found);
                if self.remaining.fetch_sub(frames, Ordering::AcqRel) == frames {
                    let all = std::mem::take(
                        &mut *self
                            .detections
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner),
                    );
                    self.send(Ok(all));
                }
            }
            // The first failed batch answers for the whole request.
            Err(e) => self.send(Err(e)),
        }
    }

    fn send(&self, reply: Reply) {
        let sender = self
            .reply
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(sender) = sender {
            // The client may have gone; nothing to do then.
            let _ = sender.send(reply);
        }
    }
}

/// One frame in the queue, with the request it belongs to.
struct Item {
    frame: Frame,
    job: Arc<Job>,
    enqueued: Instant,
}

/// Submits requests to the batching loop.
#[derive(Debug, Clone)]
pub struct Batcher {
    tx: mpsc::Sender<Vec<Item>>,
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Item")
            .field("frame", &self.frame)
            .finish_non_exhaustive()
    }
}

/// The batching loop; resolves when the batcher is closed and every batch has finished.
pub type Drain = tokio::task::JoinHandle<()>;

impl Batcher {
    /// Starts the loop. It ends, after finishing every queued frame, once every [`Batcher`]
    /// clone is dropped.
    #[must_use]
    pub fn start(
        detector: Arc<Detector>,
        max_batch: usize,
        max_wait: Duration,
        stats: Arc<BatchStats>,
    ) -> (Self, Drain) {
        let (tx, rx) = mpsc::channel(4096);
        let drain = tokio::spawn(run(rx, detector, max_batch.max(1), max_wait, stats));
        (Self { tx }, drain)
    }

    /// Queues a request's frames; the reply comes when all of them are inferred. The caller's
    /// span and the spans of the batches that served it are linked both ways.
    ///
    /// # Errors
    /// `None` when the batcher has shut down.
    pub async fn submit(&self, frames: Vec<Frame>) -> Option<Reply> {
        let (reply_tx, reply_rx) = oneshot::channel();
        let job = Arc::new(Job {
            remaining: AtomicUsize::new(frames.len()),
            detections: Mutex::new(Vec::new()),
            reply: Mutex::new(Some(reply_tx)),
            request: TraceLink::current(),
            served_by: Mutex::new(Vec::new()),
        });
        let enqueued = Instant::now();
        let items = frames
            .into_iter()
            .map(|frame| Item {
                frame,
                job: Arc::clone(&job),
                enqueued,
            })
            .collect();
        self.tx.send(items).await.ok()?;
        let reply = reply_rx.await.ok();
        for batch in job
            .served_by
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            batch.record_on_current();
        }
        reply
    }
}

async fn run(
    mut rx: mpsc::Receiver<Vec<Item>>,
    detector: Arc<Detector>,
    max_batch: usize,
    max_wait: Duration,
    stats: Arc<BatchStats>,
) {
    let mut pending: Vec<Item> = Vec::new();
    let mut running = JoinSet::new();
    let mut open = true;
    while open || !pending.is_empty() {
        if pending.is_empty() {
            match rx.recv().await {
                Some(items) => pending.extend(items),
                None => open = false,
            }
            continue;
        }
        // Fill the batch until it is full or the oldest frame has waited max_wait.
        let deadline = pending[0].enqueued + max_wait;
        while open && pending.len() < max_batch {
            match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
                Ok(Some(items)) => pending.extend(items),
                Ok(None) => open = false,
                Err(_) => break,
            }
        }
        let take = pending.len().min(max_batch);
        let batch: Vec<Item> = pending.drain(..take).collect();
        let detector = Arc::clone(&detector);
        let stats = Arc::clone(&stats);
        running.spawn(async move { run_one(&detector, batch, &stats).await });
        while running.try_join_next().is_some() {}
    }
    while running.join_next().await.is_some() {}
}

async fn run_one(detector: &Detector, batch: Vec<Item>, stats: &BatchStats) {
    let oldest = batch
        .iter()
        .map(|i| i.enqueued)
        .min()
        .unwrap_or_else(Instant::now);
    let frames: Vec<Frame> = batch.iter().map(|i| i.frame.clone()).collect();
    // One link per request, not per frame.
    let mut requests: Vec<&Arc<Job>> = Vec::new();
    for item in &batch {
        if !requests.iter().any(|j| Arc::ptr_eq(j, &item.job)) {
            requests.push(&item.job);
        }
    }
    let links: Vec<&TraceLink> = requests.iter().map(|j| &j.request).collect();
    let (result, batch_link) = detector.run_batch(&frames, oldest, links).await;
    for job in &requests {
        job.served_by(&batch_link);
    }
    stats.batches.fetch_add(1, Ordering::Relaxed);
    stats.record_latency(oldest.elapsed());
    match result {
        Ok(detections) => {
            stats
                .frames
                .fetch_add(frames.len() as u64, Ordering::Relaxed);
            // Hand each request the detections of its own frames.
            let mut by_job: Vec<(Arc<Job>, usize, Vec<Detection>)> = Vec::new();
            for item in &batch {
                match by_job.iter_mut().find(|(j, ..)| Arc::ptr_eq(j, &item.job)) {
                    Some((_, n, _)) => *n += 1,
                    None => by_job.push((Arc::clone(&item.job), 1, Vec::new())),
                }
            }
            for d in detections {
                let owner = batch
                    .iter()
                    .find(|i| i.frame.camera_id == d.camera_id)
                    .map(|i| Arc::clone(&i.job));
                if let Some(owner) = owner {
                    if let Some((.., found)) =
                        by_job.iter_mut().find(|(j, ..)| Arc::ptr_eq(j, &owner))
                    {
                        found.push(d);
                    }
                }
            }
            for (job, n, found) in by_job {
                job.complete(n, Ok(found));
            }
        }
        Err(e) => {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            for item in &batch {
                item.job.complete(1, Err(e));
            }
        }
    }
}
