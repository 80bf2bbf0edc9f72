//! Hostile input over raw sockets never panics the server and never stops it answering.

mod common;

use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn raw(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let _ = s.shutdown().await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await;
    out
}

const API: &str = r#"{"openapi":"3.0.1","info":{"title":"r","version":"1"},"paths":{"/{proxy+}":{"x-amazon-apigateway-any-method":{
"parameters":[{"name":"proxy","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}},
"x-amazon-apigateway-integration":{"type":"mock","requestTemplates":{"application/json":"{\"statusCode\": 200}"},
"responses":{"default":{"statusCode":"200"}}}}}}}"#;

#[tokio::test]
async fn hostile_requests_get_answers_and_the_server_keeps_serving() {
    init();
    let t = TestGateway::start().await;
    let api =
        t.gw.import_rest_api(&actor(), API, Default::default())
            .await
            .unwrap();
    t.gw.create_deployment(
        &actor(),
        &api.id,
        CreateDeployment {
            stage_name: Some("s".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let id = api.id.clone();
    let cases: Vec<Vec<u8>> = vec![
        b"GARBAGE\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        [format!("GET /restapis/{id}/s/_user_request_/a HTTP/1.1\r\nHost: x\r\nX-Bad: ").into_bytes(), vec![0xc3, 0x28, 0xff], b"\r\nConnection: close\r\n\r\n".to_vec()].concat(),
        format!("GET /restapis/{id}/s/_user_request_/%ff%fe/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes(),
        b"GET /restapis/nosuch/s/_user_request_/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
        b"POST /restapis HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{\"na".to_vec(),
        b"POST /restapis HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n".to_vec(),
        b"PATCH /restapis/x/stages/y HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n".to_vec(),
    ];
    for case in &cases {
        let out = raw(t.addr, case).await;
        if !out.is_empty() {
            assert!(
                out.starts_with(b"HTTP/1."),
                "not an HTTP answer: {:?}",
                String::from_utf8_lossy(&out)
            );
        }
    }
    // Deeply nested JSON to a MOCK, to the management API, and as an OpenAPI import.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let resp = t
        .client
        .post(t.url(&id, "s", "/deep"))
        .header("content-type", "application/json")
        .body(deep.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = t
        .client
        .post(format!("{}/restapis", t.base()))
        .header("content-type", "application/json")
        .body(deep.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(resp.headers()["x-amzn-errortype"], "BadRequestException");
    let resp = t
        .client
        .post(format!("{}/restapis?mode=import", t.base()))
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // Still serving.
    let resp = t.client.get(t.url(&id, "s", "/ok")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    t.stop().await;
}
