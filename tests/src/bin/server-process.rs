//! A test server in a process of its own, for the tests that kill it with
//! SIGKILL: serves the store in the directory given as its argument with
//! the test configuration, and prints `listening <address>` and, on the
//! first start, `invitation <email> <code>` for each demo person. Runs
//! until killed.

use std::io::Write;

use tradeport_server::App;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: server-process <store directory>"))?;
    let config = tradeport_tests::test_config(std::path::Path::new(&dir));
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
        writeln!(out, "listening {}", listener.local_addr()?)?;
        out.flush()?;
    }
    app.run(listener, std::future::pending()).await
}
