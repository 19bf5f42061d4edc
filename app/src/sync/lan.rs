//! Syncing on the local network with no relay and no internet (`sync --lan`,
//! "Synkroniser på dette nettverket").
//!
//! A device that syncs on the LAN runs the relay library in this process ([`Lan::start`]
//! with `host`): it listens on an ephemeral port on every interface, keeps its SQLite
//! store in `DATA/lan-relay/`, and announces itself by mDNS once per project under an
//! advert only the project's members recognise ([`samspill_shared::lan`]). Every
//! device browses for adverts of its own projects and reports what it finds
//! ([`Found`]); the engine then syncs each project through each relay found, beside
//! its normal relay. The relay is a relay like any other: entries arrive encrypted and
//! signed and are verified by every client, so a member's laptop learns no more than a
//! centre's server does.
//!
//! The relay's id (`DATA/lan-relay/relay-id`, made once) is what members key their
//! sync state for it by (`lan:…` in `sync.json`): its address changes from run to run,
//! its sequence numbers do not.
//!
//! `SAMSPILL_MDNS_PORT` moves mDNS off port 5353 (tests use a port of their own, so
//! they neither disturb nor are disturbed by the network's other mDNS traffic).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, mpsc};

use anyhow::Context as _;
use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use samspill_relay::{Config, DocumentList, RelayState};
use samspill_shared::crypto::{DocumentId, ProjectKeys};
use samspill_shared::ids::Entropy as _;
use samspill_shared::lan::{Advert, LanKey, LanRelayId, SERVICE_TYPE};
use samspill_shared::link::RelayUrl;

use crate::device::OsEntropy;

/// Connections the relay on the network holds. A machine opens one per project it
/// syncs through it (this device too, over loopback), so the cap per address is a
/// centre relay's; the total is a tenth of one.
const LAN_MAX_CONNECTIONS: usize = 1024;
const LAN_MAX_CONNECTIONS_PER_IP: usize = 256;

/// A project's relay on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The project's id on this device.
    pub project: DocumentId,
    pub relay: LanRelayId,
    /// Where it may be reached, best first: the advert lists every address of its
    /// machine, and not all of them need be reachable from here.
    pub urls: Vec<RelayUrl>,
}

/// The relay this device serves on the network. Its task holds `lan-relay/lock` until
/// the relay has closed its store: one relay per store, whatever the number of Samspill
/// processes on this machine (its numbering lives in memory).
struct Host {
    id: LanRelayId,
    /// The documents it may create: the projects this device advertises.
    documents: DocumentList,
    port: u16,
    state: Arc<RelayState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// mDNS adverts out, adverts of this device's projects in, and (with `host`) this
/// device's relay. Dropping it stops advertising; call [`Lan::stop`] to also wait for
/// the relay to finish its commits.
pub struct Lan {
    daemon: ServiceDaemon,
    host: Option<Host>,
    found: mpsc::Receiver<Found>,
    registered: Vec<String>,
    /// The daemon was told to exit.
    shut_down: bool,
}

impl std::fmt::Debug for Lan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lan")
            .field("relay", &self.host.as_ref().map(|h| h.id))
            .finish_non_exhaustive()
    }
}

fn mdns_daemon() -> anyhow::Result<ServiceDaemon> {
    let port = std::env::var("SAMSPILL_MDNS_PORT")
        .ok()
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|p| *p != 0);
    let daemon = match port {
        Some(p) => ServiceDaemon::new_with_port(p),
        None => ServiceDaemon::new(),
    };
    let daemon =
        daemon.map_err(|e| anyhow::anyhow!("could not start mDNS on this network: {e}"))?;
    // Only IPv4 is used: announcing the machine's IPv6 addresses too would tell the
    // network more than it needs.
    if let Err(e) = daemon.disable_interface(mdns_sd::IfKind::IPv6) {
        tracing::debug!(error = %e, "could not leave IPv6 out of mDNS");
    }
    Ok(daemon)
}

