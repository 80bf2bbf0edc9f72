//! The Connections view and `:wscat`: key scripts on the fake backend's chat API (list,
//! send, disconnect with confirmation, read-only, a gone connection, the client), then the
//! same against the real engine, in process and attached, with a real WebSocket client
//! whose connection the view shows and whose frames the console sends and closes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::served::Served;
use super::{Harness, screen};
use crate::engine::Actor;
use crate::tui::backend::Backend;
use crate::tui::effect::Effect;
use crate::tui::fake::{CHAT_API, CHAT_STAGE, FakeBackend};
use crate::tui::view::ViewKind;
use crate::tui::wscat::WscatFrame;

const FIRST: &str = "Yq3bRdQFoAMCJ-w=";
const SECOND: &str = "Yq3cPeYZoAMCKAQ=";

fn chat() -> Harness {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    Harness::on(
        crate::tui::app::AppConfig::default(),
        FakeBackend::with_chat(),
        rt,
    )
}

/// `9`, and the cursor on `api_id`.
fn select_api<B: Backend>(h: &mut Harness<B>, api_id: &str) {
    let effects = h.press("9");
    h.settle(effects);
    let row = h
        .app
        .http_rows()
        .iter()
        .position(|&i| h.app.http_apis[i].api_id == api_id)
        .expect("the WebSocket API is listed");
    h.app.set_cursor(ViewKind::Http, 0, row);
}

/// `c` on the API in the HTTP view.
fn open_connections<B: Backend>(h: &mut Harness<B>, api_id: &str) {
    select_api(h, api_id);
    let effects = h.press("c");
    h.settle(effects);
    assert_eq!(h.app.view(), ViewKind::Connections, "{}", h.flash());
}

fn connection_ids<B: Backend>(h: &Harness<B>) -> Vec<String> {
    h.app
        .connections
        .as_ref()
        .map(|c| {
            c.page
                .rows
                .iter()
                .map(|r| r.connection_id.clone())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_view_lists_a_stages_connections_and_polls_while_shown() {
    let mut h = chat();
    open_connections(&mut h, CHAT_API);
    assert_eq!(connection_ids(&h), vec![FIRST, SECOND]);
    let text = screen(&h.render(160, 30));
    for needle in [
        "connections of chat production [2]",
        "CONNECTION ID",
        "SOURCE IP",
        "LAST ROUTE",
        FIRST,
        "10.0.0.7",
        "sendmessage",
        "10m00s",
        "9m30s ago",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    // Live: every tick asks again while the view is up, and not once it is left.
    let effects = h.tick(Duration::from_secs(1));
    assert!(effects.contains(&Effect::LoadConnections {
        api_id: CHAT_API.into(),
        stage: CHAT_STAGE.into()
    }));
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Http);
    let effects = h.tick(Duration::from_secs(2));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::LoadConnections { .. }))
    );
    // `/` filters by source IP (or id, route).
    open_connections(&mut h, CHAT_API);
    h.press("/");
    h.type_text("10.0.0.9");
    h.press("enter");
    assert_eq!(
        h.app
            .selected_connection()
            .map(|c| c.connection_id.as_str()),
        Some(SECOND)
    );
}

#[test]
fn s_sends_a_message_to_the_selected_connection() {
    let mut h = chat();
    open_connections(&mut h, CHAT_API);
    h.press("j s");
    h.type_text("hello there");
    let effects = h.press("enter");
    assert_eq!(
        effects,
        vec![Effect::PostToConnection {
            api_id: CHAT_API.into(),
            stage: CHAT_STAGE.into(),
            connection_id: SECOND.into(),
            data: "hello there".into(),
        }]
    );
    h.settle(effects);
    assert!(h.calls().contains(&format!("post {SECOND} hello there")));
    assert_eq!(h.flash(), format!("send to {SECOND}: done"));
    // The reload that follows shows the message counted.
    let out = h
        .app
        .connections
        .as_ref()
        .map(|c| c.page.rows[1].messages_out);
    assert_eq!(out, Some(9));
}

