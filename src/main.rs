//! The maruntime server: config, tracing, the app builder, serve (or a maintenance command).

use std::process::ExitCode;

use maruntime::server::{cli, config::Config, startup, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("maruntime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        return cli::run(&args, config).await;
    }
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
