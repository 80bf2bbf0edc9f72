//! The HTTP listener served by N threads, each with its own current-thread tokio runtime and its
//! own `SO_REUSEPORT` listening socket on the same address: the kernel spreads new connections
//! across the sockets, and a connection lives on one thread from accept to close, with its
//! upstream connections (the HTTP integration pool is per runtime). No task is ever woken on
//! another thread, so a request costs no cross-thread wake-up (the work-stealing runtime unparks
//! a sibling worker whenever a worker has more than one task ready). nginx's worker model;
//! docs/PERFORMANCE.md, "Data plane under wrk, round 3".

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

use super::ServerOptions;
use crate::engine::Gateway;

/// Binds `n` listening sockets to `addr` with `SO_REUSEPORT` (port 0: the first one picks the
/// port, the others take the same). Returns the address and the listeners, taken off this
/// runtime so that each can be registered with its own thread's runtime.
pub fn bind(
    addr: SocketAddr,
    n: usize,
) -> std::io::Result<(SocketAddr, Vec<std::net::TcpListener>)> {
    let mut bound = addr;
    let mut listeners = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let socket = if bound.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.set_reuseport(true)?;
        socket.bind(bound)?;
        let listener = socket.listen(1024)?;
        bound = listener.local_addr()?;
        listeners.push(listener.into_std()?);
    }
    Ok((bound, listeners))
}

/// The serving threads, started: [`PerCore::run_until`] stops them.
pub struct PerCore {
    stop: tokio::sync::watch::Sender<bool>,
    /// Ends the event streams, which the threads share (one boot id and one numbering, so
    /// that a console whose reconnection lands on another thread resumes where it was).
    stop_streams: tokio::sync::watch::Sender<bool>,
    finished: Vec<tokio::sync::oneshot::Receiver<std::io::Result<()>>>,
}

/// The number of serving threads when nothing says otherwise: one per CPU, as nginx's
/// `worker_processes auto` (at most [`MAX_THREADS`]).
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_THREADS)
}

/// The most serving threads a server starts.
pub const MAX_THREADS: usize = 64;

/// Serves `listeners` (from [`bind`]) on a thread each until `shutdown` completes:
/// [`start`] then [`PerCore::run_until`]. Call it on a tokio runtime: the event streams'
/// recorder runs there.
pub async fn serve(
    gw: Gateway,
    listeners: Vec<std::net::TcpListener>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    start(&gw, listeners, &options)?.run_until(shutdown).await
}

/// Starts serving each listener on its own thread (a current-thread runtime per thread). Call
/// it on a tokio runtime: the event streams' recorder runs there.
pub fn start(
    gw: &Gateway,
    listeners: Vec<std::net::TcpListener>,
    options: &ServerOptions,
) -> std::io::Result<PerCore> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (streams, stop_streams) = super::Streams::start(gw, options);
    let mut finished = Vec::with_capacity(listeners.len());
    for (i, listener) in listeners.into_iter().enumerate() {
        let (done, finish) = tokio::sync::oneshot::channel();
        let gw = gw.clone();
        let options = options.clone();
        let mut stopped = stopped.clone();
        let streams = streams.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("gwtui-serve-{i}"))
            .spawn(move || {
                let run = || -> std::io::Result<()> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async move {
                        let listener = TcpListener::from_std(listener)?;
                        let stop = async move {
                            let _ = stopped.wait_for(|s| *s).await;
                        };
                        super::serve_sharing(gw, listener, options, streams, stop).await
                    })
                };
                let _ = done.send(run());
            });
        if let Err(e) = spawned {
            // The threads already started stop at once.
            let _ = stop_streams.send(true);
            let _ = stop.send(true);
            return Err(e);
        }
        finished.push(finish);
    }
    Ok(PerCore {
        stop,
        stop_streams,
        finished,
    })
}

impl PerCore {
    /// Serves until `shutdown` completes, then stops every thread and waits for each to finish
    /// its in-flight connections (the same bounded grace as [`super::serve_with`]).
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        shutdown.await;
        // Streams first: a connection carrying an event stream never ends on its own, and each
        // thread waits for its connections.
        let _ = self.stop_streams.send(true);
        let _ = self.stop.send(true);
        let mut result = Ok(());
        for finish in self.finished {
            match finish.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(_) => result = Err(std::io::Error::other("a serving thread panicked")),
            }
        }
        result
    }
}
