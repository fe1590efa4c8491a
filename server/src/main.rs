//! The `tradeport-server` binary: configuration, logging, signals. Exits 0
//! after a graceful shutdown, non-zero with a message on a startup failure.

use tokio::net::TcpListener;
use tradeport_server::config::{Config, TlsSource};
use tradeport_server::{App, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tradeport-server: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let config = Config::from_args()?;
    telemetry::init(config.log_format);
    let app = tokio::task::block_in_place(|| App::open(config.clone()))?;
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let scheme = if config.tls == TlsSource::None {
        "http"
    } else {
        "https"
    };
    if let Some((_, cert)) = app.tls()? {
        println!("TLS certificate: {}", cert.display());
    }
    tracing::info!(%addr, scheme, "tradeport-server listening");
    if config.demo {
        print_demo_help(scheme, addr, &config, app.demo_credentials());
    }
    app.run(listener, shutdown_signal()).await?;
    tracing::info!("stopped cleanly");
    Ok(())
}

fn print_demo_help(
    scheme: &str,
    addr: std::net::SocketAddr,
    config: &Config,
    credentials: Option<&tradeport_server::demo::DemoCredentials>,
) {
    let tls_flag = match &config.tls {
        TlsSource::None => "--http2-prior-knowledge".to_string(),
        TlsSource::DevSelfSigned => format!(
            "--cacert {}",
            config.data_dir.join("dev-tls").join("cert.pem").display()
        ),
        TlsSource::Files { cert, .. } => format!("--cacert {}", cert.display()),
    };
    // The dev certificate names localhost; so must the URL.
    let host = match config.tls {
        TlsSource::None => addr.to_string(),
        _ => format!("localhost:{}", addr.port()),
    };
    let Some(credentials) = credentials else {
        println!(
            "Demo data was seeded on an earlier run; its enrolment codes and API key were printed then.\nStart from an empty data directory to get new ones."
        );
        return;
    };
    println!("Demo people (one-time passkey enrolment codes, valid 7 days):");
    for (email, what, code) in &credentials.invitations {
        println!("  {email:<28} {what:<40} {code}");
    }
    println!("Demo accounts:");
    for (name, id) in &credentials.accounts {
        println!("  {id}  {name}");
    }
    println!(
        "Demo partner app API key (shown once): {}\n\nTry:\n  npx @bufbuild/buf curl {tls_flag} --protocol grpc \\\n    -H 'authorization: Bearer {}' \\\n    -d '{{\"query\":\"cable\",\"page_size\":3}}' \\\n    {scheme}://{host}/tradeport.catalog.v1.CatalogService/SearchProducts",
        credentials.api_key, credentials.api_key
    );
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
