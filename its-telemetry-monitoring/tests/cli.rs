//! The `its-monitoring` binary as a user runs it: `generate`, `generate --check`, `--slos`
//! files, and `check` with the real promtool and amtool (Debian's `prometheus` and
//! `prometheus-alertmanager` packages; `scripts/test.sh` installs them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use its_telemetry_monitoring::{default_slos, generate};

fn its_monitoring(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_its-monitoring"));
    command.args(args);
    command
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn exec(mut command: Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("its-monitoring runs");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A fresh, empty directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clear temp dir");
    }
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// `generate --out dir`, asserting success.
fn generate_into(dir: &Path) -> Run {
    let run = exec(its_monitoring(&["generate", "--out", arg(dir)]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write test file");
}

#[test]
fn generate_writes_exactly_what_the_library_generates() {
    let dir = temp_dir("generate");
    let run = generate_into(&dir);
    let files = generate(&default_slos());
    assert!(files.len() > 10);
    for f in &files {
        let path = dir.join(&f.path);
        let written = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} not written: {e}", path.display()));
        assert!(written == f.contents, "{} differs from generate()", f.path);
        assert!(
            run.stderr.contains(&path.display().to_string()),
            "{} not reported: {}",
            path.display(),
            run.stderr
        );
    }
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn check_flag_fails_on_a_stale_directory_and_writes_nothing() {
    let dir = temp_dir("check-flag");
    let stale = exec(its_monitoring(&["generate", "--out", arg(&dir), "--check"]));
    assert_eq!(stale.code, Some(1), "{}", stale.stderr);
    for f in generate(&default_slos()) {
        assert!(
            stale
                .stderr
                .contains(&format!("missing: {}", dir.join(&f.path).display())),
            "{} not listed: {}",
            f.path,
            stale.stderr
        );
    }
    assert!(stale.stderr.contains("its-monitoring generate --out"));
    assert_eq!(
        std::fs::read_dir(&dir).expect("read dir").count(),
        0,
        "--check wrote files"
    );

    generate_into(&dir);
    let current = exec(its_monitoring(&["generate", "--out", arg(&dir), "--check"]));
    assert_eq!(current.code, Some(0), "{}", current.stderr);

    let rules = dir.join("prometheus/rules.yaml");
    let mut text = std::fs::read_to_string(&rules).expect("read rules");
    text.push_str("# edited by hand\n");
    write(&rules, &text);
    let edited = exec(its_monitoring(&["generate", "--out", arg(&dir), "--check"]));
    assert_eq!(edited.code, Some(1), "{}", edited.stderr);
    assert!(
        edited
            .stderr
            .contains(&format!("differs: {}", rules.display())),
        "{}",
        edited.stderr
    );
    assert_eq!(
        edited.stderr.matches("differs:").count() + edited.stderr.matches("missing:").count(),
        1,
        "{}",
        edited.stderr
    );
}

#[test]
fn example_slo_file_generates_the_default_output() {
    let dir = temp_dir("example-slos");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/slos.yaml");
    let run = exec(its_monitoring(&[
        "generate",
        "--out",
        arg(&dir),
        "--slos",
        arg(&example),
    ]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // Current for the defaults: byte for byte what no --slos writes.
    let check = exec(its_monitoring(&["generate", "--out", arg(&dir), "--check"]));
    assert_eq!(check.code, Some(0), "{}", check.stderr);
}

#[test]
fn bad_slo_files_fail_naming_the_slo_and_the_field() {
    let dir = temp_dir("bad-slos");
    let out = dir.join("out");
    for (file, text, expected) in [
        (
            "objective.yaml",
            "slos:\n  - name: detection_availability\n    kind: availability\n    objective: 1.5\n    window_days: 30\n",
            "slos[0] (detection_availability): field `objective`: 1.5 must be strictly between 0 and 1",
        ),
        (
            "unknown.yaml",
            "slos:\n  - name: detection_availability\n    kind: availability\n    objective: 0.999\n    window_days: 30\n    colour: red\n",
            "slos[0]: unknown field `colour`",
        ),
        (
            "unknown.toml",
            "[[slos]]\nname = \"detection_availability\"\nkind = \"availability\"\nobjective = 0.999\nwindow_days = 30\ncolour = \"red\"\n",
            "unknown field `colour`",
        ),
        (
            "latency.yaml",
            "slos:\n  - name: detection_availability\n    kind: availability\n    objective: 0.999\n    window_days: 30\n  - name: detection_latency\n    kind: latency\n    objective: 0.95\n    window_days: 30\n",
            "slos[1] (detection_latency): field `threshold_ms`: required for kind latency",
        ),
    ] {
        let path = dir.join(file);
        write(&path, text);
        let run = exec(its_monitoring(&[
            "generate",
            "--out",
            arg(&out),
            "--slos",
            arg(&path),
        ]));
        assert_eq!(run.code, Some(2), "{file}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{file}: {}", run.stderr);
        assert!(run.stderr.contains(file), "{file}: {}", run.stderr);
        assert!(!out.exists(), "{file}: files written despite the error");
    }
}

/// A generated directory, with the repository's hand-written Alertmanager configuration when
/// there is one (so `check` runs amtool too).
fn generated_with_alertmanager(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    generate_into(&dir);
    let alertmanager =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../monitoring/alertmanager/alertmanager.yml");
    if alertmanager.is_file() {
        std::fs::create_dir_all(dir.join("alertmanager")).expect("mkdir alertmanager");
        std::fs::copy(&alertmanager, dir.join("alertmanager/alertmanager.yml"))
            .expect("copy alertmanager.yml");
    }
    dir
}

#[test]
fn check_passes_on_a_generated_directory() {
    let dir = generated_with_alertmanager("check-pass");
    let run = exec(its_monitoring(&["check", "--dir", arg(&dir)]));
    assert_eq!(
        run.code,
        Some(0),
        "its-monitoring check failed (needs promtool and amtool: apt-get install -y \
         prometheus prometheus-alertmanager)\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    let rule_files = format!(
        "SUCCESS: {} rule files found",
        its_telemetry_monitoring::prometheus::RULE_FILES.len()
    );
    for expected in [
        "ok      promtool check rules",
        "ok      promtool test rules",
        "ok      promtool check config",
        rule_files.as_str(),
        "0 failed",
    ] {
        assert!(run.stdout.contains(expected), "{expected}: {}", run.stdout);
    }
    assert_eq!(
        run.stdout.matches("ok      promtool test rules").count(),
        generate(&default_slos())
            .iter()
            .filter(|f| f.path.ends_with(".test.yaml"))
            .count()
    );
    if dir.join("alertmanager/alertmanager.yml").exists() {
        assert!(
            run.stdout.contains("ok      amtool check-config"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn check_fails_and_shows_promtool_output_on_a_broken_rule_file() {
    let dir = temp_dir("check-broken");
    generate_into(&dir);
    let rules = dir.join("prometheus/business-rules.yaml");
    let mut text = std::fs::read_to_string(&rules).expect("read rules");
    text.push_str("garbage: [\n");
    write(&rules, &text);
    std::fs::remove_file(dir.join("prometheus/tests/rules.test.yaml")).expect("remove suite");
    let run = exec(its_monitoring(&["check", "--dir", arg(&dir)]));
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("FAILED  promtool check rules {}", rules.display())),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("business-rules.yaml: yaml:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("rules.test.yaml: the file is missing"),
        "{}",
        run.stdout
    );
}

#[test]
fn check_without_promtool_on_path_fails_with_the_install_hint() {
    let dir = generated_with_alertmanager("check-no-promtool");
    let mut command = its_monitoring(&["check", "--dir", arg(&dir)]);
    command.env("PATH", "");
    let run = exec(command);
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("promtool not found on PATH")
            && run.stderr.contains("apt-get install prometheus"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "ran checks anyway: {}", run.stdout);
}

#[cfg(unix)]
#[test]
fn check_without_amtool_fails_when_there_is_an_alertmanager_config() {
    let Some(promtool) = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("promtool"))
            .find(|p| p.is_file())
    }) else {
        panic!("promtool not on PATH: apt-get install -y prometheus prometheus-alertmanager");
    };
    let dir = temp_dir("check-no-amtool");
    generate_into(&dir);
    std::fs::create_dir_all(dir.join("alertmanager")).expect("mkdir");
    write(
        &dir.join("alertmanager/alertmanager.yml"),
        "route:\n  receiver: x\n",
    );
    // A PATH holding promtool only.
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir bin");
    std::os::unix::fs::symlink(&promtool, bin.join("promtool")).expect("link promtool");
    let mut command = its_monitoring(&["check", "--dir", arg(&dir)]);
    command.env("PATH", &bin);
    let run = exec(command);
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("amtool not found on PATH")
            && run
                .stderr
                .contains("apt-get install prometheus-alertmanager"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_on_a_missing_directory_says_how_to_create_it() {
    let dir = temp_dir("check-missing").join("nothing-here");
    let run = exec(its_monitoring(&["check", "--dir", arg(&dir)]));
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("its-monitoring generate --out"),
        "{}",
        run.stderr
    );
}
