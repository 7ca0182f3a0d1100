//! Ground-truth feedback, for accuracy as a ratio in Prometheus:
//! `sum(rate(its_model_accuracy_feedback_total{result="correct"}[1h])) /
//! sum(rate(its_model_accuracy_feedback_total[1h]))`.

use metrics::Counter;

use crate::cardinality;
use crate::catalog::inference as m;

/// Counts predictions checked against ground truth when it arrives (an operator's label, a
/// second sensor, a toll record).
///
/// ```
/// use its_telemetry::inference::AccuracyFeedback;
///
/// let feedback = AccuracyFeedback::new("yolov8n");
/// feedback.record(true);
/// feedback.incorrect();
/// ```
#[derive(Debug, Clone)]
pub struct AccuracyFeedback {
    correct: Counter,
    incorrect: Counter,
}

impl AccuracyFeedback {
    /// Registers both series for `model`.
    #[must_use]
    pub fn new(model: &str) -> Self {
        // Handles made before try_init must not bind to the no-op recorder.
        crate::deferred_recorder::ensure_installed();
        let model = cardinality::global().admit(&m::ACCURACY_FEEDBACK, model);
        Self {
            correct: metrics::counter!(m::ACCURACY_FEEDBACK.name, "model" => model.clone(), "result" => "correct"),
            incorrect: metrics::counter!(m::ACCURACY_FEEDBACK.name, "model" => model, "result" => "incorrect"),
        }
    }

    /// One checked prediction.
    pub fn record(&self, correct: bool) {
        if correct {
            self.correct.increment(1);
        } else {
            self.incorrect.increment(1);
        }
    }

    /// A prediction ground truth confirmed.
    pub fn correct(&self) {
        self.correct.increment(1);
    }

    /// A prediction ground truth contradicted.
    pub fn incorrect(&self) {
        self.incorrect.increment(1);
    }
}