/// This device's LAN relay id, made the first time.
fn relay_id(dir: &Path) -> anyhow::Result<LanRelayId> {
    let path = dir.join("relay-id");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            if let Ok(id) = format!("lan:{}", text.trim()).parse() {
                return Ok(id);
            }
            // A damaged id: a new one. Members then start their state for this relay
            // afresh, which costs one full exchange and loses nothing.
            tracing::warn!("{} was damaged; this relay takes a new id", path.display());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("could not read {}", path.display())),
    }
    let mut bytes = [0u8; 16];
    OsEntropy.fill(&mut bytes);
    let id = LanRelayId(bytes);
    let hex = id.to_string();
    crate::store::atomic_write(&path, hex.trim_start_matches("lan:").as_bytes())?;
    Ok(id)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether no Samspill process serves this data directory's relay now (its lock is
/// free).
pub fn can_host(data_dir: &Path) -> bool {
    let Ok(lock) = std::fs::File::open(data_dir.join("lan-relay").join("lock")) else {
        return true;
    };
    // Taken and at once let go (dropping the file releases it).
    lock.try_lock().is_ok()
}

impl Lan {
    /// Starts browsing for `projects` (each with its current keys), and with `host`
    /// serves this device's relay (its store in `data_dir/lan-relay`) and advertises
    /// every project on it.
    pub async fn start(
        data_dir: &Path,
        projects: &[(DocumentId, ProjectKeys)],
        host: bool,
    ) -> anyhow::Result<Self> {
        let daemon = mdns_daemon()?;
        let host = if host {
            match Self::serve(data_dir).await {
                Ok(host) => host,
                Err(e) => {
                    let _ = daemon.shutdown();
                    return Err(e);
                }
            }
        } else {
            None
        };
        let mut lan = Self {
            daemon,
            host,
            found: mpsc::channel().1,
            registered: Vec::new(),
            shut_down: false,
        };
        lan.browse(projects)?;
        if lan.host.is_some() {
            for (_, keys) in projects {
                lan.advertise(keys)?;
            }
        }
        Ok(lan)
    }

