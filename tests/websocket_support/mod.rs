//! Shared helpers for the WebSocket API tests: building APIs over `/v2`, a real WebSocket
//! client (tokio-tungstenite) on both invoke URL forms, `@connections` calls signed for
//! `execute-api`, and a backend that records what it is sent.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::TestGateway;
use crate::http_api_support::v2_ok;

pub type Ws = WebSocketStream<TcpStream>;

pub const IAM_KEY: &str = "AKIDWEBSOCKET";
pub const IAM_SECRET: &str = "websocket-secret-for-tests";

/// Lets `IAM_KEY`/`IAM_SECRET` sign `@connections` calls.
pub fn allow_iam(t: &TestGateway) {
    t.gw.set_iam_credentials(vec![gwtui::engine::IamCredential {
        access_key_id: IAM_KEY.into(),
        secret_access_key: IAM_SECRET.into(),
        session_token: None,
        user: Some("websocket-tests".into()),
    }]);
}

/// A WebSocket API with this route selection expression; its id.
pub async fn ws_api(t: &TestGateway, expression: &str) -> String {
    v2_ok(
        t,
        Method::POST,
        "/apis",
        Some(json!({"name": "ws", "protocolType": "WEBSOCKET", "routeSelectionExpression": expression})),
        201,
    )
    .await["apiId"]
        .as_str()
        .expect("api id")
        .to_string()
}

/// An integration (body as CreateIntegration takes it); its id.
pub async fn integration(t: &TestGateway, api: &str, body: Value) -> String {
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/integrations"),
        Some(body),
        201,
    )
    .await["integrationId"]
        .as_str()
        .expect("integration id")
        .to_string()
}

/// A route `key` → `integration`; two-way (with a `$default` route response) when asked.
pub async fn route(
    t: &TestGateway,
    api: &str,
    key: &str,
    integration: &str,
    two_way: bool,
) -> String {
    let mut body = json!({"routeKey": key, "target": format!("integrations/{integration}")});
    if two_way {
        body["routeResponseSelectionExpression"] = json!("$default");
    }
    let id = v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(body),
        201,
    )
    .await["routeId"]
        .as_str()
        .expect("route id")
        .to_string();
    if two_way {
        v2_ok(
            t,
            Method::POST,
            &format!("/apis/{api}/routes/{id}/routeresponses"),
            Some(json!({"routeResponseKey": "$default"})),
            201,
        )
        .await;
    }
    id
}

/// A MOCK integration whose request template is `{"statusCode": 200}` and whose `$default`
/// integration response renders `response_template`.
pub async fn mock(t: &TestGateway, api: &str, response_template: &str) -> String {
    let id = integration(
        t,
        api,
        json!({"integrationType": "MOCK", "requestTemplates": {"$default": "{\"statusCode\": 200}"},
               "templateSelectionExpression": "\\$default"}),
    )
    .await;
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/integrations/{id}/integrationresponses"),
        Some(json!({"integrationResponseKey": "$default",
                    "responseTemplates": {"$default": response_template},
                    "templateSelectionExpression": "\\$default"})),
        201,
    )
    .await;
    id
}

/// An auto-deploying stage.
pub async fn stage(t: &TestGateway, api: &str, name: &str) {
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/stages"),
        Some(json!({"stageName": name, "autoDeploy": true})),
        201,
    )
    .await;
}

/// Why a connection was refused: the HTTP status and body.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: String,
}

async fn open(
    t: &TestGateway,
    url: &str,
    host: Option<String>,
    headers: &[(&str, &str)],
) -> Result<Ws, Refused> {
    let mut request = url.into_client_request().expect("request");
    if let Some(h) = host {
        request
            .headers_mut()
            .insert("host", h.parse().expect("host"));
    }
    for (k, v) in headers {
        request.headers_mut().insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            v.parse().expect("value"),
        );
    }
    let stream = TcpStream::connect(t.addr).await.expect("tcp connect");
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(Refused {
            status: response.status().as_u16(),
            body: response
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
        }),
        Err(e) => panic!("handshake failed: {e}"),
    }
}