#[test]
fn d_disconnects_only_after_confirmation() {
    let mut h = chat();
    open_connections(&mut h, CHAT_API);
    assert!(h.press("d").is_empty());
    let question = h.app.confirm.as_ref().map(|c| c.question.clone());
    assert_eq!(
        question.as_deref(),
        Some("Disconnect Yq3bRdQFoAMCJ-w= (10.0.0.7) from production? Its $disconnect route runs.")
    );
    assert!(screen(&h.render(120, 30)).contains("Disconnect Yq3bRdQFoAMCJ-w="));
    h.press("n");
    assert!(!h.calls().iter().any(|c| c.starts_with("disconnect")));
    h.press("d");
    let effects = h.press("y");
    h.settle(effects);
    assert!(h.calls().contains(&format!("disconnect {FIRST}")));
    assert_eq!(connection_ids(&h), vec![SECOND]);
    // Sending to a connection that is gone meanwhile says so.
    h.backend.state.lock().expect("state").connections.clear();
    h.press("s");
    h.type_text("anyone?");
    let effects = h.press("enter");
    h.settle(effects);
    assert!(
        h.flash()
            .contains("failed: GoneException: the connection is closed"),
        "{}",
        h.flash()
    );
    assert!(screen(&h.render(120, 30)).contains("No open connections"));
}

#[test]
fn read_only_consoles_neither_send_nor_disconnect() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut h = Harness::on(
        crate::tui::app::AppConfig {
            readonly: true,
            ..Default::default()
        },
        FakeBackend::with_chat(),
        rt,
    );
    open_connections(&mut h, CHAT_API);
    assert!(h.press("s").is_empty());
    assert!(h.app.prompt.is_none());
    assert!(h.press("d").is_empty());
    assert!(h.app.confirm.is_none());
    assert!(h.flash().contains("read-only"), "{}", h.flash());
}

#[test]
fn connections_of_an_http_api_are_refused_with_a_reason() {
    let mut h = chat();
    h.backend.state.lock().expect("state").http_apis[0].websocket = false;
    let effects = h.press("9");
    h.settle(effects);
    assert!(h.press("c").is_empty());
    assert_eq!(h.app.view(), ViewKind::Http);
    assert_eq!(
        h.flash(),
        "chat is an HTTP API: connections are WebSocket APIs'"
    );
}

#[test]
fn wscat_sends_lines_shows_frames_and_closes_with_its_view() {
    let mut h = chat();
    let effects = h.command("wscat production");
    assert_eq!(
        effects,
        vec![Effect::WscatOpen {
            api_id: CHAT_API.into(),
            stage: CHAT_STAGE.into()
        }]
    );
    h.settle(effects);
    assert_eq!(h.app.view(), ViewKind::Wscat);
    // Connected: the send line is open, and the client is one of the stage's connections.
    assert!(h.app.prompt.is_some(), "{}", h.flash());
    let ids: Vec<String> = h.block_on(async {
        h.backend
            .websocket_connections(CHAT_API.into(), CHAT_STAGE.into())
            .await
            .expect("list")
            .rows
            .into_iter()
            .map(|r| r.connection_id)
            .collect()
    });
    assert_eq!(ids.len(), 3);
    h.type_text("ping");
    let effects = h.press("enter");
    h.settle(effects);
    assert!(
        h.app.prompt.is_some(),
        "the line stays open for the next one"
    );
    for _ in 0..3 {
        h.pump_wscat();
        if h.app.wscat.as_ref().is_some_and(|w| w.frames.len() >= 3) {
            break;
        }
    }
    let frames: Vec<WscatFrame> = h
        .app
        .wscat
        .as_ref()
        .map(|w| w.frames.iter().cloned().collect())
        .unwrap_or_default();
    assert!(matches!(&frames[0], WscatFrame::Info(t) if t.starts_with("connected to ws://")));
    assert_eq!(
        frames[1..],
        [
            WscatFrame::Sent("ping".into()),
            WscatFrame::Received("ping".into())
        ]
    );
    let text = screen(&h.render(120, 30));
    assert!(text.contains("→ ping") && text.contains("← ping"), "{text}");
    // Esc leaves the line, Esc again closes the client with its view.
    h.press("esc");
    let effects = h.press("esc");
    assert!(matches!(effects.as_slice(), [Effect::WscatClose { .. }]));
    h.settle(effects);
    assert!(h.app.wscat.is_none());
    let left = h.block_on(async {
        for _ in 0..100 {
            let page = h
                .backend
                .websocket_connections(CHAT_API.into(), CHAT_STAGE.into())
                .await
                .expect("list");
            if page.rows.len() == 2 {
                return 2;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        3
    });
    assert_eq!(left, 2, "the client's connection is gone");
}

/// A WebSocket API on the served engine: `$default` → MOCK, on an auto-deployed `live`.
fn websocket_api(s: &Served) -> String {
    let actor = Actor::new("test");
    s.rt.block_on(async {
        let api =
            s.gw.create_http_api(
                &actor,
                serde_json::from_value(json!({"name": "sockets", "protocolType": "WEBSOCKET",
                    "routeSelectionExpression": "$request.body.action"}))
                .expect("input"),
            )
            .await
            .expect("api");
        let id = api.api_id;
        let integration =
            s.gw.create_http_integration(
                &actor,
                &id,
                serde_json::from_value(json!({"integrationType": "MOCK",
                    "requestTemplates": {"$default": "{\"statusCode\": 200}"},
                    "templateSelectionExpression": "\\$default"}))
                .expect("input"),
            )
            .await
            .expect("integration");
        s.gw.create_http_route(
            &actor,
            &id,
            serde_json::from_value(json!({"routeKey": "$default",
                "target": format!("integrations/{}", integration.integration_id)}))
            .expect("input"),
        )
        .await
        .expect("route");
        s.gw.create_http_stage(
            &actor,
            &id,
            serde_json::from_value(json!({"stageName": "live", "autoDeploy": true}))
                .expect("input"),
        )
        .await
        .expect("stage");
        id
    })
}

type Client = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

fn client(s: &Served, api: &str) -> Client {
    let url = format!("ws://{}/restapis/{api}/live/_user_request_", s.addr);
    s.rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(s.addr).await.expect("tcp");
        tokio_tungstenite::client_async(url, tcp)
            .await
            .expect("websocket")
            .0
    })
}