    /// Serves this device's relay; `None` when another Samspill process on this
    /// machine serves it already (this one then finds it by its advert, like any
    /// member's).
    async fn serve(data_dir: &Path) -> anyhow::Result<Option<Host>> {
        let dir = data_dir.join("lan-relay");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("could not make {}", dir.display()))?;
        let lock_path = dir.join("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("could not open {}", lock_path.display()))?;
        // An engine being replaced may still be closing its relay: wait a little.
        let mut tries = 0;
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    tracing::info!("another Samspill on this machine serves the network");
                    return Ok(None);
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e)
                        .with_context(|| format!("could not lock {}", lock_path.display()));
                }
            }
        }
        let id = relay_id(&dir)?;
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
            .await
            .context("could not listen on the local network")?;
        let port = listener.local_addr()?.port();
        let documents = DocumentList::default();
        let mut config = Config::new(&dir);
        config.listen = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
        // Anyone on the network can reach it: it keeps only this device's projects,
        // tells nobody its activity, and holds fewer connections than a centre's relay.
        config.only_documents = Some(documents.clone());
        config.serve_metrics = false;
        config.limits.max_connections = LAN_MAX_CONNECTIONS;
        config.limits.max_connections_per_ip = Some(LAN_MAX_CONNECTIONS_PER_IP);
        let state = RelayState::open(config)
            .map_err(|e| anyhow::anyhow!("could not open the local relay's store: {e}"))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = Arc::clone(&state);
        let task = tokio::spawn(async move {
            let result = samspill_relay::serve(listener, served, async move {
                let _ = stopped.await;
            })
            .await;
            // The store is closed: another process may serve it now.
            drop(lock);
            result
        });
        tracing::info!(port, "serving projects on the local network");
        Ok(Some(Host {
            id,
            documents,
            port,
            state,
            stop: Some(stop),
            task: Some(task),
        }))
    }

    /// This device's relay, reached over loopback.
    pub fn own(&self) -> Option<(LanRelayId, RelayUrl)> {
        let h = self.host.as_ref()?;
        let url = format!("ws://127.0.0.1:{}", h.port).parse().ok()?;
        Some((h.id, url))
    }

    /// Announces this device's relay for one project.
    fn advertise(&mut self, keys: &ProjectKeys) -> anyhow::Result<()> {
        let Some(host) = &self.host else {
            return Ok(());
        };
        host.documents
            .insert(keys.doc_id, keys.write_public.to_bytes());
        let mut nonce = [0u8; 16];
        OsEntropy.fill(&mut nonce);
        let advert = LanKey::new(keys).advertise(host.id, nonce);
        let properties: HashMap<String, String> = advert
            .properties()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        // A host name as random as the advert: the machine's own name is not announced.
        let instance = hex(&nonce);
        let host_name = format!("samspill-{}.local.", &instance[..12]);
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            &instance,
            &host_name,
            "",
            host.port,
            properties,
        )
        .map_err(|e| anyhow::anyhow!("could not make the mDNS advert: {e}"))?
        .enable_addr_auto();
        let fullname = info.get_fullname().to_owned();
        self.daemon
            .register(info)
            .map_err(|e| anyhow::anyhow!("could not advertise on the local network: {e}"))?;
        self.registered.push(fullname);
        Ok(())
    }

    fn browse(&mut self, projects: &[(DocumentId, ProjectKeys)]) -> anyhow::Result<()> {
        let events = self.daemon.browse(SERVICE_TYPE).map_err(|e| {
            anyhow::anyhow!("could not look for projects on the local network: {e}")
        })?;
        let keys: Vec<(DocumentId, LanKey)> = projects
            .iter()
            .map(|(id, keys)| (*id, LanKey::new(keys)))
            .collect();
        let own = self.host.as_ref().map(|h| h.id);
        let (tx, rx) = mpsc::channel();
        self.found = rx;
        std::thread::Builder::new()
            .name("samspill-mdns".to_owned())
            .spawn(move || {
                // Ends when the daemon shuts down (the channel closes).
                while let Ok(event) = events.recv() {
                    let ServiceEvent::ServiceResolved(info) = event else {
                        continue;
                    };
                    let Some(advert) = Advert::from_properties(|k| info.get_property_val_str(k))
                    else {
                        continue;
                    };
                    let urls = reachable(&info.get_addresses_v4(), info.get_port());
                    if urls.is_empty() {
                        continue;
                    }
                    for (project, key) in &keys {
                        match key.recognise(&advert) {
                            Some(relay) if Some(relay) != own => {
                                let found = Found {
                                    project: *project,
                                    relay,
                                    urls: urls.clone(),
                                };
                                if tx.send(found).is_err() {
                                    return;
                                }
                            }
                            _ => {}
                        }
                    }
                }
            })
            .context("could not start the mDNS listener")?;
        Ok(())
    }

    /// What was found since the last call (never blocks). The same relay may be
    /// reported again, at a new address when it restarted.
    pub fn found(&self) -> Vec<Found> {
        self.found.try_iter().collect()
    }

    /// Stops advertising and browsing, and stops this device's relay once its
    /// connections have finished their commits.
    pub async fn stop(mut self) {
        if let Some(done) = self.quiet() {
            // Waits briefly for the goodbye packets to leave.
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(1), done.recv_async()).await;
        }
        if let Some(mut host) = self.host.take() {
            if let Some(stop) = host.stop.take() {
                let _ = stop.send(());
            }
            if let Some(task) = host.task.take() {
                // The relay's own shutdown waits for pending commits.
                let _ = task.await;
            }
            drop(host.state);
        }
    }

    /// Withdraws the adverts (so peers stop trying this relay soon) and shuts the mDNS
    /// daemon down, which ends browsing; what it returns answers once the daemon has
    /// sent its goodbyes. Never blocks.
    fn quiet(&mut self) -> Option<mdns_sd::Receiver<mdns_sd::DaemonStatus>> {
        for name in std::mem::take(&mut self.registered) {
            let _ = self.daemon.unregister(&name);
        }
        if self.shut_down {
            return None;
        }
        self.shut_down = true;
        self.daemon.shutdown().ok()
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // The daemon's thread runs until told to exit, whether or not anything was
        // advertised.
        self.quiet();
        if let Some(host) = self.host.as_mut()
            && let Some(stop) = host.stop.take()
        {
            let _ = stop.send(());
        }
    }
}

