//! Phase 7, integration request (execution.md §9): template selection and passthrough rules,
//! request templates, parameter mappings and `requestOverride`s, payload conversion, and the
//! request the integration will send.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use super::{RequestContext, binary};
use crate::engine::Gateway;
use crate::engine::compiled::{CompiledDeployment, CompiledIntegration, ParamLocation};
use crate::engine::error::GatewayError;
pub use crate::engine::integrations::Prepared;
use crate::engine::integrations::aws;
use crate::engine::logs::Level;
use crate::engine::params::{fill_path_placeholders, query_encode, substitute_stage_variables};
use crate::engine::template::CompiledTemplate;
use crate::mapping::{Overrides, ParamSources, render_request_template};
use crate::model::{AuthorizationType, IntegrationType, PassthroughBehavior};

/// An evaluated `integration.request.{location}.{name}` mapping: (location, name, value).
type MappedParameter = (ParamLocation, String, String);

pub fn run(gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<Prepared, GatewayError> {
    let deployment = ctx.deployment.clone().ok_or_else(no_integration)?;
    let integration = integration_of(ctx, &deployment)?;
    let mut prepared = match integration.kind {
        IntegrationType::Mock => prepare_mock(ctx, integration),
        IntegrationType::Http => prepare_http(ctx, integration, false),
        IntegrationType::HttpProxy => prepare_http(ctx, integration, true),
        IntegrationType::Aws
            if integration
                .uri
                .as_deref()
                .is_some_and(|u| !aws::is_lambda(u)) =>
        {
            prepare_aws(gw, ctx, integration)
        }
        IntegrationType::Aws | IntegrationType::AwsProxy => prepare_lambda(ctx, integration),
    }?;
    if let (Some(link), Prepared::Http { url, headers, .. }) =
        (integration.vpc_link.as_deref(), &mut prepared)
    {
        through_vpc_link(gw, ctx, link, url, headers)?;
    }
    Ok(prepared)
}

/// A `VPC_LINK` integration: the request goes to the link's local target (config
/// `[vpc_links.ID] target`), with the URI's host as `Host`, as a load balancer behind the link
/// would receive it. An unknown link or one without a target is a configuration error (500).
fn through_vpc_link(
    gw: &Gateway,
    ctx: &mut RequestContext<'_>,
    connection_id: &str,
    url: &mut String,
    headers: &mut HeaderMap,
) -> Result<(), GatewayError> {
    let id = substitute_stage_variables(connection_id, &ctx.stage_variables);
    let target = gw.inner.vpc_links.target(&id).map_err(|miss| {
        let reason = match miss {
            crate::engine::vpc_links::VpcLinkMiss::UnknownLink => {
                format!("Invalid VPC link identifier specified: '{id}'")
            }
            crate::engine::vpc_links::VpcLinkMiss::NoTarget => format!(
                "VPC link {id} has no local target: add [vpc_links.{id}] target = \"HOST:PORT\" to the config file"
            ),
        };
        GatewayError::Configuration { reason }
    })?;
    let mut parsed = reqwest::Url::parse(url).map_err(|_| GatewayError::Configuration {
        reason: "Invalid endpoint address".into(),
    })?;
    let host = parsed.host_str().unwrap_or_default().to_string();
    let authority = match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    let (target_host, target_port) = target
        .rsplit_once(':')
        .and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h, p)))
        .ok_or_else(|| GatewayError::Configuration {
            reason: format!("VPC link {id}: target '{target}' is not HOST:PORT"),
        })?;
    let rewritten =
        parsed.set_host(Some(target_host)).is_ok() && parsed.set_port(Some(target_port)).is_ok();
    if !rewritten {
        return Err(GatewayError::Configuration {
            reason: format!("VPC link {id}: target '{target}' is not HOST:PORT"),
        });
    }
    if let Ok(v) = HeaderValue::from_str(&authority) {
        headers.insert(http::header::HOST, v);
    }
    ctx.log(crate::engine::logs::Level::Info, || {
        format!("Sending request through VPC link {id} to {target}")
    });
    *url = parsed.to_string();
    Ok(())
}

