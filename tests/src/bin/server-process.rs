//! A test server in a process of its own, for the tests that kill it with
//! SIGKILL: serves the store in the directory given as its argument with
//! the test configuration, and prints `listening <address>` and, on the
//! first start, `invitation <email> <code>` for each demo person. Runs
//! until killed. `TRADEPORT_DEMO_SCALE=<products>` seeds a fresh store
//! with the large demo instead (as the server's own `--demo-scale`).

use std::io::Write;

use tradeport_server::App;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: server-process <store directory>"))?;
    let mut config = tradeport_tests::test_config(std::path::Path::new(&dir));
    if let Ok(scale) = std::env::var(tradeport_tests::DEMO_SCALE_VAR) {
        let products = scale
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{}={scale:?}: {e}", tradeport_tests::DEMO_SCALE_VAR))?;
        config.demo_scale = Some(products);
    }
    let app = tokio::task::block_in_place(|| App::open(config.clone()))?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    {
        let mut out = std::io::stdout().lock();
        if let Some(demo) = app.demo_credentials() {
            for (email, _, code) in &demo.invitations {
                writeln!(out, "invitation {email} {code}")?;
            }
            for (_, id) in &demo.accounts {
                writeln!(out, "account {id}")?;
            }
        }
        // Its own id: a tracer running it has another.
        writeln!(out, "pid {}", std::process::id())?;
        writeln!(out, "listening {}", listener.local_addr()?)?;
        out.flush()?;
    }
    app.run(listener, std::future::pending()).await
}
