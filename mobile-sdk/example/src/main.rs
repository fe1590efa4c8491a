//! The offline walk-through: two devices of one customer account sign in
//! with passkeys, share an order draft, both edit it with no network, come
//! back, see one merged draft, and one of them submits it as an order
//! through its outbox.
//!
//! It is a crate of its own that depends on `tradeport-mobile` alone, as
//! an app does: every name it uses comes from the SDK.
//!
//! Run it against the demo server (`cargo run -p tradeport-server -- --demo`
//! on an empty data directory prints the enrolment codes):
//!
//! ```sh
//! cargo run -p tradeport-mobile-example -- \
//!   --server http://127.0.0.1:50051 --origin http://localhost \
//!   --buyer-code tpi_... --approver-code tpi_...
//! ```
//!
//! The passkeys are the SDK's software passkey, which fakes user
//! verification: a development stand-in for the platform's passkey API.

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;

use tradeport_mobile::{
    Client, ClientConfig, Code, Device, DeviceEvent, EventReceiver, LineId, MemorySessionStore,
    Runtime, SessionStore, SoftwarePasskey, TryRecvError, Url,
};

const USAGE: &str = "usage: offline_draft --server <URL> --origin <URL> --buyer-code <CODE> --approver-code <CODE> [--ca-cert <PATH>]";

struct Args {
    server: String,
    origin: Url,
    buyer_code: String,
    approver_code: String,
    ca_cert: Option<Vec<u8>>,
}

fn args() -> Result<Args, Box<dyn Error>> {
    let mut server = None;
    let mut origin = None;
    let mut buyer_code = None;
    let mut approver_code = None;
    let mut ca_cert = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(USAGE)?;
        match flag.as_str() {
            "--server" => server = Some(value),
            "--origin" => origin = Some(Url::parse(&value)?),
            "--buyer-code" => buyer_code = Some(value),
            "--approver-code" => approver_code = Some(value),
            "--ca-cert" => ca_cert = Some(std::fs::read(value)?),
            _ => return Err(USAGE.into()),
        }
    }
    Ok(Args {
        server: server.ok_or(USAGE)?,
        origin: origin.ok_or(USAGE)?,
        buyer_code: buyer_code.ok_or(USAGE)?,
        approver_code: approver_code.ok_or(USAGE)?,
        ca_cert,
    })
}

/// Signs a person in on a new device: enrols a passkey with their code
/// and opens the device's local database. The session is kept in `store`
/// (an app's would be the platform keystore).
async fn sign_in(
    args: &Args,
    code: &str,
    name: &str,
    store: Arc<dyn SessionStore>,
) -> Result<Device, Box<dyn Error>> {
    let mut config = ClientConfig::new(args.server.clone());
    config.ca_certificate_pem = args.ca_cert.clone();
    let client = Client::connect_lazy(config)?.with_session_store(store)?;
    let mut passkey = SoftwarePasskey::new();
    client
        .identity()
        .enrol(&mut passkey, &args.origin, code, "walk-through key", name)
        .await?;
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "tradeport-walk-through-{}-{}",
        std::process::id(),
        name.replace(' ', "-").replace('\'', "")
    ));
    Ok(Device::open(dir, client)?)
}

fn show(device: &Device, who: &str, draft: &str) -> Result<Vec<String>, Box<dyn Error>> {
    let mut lines: Vec<String> = device
        .drafts()
        .open(draft)?
        .lines()?
        .into_iter()
        .map(|l| format!("{} × {}", l.sku, l.quantity))
        .collect();
    lines.sort();
    println!("  {who:<7} {}", lines.join(", "));
    Ok(lines)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = args()?;
    Runtime::new()?.block_on(walk_through(&args))
}

async fn walk_through(args: &Args) -> Result<(), Box<dyn Error>> {
    let keystore = Arc::new(MemorySessionStore::default());
    let phone = sign_in(args, &args.buyer_code, "buyer's phone", keystore.clone()).await?;
    let tablet = sign_in(
        args,
        &args.approver_code,
        "office tablet",
        Arc::new(MemorySessionStore::default()),
    )
    .await?;
    let account = phone.client().identity().get_caller().await?.account_id;
    println!("1. Signed in on two devices of account {account}.");

    let draft = phone.drafts().create(&account)?;
    phone
        .drafts()
        .edit(&draft, |d| d.add_line("TP-EL-00007", "4"))?;
    phone
        .drafts()
        .edit(&draft, |d| d.add_line("TP-LI-01001", "2"))?;
    phone.sync_now().await?;
    tablet.sync_now().await?;
    println!("2. The phone started draft {draft}; the tablet has it too:");
    show(&phone, "phone", &draft)?;
    show(&tablet, "tablet", &draft)?;

    // No sync from here on: each device edits its own copy.
    let first: LineId = phone.drafts().open(&draft)?.lines()?[0].id.clone();
    phone
        .drafts()
        .edit(&draft, |d| d.set_quantity(&first, "10"))?;
    tablet
        .drafts()
        .edit(&draft, |d| d.add_line("TP-EL-00005", "20"))?;
    println!("3. Offline, the phone sets a quantity and the tablet adds a line:");
    show(&phone, "phone", &draft)?;
    show(&tablet, "tablet", &draft)?;
    println!(
        "   the phone has {} draft change(s) waiting",
        phone.status()?.pending_draft_changes
    );

    phone.sync_now().await?;
    tablet.sync_now().await?;
    phone.sync_now().await?;
    println!("4. Back online, both hold the same draft:");
    let on_phone = show(&phone, "phone", &draft)?;
    let on_tablet = show(&tablet, "tablet", &draft)?;
    if on_phone != on_tablet {
        return Err("the devices did not converge".into());
    }

    let mut events: EventReceiver<DeviceEvent> = phone.events();
    let request_id = phone.queue_submit_draft(&draft)?;
    phone.sync_now().await?;
    loop {
        let event = match events.try_recv() {
            Ok(event) => event,
            Err(TryRecvError::Lagged(_)) => continue,
            Err(_) => break,
        };
        match event {
            DeviceEvent::ActionSucceeded {
                request_id: r,
                order,
            } if r == request_id => {
                println!(
                    "5. Submitted from the phone's outbox: order {} ({:?}), {} lines.",
                    order.number,
                    order.status(),
                    order.lines.len()
                );
            }
            DeviceEvent::ActionFailed {
                request_id: r,
                failure,
            } if r == request_id => {
                let why = match failure.code {
                    Code::FailedPrecondition => "it changed since the draft was priced",
                    _ => "it was refused",
                };
                println!("5. The server did not place the order ({why}): {failure:?}");
            }
            _ => {}
        }
    }

    let report = phone.sign_out().await?;
    let _ = tablet.sign_out().await?;
    println!(
        "6. Signed out: session ended on the server: {}, anything left in the keystore: {}.",
        report.logged_out_on_server,
        keystore.is_saved()
    );
    Ok(())
}