/// An AWS service (execution.md §9.4): the rendered template (or the converted passthrough
/// body) and the parameter mappings, sent as a signed request to the endpoint `[aws]`
/// configures for the service. The integration's `credentials` role is recorded in the
/// execution log; no STS runs locally, so the call is signed with the configured credentials.
fn prepare_aws(
    gw: &Gateway,
    ctx: &mut RequestContext<'_>,
    integration: &CompiledIntegration,
) -> Result<Prepared, GatewayError> {
    let uri = integration.uri.as_deref().unwrap_or_default();
    let uri = substitute_stage_variables(uri, &ctx.stage_variables);
    let target = aws::parse_uri(&uri).map_err(|reason| GatewayError::Configuration { reason })?;
    let (body, params) = transform(ctx, integration)?;
    if let Some(role) = &integration.credentials {
        ctx.log(Level::Info, || {
            format!(
                "Integration credentials {role}: no STS runs locally; the request is signed with the [aws] credentials"
            )
        });
    }
    let settings = gw.inner.aws.load();
    let verb = integration.http_method.as_deref().unwrap_or("POST");
    let request = aws::build(
        &settings,
        &target,
        aws::Parts {
            verb,
            params: &params,
            client_content_type: ctx.req.headers.get(http::header::CONTENT_TYPE),
            body,
            trace: ctx.trace_header(),
        },
        time::OffsetDateTime::now_utc(),
    )?;
    Ok(Prepared::Http {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body,
        proxy: false,
    })
}

/// The non-proxy integration request: the body (rendered template, or the passthrough body
/// converted by `contentHandling`) and the parameter mappings with the template's
/// `requestOverride`s applied.
fn transform(
    ctx: &mut RequestContext<'_>,
    integration: &CompiledIntegration,
) -> Result<(Bytes, Vec<MappedParameter>), GatewayError> {
    let context = request_context(ctx, integration);
    // Body first: a template may set requestOverride.* which wins over the mappings.
    let (body, overrides) = match choose_template(ctx, integration)? {
        Some(t) => {
            let rendered = render(ctx, t, &context)?;
            (Bytes::from(rendered.body), rendered.overrides)
        }
        None => (
            binary::convert_request(
                &ctx.req.body,
                ctx.request_is_binary(),
                integration.content_handling,
            )?,
            Overrides::default(),
        ),
    };
    let mut params = mapped_parameters(ctx, integration, &context);
    apply_overrides(&mut params, &overrides);
    Ok((body, params))
}

fn apply_overrides(params: &mut Vec<MappedParameter>, overrides: &Overrides) {
    for (loc, list) in [
        (ParamLocation::Path, &overrides.path),
        (ParamLocation::Query, &overrides.querystring),
        (ParamLocation::Header, &overrides.headers),
    ] {
        for (name, value) in list {
            params.retain(|(l, n, _)| !(*l == loc && n == name));
            params.push((loc, name.clone(), value.clone()));
        }
    }
}

/// Lambda (execution.md §9.4): AWS_PROXY sends the v1.0 event; AWS sends the rendered request
/// template (or the passthrough body).
fn prepare_lambda(
    ctx: &mut RequestContext<'_>,
    integration: &CompiledIntegration,
) -> Result<Prepared, GatewayError> {
    use crate::engine::integrations::lambda;
    let (function, qualifier) = lambda::target(integration.uri.as_deref(), ctx)?;
    let proxy = integration.kind == IntegrationType::AwsProxy;
    let payload = if proxy {
        Bytes::from(lambda::proxy_event(ctx).to_string())
    } else {
        match choose_template(ctx, integration)? {
            Some(t) => {
                let context = request_context(ctx, integration);
                Bytes::from(render(ctx, t, &context)?.body)
            }
            None => ctx.req.body.clone(),
        }
    };
    Ok(Prepared::Lambda {
        function,
        qualifier,
        payload,
        proxy,
    })
}

fn no_integration() -> GatewayError {
    GatewayError::Configuration {
        reason: "No integration defined for method".into(),
    }
}