/// Polls the view (one tick at a time) until `done` holds, for up to 10 s.
fn until<B: Backend>(h: &mut Harness<B>, what: &str, done: impl Fn(&Harness<B>) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut second = 1;
    while !done(h) {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: {}",
            h.flash()
        );
        let effects = h.tick(Duration::from_secs(second));
        h.settle(effects);
        second += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn next_text(s: &Served, c: &mut Client) -> String {
    s.rt.block_on(async {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), c.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => return t.to_string(),
                Ok(Some(Ok(Message::Close(f)))) => return format!("close {f:?}"),
                Ok(Some(Ok(_))) => continue,
                other => return format!("{other:?}"),
            }
        }
    })
}

#[test]
fn a_real_client_shows_in_both_backends_which_send_to_it_and_disconnect_it() {
    let s = Served::start();
    let api = websocket_api(&s);
    let mut ws = client(&s, &api);
    let registered = s.gw.websocket_connections(&api, Some("live"));
    assert_eq!(registered.len(), 1);
    let id = registered[0].connection_id.clone();

    let mut local = s.in_process();
    let mut attached = s.attached();
    open_connections(&mut local, &api);
    open_connections(&mut attached, &api);
    assert_eq!(connection_ids(&local), vec![id.clone()]);
    // The two backends read the same rows.
    fn rows<B: Backend>(h: &Harness<B>) -> Option<Vec<crate::engine::ConnectionSummary>> {
        h.app.connections.as_ref().map(|c| c.page.rows.clone())
    }
    assert_eq!(rows(&local), rows(&attached));
    assert!(screen(&local.render(160, 30)).contains(&id));

    // A message from the client: counted, with its route, as the view updates itself.
    s.rt.block_on(ws.send(Message::text("{\"action\": \"nothing\"}")))
        .expect("send");
    until(&mut local, "the message is counted", |h| {
        h.app
            .selected_connection()
            .is_some_and(|c| c.messages_in == 1 && c.last_route.as_deref() == Some("$default"))
    });
    until(&mut attached, "the message is counted (attached)", |h| {
        h.app
            .selected_connection()
            .is_some_and(|c| c.messages_in == 1)
    });

    // `s` from each console reaches the client.
    local.send_line("from console 1");
    assert_eq!(next_text(&s, &mut ws), "from console 1");
    attached.send_line("from console 2");
    assert_eq!(next_text(&s, &mut ws), "from console 2");

    // `d` from the attached console: the client is closed and the row goes.
    attached.press("d");
    let effects = attached.press("y");
    attached.settle(effects);
    assert!(!attached.flash().contains("failed"), "{}", attached.flash());
    assert!(next_text(&s, &mut ws).starts_with("close"), "closed");
    until(&mut local, "the row goes", |h| connection_ids(h).is_empty());
}

