//! [`Network`]: a TCP relay standing for the network between a device and
//! a server, so a test can take the device offline (open connections
//! dropped, new ones refused) and bring it back, to the same server or to
//! a restarted one on another port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;
use tradeport_mobile::{Client, ClientConfig};

/// The network between a device and a server.
pub struct Network {
    addr: SocketAddr,
    target: Arc<Mutex<Option<SocketAddr>>>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each value is written whole; a panicking test thread leaves it usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Network {
    /// A relay to `target`, on a port of its own.
    pub async fn to(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("binding the relay: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the relay's address: {e}"));
        let target = Arc::new(Mutex::new(Some(target)));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (t, c) = (target.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let Some(to) = *lock(&t) else {
                    drop(inbound);
                    continue;
                };
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                lock(&c).push(relay.abort_handle());
            }
        });
        Self {
            addr,
            target,
            connections,
        }
    }

    /// Offline: open connections drop, new ones are refused.
    pub fn cut(&self) {
        *lock(&self.target) = None;
        for relay in lock(&self.connections).drain(..) {
            relay.abort();
        }
    }

    /// Online again, to `target` (the same server, or a restarted one).
    pub fn restore(&self, target: SocketAddr) {
        *lock(&self.target) = Some(target);
    }

    /// A plaintext SDK client dialling through the relay, with short
    /// timeouts so an offline call fails fast.
    pub fn client(&self) -> Client {
        let mut config = ClientConfig::new(format!("http://{}", self.addr));
        config.connect_timeout = Duration::from_secs(1);
        config.deadline = Duration::from_secs(5);
        Client::connect_lazy(config).unwrap_or_else(|e| panic!("a client to the relay: {e}"))
    }
}