/// The matched method's integration, borrowed from a deployment the caller holds.
pub fn integration_of<'d>(
    ctx: &RequestContext<'_>,
    deployment: &'d Arc<CompiledDeployment>,
) -> Result<&'d CompiledIntegration, GatewayError> {
    let index = ctx
        .route
        .as_ref()
        .map(|r| r.method_index)
        .ok_or_else(no_integration)?;
    deployment
        .methods
        .get(index)
        .and_then(|m| m.integration.as_ref())
        .ok_or_else(no_integration)
}

/// The request's MIME type for template lookup: `Content-Type` without parameters, lowercased;
/// missing means `application/json` (model.md §5.3).
/// Borrowed unless the header has upper-case letters (no allocation per request).
pub fn request_mime<'r>(ctx: &RequestContext<'r>) -> std::borrow::Cow<'r, str> {
    let req: &'r super::InvokeRequest = ctx.req;
    let mime = req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .filter(|m| !m.is_empty());
    match mime {
        None => std::borrow::Cow::Borrowed("application/json"),
        Some(m) if m.bytes().any(|b| b.is_ascii_uppercase()) => {
            std::borrow::Cow::Owned(m.to_ascii_lowercase())
        }
        Some(m) => std::borrow::Cow::Borrowed(m),
    }
}

/// Template choice under the passthrough behaviour. `Ok(Some(t))`: transform with `t`;
/// `Ok(None)`: pass the body through; `Err`: 415.
fn choose_template<'i>(
    ctx: &RequestContext<'_>,
    integration: &'i CompiledIntegration,
) -> Result<Option<&'i CompiledTemplate>, GatewayError> {
    let mime = request_mime(ctx);
    if let Some((_, t)) = integration
        .request_templates
        .iter()
        .find(|(ct, _)| *ct == mime)
    {
        return Ok(Some(t));
    }
    let has_templates = !integration.request_templates.is_empty();
    match (integration.passthrough, has_templates) {
        (PassthroughBehavior::WhenNoMatch, _) | (PassthroughBehavior::WhenNoTemplates, false) => {
            Ok(None)
        }
        (PassthroughBehavior::WhenNoTemplates, true) | (PassthroughBehavior::Never, _) => {
            Err(GatewayError::UnsupportedMediaType)
        }
    }
}

/// `$context` for the integration's templates and expressions: built once per request, and
/// only when one of them reads it.
fn request_context(
    ctx: &RequestContext<'_>,
    integration: &CompiledIntegration,
) -> serde_json::Value {
    if integration.request_reads_context {
        super::respond::context_json(ctx)
    } else {
        serde_json::Value::Null
    }
}

/// Renders a request template; a runtime failure is the API's 500.
fn render(
    ctx: &mut RequestContext<'_>,
    template: &CompiledTemplate,
    context: &serde_json::Value,
) -> Result<crate::mapping::Rendered, GatewayError> {
    if let Some(text) = template.literal() {
        // Literal text: what the evaluator would write, without building the request data.
        ctx.carried_overrides = None;
        return Ok(crate::mapping::Rendered {
            body: String::from_utf8_lossy(text).into_owned(),
            overrides: Overrides::default(),
            carried: None,
        });
    }
    let stage_variables = ctx.stage_variables.clone();
    let request = ctx.request_data();
    let mut rendered =
        render_request_template(template.template(), request, context, &stage_variables).map_err(
            |e| GatewayError::Configuration {
                reason: format!("Unable to transform request: {e}"),
            },
        )?;
    ctx.carried_overrides = rendered.carried.take();
    Ok(rendered)
}

fn prepare_mock(
    ctx: &mut RequestContext<'_>,
    integration: &CompiledIntegration,
) -> Result<Prepared, GatewayError> {
    let Some(template) = choose_template(ctx, integration)? else {
        return Ok(Prepared::Mock { status: None });
    };
    let unparsable = || {
        GatewayError::Configuration {
        reason: "Unable to parse statusCode. It should be an integer that is defined in the request template.".into(),
    }
    };
    if let Some(text) = template.literal() {
        // Literal text (what `render` would output): read in place, not copied into a
        // `String` first.
        ctx.carried_overrides = None;
        let status = parse_mock_status(&String::from_utf8_lossy(text)).ok_or_else(unparsable)?;
        return Ok(Prepared::Mock {
            status: Some(status),
        });
    }
    let context = request_context(ctx, integration);
    let rendered = render(ctx, template, &context)?;
    let status = parse_mock_status(&rendered.body).ok_or_else(unparsable)?;
    Ok(Prepared::Mock {
        status: Some(status),
    })
}