/// `s`, a line, Enter, for either backend's harness.
trait SendKeys {
    fn send_line(&mut self, text: &str);
}

impl<B: Backend> SendKeys for Harness<B> {
    fn send_line(&mut self, text: &str) {
        self.press("s");
        self.type_text(text);
        let effects = self.press("enter");
        self.settle(effects);
        assert!(self.flash().ends_with(": done"), "{}", self.flash());
    }
}

#[test]
fn wscat_in_process_is_a_real_connection_of_the_stage() {
    let s = Served::start();
    let api = websocket_api(&s);
    let mut h = s.in_process();
    select_api(&mut h, &api);
    let effects = h.press("w");
    h.settle(effects);
    assert_eq!(h.app.view(), ViewKind::Wscat, "{}", h.flash());
    assert!(h.app.prompt.is_some(), "connected: {}", h.flash());
    let listed = s.gw.websocket_connections(&api, Some("live"));
    assert_eq!(listed.len(), 1, "the console's client is connected");
    // A line goes out as a message ($default routes it) ...
    h.type_text("{\"hello\": 1}");
    let effects = h.press("enter");
    h.settle(effects);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.gw.websocket_connections(&api, Some("live"))[0].messages_in == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the line never arrived"
        );
        h.block_on(async { tokio::time::sleep(Duration::from_millis(10)).await });
    }
    // ... and a post to its connection comes back as a frame.
    let id = listed[0].connection_id.clone();
    let posted = h.block_on(h.backend.post_to_connection(
        api.clone(),
        "live".into(),
        id.clone(),
        "pong".into(),
    ));
    assert_eq!(posted, Ok(()));
    for _ in 0..5 {
        h.pump_wscat();
        let got = h.app.wscat.as_ref().is_some_and(|w| {
            w.frames
                .iter()
                .any(|f| *f == WscatFrame::Received("pong".into()))
        });
        if got {
            break;
        }
    }
    assert!(screen(&h.render(120, 30)).contains("← pong"));
    // Leaving the view closes the client: $disconnect, and the registry forgets it.
    h.press("esc");
    let effects = h.press("esc");
    h.settle(effects);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !s.gw.websocket_connections(&api, Some("live")).is_empty() {
        assert!(std::time::Instant::now() < deadline, "still connected");
        h.block_on(async { tokio::time::sleep(Duration::from_millis(10)).await });
    }
    // A post to it now is gone.
    let gone = h.block_on(
        h.backend
            .post_to_connection(api, "live".into(), id, "late".into()),
    );
    assert_eq!(gone, Err("GoneException: the connection is closed".into()));
}

#[test]
fn the_dashboard_of_a_websocket_api_uses_cloudwatch_names() {
    let s = Served::start();
    let api = websocket_api(&s);
    let mut ws = client(&s, &api);
    s.rt.block_on(ws.send(Message::text("hello")))
        .expect("send");
    let mut h = s.in_process();
    select_api(&mut h, &api);
    let effects = h.press("enter");
    h.settle(effects);
    assert_eq!(h.app.view(), ViewKind::Dashboard);
    // The second of the events completes, then the dashboard's poll shows them.
    let deadline = std::time::Instant::now() + Duration::from_secs(6);
    let mut second = 1;
    loop {
        let text = screen(&h.render(160, 48));
        if text.contains("Conn  1 ") && text.contains("Msg   1 ") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not charted:\n{text}");
        let effects = h.tick(Duration::from_secs(second));
        h.settle(effects);
        second += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = screen(&h.render(160, 48));
    for title in [
        "ConnectCount · MessageCount",
        "ClientError",
        "Integration/ExecutionError",
        "IntegrationLatency",
    ] {
        assert!(text.contains(title), "{title} missing:\n{text}");
    }
    assert!(!text.contains("Cache hit/miss"));
}
