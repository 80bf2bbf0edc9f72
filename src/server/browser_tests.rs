use super::*;

fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

fn hosts(list: &[&str]) -> Vec<AllowedHost> {
    list.iter()
        .map(|h| AllowedHost::parse(h).unwrap())
        .collect()
}

fn host_ok(host: &str, allowed: &[AllowedHost]) -> bool {
    check_host(&parts("GET", "/restapis", &[("host", host)]), allowed).is_ok()
}

#[test]
fn loopback_hosts_pass_with_or_without_port() {
    for h in [
        "localhost",
        "localhost:4567",
        "LOCALHOST.",
        "app.localhost:80",
        "127.0.0.1",
        "127.0.0.1:4567",
        "127.9.8.7:1",
        "[::1]",
        "[::1]:4567",
        "[::ffff:127.0.0.1]:4567",
    ] {
        assert!(host_ok(h, &[]), "{h}");
    }
}

#[test]
fn foreign_and_malformed_hosts_are_refused() {
    for h in [
        "rebind.evil.example",
        "rebind.evil.example:4567",
        "localhost.evil.example",
        "evillocalhost",
        "0.0.0.0:4567",
        "10.0.0.1",
        "[::2]:4567",
        "[::1]x",
        "localhost:",
        "localhost:abc",
        "local host",
        "",
        "::1",
    ] {
        assert!(!host_ok(h, &[]), "{h}");
    }
    // No Host at all (and no authority) is refused too.
    let p = parts("GET", "/restapis", &[]);
    assert!(check_host(&p, &[]).is_err());
    // An absolute-form target's authority must pass as well as the Host header (and HTTP/2's
    // :authority alone suffices when it is loopback).
    let p = parts(
        "GET",
        "http://rebind.evil.example/restapis",
        &[("host", "localhost")],
    );
    assert!(check_host(&p, &[]).is_err());
    let p = parts("GET", "http://localhost:4567/restapis", &[]);
    assert!(check_host(&p, &[]).is_ok());
}

#[test]
fn allowed_hosts_match_exactly_or_by_subdomain() {
    let allowed = hosts(&[
        "gwtui.internal",
        "*.dev.example",
        "192.168.1.20",
        "[fd00::1]",
    ]);
    assert!(host_ok("gwtui.internal:4567", &allowed));
    assert!(host_ok("GWTUI.internal", &allowed));
    assert!(host_ok("a.dev.example", &allowed));
    assert!(host_ok("a.b.dev.example:1", &allowed));
    assert!(!host_ok("dev.example", &allowed));
    assert!(!host_ok("xdev.example", &allowed));
    assert!(host_ok("192.168.1.20:4567", &allowed));
    assert!(host_ok("[fd00::1]:4567", &allowed));
    assert!(!host_ok("gwtui.internal.evil.example", &allowed));
}

#[test]
fn allowed_host_entries_are_validated() {
    for bad in [
        "*",
        "*.",
        "",
        "http://x.example",
        "x.example:4567",
        "x.example/path",
        "*.10.0.0.1",
        "bad host",
        "a..b",
    ] {
        assert!(AllowedHost::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        AllowedHost::parse("*.Dev.Example.").unwrap().to_string(),
        "*.dev.example"
    );
    assert_eq!(AllowedHost::parse("::1").unwrap().to_string(), "::1");
}

#[test]
fn allowed_origin_entries_are_normalised_and_validated() {
    assert_eq!(
        AllowedOrigin::parse("HTTP://LocalHost:80/")
            .unwrap()
            .as_str(),
        "http://localhost"
    );
    assert_eq!(
        AllowedOrigin::parse("https://app.example:8443")
            .unwrap()
            .as_str(),
        "https://app.example:8443"
    );
    for bad in [
        "*",
        "null",
        "NULL",
        "localhost:3000",
        "ftp://x.example",
        "http://x.example/path",
        "http://user@x.example",
        "http://x.example?q",
    ] {
        assert!(AllowedOrigin::parse(bad).is_err(), "{bad}");
    }
}

fn origin_check(headers: &[(&str, &str)], allowed: &[&str]) -> Result<bool, Refusal> {
    let allowed: Vec<AllowedOrigin> = allowed
        .iter()
        .map(|o| AllowedOrigin::parse(o).unwrap())
        .collect();
    check_origin(&parts("POST", "/restapis", headers).headers, &allowed).map(|o| o.is_some())
}

#[test]
fn origins_are_refused_unless_allowed_and_null_always() {
    assert_eq!(origin_check(&[], &[]), Ok(false));
    assert!(origin_check(&[("origin", "http://evil.example")], &[]).is_err());
    assert!(origin_check(&[("origin", "null")], &["http://localhost:3000"]).is_err());
    assert!(origin_check(&[("origin", "http://localhost:3000")], &[]).is_err());
    assert_eq!(
        origin_check(
            &[("origin", "http://localhost:3000")],
            &["http://localhost:3000"]
        ),
        Ok(true)
    );
    // Compared as serialised origins: the default port and case do not matter.
    assert_eq!(
        origin_check(&[("origin", "http://LOCALHOST:80")], &["http://localhost"]),
        Ok(true)
    );
    assert!(
        origin_check(
            &[("origin", "https://localhost:3000")],
            &["http://localhost:3000"]
        )
        .is_err()
    );
    assert!(
        origin_check(
            &[
                ("origin", "http://localhost:3000"),
                ("origin", "http://evil.example")
            ],
            &["http://localhost:3000"]
        )
        .is_err()
    );
    assert!(origin_check(&[("origin", "garbage")], &[]).is_err());
}

#[test]
fn fetch_metadata_marks_cross_site_requests() {
    assert!(origin_check(&[("sec-fetch-site", "cross-site")], &[]).is_err());
    assert!(origin_check(&[("sec-fetch-site", "same-site")], &[]).is_err());
    assert_eq!(
        origin_check(&[("sec-fetch-site", "same-origin")], &[]),
        Ok(false)
    );
    assert_eq!(origin_check(&[("sec-fetch-site", "none")], &[]), Ok(false));
    // An allowed origin may be another site.
    assert_eq!(
        origin_check(
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://localhost:3000")
            ],
            &["http://localhost:3000"]
        ),
        Ok(true)
    );
}

