//! Guards the size of the data plane's request future (docs/PERFORMANCE.md, "Data plane,
//! round 5"). hyper's HTTP/1 dispatcher moves every request's service future into its
//! in-flight slot (`Pin<Box<Option<F>>>::set`): one `memcpy` of `size_of::<F>()` bytes per
//! request, whatever branch the request takes. A future is as large as its largest state, so
//! one new large local held across an `.await`, or one more sub-future awaited inline, on any
//! path `dispatch` can take makes every request pay for it. Rare branches are boxed
//! (`Box::pin`); the common ones must stay small. These bounds fail when that regresses.

use std::net::SocketAddr;

use http::Request;
use hyper::body::Incoming;

use super::{Gateway, ServerOptions, Streams, event_replay, events, serve_request};
use crate::engine::{EngineConfig, InvokeRequest};

/// The size of what `f` returns, without calling it (a request body cannot be made outside
/// hyper, and the futures must not run).
fn output_size<A, R>(_: &impl Fn(A) -> R) -> usize {
    std::mem::size_of::<R>()
}

/// Before round 5 these futures were 6,648 (dispatch), 7,032 (the service future) and 3,464
/// (the engine, then `Gateway::invoke`) bytes; after it 3,408, 3,792 and 3,000, in debug and
/// release test builds alike (`cargo test --release --lib future_size -- --nocapture` prints
/// them). Merged with the pooled connection's per-exchange deadline and the lingering 413
/// (session 9): 3,592, 3,976 and 3,184. The bounds leave a little room, not another large
/// state.
/// Session 10: `dispatch` decides synchronously and the service future is one `async` block
/// (`serve_request`), no longer the closure's block around `dispatch`'s `Either`/`Map` layers
/// (whose moves cost more than its size): 4,024 bytes, the engine's 3,216.
const SERVICE_MAX: usize = 4_096;
const ENGINE_MAX: usize = 3_328;

fn request() -> InvokeRequest {
    InvokeRequest {
        method: http::Method::GET,
        api_id: "abc123".into(),
        stage: "prod".into(),
        path: "/pets/1".into(),
        query: None,
        headers: http::HeaderMap::new(),
        body: bytes::Bytes::new(),
        source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
        protocol: "HTTP/1.1",
        context_path: "/prod/pets/1".into(),
        base_path_matched: None,
        client_cert: None,
    }
}

#[tokio::test]
async fn the_request_future_hyper_moves_stays_small() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::open(EngineConfig::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
    let options = std::sync::Arc::new(ServerOptions::default());
    let (_stop, stop) = tokio::sync::watch::channel(false);
    let streams = Streams {
        replay: event_replay::Replay::new("boot".into(), 4, 4),
        stop,
        slots: events::StreamSlots::default(),
    };
    let peer: SocketAddr = ([127, 0, 0, 1], 1).into();

    // What `serve_loop`'s service closure hands hyper.
    let service_size = output_size(&|req: Request<Incoming>| {
        serve_request(
            gw.clone(),
            req,
            peer,
            None,
            options.clone(),
            streams.clone(),
        )
    });
    assert!(
        service_size <= SERVICE_MAX,
        "the service future is {service_size} bytes (at most {SERVICE_MAX}): box the branch \
         that grew it, or keep its large locals out of the states that span an await"
    );

    let req = request();
    let engine_size = std::mem::size_of_val(&gw.serve(&req));
    eprintln!("service {service_size}, Gateway::serve {engine_size}");
    assert!(
        engine_size <= ENGINE_MAX,
        "Gateway::serve's future is {engine_size} bytes (at most {ENGINE_MAX})"
    );
    assert!(
        engine_size < service_size,
        "the engine's future is part of the service future"
    );
}
