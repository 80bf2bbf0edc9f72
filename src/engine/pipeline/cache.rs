//! Phase 6 (lookup) and part of phase 9 (store): the stage's response cache (ops.md §1).
//!
//! Caching applies to a method when the stage has `cacheClusterEnabled` and its method setting
//! (`path/VERB`, or `*/*` for GET only) enables it with a TTL above zero. The key is the
//! deployment id (so a canary on another deployment keeps apart, and one on the same
//! deployment shares entries), the integration's `cacheNamespace` (default: the resource id),
//! the request verb and the values of `cacheKeyParameters`; nothing else varies it.
//!
//! `Cache-Control: max-age=0` asks to skip the entry and refresh it. With
//! `requireAuthorizationForCacheControl` the caller must be allowed `execute-api:InvalidateCache`;
//! the emulator has no IAM policies, so a caller is allowed when the method uses AWS_IAM (it
//! was authenticated by the auth phase) and not otherwise. A caller that is not allowed gets,
//! by `unauthorizedCacheControlHeaderStrategy`: FAIL_WITH_403 → 403 (ACCESS_DENIED),
//! SUCCEED_WITH_RESPONSE_HEADER → served normally with a `Warning` header,
//! SUCCEED_WITHOUT_RESPONSE_HEADER → served normally.

use std::sync::Arc;

use http::HeaderValue;

use super::{InvokeResponse, RequestContext};
use crate::engine::Gateway;
use crate::engine::cache::{CacheHit, CachedResponse, StageCache};
use crate::engine::cache_key::{self, KeySource};
use crate::engine::error::GatewayError;
use crate::engine::params;
use crate::engine::traffic::MethodCaching;
use crate::model::{AuthorizationType, UnauthorizedCacheControlHeaderStrategy};

/// The header added when an unauthorised `Cache-Control: max-age=0` was ignored.
pub const IGNORED_INVALIDATION_WARNING: &str =
    "199 - \"Cache-Control: max-age=0 ignored: not authorized to invalidate the cache\"";

/// The method's cache and settings, when caching applies to it.
fn method_cache<'c>(ctx: &'c RequestContext<'_>) -> Option<(&'c Arc<StageCache>, MethodCaching)> {
    let live = ctx.live.as_ref()?;
    let variant = live.traffic.variant(ctx.variant);
    let caching = variant
        .methods
        .get(ctx.route.as_ref()?.method_index)?
        .caching?;
    Some((variant.cache.as_ref()?, caching))
}

/// What a `Cache-Control: max-age=0` request gets.
enum Invalidation {
    None,
    Honoured,
    Ignored { warn: bool },
}

fn invalidation(
    ctx: &RequestContext<'_>,
    caching: &MethodCaching,
) -> Result<Invalidation, GatewayError> {
    let asked = ctx
        .req
        .headers
        .get_all(http::header::CACHE_CONTROL)
        .iter()
        .any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|d| d.trim().eq_ignore_ascii_case("max-age=0"))
            })
        });
    if !asked {
        return Ok(Invalidation::None);
    }
    let allowed = !caching.require_authorization
        || ctx
            .method()
            .is_some_and(|m| m.method.authorization_type == AuthorizationType::AwsIam);
    if allowed {
        return Ok(Invalidation::Honoured);
    }
    match caching.strategy {
        UnauthorizedCacheControlHeaderStrategy::FailWith403 => Err(GatewayError::AccessDenied {
            message: "User is not authorized to access this resource".into(),
        }),
        UnauthorizedCacheControlHeaderStrategy::SucceedWithResponseHeader => {
            Ok(Invalidation::Ignored { warn: true })
        }
        UnauthorizedCacheControlHeaderStrategy::SucceedWithoutResponseHeader => {
            Ok(Invalidation::Ignored { warn: false })
        }
    }
}

