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
use crate::engine::cache::{CachedResponse, StageCache};
use crate::engine::cache_key;
use crate::engine::compiled::{CompiledIntegration, ParamLocation};
use crate::engine::error::GatewayError;
use crate::engine::traffic::MethodCaching;
use crate::mapping::ParamExpr;
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

/// Appends a `method.request.{path|querystring|multivaluequerystring|header|multivalueheader}.NAME`
/// value of the request to `out` as one list (`cache_key`): empty when absent, one value for
/// the single-value kinds, every value for the multi-value ones.
fn push_method_request_value(ctx: &RequestContext<'_>, kind: &str, name: &str, out: &mut String) {
    match kind {
        "path" => cache_key::push_list(out, ctx.path_param(name)),
        "querystring" => cache_key::push_list(out, ctx.query_param(name)),
        "header" => cache_key::push_list(out, ctx.header(name)),
        "multivaluequerystring" => cache_key::push_list(
            out,
            ctx.query
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
        Some(ParamExpr::RequestQuery(n)) => push_method_request_value(ctx, "querystring", n, out),
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
fn cache_key(ctx: &RequestContext<'_>) -> Option<String> {
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
    let key = cache_key(ctx);
    let hit = match (&key, &cache.shared) {
        // Boxed: a future is as large as its largest state, and every request's future is
        // moved whole (docs/PERFORMANCE.md, "Data plane, round 4").
        (Some(k), Some(shared)) => Box::pin(shared.get(k)).await,
        (Some(k), None) => cache.get(k),
        (None, _) => None,
    };
    ctx.cache_hit = Some(hit.is_some());
    if hit.is_none() {
        // Kept for `store`.
        ctx.cache_key = key;
    }
    Ok(hit.map(|entry| {
        let mut response = InvokeResponse {
            status: entry.status,
            headers: entry.headers(),
            body: entry.body(),
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
