//! A test server in a process of its own, for the tests that kill it with
//! SIGKILL or trace its system calls, and the benchmarks that measure its
//! memory apart from the load generator's.

use std::collections::BTreeMap;

use tradeport_mobile::{Client, ClientConfig};
use tradeport_proto::identity::SessionTokens;

/// The environment variable the `server-process` binary takes its
/// `demo_scale` from (the server's own flag reads the same one).
pub const DEMO_SCALE_VAR: &str = "TRADEPORT_DEMO_SCALE";

/// A test server in a process of its own (the `server-process` binary):
/// for tests that kill it with SIGKILL and benchmarks that measure its
/// memory apart from the load generator's.
pub struct ServerProcess {
    child: std::process::Child,
    /// Where clients dial it (plaintext loopback).
    pub url: String,
    /// The server's own process id, which differs from the child's when a
    /// tracer runs it.
    server_pid: Option<u32>,
    /// On its first start: each demo person's enrolment code by email.
    pub invitations: BTreeMap<String, String>,
    /// On its first start: the demo customer accounts' ids.
    pub accounts: Vec<String>,
}

impl ServerProcess {
    /// Starts the `server-process` binary of this crate on the store in
    /// `dir` (found next to the running test or bench executable).
    pub fn start(binary: &std::path::Path, dir: &std::path::Path) -> anyhow::Result<Self> {
        Self::start_scaled(binary, dir, None)
    }

    /// Like [`ServerProcess::start`], seeding a fresh store with the large
    /// demo of about `demo_scale` products (`Config::demo_scale`) when
    /// given.
    pub fn start_scaled(
        binary: &std::path::Path,
        dir: &std::path::Path,
        demo_scale: Option<usize>,
    ) -> anyhow::Result<Self> {
        let mut command = std::process::Command::new(binary);
        match demo_scale {
            Some(n) => command.env(DEMO_SCALE_VAR, n.to_string()),
            None => command.env_remove(DEMO_SCALE_VAR),
        };
        command.arg(dir);
        Self::spawn(command)
    }

    /// Runs `command`, which runs the `server-process` binary (directly
    /// or under a tracer such as strace), until it says where it listens.
    pub fn spawn(mut command: std::process::Command) -> anyhow::Result<Self> {
        use std::io::BufRead;
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("the server process has no stdout"))?;
        let mut server = Self {
            child,
            url: String::new(),
            server_pid: None,
            invitations: BTreeMap::new(),
            accounts: Vec::new(),
        };
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line?;
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["invitation", email, code] => {
                    server.invitations.insert((*email).into(), (*code).into());
                }
                ["account", id] => server.accounts.push((*id).into()),
                ["pid", pid] => server.server_pid = pid.parse().ok(),
                ["listening", addr] => {
                    server.url = format!("http://{addr}");
                    return Ok(server);
                }
                _ => {}
            }
        }
        anyhow::bail!("the server process exited before listening")
    }

    /// A client of it, holding `tokens` if given.
    pub fn client(&self, tokens: Option<&SessionTokens>) -> anyhow::Result<Client> {
        let client = Client::connect_lazy(ClientConfig::new(self.url.clone()))?;
        if let Some(tokens) = tokens {
            client.set_tokens(tokens.clone());
        }
        Ok(client)
    }

    /// A client signed in as the demo person `email`, who enrols a new
    /// software passkey with their code (on the server's first start).
    pub async fn enrolled(&self, email: &str) -> anyhow::Result<Client> {
        let client = self.client(None)?;
        let code = self
            .invitations
            .get(email)
            .ok_or_else(|| anyhow::anyhow!("no enrolment code for {email}"))?;
        crate::people::enrol(&client, code).await?;
        Ok(client)
    }

    /// A client of it that calls with a new API key for `role`, which
    /// `admin` (signed in with the right to) creates under `name`.
    pub async fn with_api_key(
        &self,
        admin: &Client,
        name: &str,
        role: tradeport_proto::identity::Role,
    ) -> anyhow::Result<Client> {
        let key = crate::people::try_new_api_key(admin, name, role)
            .await?
            .secret;
        Ok(self.client(None)?.with_bearer(key))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.server_pid.unwrap_or_else(|| self.child.id())
    }

    /// SIGKILL: no destructor, no flush, no goodbye to the clients. A
    /// tracer running the server ends with it.
    pub fn kill(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.server_pid.filter(|pid| *pid != self.child.id()) {
            let killed = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()?;
            anyhow::ensure!(killed.success(), "kill -KILL {pid} failed");
        } else {
            self.child.kill()?;
        }
        self.child.wait()?;
        Ok(())
    }
}
