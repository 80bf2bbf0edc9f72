//! The provider cache: TTL, the unknown-`kid` refresh floor, single flight, failure back-off,
//! refusal of an expired set, the fetch timeout and the size bound.

use super::*;

fn fixture_jwks() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt/jwks.json");
    std::fs::read_to_string(path).unwrap()
}

/// The fixture set without the key `kid`.
fn jwks_without(kid: &str) -> String {
    let mut set: serde_json::Value = serde_json::from_str(&fixture_jwks()).unwrap();
    set["keys"]
        .as_array_mut()
        .unwrap()
        .retain(|k| k["kid"] != kid);
    set.to_string()
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    crate::engine::integrations::http::build_client().unwrap()
}

fn file_provider(dir: &tempfile::TempDir, text: &str) -> (Provider, std::path::PathBuf) {
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, text).unwrap();
    let provider = Provider::new(JwksSource {
        file: Some(path.clone()),
        ..Default::default()
    });
    (provider, path)
}

#[tokio::test]
async fn a_fresh_set_is_reused_and_an_unknown_kid_refetches_at_most_every_30_s() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = file_provider(&dir, &fixture_jwks());
    let http = client();
    let t0 = Instant::now();
    assert!(
        p.key_set(&http, "rsa-1", t0)
            .await
            .unwrap()
            .find("rsa-1")
            .is_some()
    );
    p.key_set(&http, "rsa-1", t0 + Duration::from_secs(599))
        .await
        .unwrap();
    assert_eq!(p.fetches(), 1, "reused within the TTL");
    // Unknown kid on a young set: no refetch.
    let set = p
        .key_set(&http, "rsa-9", t0 + Duration::from_secs(10))
        .await
        .unwrap();
    assert!(set.find("rsa-9").is_none());
    assert_eq!(p.fetches(), 1);
    // Older than the refresh floor: one refetch.
    p.key_set(
        &http,
        "rsa-9",
        t0 + JWKS_REFRESH_MIN + Duration::from_secs(1),
    )
    .await
    .unwrap();
    assert_eq!(p.fetches(), 2);
}

#[tokio::test]
async fn an_expired_set_is_not_used_when_the_refetch_fails_or_lacks_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (p, path) = file_provider(&dir, &fixture_jwks());
    let http = client();
    p.key_set(&http, "rsa-1", Instant::now()).await.unwrap();
    // The provider fails after the TTL: the old set is not served.
    std::fs::remove_file(&path).unwrap();
    let later = Instant::now() + JWKS_TTL + Duration::from_secs(1);
    let err = p.key_set(&http, "rsa-1", later).await.unwrap_err();
    assert!(err.starts_with("cannot read JWKS"), "{err}");
    // Within the back-off the failure is answered without asking the provider again.
    let fetches = p.fetches();
    assert!(p.key_set(&http, "rsa-1", later).await.is_err());
    assert_eq!(p.fetches(), fetches);
    // The provider answers again, but without the key: the new set is what counts.
    std::fs::write(&path, jwks_without("rsa-1")).unwrap();
    let after_backoff = later + JWKS_RETRY_AFTER + JWKS_TTL;
    let set = p.key_set(&http, "rsa-1", after_backoff).await.unwrap();
    assert!(set.find("rsa-1").is_none());
    assert!(set.find("ec-1").is_some());
}

#[tokio::test]
async fn concurrent_misses_share_one_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = file_provider(&dir, &fixture_jwks());
    let http = client();
    let now = Instant::now();
    let calls = (0..20).map(|i| {
        let kid = if i % 2 == 0 { "rsa-1" } else { "unknown" };
        p.key_set(&http, kid, now)
    });
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(p.fetches(), 1);
}

#[tokio::test]
async fn a_hanging_provider_times_out_and_an_oversized_set_is_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts connections and never answers.
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let p = Provider::new(JwksSource {
        url: Some(format!("http://{addr}/jwks.json")),
        ..Default::default()
    });
    let started = std::time::Instant::now();
    let err = p
        .key_set(&client(), "rsa-1", Instant::now())
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(err.starts_with("cannot fetch JWKS"), "{err}");
    assert!(
        took >= JWKS_FETCH_TIMEOUT && took < JWKS_FETCH_TIMEOUT * 3,
        "{took:?}"
    );
    hold.abort();

    let dir = tempfile::tempdir().unwrap();
    let (big, _) = file_provider(&dir, &" ".repeat(MAX_JWKS_BYTES + 1));
    let err = big
        .key_set(&client(), "rsa-1", Instant::now())
        .await
        .unwrap_err();
    assert!(err.contains("larger than"), "{err}");
}