/// Appends the values of one compiled `cacheKeyParameters` source to `out` as one list
/// (`cache_key`): empty when absent, one value for the single-value kinds, every value for
/// the multi-value ones. Query values are read from the raw query string (decoded only when
/// they hold `+` or `%`), so no request parses its whole query for its key.
fn push_source_values(ctx: &RequestContext<'_>, source: &KeySource, out: &mut String) {
    let raw_query = ctx.req.query.as_deref();
    match source {
        KeySource::Path(name) => cache_key::push_list(out, ctx.path_param(name)),
        KeySource::Query(name) => {
            cache_key::push_list(out, params::query_last(raw_query, name).as_deref())
        }
        KeySource::Header(name) => cache_key::push_list(out, ctx.header(name)),
        KeySource::MultiQuery(name) => {
            for value in params::query_values(raw_query, name) {
                cache_key::push_value(out, &value);
            }
            cache_key::end_list(out);
        }
        KeySource::MultiHeader(name) => cache_key::push_list(
            out,
            ctx.req
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok()),
        ),
        KeySource::StageVariable(name) => {
            cache_key::push_list(out, ctx.stage_variables.get(name).map(String::as_str))
        }
        KeySource::Literal(value) => cache_key::push_list(out, Some(value.as_str())),
        KeySource::Absent => cache_key::end_list(out),
    }
}

/// Appends the entry key to `out` (`false`: the request has no method integration): the
/// deployment, namespace, verb, then each cache key parameter's name and values, every
/// component encoded unambiguously (`engine::cache_key`: a value can never pass for a
/// separator, and `a=1,2` is not `a=1&a=2`). The constant parts were encoded when the
/// deployment was compiled ([`cache_key::KeyPlan`]).
fn write_cache_key(ctx: &RequestContext<'_>, out: &mut String) -> bool {
    let Some(integration) = ctx.method().and_then(|m| m.integration.as_ref()) else {
        return false;
    };
    if ctx.deployment.is_none() {
        return false;
    }
    integration
        .cache_key
        .write(out, ctx.req.method.as_str(), |source, out| {
            push_source_values(ctx, source, out)
        });
    true
}

/// The entry key as a new `String` (a miss keeps it for `store`; the shared cache's calls
/// hold it across an await).
fn cache_key(ctx: &RequestContext<'_>) -> Option<String> {
    let estimate = ctx
        .method()
        .and_then(|m| m.integration.as_ref())
        .map_or(0, |i| i.cache_key.estimate());
    let mut key = String::with_capacity(estimate);
    write_cache_key(ctx, &mut key).then_some(key)
}

/// Keys longer than this are not kept in a thread's reused key buffer (a client's long
/// header value must not stay resident on every thread).
const KEPT_KEY_CAPACITY: usize = 4096;

