//! The maruntime server: config, tracing, the app builder, serve.

use std::process::ExitCode;

use maruntime::server::{config::Config, startup, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("maruntime: {e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init();
    let app = match startup::Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("maruntime: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("maruntime listening on http://{}", app.local_addr());
    match app.run_until_stopped(startup::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("maruntime: server error: {e}");
            ExitCode::FAILURE
        }
    }
}
