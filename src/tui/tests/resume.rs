//! An attached console's event stream resumes where it left off: the stream goes through a
//! TCP proxy that these tests cut (every connection dropped) and hold shut while changes
//! happen; after the reconnect the server replays what was missed (`Last-Event-ID`), or,
//! past its ring, asks for a re-sync.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::Receiver;

use super::Harness;
use super::served::Served;
use crate::engine::Actor;
use crate::model::PatchOperation;
use crate::server::ServerOptions;
use crate::tui::app::AppConfig;
use crate::tui::msg::{DataUpdate, Msg};
use crate::tui::remote::RemoteBackend;

/// A loopback TCP proxy whose connections can be cut and which can refuse new ones.
pub(super) struct Proxy {
    addr: SocketAddr,
    refuse: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    fn start(rt: &tokio::runtime::Runtime, upstream: SocketAddr) -> Proxy {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let refuse = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (r, c) = (refuse.clone(), conns.clone());
        let accept = rt.spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if r.load(Ordering::SeqCst) {
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                if let Ok(mut conns) = c.lock() {
                    conns.push(task.abort_handle());
                }
            }
        });
        Proxy {
            addr,
            refuse,
            conns,
            accept,
        }
    }

    /// Drops every connection and refuses new ones until [`Proxy::open`].
    pub(super) fn cut(&self) {
        self.refuse.store(true, Ordering::SeqCst);
        if let Ok(mut conns) = self.conns.lock() {
            for c in conns.drain(..) {
                c.abort();
            }
        }
    }

    pub(super) fn open(&self) {
        self.refuse.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// The next update `want` accepts, skipping others (counted by `seen`), within 20 s.
pub(super) fn wait_for(
    h: &Harness<RemoteBackend>,
    rx: &mut Receiver<DataUpdate>,
    seen: &mut Vec<DataUpdate>,
    want: impl Fn(&DataUpdate) -> bool,
) -> bool {
    h.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(u)) if want(&u) => {
                    seen.push(u);
                    return true;
                }
                Ok(Some(u)) => seen.push(u),
                _ => return false,
            }
        }
    })
}

fn changes(seen: &[DataUpdate]) -> usize {
    seen.iter()
        .filter(|u| matches!(u, DataUpdate::Changed))
        .count()
}

pub(super) fn resyncs(seen: &[DataUpdate]) -> usize {
    seen.iter()
        .filter(|u| matches!(u, DataUpdate::Resync))
        .count()
}

/// An attached console behind a proxy, its subscription known to be up: the proxy refuses
/// the first connection, so the stream reports down, then up once the proxy opens (by then
/// the server has subscribed it: every later change reaches it).
pub(super) fn attached_behind_proxy(
    s: &Served,
) -> (Proxy, Harness<RemoteBackend>, Receiver<DataUpdate>) {
    let proxy = Proxy::start(&s.rt, s.addr);
    let h = s.attached_at(AppConfig::default(), &format!("http://{}", proxy.addr));
    proxy.cut();
    let mut rx = h.subscribe();
    let mut seen = Vec::new();
    assert!(
        wait_for(&h, &mut rx, &mut seen, |u| matches!(
            u,
            DataUpdate::Connection(false)
        )),
        "the refused stream was not reported down"
    );
    proxy.open();
    assert!(
        wait_for(&h, &mut rx, &mut seen, |u| matches!(
            u,
            DataUpdate::Connection(true)
        )),
        "the stream never came up"
    );
    assert_eq!(resyncs(&seen), 0, "a first connection needs no re-sync");
    (proxy, h, rx)
}

fn change(s: &Served, n: usize) {
    s.rt.block_on(s.gw.update_stage(
        &Actor::new("test"),
        &s.api,
        "dev",
        vec![PatchOperation::replace(format!("/variables/v{n}"), "1")],
    ))
    .expect("update stage");
}

/// Changes made before, during and after the stream is down all arrive, once each, and
/// the console never had to reload everything.
#[test]
fn a_dropped_stream_resumes_without_losing_a_change_or_reloading_everything() {
    let (s, _w) = Served::sample();
    let (proxy, h, mut rx) = attached_behind_proxy(&s);
    let mut seen = Vec::new();
    // A background writer makes changes throughout; the stream is cut in the middle.
    let total = 30;
    let writer = {
        let gw = s.gw.clone();
        let api = s.api.clone();
        s.rt.spawn(async move {
            for n in 0..total {
                let op = PatchOperation::replace(format!("/variables/w{n}"), "1");
                gw.update_stage(&Actor::new("test"), &api, "dev", vec![op])
                    .await
                    .expect("update stage");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    assert!(wait_for(&h, &mut rx, &mut seen, |u| matches!(
        u,
        DataUpdate::Changed
    )));
    proxy.cut();
    assert!(
        wait_for(&h, &mut rx, &mut seen, |u| matches!(
            u,
            DataUpdate::Connection(false)
        )),
        "the cut stream was not reported down"
    );
    // While it is down: more changes, some from here for certain.
    for n in 0..5 {
        change(&s, n);
    }
    proxy.open();
    assert!(
        wait_for(&h, &mut rx, &mut seen, |u| matches!(
            u,
            DataUpdate::Connection(true)
        )),
        "the console did not reconnect"
    );
    s.rt.block_on(writer).expect("writer");
    let made = total + 5;
    while changes(&seen) < made {
        assert!(
            wait_for(&h, &mut rx, &mut seen, |u| matches!(u, DataUpdate::Changed)),
            "{} of {made} changes arrived: {seen:?}",
            changes(&seen)
        );
    }
    // One more, as a marker: nothing was sent twice before it.
    change(&s, 99);
    assert!(wait_for(&h, &mut rx, &mut seen, |u| matches!(
        u,
        DataUpdate::Changed
    )));
    assert_eq!(changes(&seen), made + 1, "{seen:?}");
    assert_eq!(resyncs(&seen), 0, "a full re-sync happened: {seen:?}");
}

/// A gap longer than the server's ring: the stream says so, the console reloads everything
/// and sees the changes it missed.
#[test]
fn a_gap_beyond_the_ring_is_a_resync() {
    let (s, _w) = Served::sample_with(ServerOptions {
        event_replay: Some(4),
        ..ServerOptions::default()
    });
    let (proxy, mut h, mut rx) = attached_behind_proxy(&s);
    let mut seen = Vec::new();
    proxy.cut();
    assert!(wait_for(&h, &mut rx, &mut seen, |u| matches!(
        u,
        DataUpdate::Connection(false)
    )));
    for n in 0..10 {
        change(&s, n);
    }
    proxy.open();
    assert!(
        wait_for(&h, &mut rx, &mut seen, |u| matches!(u, DataUpdate::Resync)),
        "no re-sync: {seen:?}"
    );
    assert_eq!(changes(&seen), 0, "nothing is replayed across a gap");
    let effects = h.app.update(Msg::Data(DataUpdate::Resync));
    assert!(effects.is_empty());
    let reload = h.app.take_reload();
    h.settle(reload);
    assert_eq!(h.app.resyncs, 1);
    let dev = h
        .app
        .stages
        .iter()
        .find(|st| st.stage_name == "dev")
        .cloned()
        .expect("dev");
    assert!(
        (0..10).all(|n| dev.variables.contains_key(&format!("v{n}"))),
        "{:?}",
        dev.variables
    );
}