thread_local! {
    /// The key buffer of this thread's local-cache lookups: a hit allocates no key.
    static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// A local cache's lookup: the key written into this thread's reused buffer; on a miss the
/// key is returned (copied once) for `store`.
fn lookup_local(
    ctx: &RequestContext<'_>,
    cache: &StageCache,
) -> (Option<CacheHit>, Option<String>) {
    KEY.with_borrow_mut(|key| {
        key.clear();
        if !write_cache_key(ctx, key) {
            return (None, None);
        }
        let hit = cache.get_at(key, Some(ctx.started));
        let miss_key = hit.is_none().then(|| key.clone());
        if key.capacity() > KEPT_KEY_CAPACITY {
            *key = String::new();
        }
        (hit, miss_key)
    })
}

fn warn(response: &mut InvokeResponse) {
    response.headers.insert(
        http::header::WARNING,
        HeaderValue::from_static(IGNORED_INVALIDATION_WARNING),
    );
}

/// A cached response for the request, if caching applies and the entry is there. Sets
/// `ctx.cache_hit` whenever caching applies to the method.
pub async fn lookup(
    _gw: &Gateway,
    ctx: &mut RequestContext<'_>,
) -> Result<Option<InvokeResponse>, GatewayError> {
    let Some((cache, caching)) = method_cache(ctx) else {
        return Ok(None);
    };
    let warn_header = match invalidation(ctx, &caching)? {
        Invalidation::Honoured => {
            ctx.cache_hit = Some(false);
            return Ok(None);
        }
        Invalidation::Ignored { warn } => warn,
        Invalidation::None => false,
    };
    let (hit, key) = match &cache.shared {
        Some(shared) => {
            let key = cache_key(ctx);
            let hit = match &key {
                // Boxed: a future is as large as its largest state, and every request's
                // future is moved whole (docs/PERFORMANCE.md, "Data plane, round 4").
                Some(k) => Box::pin(shared.get(k)).await,
                None => None,
            };
            (hit, key)
        }
        None => lookup_local(ctx, cache),
    };
    ctx.cache_hit = Some(hit.is_some());
    if hit.is_none() {
        // Kept for `store`.
        ctx.cache_key = key;
    }
    Ok(hit.map(|entry| {
        let (status, headers, body) = entry.into_response();
        let mut response = InvokeResponse {
            status,
            headers,
            body,
        };
        if warn_header {
            warn(&mut response);
        }
        response
    }))
}

/// Stores the integration's response after a miss (bodies over 1 MiB are not stored). In
/// cluster mode the response waits for the store (one bounded Redis call, misses only), so
/// the next request on any node finds it.
pub async fn store(_gw: &Gateway, ctx: &mut RequestContext<'_>, response: &mut InvokeResponse) {
    if ctx.cache_hit != Some(false) {
        return;
    }
    // Built by `lookup` (absent after an honoured `max-age=0`, which skipped the lookup).
    let key = ctx.cache_key.take().or_else(|| cache_key(ctx));
    let Some((cache, caching)) = method_cache(ctx) else {
        return;
    };
    if let (Some(key), Some(shared)) = (&key, &cache.shared) {
        Box::pin(shared.put(
            key,
            &CachedResponse {
                status: response.status,
                headers: &response.headers,
                body: &response.body,
                ttl: caching.ttl,
            },
        ))
        .await;
    } else if let Some(key) = key {
        cache.insert(
            &key,
            CachedResponse {
                status: response.status,
                headers: &response.headers,
                body: &response.body,
                ttl: caching.ttl,
            },
        );
    }
    if matches!(
        invalidation(ctx, &caching),
        Ok(Invalidation::Ignored { warn: true })
    ) {
        warn(response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compiled::{CompiledIntegration, ParamLocation};
    use crate::mapping::ParamExpr;

    /// Appends a `method.request.{path|querystring|multivaluequerystring|header|multivalueheader}.NAME`
    /// value of the request to `out` as one list (`cache_key`): empty when absent, one value for
    /// the single-value kinds, every value for the multi-value ones.
    fn push_method_request_value(
        ctx: &RequestContext<'_>,
        kind: &str,
        name: &str,
        out: &mut String,
    ) {
        match kind {
            "path" => cache_key::push_list(out, ctx.path_param(name)),
            "querystring" => cache_key::push_list(out, ctx.query_param(name)),
            "header" => cache_key::push_list(out, ctx.header(name)),
            "multivaluequerystring" => cache_key::push_list(
                out,
                ctx.query()
                    .iter()
                    .filter(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str()),
            ),
            "multivalueheader" => cache_key::push_list(
                out,
                ctx.req
                    .headers
                    .get_all(name)
                    .iter()
                    .filter_map(|v| v.to_str().ok()),
            ),
            _ => cache_key::end_list(out),
        }
    }

    /// Appends the value of one `cacheKeyParameters` entry to `out` as one list. Older APIs name
    /// the integration-side parameter (`integration.request.querystring.x`): its mapped source is
    /// used.
    fn push_key_parameter_value(
        ctx: &RequestContext<'_>,
        integration: &CompiledIntegration,
        name: &str,
        out: &mut String,
    ) {
        if let Some((kind, param)) = name
            .strip_prefix("method.request.")
            .and_then(|r| r.split_once('.'))
        {
            return push_method_request_value(ctx, kind, param, out);
        }
        let expr = name
            .strip_prefix("integration.request.")
            .and_then(|r| r.split_once('.'))
            .and_then(|(kind, param)| {
                let location = match kind {
                    "path" => ParamLocation::Path,
                    "querystring" => ParamLocation::Query,
                    "header" => ParamLocation::Header,
                    _ => return None,
                };
                integration
                    .request_parameters
                    .iter()
                    .find(|(l, n, _)| *l == location && n == param)
                    .map(|(_, _, expr)| expr)
            });
        match expr {
            Some(ParamExpr::RequestPath(n)) => push_method_request_value(ctx, "path", n, out),
            Some(ParamExpr::RequestQuery(n)) => {
                push_method_request_value(ctx, "querystring", n, out)
            }
            Some(ParamExpr::RequestMultiQuery(n)) => {
                push_method_request_value(ctx, "multivaluequerystring", n, out)
            }
            Some(ParamExpr::RequestHeader(n)) => push_method_request_value(ctx, "header", n, out),
            Some(ParamExpr::RequestMultiHeader(n)) => {
                push_method_request_value(ctx, "multivalueheader", n, out)
            }
            Some(ParamExpr::StageVariable(n)) => {
                cache_key::push_list(out, ctx.stage_variables.get(n).map(String::as_str))
            }
            Some(ParamExpr::Literal(v)) => cache_key::push_list(out, Some(v.as_str())),
            _ => cache_key::end_list(out),
        }
    }

    /// The entry key: deployment, namespace, verb, then each cache key parameter's name and
    /// values, every component encoded unambiguously (`engine::cache_key`: a value can never pass
    /// for a separator, and `a=1,2` is not `a=1&a=2`). One allocation: values are appended in
    /// place.
    fn old_cache_key(ctx: &RequestContext<'_>) -> Option<String> {
        let deployment = ctx.deployment.as_ref()?;
        let integration = ctx.method()?.integration.as_ref()?;
        let mut key = String::with_capacity(
            deployment.deployment_id.len()
                + integration.cache_namespace.len()
                + 16
                + 48 * integration.cache_key_parameters.len(),
        );
        cache_key::push_field(&mut key, &deployment.deployment_id);
        cache_key::push_field(&mut key, &integration.cache_namespace);
        cache_key::push_field(&mut key, ctx.req.method.as_str());
        for name in &integration.cache_key_parameters {
            cache_key::push_field(&mut key, name);
            push_key_parameter_value(ctx, integration, name, &mut key);
        }
        Some(key)
    }

    /// An API whose methods cover every kind of `cacheKeyParameters` entry: method request
    /// parameters of each kind, integration-side names mapped from each source (and unmapped
    /// or unknown ones), with and without a `cacheNamespace`.
    fn definition() -> crate::model::ApiDefinition {
        let mock = |keys: serde_json::Value, params: serde_json::Value, ns: Option<&str>| {
            let mut integration = serde_json::json!({
                "type": "mock",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "cacheKeyParameters": keys,
                "requestParameters": params,
                "responses": {"default": {"statusCode": "200"}},
            });
            if let Some(ns) = ns {
                integration["cacheNamespace"] = ns.into();
            }
            let mut method = serde_json::json!({
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": integration,
            });
            if ns != Some("plain") {
                method["parameters"] = serde_json::json!([
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    {"name": "x-h", "in": "header", "schema": {"type": "string"}},
                ]);
            }
            method
        };
        let doc = serde_json::json!({
            "openapi": "3.0.1",
            "info": {"title": "keys", "version": "1"},
            "paths": {
                "/a/{id}": {
                    "get": mock(serde_json::json!([
                        "method.request.path.id",
                        "method.request.querystring.q",
                        "method.request.multivaluequerystring.q",
                        "method.request.header.x-h",
                        "method.request.multivalueheader.x-h",
                        "method.request.other.q",
                        "method.request.q",
                        "nonsense",
                    ]), serde_json::json!({}), None),
                    "post": mock(serde_json::json!([
                        "integration.request.querystring.iq",
                        "integration.request.path.ip",
                        "integration.request.header.ih",
                        "integration.request.querystring.mq",
                        "integration.request.header.mh",
                        "integration.request.querystring.sv",
                        "integration.request.querystring.lit",
                        "integration.request.querystring.unmapped",
                        "integration.request.body.x",
                        "integration.request.querystring.ctx",
                    ]), serde_json::json!({
                        "integration.request.querystring.iq": "method.request.querystring.q",
                        "integration.request.path.ip": "method.request.path.id",
                        "integration.request.header.ih": "method.request.header.x-h",
                        "integration.request.querystring.mq": "method.request.multivaluequerystring.q",
                        "integration.request.header.mh": "method.request.multivalueheader.x-h",
                        "integration.request.querystring.sv": "stageVariables.v",
                        "integration.request.querystring.lit": "'lit\\eral'",
                        "integration.request.querystring.ctx": "context.requestId",
                    }), Some("ns\u{1f}x")),
                },
                "/b": {"get": mock(serde_json::json!([]), serde_json::json!({}), Some("plain"))},
            },
        });
        crate::openapi::import(&doc.to_string(), &Default::default(), None)
            .map(|o| o.definition)
            .unwrap_or_else(|e| panic!("the test API imports: {e:?}"))
    }

    /// The compiled key plan writes, for every method and many requests, exactly the key the
    /// per-request construction it replaced wrote (`old_cache_key`).
    #[test]
    fn compiled_keys_are_the_keys_built_per_request() {
        use crate::engine::compiled::CompiledDeployment;
        use crate::engine::router::RouteMatch;
        let deployment = Arc::new(
            CompiledDeployment::compile("dep\\1", Arc::new(definition()))
                .unwrap_or_else(|e| panic!("compiles: {e}")),
        );
        assert_eq!(deployment.methods.len(), 3);
        let queries = [
            None,
            Some(""),
            Some("q=1"),
            Some("q=1&q=2&q=%1F&q=a+b&%71=3"),
            Some("q&q=&iq=9&sv=1"),
            Some("q=\u{1e}\\&&x=y"),
        ];
        let header_sets: [&[(&str, &str)]; 3] = [
            &[],
            &[("x-h", "one")],
            &[("x-h", "a\\b"), ("x-h", "c"), ("X-H", "d")],
        ];
        let mut variables = indexmap::IndexMap::new();
        variables.insert("v".to_string(), "stage\u{1f}var".to_string());
        let variables = Arc::new(variables);
        let mut checked = 0;
        for method_index in 0..deployment.methods.len() {
            for query in queries {
                for headers in header_sets {
                    for verb in [http::Method::GET, http::Method::POST] {
                        let mut map = http::HeaderMap::new();
                        for (n, v) in headers {
                            map.append(
                                http::HeaderName::from_bytes(n.as_bytes())
                                    .unwrap_or_else(|e| panic!("{e}")),
                                http::HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}")),
                            );
                        }
                        let req = super::super::InvokeRequest {
                            method: verb,
                            api_id: "api".into(),
                            stage: "prod".into(),
                            path: "/a/7".into(),
                            query: query.map(str::to_string),
                            headers: map,
                            body: bytes::Bytes::new(),
                            source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
                            protocol: "HTTP/1.1",
                            context_path: "/prod/a/7".into(),
                            base_path_matched: None,
                            client_cert: None,
                        };
                        let mut ctx = super::super::respond::new_context(&req);
                        ctx.deployment = Some(deployment.clone());
                        ctx.stage_variables = variables.clone();
                        ctx.route = Some(RouteMatch {
                            method_index,
                            path_params: vec![(Arc::from("id"), "7\u{1e}".to_string())],
                        });
                        let expected = old_cache_key(&ctx);
                        assert!(expected.is_some());
                        assert_eq!(
                            cache_key(&ctx),
                            expected,
                            "{method_index} {query:?} {headers:?}"
                        );
                        let mut reused = String::from("left over");
                        reused.clear();
                        assert!(write_cache_key(&ctx, &mut reused));
                        assert_eq!(Some(reused), expected);
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 3 * 6 * 3 * 2);
    }
}
