//! tradeport-dev-passkey: A DEVELOPMENT TOOL. Never use it with a real
//! account or a production server.
//!
//! It enrols a [`SoftwarePasskey`] with an invitation code and prints the
//! new session's access token, so that a developer can call a dev server
//! with `buf curl` or grpcurl. The software passkey fakes user verification
//! and keeps its private key in process memory.
//!
//! The passkey lives only for this run: webauthn-authenticator-rs's
//! `SoftPasskey` keeps its keys in private fields and offers no way to
//! export or import them, so nothing can be kept between runs and there is
//! no separate `login` command. `--login` signs in again with the passkey
//! just enrolled, in the same run, to exercise the sign-in flow too.

use std::process::ExitCode;

use tradeport_mobile::proto::identity::SessionTokens;
use tradeport_mobile::{Client, ClientConfig, SoftwarePasskey, Url};

const USAGE: &str = "\
tradeport-dev-passkey — DEVELOPMENT TOOL: a software passkey that fakes user
verification and lives only for this run. Never use it with a real account.

USAGE:
    tradeport-dev-passkey enrol --server <URL> --origin <URL> --code <CODE> [OPTIONS]

Enrols a new passkey with an invitation code and prints the session's access
token on stdout (details go to stderr), e.g.

    TOKEN=$(tradeport-dev-passkey enrol --server http://127.0.0.1:50051 \\
        --origin https://portal.localhost --code tpi_...)
    buf curl --protocol grpc --http2-prior-knowledge \\
        -H \"authorization: Bearer $TOKEN\" ...

The passkey cannot be saved (its key material cannot be exported), so there is
no 'login' command: use 'enrol' to get a token, or 'enrol --login' to also try
the sign-in flow with the passkey just created.

OPTIONS:
    --server <URL>         the server, https:// or http:// on loopback
    --origin <URL>         the WebAuthn origin the server's relying party
                           accepts; https:// with a domain name (not an IP),
                           or http://localhost
    --code <CODE>          the one-time invitation code
    --ca-cert <PATH>       PEM CA certificate to trust (a dev server's own)
    --passkey-name <NAME>  default: dev passkey
    --device-name <NAME>   default: tradeport-dev-passkey
    --login                after enrolling, sign in again with the passkey and
                           print that session's access token instead
    --username <EMAIL>     with --login: sign in by name, not usernameless
    -h, --help             this text
";

struct Args {
    server: String,
    origin: Url,
    code: String,
    ca_cert: Option<String>,
    passkey_name: String,
    device_name: String,
    login: bool,
    username: Option<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    match args.next().as_deref() {
        Some("enrol") => {}
        Some("login") => {
            return Err(
                "there is no 'login': the software passkey cannot be saved between \
                        runs. Use 'enrol' (with --login to try sign-in too)."
                    .to_string(),
            );
        }
        Some(other) => return Err(format!("unknown command {other:?}")),
        None => return Err("missing command".to_string()),
    }
    let (mut server, mut origin, mut code, mut ca_cert) = (None, None, None, None);
    let mut passkey_name = "dev passkey".to_string();
    let mut device_name = "tradeport-dev-passkey".to_string();
    let (mut login, mut username) = (false, None);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => server = Some(value()?),
            "--origin" => origin = Some(value()?),
            "--code" => code = Some(value()?),
            "--ca-cert" => ca_cert = Some(value()?),
            "--passkey-name" => passkey_name = value()?,
            "--device-name" => device_name = value()?,
            "--username" => username = Some(value()?),
            "--login" => login = true,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let origin = origin.ok_or("--origin is required")?;
    Ok(Args {
        server: server.ok_or("--server is required")?,
        origin: Url::parse(&origin).map_err(|e| format!("--origin {origin:?}: {e}"))?,
        code: code.ok_or("--code is required")?,
        ca_cert,
        passkey_name,
        device_name,
        login,
        username,
    })
}

async fn run(args: Args) -> Result<SessionTokens, String> {
    let mut config = ClientConfig::new(args.server);
    if let Some(path) = &args.ca_cert {
        let pem = std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))?;
        config.ca_certificate_pem = Some(pem);
    }
    let client = Client::connect_lazy(config).map_err(|e| e.to_string())?;
    let identity = client.identity();
    let mut passkey = SoftwarePasskey::new();

    let tokens = identity
        .enrol(
            &mut passkey,
            &args.origin,
            &args.code,
            &args.passkey_name,
            &args.device_name,
        )
        .await
        .map_err(|e| format!("enrolment failed: {e}"))?;
    eprintln!("enrolled user {}", tokens.user_id);
    if !args.login {
        return Ok(tokens);
    }
    let tokens = identity
        .login(
            &mut passkey,
            &args.origin,
            args.username.as_deref(),
            &args.device_name,
        )
        .await
        .map_err(|e| format!("sign-in failed: {e}"))?;
    eprintln!("signed in again as user {}", tokens.user_id);
    Ok(tokens)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        if args.is_empty() {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse(args.into_iter()) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    eprintln!("DEVELOPMENT TOOL: software passkey, faked user verification, not saved.");
    match run(args).await {
        Ok(tokens) => {
            let expires = tokens
                .access_expire_time
                .map(|t| t.to_string())
                .unwrap_or_else(|| "(not given)".to_string());
            eprintln!(
                "device {}, access token expires {expires}",
                tokens.device_id
            );
            println!("{}", tokens.access_token);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