fn ct(method: &str, uri: &str, content_type: Option<&str>, body_len: usize) -> bool {
    let headers: Vec<(&str, &str)> = content_type
        .map(|c| ("content-type", c))
        .into_iter()
        .collect();
    check_content_type(&parts(method, uri, &headers), body_len).is_ok()
}

#[test]
fn simple_content_types_cannot_change_state() {
    for simple in [
        "text/plain",
        "text/plain;charset=UTF-8",
        " Text/Plain ",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            assert!(
                !ct(method, "/restapis", Some(simple), 10),
                "{method} {simple}"
            );
        }
        assert!(ct("GET", "/restapis", Some(simple), 0), "GET {simple}");
    }
    assert!(ct("POST", "/restapis", Some("application/json"), 10));
    assert!(ct(
        "POST",
        "/restapis",
        Some("application/x-amz-json-1.1"),
        10
    ));
}

#[test]
fn missing_content_type_is_allowed_only_where_the_aws_protocol_sends_it() {
    // What botocore sends: blob payloads without a Content-Type ...
    assert!(ct("POST", "/restapis?mode=import", None, 66));
    assert!(ct(
        "POST",
        "/restapis?failonwarnings=true&mode=import",
        None,
        66
    ));
    assert!(ct("PUT", "/restapis/a1?mode=overwrite", None, 66));
    assert!(ct(
        "PUT",
        "/restapis/a1/documentation/parts?mode=merge",
        None,
        66
    ));
    // ... and body-less DELETEs.
    assert!(ct("DELETE", "/restapis/a1", None, 0));
    assert!(ct("DELETE", "/restapis/a1/stages/dev/cache/data", None, 0));
    // Anything else with a body needs a type; a body-less POST (which a page can send) too.
    assert!(!ct("POST", "/restapis", None, 13));
    assert!(!ct("POST", "/restapis?mode=importx", None, 13));
    assert!(!ct("PATCH", "/restapis/a1", None, 2));
    assert!(!ct("POST", "/gwtui/functions", None, 20));
    assert!(!ct("POST", "/restapis/a1/deployments", None, 0));
    assert!(ct("PUT", "/restapis/a1/stages/dev", None, 0));
}

#[test]
fn preflights_are_answered_only_for_an_allowed_origin() {
    let origin = CorsOrigin(HeaderValue::from_static("http://localhost:3000"));
    let p = parts(
        "OPTIONS",
        "/restapis",
        &[
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
    );
    let h = preflight_headers(&p, &origin).unwrap();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:3000");
    assert_eq!(h["access-control-allow-headers"], "content-type");
    // Not a preflight: no answer of its own.
    assert!(preflight_headers(&parts("OPTIONS", "/restapis", &[]), &origin).is_none());
    assert!(preflight_headers(&parts("GET", "/restapis", &[]), &origin).is_none());
    // And a foreign origin's preflight never reaches `preflight_headers`: it is refused.
    assert!(origin_check(&[("origin", "http://evil.example")], &[]).is_err());
}
