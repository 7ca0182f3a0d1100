//! Init failures inside `#[tokio::main]` (multi-thread, then current-thread), as a service
//! outside the workspace meets them: each is an `Err` the service prints, never a panic, and a
//! corrected configuration then succeeds. Exits non-zero if any expectation fails.

use its_telemetry::{InitError, TelemetryConfig};

fn port_in_use() -> (std::net::TcpListener, TelemetryConfig) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let config = TelemetryConfig::builder("consumer")
        .metrics_listen(taken.local_addr().expect("addr"))
        .build()
        .expect("valid config");
    (taken, config)
}

fn failures() -> Result<(), String> {
    let (_taken, busy) = port_in_use();
    match its_telemetry::try_init(busy) {
        Err(InitError::MetricsListen { .. }) => println!("port in use: Err as expected"),
        other => return Err(format!("port in use: expected MetricsListen, got {other:?}")),
    }
    let https = TelemetryConfig::builder("consumer")
        .no_metrics_listener()
        .otlp_endpoint("https://collector.example:4317")
        .build();
    match https {
        Err(e) if !its_telemetry::FEATURES.contains(&"tls") => {
            println!("https without tls: {e}");
        }
        Ok(_) if its_telemetry::FEATURES.contains(&"tls") => println!("https with tls: accepted"),
        other => return Err(format!("https endpoint: unexpected {other:?}")),
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let multi = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = multi
        .block_on(async { failures() })
        .and_then(|()| current.block_on(async { failures() }))
        .and_then(|()| {
            current.block_on(async {
                let config = TelemetryConfig::builder("consumer")
                    .metrics_listen("127.0.0.1:0".parse().expect("addr"))
                    .build()
                    .map_err(|e| e.to_string())?;
                let guard = its_telemetry::try_init(config).map_err(|e| e.to_string())?;
                let metrics = guard.render_metrics().unwrap_or_default();
                if !metrics.contains("its_build_info{") {
                    return Err(format!("no its_build_info after retry:\n{metrics}"));
                }
                println!("retry after failure: initialized, features {:?}", its_telemetry::FEATURES);
                Ok(())
            })
        });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAILED: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