/// Host style: `ws://{api}.execute-api.localhost:PORT/{stage}`.
pub async fn connect(
    t: &TestGateway,
    api: &str,
    stage: &str,
    headers: &[(&str, &str)],
) -> Result<Ws, Refused> {
    let url = format!("ws://{}/{stage}", t.addr);
    open(
        t,
        &url,
        Some(format!("{api}.execute-api.localhost:{}", t.addr.port())),
        headers,
    )
    .await
}

/// Path style: `ws://127.0.0.1:PORT/restapis/{api}/{stage}/_user_request_`.
pub async fn connect_path_style(t: &TestGateway, api: &str, stage: &str) -> Result<Ws, Refused> {
    let url = format!("ws://{}/restapis/{api}/{stage}/_user_request_", t.addr);
    open(t, &url, None, &[]).await
}

/// The next text message (pings and pongs skipped), within 5 s.
pub async fn next_text(ws: &mut Ws) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a message within 5 s")
            .expect("socket open")
            .expect("message");
        match m {
            Message::Text(t) => return t.to_string(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

/// The close frame's code (or 1006 when the socket just ended), within 5 s.
pub async fn close_code(ws: &mut Ws) -> u16 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("closed within 5 s")
        {
            None | Some(Err(_)) => return 1006,
            Some(Ok(Message::Close(Some(f)))) => return u16::from(f.code),
            Some(Ok(Message::Close(None))) => return 1005,
            Some(Ok(_)) => continue,
        }
    }
}

pub async fn send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.into())).await.expect("send");
}

/// An `@connections` call signed for `execute-api` with `IAM_KEY`; (status, error type, body).
pub async fn connections(
    t: &TestGateway,
    method: Method,
    url: &str,
    body: &[u8],
    host: Option<&str>,
) -> (u16, Option<String>, String) {
    let parsed = reqwest::Url::parse(url).expect("url");
    let authority = host.map(str::to_string).unwrap_or_else(|| {
        format!(
            "{}:{}",
            parsed.host_str().expect("host"),
            parsed.port().unwrap_or(80)
        )
    });
    let request = signed_connections_request(&t.client, method, url, body, &authority);
    let resp = t.client.execute(request).await.expect("@connections call");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, kind, resp.text().await.unwrap_or_default())
}

/// Host-style `@connections` URL and its Host.
pub fn connections_url(t: &TestGateway, api: &str, stage: &str, id: &str) -> (String, String) {
    let encoded: String =
        percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string();
    (
        format!("http://{}/{stage}/@connections/{encoded}", t.addr),
        format!("{api}.execute-api.localhost:{}", t.addr.port()),
    )
}

/// A backend that answers `{"ok":true}` and hands every request body to the receiver.
pub async fn recorder() -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
                        Ok::<_, std::convert::Infallible>(Response::new(Full::new(
                            Bytes::from_static(b"{\"ok\":true}"),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, rx)
}

/// The next recorded body, within 5 s.
pub async fn recorded(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a backend call within 5 s")
        .expect("recorder open")
}

/// An `@connections` request signed for `execute-api`, built but not sent.
pub fn signed_connections_request(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    body: &[u8],
    host: &str,
) -> reqwest::Request {
    let parsed = reqwest::Url::parse(url).expect("url");
    let amz_date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("date");
    let mut headers = http::HeaderMap::new();
    headers.insert("host", host.parse().expect("host"));
    headers.insert("x-amz-date", amz_date.parse().expect("date"));
    let parts = gwtui::auth::sigv4::RequestParts {
        method: method.as_str(),
        path: parsed.path(),
        query: parsed.query(),
        headers: &headers,
        authority: Some(host),
        body,
    };
    let authorization = gwtui::auth::sigv4::sign(
        &parts,
        IAM_KEY,
        IAM_SECRET,
        gwtui::engine::REGION,
        "execute-api",
        &["host", "x-amz-date"],
    )
    .expect("sign");
    client
        .request(method, url)
        .header("host", host)
        .header("x-amz-date", amz_date)
        .header("authorization", authorization)
        .body(body.to_vec())
        .build()
        .expect("request")
}
