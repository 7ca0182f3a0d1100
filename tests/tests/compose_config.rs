//! `docker-compose.yml` is valid (`docker-compose config`, from Debian's `docker-compose`),
//! every file it mounts from the repository exists, every image is pinned, and no secret is
//! written into it. No Docker engine runs here: the stack is validated as files.

use std::path::Path;
use std::process::Command;

const INSTALL_HINT: &str = "docker-compose not found: install it with \
     `apt-get update && apt-get install -y --no-install-recommends docker-compose` \
     (scripts/test.sh does this)";

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn compose() -> serde_norway::Value {
    let text = std::fs::read_to_string(repo().join("docker-compose.yml")).expect("read compose");
    serde_norway::from_str(&text).expect("compose is YAML")
}

#[test]
fn docker_compose_config_accepts_the_file() {
    let output = Command::new("docker-compose")
        .args(["config", "-q"])
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("{INSTALL_HINT} ({e})"));
    assert!(
        output.status.success(),
        "docker-compose config failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn mounted_repository_files_exist() {
    let compose = compose();
    let services = compose["services"].as_mapping().expect("services");
    let mut checked = 0;
    for (name, service) in services {
        for volume in service["volumes"].as_sequence().into_iter().flatten() {
            let spec = volume.as_str().expect("short volume syntax");
            let source = spec.split(':').next().unwrap_or_default();
            if let Some(relative) = source.strip_prefix("./") {
                assert!(
                    repo().join(relative).exists(),
                    "{name:?} mounts {source}, which is not in the repository"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 6, "only {checked} repository mounts found");
}

#[test]
fn images_are_pinned_and_secrets_come_from_the_environment() {
    let compose = compose();
    let services = compose["services"].as_mapping().expect("services");
    for (name, service) in services {
        if let Some(image) = service["image"].as_str() {
            let tag = image.rsplit_once(':').map(|(_, t)| t);
            assert!(
                tag.is_some_and(|t| t != "latest" && !t.is_empty()),
                "{name:?}: image {image} is not pinned"
            );
        }
        for (key, value) in service["environment"].as_mapping().into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            let secret = ["KEY", "PASSWORD", "WEBHOOK", "TOKEN", "SECRET"]
                .iter()
                .any(|s| key.contains(s));
            if secret {
                let value = value.as_str().unwrap_or_default();
                assert!(
                    value.starts_with("${") && value.ends_with('}'),
                    "{name:?}: {key} is written into the file instead of read from the environment"
                );
            }
        }
    }
}
