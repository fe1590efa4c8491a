//! The SDK's errors as an app meets them across the wire: a server that is
//! down or hangs is offline whatever tonic's wording; a server certificate
//! that is expired by the device's clock is a permanent failure blaming
//! the clock, not retried; a draft edit names the field at fault, and an
//! edit of a line another device removed says so.

use std::time::{Duration, Instant};

use tradeport_mobile::{Client, ClientConfig, Device, Error, ErrorCode, RetryPolicy};
use tradeport_server::config::TlsSource;
use tradeport_tests::TestServer;

use crate::drafts::{device, fixture, line_id, synced_draft};

/// A client of `address` that retries UNAVAILABLE for a long while: a
/// retried failure takes seconds, one returned at once does not.
fn patient_client(address: String, ca: Option<Vec<u8>>) -> Client {
    let mut config = ClientConfig::new(address);
    config.ca_certificate_pem = ca;
    config.deadline = Duration::from_millis(500);
    config.connect_timeout = Duration::from_millis(500);
    config.retry = RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_secs(5),
        max_backoff: Duration::from_secs(40),
    };
    Client::connect_lazy(config).unwrap()
}

fn quick_client(address: String) -> Client {
    let mut config = ClientConfig::new(address);
    config.deadline = Duration::from_millis(300);
    config.connect_timeout = Duration::from_millis(300);
    config.retry.max_attempts = 1;
    Client::connect_lazy(config).unwrap()
}

#[tokio::test]
async fn a_server_down_or_hanging_is_offline_and_the_status_keeps_the_typed_error() {
    // Down: nothing listens on the port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    // Hanging: connections are accepted and never answered.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung_address = format!("http://{}", hung.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hung.accept().await {
            held.push(socket);
        }
    });

    for address in [down, hung_address] {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::open(dir.path(), quick_client(address.clone())).unwrap();
        let error = device.sync_now().await.unwrap_err();
        assert!(error.is_offline(), "{address}: {error:?}");
        assert!(error.is_transient() && !error.refused_by_server() && !error.needs_sign_in());
        assert_eq!(error.code(), ErrorCode::Offline);
        let last = device
            .status()
            .unwrap()
            .last_error
            .expect("the failure is kept");
        assert_eq!(last.code(), ErrorCode::Offline, "{last:?}");
    }
    holder.abort();
}

/// A certificate for localhost that expired before now, as a device whose
/// clock runs a year ahead sees a valid one.
fn expired_certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

#[tokio::test]
async fn an_expired_server_certificate_is_permanent_blames_the_clock_and_is_not_retried() {
    let tls = tempfile::tempdir().unwrap();
    let (cert, key) = expired_certificate(tls.path());
    let server = TestServer::start(|c| c.tls = TlsSource::Files { cert, key }).unwrap();
    assert!(server.url().starts_with("https://"));
    let client = patient_client(server.url(), server.ca_pem.clone());
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), client).unwrap();

    let started = Instant::now();
    let error = device.pull_reference_data().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "not retried: {:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            &error,
            Error::ServerCertificate {
                clock_suspect: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.code(), ErrorCode::DeviceClock);
    assert!(error.is_permanent() && !error.is_transient() && !error.is_offline());
    assert!(error.to_string().contains("clock"), "{error}");
}

#[tokio::test]
async fn draft_edits_name_the_field_and_a_line_removed_on_another_device() {
    let f = &fixture().await;
    let (phone, _p, id) = synced_draft(f, "errors-phone", "NL-0001", "2").await;
    let (tablet, _t) = device("errors-tablet");
    tablet.fetch(&id).unwrap();
    tablet.sync(&f.approver).await.unwrap();
    let line = line_id(&tablet, &id, "NL-0001");

    let error = tablet
        .edit(&id, |d| d.set_quantity(&line, "0"))
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::InvalidArgument {
                field: "quantity",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.field().as_deref(), Some("quantity"));
    let error = tablet.edit(&id, |d| d.add_line("", "1")).unwrap_err();
    assert_eq!(error.field().as_deref(), Some("sku"), "{error:?}");

    // The phone removes the line; the tablet, still showing it, edits it.
    phone.edit(&id, |d| d.remove_line(&line)).unwrap();
    phone.sync(&f.buyer).await.unwrap();
    tablet.sync(&f.approver).await.unwrap();
    let error = tablet
        .edit(&id, |d| d.set_quantity(&line, "5"))
        .unwrap_err();
    assert!(
        matches!(&error, Error::LineRemoved { line_id } if line_id == line.as_str()),
        "{error:?}"
    );
    assert_eq!(error.code(), ErrorCode::LineRemoved);
}
