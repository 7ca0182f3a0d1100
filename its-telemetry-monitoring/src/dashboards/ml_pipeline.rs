//! `ml-pipeline-performance.json`: latency split Triton-style, batching, outcomes, detections,
//! drift, accuracy.

use its_telemetry::catalog::inference;

use super::{
    Dashboard,
    PanelKind::{Stat, TimeSeries},
    mean, panel, q, quantile, rate, s, with_exemplars,
};

/// The ML pipeline: latency split Triton-style, batching, outcomes, detections, drift, accuracy.
#[must_use]
pub fn ml_pipeline() -> Dashboard {
    let ok = r#"outcome="ok""#;
    Dashboard {
        uid: "its-ml-pipeline-performance",
        file: "ml-pipeline-performance.json",
        title: "ITS camera AI — ML pipeline performance",
        per_camera: false,
        panels: vec![
            with_exemplars(panel(
                "Latency p50 / p95 / p99 by model",
                "Batch formation to result.",
                TimeSeries,
                "s",
                vec![
                    q(
                        quantile(0.5, &inference::REQUEST_DURATION, "model", ok),
                        "{{model}} p50",
                    ),
                    q(
                        quantile(0.95, &inference::REQUEST_DURATION, "model", ok),
                        "{{model}} p95",
                    ),
                    q(
                        quantile(0.99, &inference::REQUEST_DURATION, "model", ok),
                        "{{model}} p99",
                    ),
                ],
            )),
            panel(
                "Queue wait p95",
                "Time in the batcher before the batch started.",
                TimeSeries,
                "s",
                vec![q(
                    quantile(0.95, &inference::QUEUE_WAIT, "model", ""),
                    "{{model}}",
                )],
            ),
            panel(
                "Phase time p95",
                "Pre-process, infer, post-process.",
                TimeSeries,
                "s",
                vec![q(
                    quantile(0.95, &inference::PHASE_DURATION, "model, phase", ""),
                    "{{model}} {{phase}}",
                )],
            ),
            panel(
                "Mean batch size",
                "Frames per batch: low means the GPU runs half empty.",
                TimeSeries,
                "short",
                vec![q(mean(&inference::BATCH_SIZE, "model"), "{{model}}")],
            ),
            panel(
                "Frames inferred per second",
                "Throughput of the models.",
                TimeSeries,
                "short",
                vec![q(
                    rate(&inference::FRAMES_INFERRED, "model", ""),
                    "{{model}}",
                )],
            ),
            panel(
                "Batches by outcome",
                "ok, error (by reason), cancelled, panic.",
                TimeSeries,
                "short",
                vec![q(
                    rate(&inference::REQUESTS, "model, outcome, reason", ""),
                    "{{model}} {{outcome}} {{reason}}",
                )],
            ),
            panel(
                "Pending batches",
                "Started and not finished.",
                TimeSeries,
                "short",
                vec![q(
                    format!("sum by (model) ({})", s(&inference::PENDING_REQUESTS, "")),
                    "{{model}}",
                )],
            ),
            panel(
                "Detections per second by class",
                "What the models see.",
                TimeSeries,
                "short",
                vec![q(rate(&inference::DETECTIONS, "class", ""), "{{class}}")],
            ),
            panel(
                "Mean detection confidence",
                "Alert below 85 %.",
                TimeSeries,
                "percentunit",
                vec![q(
                    mean(&inference::DETECTION_CONFIDENCE, "model"),
                    "{{model}}",
                )],
            ),
            panel(
                "Model drift (PSI)",
                "Warn at 0.1, critical at 0.25.",
                TimeSeries,
                "short",
                vec![q(
                    format!(
                        "max by (model, feature) ({})",
                        s(&inference::DRIFT_SCORE, "")
                    ),
                    "{{model}} {{feature}}",
                )],
            ),
            panel(
                "Accuracy from ground truth",
                "Correct over checked predictions (alert below 85 %).",
                TimeSeries,
                "percentunit",
                vec![q(
                    format!(
                        "{} / {}",
                        rate(
                            &inference::ACCURACY_FEEDBACK,
                            "model",
                            r#"result="correct""#
                        ),
                        rate(&inference::ACCURACY_FEEDBACK, "model", "")
                    ),
                    "{{model}}",
                )],
            ),
            panel(
                "Models loaded",
                "Model versions running.",
                Stat,
                "short",
                vec![q(
                    format!(
                        "count by (model, version) ({})",
                        s(&inference::MODEL_INFO, "")
                    ),
                    "{{model}} {{version}}",
                )],
            ),
        ],
    }
}