/// Reads `statusCode` from a rendered MOCK request template (an integer, or a string holding
/// one).
///
/// The template must be one valid JSON object; its other members are checked and skipped
/// without being built ([`super::mock_status`]: no allocation for `{"statusCode": 200}`).
pub fn parse_mock_status(rendered: &str) -> Option<u16> {
    serde_json::from_str::<super::mock_status::MockStatus>(rendered)
        .ok()?
        .0
}

/// Evaluates the integration's parameter mappings into (location, name, value) triples.
fn mapped_parameters(
    ctx: &mut RequestContext<'_>,
    integration: &CompiledIntegration,
    context: &serde_json::Value,
) -> Vec<(ParamLocation, String, String)> {
    if integration.request_parameters.is_empty() {
        return Vec::new();
    }
    let stage_variables = ctx.stage_variables.clone();
    let request = ctx.request_data();
    let sources = ParamSources {
        request: Some(request),
        response: None,
        stage_variables: &stage_variables,
        context,
    };
    integration
        .request_parameters
        .iter()
        .filter_map(|(loc, name, expr)| expr.eval(&sources).map(|v| (*loc, name.clone(), v)))
        .collect()
}

fn prepare_http(
    ctx: &mut RequestContext<'_>,
    integration: &CompiledIntegration,
    proxy: bool,
) -> Result<Prepared, GatewayError> {
    let invalid = || GatewayError::Configuration {
        reason: "Invalid endpoint address".into(),
    };
    let uri = integration.uri.as_deref().ok_or_else(invalid)?;
    // Borrowed unless it names a stage variable (the usual URI is a fixed string: no copy).
    // A byte search first: the substring search costs about 270 instructions per request.
    let uri = if uri.as_bytes().contains(&b'$') && uri.contains("${stageVariables.") {
        std::borrow::Cow::Owned(substitute_stage_variables(uri, &ctx.stage_variables))
    } else {
        std::borrow::Cow::Borrowed(uri)
    };

    let (body, params) = if proxy {
        let context = request_context(ctx, integration);
        let params = mapped_parameters(ctx, integration, &context);
        (ctx.req.body.clone(), params)
    } else {
        transform(ctx, integration)?
    };
    let find = |loc: ParamLocation, name: &str| {
        params
            .iter()
            .find(|(l, n, _)| *l == loc && n == name)
            .map(|(_, _, v)| v.clone())
    };

    let mut url = fill_path_placeholders(&uri, |name| {
        find(ParamLocation::Path, name)
            // A proxy resource's `{proxy}` is filled from the same-named path parameter even
            // without the explicit mapping the AWS console would add (docs/ARCHITECTURE.md).
            .or_else(|| {
                if proxy {
                    ctx.path_param(name).map(str::to_string)
                } else {
                    None
                }
            })
    });
    if !crate::engine::integrations::http::is_endpoint(&url) {
        return Err(invalid());
    }
    let mut query_parts: Vec<String> = Vec::new();
    if proxy && let Some(q) = ctx.req.query.as_deref().filter(|q| !q.is_empty()) {
        query_parts.push(q.to_string());
    }
    for (_, name, value) in params.iter().filter(|(l, _, _)| *l == ParamLocation::Query) {
        query_parts.push(format!("{}={}", query_encode(name), query_encode(value)));
    }
    if !query_parts.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query_parts.join("&"));
    }

    let method = match integration.http_method.as_deref() {
        Some(v) if !(proxy && v.eq_ignore_ascii_case("ANY")) => {
            // Upper-cased only when it is not already (no copy for `GET`).
            let parsed = if v.bytes().any(|b| b.is_ascii_lowercase()) {
                Method::from_bytes(v.to_ascii_uppercase().as_bytes())
            } else {
                Method::from_bytes(v.as_bytes())
            };
            parsed.map_err(|_| invalid())?
        }
        _ => ctx.req.method.clone(),
    };

    let mut headers = HeaderMap::with_capacity(ctx.req.headers.len() + 4);
    if proxy {
        // A SigV4 `Authorization` (or any, on an AWS_IAM method) is not forwarded.
        let iam = ctx
            .method()
            .is_some_and(|m| m.method.authorization_type == AuthorizationType::AwsIam);
        // The client's `Host` and first `X-Forwarded-For` are noted on the way (what `get`
        // would find: the first value), instead of two more hashed lookups.
        let mut client_host: Option<&HeaderValue> = None;
        let mut client_xff: Option<&HeaderValue> = None;
        for (name, value) in &ctx.req.headers {
            if name == http::header::HOST {
                client_host.get_or_insert(value);
            } else if *name == X_FORWARDED_FOR {
                client_xff.get_or_insert(value);
            }
            let sigv4 = name == http::header::AUTHORIZATION
                && (iam || value.as_bytes().starts_with(b"AWS4-HMAC-SHA256"));
            if !sigv4 && !drop_proxy_request_header(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        let client_ip = ctx.identity.source_ip.as_str();
        // Built at its exact length, so the bytes become the value without a copy.
        let prev = client_xff.and_then(|v| v.to_str().ok());
        let mut xff = String::with_capacity(prev.map_or(0, |p| p.len() + 2) + client_ip.len());
        if let Some(prev) = prev {
            xff.push_str(prev);
            xff.push_str(", ");
        }
        xff.push_str(client_ip);
        if let Ok(v) = HeaderValue::from_maybe_shared(Bytes::from(xff)) {
            headers.insert(X_FORWARDED_FOR, v);
        }
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
        if let Some(v) = client_host
            .and_then(|h| h.to_str().ok())
            // The text after the last `:` (a byte search: `rsplit_once`'s char searcher costs
            // more than this short search).
            .and_then(|h| h.bytes().rposition(|b| b == b':').map(|at| &h[at + 1..]))
            .and_then(forwarded_port)
        {
            headers.insert(X_FORWARDED_PORT, v);
        }
    } else {
        if let Some(ct) = ctx.req.headers.get(http::header::CONTENT_TYPE) {
            headers.insert(http::header::CONTENT_TYPE, ct.clone());
        }
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
    }
    for (_, name, value) in params
        .iter()
        .filter(|(l, _, _)| *l == ParamLocation::Header)
    {
        let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            continue;
        };
        if forbidden_mapped_header(&n) {
            return Err(GatewayError::Configuration {
                reason: format!("{name} header already present"),
            });
        }
        headers.insert(n, v);
    }
    // Active tracing: the backend sees the request's segment as its parent (ops.md §7).
    if let Some(trace) = ctx.trace_header() {
        headers.insert(X_AMZN_TRACE_ID, trace.clone());
    }
    Ok(Prepared::Http {
        method,
        url,
        headers,
        body,
        proxy,
    })
}

// Static names: inserting under a `&str` name that is not a standard header copies it into a
// new allocation each time.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
const X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");

/// `X-Forwarded-Port`'s value for the port of the request's `Host`. A listener's requests all
/// carry the same port: the last one is kept per thread and its value shared (no allocation).
fn forwarded_port(port: &str) -> Option<HeaderValue> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<HeaderValue>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| {
        if let Some(v) = last.as_ref().filter(|v| v.as_bytes() == port.as_bytes()) {
            return Some(v.clone());
        }
        let v = HeaderValue::from_str(port).ok()?;
        *last = Some(v.clone());
        Some(v)
    })
}

/// Request headers HTTP_PROXY does not forward (execution.md §9.5): hop-by-hop headers,
/// `Host` (rewritten to the integration host) and the ones AWS drops.
fn drop_proxy_request_header(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "expect"
            | "max-forwards"
            | "content-md5"
            | "content-length"
            | "content-encoding"
            | "via"
            | "x-forwarded-for"
    )
}

/// Headers a mapping may not set (execution.md §9.5).
fn forbidden_mapped_header(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "content-length" | "transfer-encoding" | "x-amzn-trace-id" | "x-amzn-apigateway-api-id"
    )
}
