use its_telemetry::instrument_inference;

trait Model {
    fn infer(&self, frames: &[f32]) -> Result<Vec<f32>, String>;
}

struct Scaler(f32);

impl Model for Scaler {
    #[instrument_inference(model = "scaler", version = "1", batch = frames.len(), skip(frames))]
    fn infer(&self, frames: &[f32]) -> Result<Vec<f32>, String> {
        if frames.iter().any(|f| f.is_nan()) {
            return Err("nan input".to_owned());
        }
        Ok(frames.iter().map(|f| f * self.0).collect())
    }
}

fn main() {
    let model: &dyn Model = &Scaler(2.0);
    assert_eq!(model.infer(&[1.0, 2.0]), Ok(vec![2.0, 4.0]));
    assert!(model.infer(&[f32::NAN]).is_err());
}
