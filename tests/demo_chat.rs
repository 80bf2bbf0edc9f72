//! The demo's WebSocket chat (AWS's simple-websocket-chat-app, locally): seeded on the first
//! run, three clients connect, one sends `{"action": "sendmessage", "data": …}` and every
//! client (the other two included) receives the data, posted by the Python handler through
//! `@connections` with the credential gwtui gives its workers (no `[iam]` configured); a
//! client that left is forgotten, and a second start does not seed it twice.

mod common;
mod http_api_support;
mod websocket_support;

use common::TestGateway;
use websocket_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clients_chat_through_the_demo() {
    common::init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let backend = gwtui::demo::start_backend().await.expect("backend");
    gwtui::demo::seed_or_refresh(&t.gw, backend)
        .await
        .expect("seed");
    let chat =
        t.gw.list_http_apis()
            .expect("list")
            .into_iter()
            .find(|a| a.name == gwtui::demo::websocket::CHAT_NAME)
            .expect("the chat is seeded");
    assert_eq!(chat.protocol_type, "WEBSOCKET");
    let api = chat.api_id;
    let stage = gwtui::demo::websocket::CHAT_STAGE;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(
            connect_path_style(&t, &api, stage)
                .await
                .expect("connected"),
        );
    }
    send_text(
        &mut clients[0],
        r#"{"action": "sendmessage", "data": "hello, room"}"#,
    )
    .await;
    for c in clients.iter_mut() {
        assert_eq!(next_text(c).await, "hello, room");
    }
    // One leaves; the next message reaches the two left, and the chat forgets the third.
    let mut gone = clients.pop().expect("third");
    futures_util::SinkExt::close(&mut gone)
        .await
        .expect("close");
    close_code(&mut gone).await;
    send_text(
        &mut clients[1],
        r#"{"action": "sendmessage", "data": "still here?"}"#,
    )
    .await;
    for c in clients.iter_mut() {
        assert_eq!(next_text(c).await, "still here?");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while t.gw.websocket_connections(&api, Some(stage)).len() != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the third is still listed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    // The next start installs the function again and does not seed a second chat.
    gwtui::demo::seed_or_refresh(&t.gw, backend)
        .await
        .expect("refresh");
    let chats =
        t.gw.list_http_apis()
            .expect("list")
            .into_iter()
            .filter(|a| a.name == gwtui::demo::websocket::CHAT_NAME)
            .count();
    assert_eq!(chats, 1);
    t.gw.shutdown_functions().await;
    t.stop().await;
}