/// The addresses to try for an advertised relay: its IPv4 addresses, private ones
/// first (a room's network), then the rest, loopback last (the same machine).
fn reachable(addresses: &std::collections::HashSet<Ipv4Addr>, port: u16) -> Vec<RelayUrl> {
    if port == 0 {
        return Vec::new();
    }
    let mut all: Vec<&Ipv4Addr> = addresses
        .iter()
        .filter(|ip| !ip.is_unspecified() && !ip.is_multicast() && !ip.is_broadcast())
        .collect();
    all.sort_by_key(|ip| (ip.is_loopback(), !ip.is_private(), **ip));
    all.iter()
        .filter_map(|ip| {
            format!("ws://{}", SocketAddr::new(IpAddr::V4(**ip), port))
                .parse()
                .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use samspill_shared::crypto::{ProjectSecret, sign_subscribe};
    use samspill_shared::protocol::{ClientFrame, ErrorCode, ServerFrame};

    use super::*;
    use crate::sync::conn::Connection;

    /// Subscribes to `keys`' document asking to create it; the relay's first answer.
    async fn create(url: &RelayUrl, keys: &ProjectKeys) -> ServerFrame {
        let mut conn = Connection::open(url, None).await.unwrap();
        let proof = sign_subscribe(keys, &conn.challenge);
        conn.send(&ClientFrame::Subscribe {
            doc: keys.doc_id,
            since: 0,
            create: true,
            proof,
        })
        .await
        .unwrap();
        loop {
            let f = conn.recv().await.unwrap();
            if matches!(
                f,
                ServerFrame::Subscribed { .. } | ServerFrame::Error { .. }
            ) {
                return f;
            }
        }
    }

    /// Anyone on the network can reach the relay on a member's laptop: it keeps the
    /// projects that laptop shares and refuses a stranger's documents, and it does not
    /// tell the network its activity.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_relay_on_the_network_keeps_only_its_devices_projects() {
        let dir = tempfile::tempdir().unwrap();
        let secret = ProjectSecret::from_bytes([1; 32]);
        let ours = secret.keys();
        let lan = Lan::start(dir.path(), &[(ours.doc_id, secret.keys())], true)
            .await
            .unwrap();
        let (_, url) = lan.own().expect("this device serves the network");
        assert!(matches!(
            create(&url, &ours).await,
            ServerFrame::Subscribed { .. }
        ));
        let stranger = ProjectSecret::from_bytes([2; 32]).keys();
        match create(&url, &stranger).await {
            ServerFrame::Error { code, message, .. } => {
                assert_eq!(code, ErrorCode::Unauthorized, "{message}");
                assert!(message.contains("local network"), "{message}");
            }
            other => panic!("a stranger's document was created: {other:?}"),
        }

        let port = url.to_string().rsplit(':').next().unwrap().to_owned();
        let port: u16 = port.trim_end_matches('/').parse().unwrap();
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        use std::io::{Read as _, Write as _};
        tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        let _ = tcp.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");

        // Stopped, the next one serves the same store (the lock went with the relay).
        lan.stop().await;
        assert!(can_host(dir.path()));
        let again = Lan::start(dir.path(), &[(ours.doc_id, secret.keys())], true)
            .await
            .unwrap();
        assert!(again.own().is_some());
        again.stop().await;
    }
}
