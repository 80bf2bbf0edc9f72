//! The import walk: info, base path, paths and operations into an [`ApiDefinition`]. The
//! `x-amazon-apigateway-*` extensions are read by `extensions`, security by `security`,
//! schemas by `schema`.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::document::{Dialect, Document};
use super::pointer::Node;
use super::{BasePathMode, ImportError, ImportMode, ImportOptions, ImportOutcome};
use super::{extensions, schema, security};
use crate::model::definition::validate_path_part;
use crate::model::{
    ApiDefinition, AuthorizationType, EndpointConfiguration, Method, MethodResponse, Resource,
    RestApi, ids, now_epoch_seconds,
};

/// Operation keys of a path item and the verbs they become.
const OPERATION_KEYS: [(&str, &str); 7] = [
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
];

pub(crate) const ANY_METHOD_KEY: &str = "x-amazon-apigateway-any-method";

/// What a security scheme named in an operation's `security` turns into.
#[derive(Debug, Clone)]
pub(crate) enum SchemeUse {
    /// A Lambda or Cognito authorizer (its id).
    Authorizer { id: String, cognito: bool },
    /// `x-amazon-apigateway-authtype: awsSigv4` → AWS_IAM.
    Iam,
    /// A plain `apiKey` scheme → `apiKeyRequired`.
    ApiKey,
    /// oauth2, http, openIdConnect without an authorizer: ignored with a warning.
    Unsupported,
}

/// State shared by the import passes.
pub(crate) struct Ctx<'a> {
    pub doc: &'a Document,
    pub def: ApiDefinition,
    /// The API before import (overwrite reuses its ids for unchanged names and paths).
    pub previous: Option<&'a ApiDefinition>,
    pub warnings: Vec<String>,
    /// Document schema name → model name.
    pub model_names: HashMap<String, String>,
    /// Validator name → id.
    pub validators: HashMap<String, String>,
    pub default_validator: Option<String>,
    /// Security scheme name → its use.
    pub schemes: HashMap<String, SchemeUse>,
    /// A merge import (PutRestApi `mode=merge`): documentation parts of the document are
    /// added to the API's; otherwise they replace them.
    pub merge: bool,
}

impl Ctx<'_> {
    pub fn warn(&mut self, pointer: &str, message: impl AsRef<str>) {
        let at = if pointer.is_empty() { "/" } else { pointer };
        self.warnings
            .push(format!("{} (at {at})", message.as_ref()));
    }

    /// A warning worded as AWS words it (AWS's text, no pointer appended).
    pub fn warn_aws(&mut self, message: String) {
        self.warnings.push(message);
    }

    pub fn api_id(&self) -> &str {
        &self.def.rest_api.id
    }

    /// A new id, or the id the previous API used for the same thing.
    pub fn reuse_id(&self, previous: impl Fn(&ApiDefinition) -> Option<String>) -> String {
        self.previous
            .and_then(previous)
            .unwrap_or_else(|| ids::new_id(6))
    }
}

pub(crate) fn run(
    doc: &Document,
    opts: &ImportOptions,
    existing: Option<&ApiDefinition>,
) -> Result<ImportOutcome, ImportError> {
    let def = starting_definition(doc, opts, existing)?;
    let mut ctx = Ctx {
        doc,
        def,
        previous: existing,
        warnings: Vec::new(),
        model_names: HashMap::new(),
        validators: HashMap::new(),
        default_validator: None,
        schemes: HashMap::new(),
        merge: existing.is_some() && matches!(opts.mode, ImportMode::Merge),
    };
    import_info(&mut ctx)?;
    extensions::import_root(&mut ctx, existing.is_none())?;
    schema::import_models(&mut ctx)?;
    security::import_schemes(&mut ctx)?;
    import_paths(&mut ctx, opts.basepath)?;
    check_root_keys(&mut ctx);

    if opts.fail_on_warnings && !ctx.warnings.is_empty() {
        return Err(ImportError::new(
            "",
            format!(
                "import failed on warnings (failonwarnings=true): {}",
                ctx.warnings.join("; ")
            ),
        ));
    }
    let mut definition = ctx.def;
    definition.rest_api.warnings = ctx.warnings.clone();
    Ok(ImportOutcome {
        definition,
        warnings: ctx.warnings,
    })
}

/// The definition the document is applied to: a new API, a copy of the existing one (merge),
/// or an emptied copy keeping identity, endpoint configuration and tags (overwrite).
fn starting_definition(
    doc: &Document,
    opts: &ImportOptions,
    existing: Option<&ApiDefinition>,
) -> Result<ApiDefinition, ImportError> {
    match (existing, opts.mode) {
        (None, _) => {
            let title = doc
                .node()
                .get("info")
                .map(|i| i.opt_str("title"))
                .transpose()?
                .flatten();
            let name = title.unwrap_or_default().trim();
            if name.is_empty() {
                return Err(ImportError::new(
                    "/info/title",
                    "the API needs a name: info.title is required",
                ));
            }
            let mut def = ApiDefinition::new(RestApi {
                id: ids::rest_api_id(),
                name: name.to_string(),
                created_date: now_epoch_seconds(),
                endpoint_configuration: EndpointConfiguration {
                    types: vec!["EDGE".into()],
                    ..Default::default()
                },
                ..Default::default()
            });
            // Unlike CreateRestApi, an import creates only the document's models
            // (AWS-recorded: localstack `test_import_and_validate_rest_api[swagger-mock-cors.json]`
            // lists none after the import; `Empty` is added when the document uses it).
            def.models.clear();
            Ok(def)
        }
        (Some(existing), ImportMode::Merge) => Ok(existing.clone()),
        (Some(existing), ImportMode::Overwrite) => {
            let old = &existing.rest_api;
            let rest_api = RestApi {
                id: old.id.clone(),
                name: old.name.clone(),
                created_date: old.created_date,
                endpoint_configuration: old.endpoint_configuration.clone(),
                disable_execute_api_endpoint: old.disable_execute_api_endpoint,
                tags: old.tags.clone(),
                root_resource_id: old.root_resource_id.clone(),
                ..Default::default()
            };
            // Only the document's models, as for a new import (a model the document keeps
            // keeps its id).
            let models = Vec::new();
            Ok(ApiDefinition {
                resources: vec![Resource {
                    id: old.root_resource_id.clone(),
                    parent_id: None,
                    path_part: None,
                    path: "/".into(),
                    resource_methods: Default::default(),
                }],
                rest_api,
                authorizers: Vec::new(),
                request_validators: Vec::new(),
                models,
                gateway_responses: Vec::new(),
                // Documentation is the API's, not the document's: kept unless the document
                // carries its own (then replaced, see `extensions`).
                documentation_parts: existing.documentation_parts.clone(),
                documentation_versions: existing.documentation_versions.clone(),
            })
        }
    }
}

fn import_info(ctx: &mut Ctx) -> Result<(), ImportError> {
    let Some(info) = ctx.doc.node().get("info") else {
        return Ok(());
    };
    info.object()?;
    if let Some(title) = info
        .opt_str("title")?
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        ctx.def.rest_api.name = title.to_string();
    }
    if let Some(d) = info.opt_str("description")? {
        ctx.def.rest_api.description = Some(d.to_string());
    }
    if let Some(v) = info.opt_scalar("version")? {
        ctx.def.rest_api.version = Some(v);
    }
    Ok(())
}

/// Root keys this importer does not use and says so.
fn check_root_keys(ctx: &mut Ctx) {
    let root = ctx.doc.node();
    let mut notes = Vec::new();
    if ctx.doc.dialect == Dialect::Oas3
        && root
            .get("components")
            .and_then(|c| c.get("callbacks"))
            .is_some()
    {
        notes.push((
            "/components/callbacks",
            "callbacks are not supported and were ignored",
        ));
    }
    for (p, m) in notes {
        ctx.warn(p, m);
    }
}

/// The base path's segments after applying the `basepath` mode.
fn base_path_segments(ctx: &Ctx, mode: BasePathMode) -> Result<Vec<String>, ImportError> {
    if mode == BasePathMode::Ignore {
        return Ok(Vec::new());
    }
    let root = ctx.doc.node();
    let (text, ptr) = match ctx.doc.dialect {
        Dialect::Swagger2 => match root.get("basePath") {
            Some(b) => (b.str()?.to_string(), b.ptr.clone()),
            None => return Ok(Vec::new()),
        },
        Dialect::Oas3 => match oas3_base_path(&root)? {
            Some(found) => found,
            None => return Ok(Vec::new()),
        },
    };
    let mut segments = path_segments(&text, &ptr)?;
    if mode == BasePathMode::Split && !segments.is_empty() {
        segments.remove(0);
    }
    Ok(segments)
}

/// OAS 3: the first server's `basePath` variable, else the path part of the first server URL.
fn oas3_base_path(root: &Node) -> Result<Option<(String, String)>, ImportError> {
    let Some(servers) = root.get("servers") else {
        return Ok(None);
    };
    let servers = servers.items()?;
    for server in &servers {
        if let Some(default) = server
            .get("variables")
            .and_then(|v| v.get("basePath"))
            .and_then(|b| b.get("default"))
        {
            return Ok(Some((default.scalar_string()?, default.ptr.clone())));
        }
    }
    let Some(first) = servers.first() else {
        return Ok(None);
    };
    let Some(url) = first.get("url") else {
        return Ok(None);
    };
    let mut text = url.str()?.to_string();
    if let Some(vars) = first.get("variables") {
        for (name, var) in vars.entries()? {
            if let Some(default) = var.opt_scalar("default")? {
                text = text.replace(&format!("{{{name}}}"), &default);
            }
        }
    }
    let path = match text.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or_default(),
        None => text,
    };
    let path = path
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string();
    Ok(Some((path, url.ptr.clone())))
}

/// Splits a path into validated segments (empty segments from `//` or a trailing `/` dropped).
pub(crate) fn path_segments(path: &str, ptr: &str) -> Result<Vec<String>, ImportError> {
    if !path.is_empty() && !path.starts_with('/') {
        return Err(ImportError::new(
            ptr,
            format!("path '{path}' must start with '/'"),
        ));
    }
    let mut out = Vec::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if seg.contains(['{', '}']) {
            let whole = seg.starts_with('{')
                && seg.ends_with('}')
                && seg.matches('{').count() == 1
                && seg.matches('}').count() == 1;
            if !whole {
                return Err(ImportError::new(
                    ptr,
                    format!("path parameter must be a whole path segment: '{seg}' in '{path}'"),
                ));
            }
        }
        validate_path_part(seg).map_err(|e| {
            ImportError::new(
                ptr,
                format!("invalid path segment '{seg}' in '{path}': {e}"),
            )
        })?;
        out.push(seg.to_string());
    }
    Ok(out)
}

fn import_paths(ctx: &mut Ctx, mode: BasePathMode) -> Result<(), ImportError> {
    let base = base_path_segments(ctx, mode)?;
    let doc = ctx.doc;
    let Some(paths) = doc.node().get("paths") else {
        return Ok(());
    };
    let mut seen: HashMap<String, String> = HashMap::new();
    for (key, item) in paths.entries()? {
        if key.starts_with("x-") {
            continue;
        }
        let mut segments = base.clone();
        segments.extend(path_segments(key, &item.ptr)?);
        let full = format!("/{}", segments.join("/"));
        if let Some(first) = seen.insert(full.clone(), item.ptr.clone()) {
            return Err(item.err(format!(
                "duplicate resource '{full}' after normalisation (also declared at {first})"
            )));
        }
        let resource_id = ensure_path(ctx, &segments, &item.ptr)?;
        import_path_item(ctx, &resource_id, &full, item)?;
    }
    Ok(())
}

/// Creates the resources of `segments` as needed, reusing the previous API's ids by path.
fn ensure_path(ctx: &mut Ctx, segments: &[String], ptr: &str) -> Result<String, ImportError> {
    let mut current = ctx.def.rest_api.root_resource_id.clone();
    let mut path = String::new();
    for seg in segments {
        path.push('/');
        path.push_str(seg);
        let found = ctx
            .def
            .children(&current)
            .find(|r| r.path_part.as_deref() == Some(seg.as_str()))
            .map(|r| r.id.clone());
        current = match found {
            Some(id) => id,
            None => {
                let reuse = ctx
                    .previous
                    .and_then(|p| p.resource_by_path(&path))
                    .map(|r| r.id.clone())
                    .filter(|id| ctx.def.resource(id).is_none());
                ctx.def.add_resource(&current, seg, reuse).map_err(|e| {
                    ImportError::new(ptr, format!("cannot create resource '{path}': {e}"))
                })?
            }
        };
    }
    Ok(current)
}

fn import_path_item(
    ctx: &mut Ctx,
    resource_id: &str,
    path: &str,
    item: Node,
) -> Result<(), ImportError> {
    let doc = ctx.doc;
    let item = doc.deref(item, "path item")?;
    let shared = match item.get("parameters") {
        Some(p) => p.items()?,
        None => Vec::new(),
    };
    for (key, op) in item.entries()? {
        let verb = if key == ANY_METHOD_KEY {
            "ANY"
        } else if let Some((_, verb)) = OPERATION_KEYS.iter().find(|(k, _)| *k == key) {
            verb
        } else {
            match key {
                "parameters" | "summary" | "description" | "servers" | "$ref" => {}
                "trace" => ctx.warn(
                    &op.ptr,
                    "TRACE operations are not supported by API Gateway; ignored",
                ),
                k if k.starts_with("x-amazon-apigateway-") => ctx.warn(
                    &op.ptr,
                    format!("unsupported extension '{k}' on a path item; ignored"),
                ),
                k if k.starts_with("x-") => {}
                k => ctx.warn(&op.ptr, format!("unknown path item field '{k}'; ignored")),
            }
            continue;
        };
        let method = import_operation(ctx, op, verb, path, &shared)?;
        if let Some(res) = ctx.def.resource_mut(resource_id) {
            res.resource_methods.insert(verb.to_string(), method);
        }
    }
    Ok(())
}

fn import_operation(
    ctx: &mut Ctx,
    op: Node,
    verb: &str,
    path: &str,
    shared: &[Node],
) -> Result<Method, ImportError> {
    op.object()?;
    let mut method = Method {
        http_method: verb.to_string(),
        operation_name: op.opt_str("operationId")?.map(str::to_string),
        ..Default::default()
    };
    let base_name = model_base_name(method.operation_name.as_deref(), verb, path);

    let own = match op.get("parameters") {
        Some(p) => p.items()?,
        None => Vec::new(),
    };
    import_parameters(ctx, &op, shared, &own, &mut method, &base_name)?;
    // A path variable the document does not declare is still a required path parameter of
    // the method (AWS-recorded: localstack test_import_and_validate_rest_api[swagger-mock-cors.json],
    // `/product/{product_id}` without `parameters` → `method.request.path.product_id: true`).
    for seg in path.split('/') {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let name = name.strip_suffix('+').unwrap_or(name);
            method
                .request_parameters
                .entry(format!("method.request.path.{name}"))
                .or_insert(true);
        }
    }
    if let Some(body) = op.get("requestBody") {
        import_request_body(ctx, body, &mut method, &base_name)?;
    }
    if let Some(responses) = op.get("responses") {
        import_responses(ctx, &op, responses, &mut method, &base_name)?;
    }
    security::apply_operation(ctx, &op, &mut method)?;
    if let Some(auth) = op.get("x-amazon-apigateway-auth") {
        let t = auth
            .get("type")
            .ok_or_else(|| auth.err("x-amazon-apigateway-auth needs a type"))?;
        method.authorization_type = match t.str()?.to_ascii_uppercase().as_str() {
            "NONE" => AuthorizationType::None,
            "AWS_IAM" => AuthorizationType::AwsIam,
            other => {
                return Err(t.err(format!(
                    "unknown auth type '{other}'; expected NONE or AWS_IAM"
                )));
            }
        }
        .into();
    }
    method.request_validator_id =
        match op.get("x-amazon-apigateway-request-validator") {
            Some(v) => {
                let name = v.str()?;
                Some(ctx.validators.get(name).cloned().ok_or_else(|| {
                    v.err(format!("reference to unknown request validator '{name}'"))
                })?)
            }
            None => ctx.default_validator.clone(),
        };
    if let Some(integration) = op.get("x-amazon-apigateway-integration") {
        method.method_integration = Some(extensions::import_integration(
            ctx,
            integration,
            &method,
            path,
        )?);
    }
    for (key, node) in op.entries()? {
        match key {
            "deprecated" => ctx.warn(&node.ptr, "'deprecated' is not supported and was dropped"),
            "callbacks" => ctx.warn(&node.ptr, "callbacks are not supported and were ignored"),
            k if k.starts_with("x-amazon-apigateway-")
                && !matches!(
                    k,
                    "x-amazon-apigateway-integration"
                        | "x-amazon-apigateway-request-validator"
                        | "x-amazon-apigateway-auth"
                ) =>
            {
                ctx.warn(
                    &node.ptr,
                    format!("unsupported extension '{k}' on an operation; ignored"),
                )
            }
            _ => {}
        }
    }
    Ok(method)
}

/// A model-name stem for inline schemas: the operationId, else verb + path words.
fn model_base_name(operation_id: Option<&str>, verb: &str, path: &str) -> String {
    let source = match operation_id {
        Some(id) => id.to_string(),
        None => format!("{} {}", verb.to_ascii_lowercase(), path),
    };
    let mut out = String::new();
    for word in source
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() { "Root".into() } else { out }
}

fn import_parameters(
    ctx: &mut Ctx,
    op: &Node,
    shared: &[Node],
    own: &[Node],
    method: &mut Method,
    base_name: &str,
) -> Result<(), ImportError> {
    let doc = ctx.doc;
    // Operation parameters override path-item ones with the same name and location.
    let mut merged: IndexMap<(String, String), Node> = IndexMap::new();
    for p in shared.iter().chain(own) {
        let p = doc.deref(p.clone(), "parameter")?;
        let name = p
            .get("name")
            .ok_or_else(|| p.err("a parameter needs a name"))?
            .str()?
            .to_string();
        let location = p
            .get("in")
            .ok_or_else(|| p.err("a parameter needs 'in'"))?
            .str()?
            .to_string();
        merged.insert((name, location), p);
    }
    let mut body_schema = None;
    for ((name, location), p) in merged {
        let kind = match location.as_str() {
            "path" => "path",
            "query" => "querystring",
            "header" => "header",
            "body" if doc.dialect == Dialect::Swagger2 => {
                body_schema = Some(
                    p.get("schema")
                        .ok_or_else(|| p.err("a body parameter needs a schema"))?,
                );
                continue;
            }
            other => {
                ctx.warn(
                    &p.ptr,
                    format!("parameters in '{other}' are not supported; '{name}' ignored"),
                );
                continue;
            }
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._$-".contains(c))
        {
            ctx.warn(
                &p.ptr,
                format!("parameter name '{name}' is not valid for API Gateway; ignored"),
            );
            continue;
        }
        let required = kind == "path" || p.opt_bool("required")?.unwrap_or(false);
        let duplicate = ["path", "querystring", "header"].iter().any(|k| {
            *k != kind
                && method
                    .request_parameters
                    .contains_key(&format!("method.request.{k}.{name}"))
        });
        if duplicate {
            ctx.warn(
                &p.ptr,
                format!(
                    "parameter names must be unique across querystring, header and path: '{name}'"
                ),
            );
        }
        method
            .request_parameters
            .insert(format!("method.request.{kind}.{name}"), required);
    }
    if let Some(schema) = body_schema {
        let mimes = media_types(ctx, op, "consumes")?;
        if let Some(model) = schema::model_for_schema(ctx, schema, &format!("{base_name}Input"))? {
            for mime in mimes {
                method.request_models.insert(mime, model.clone());
            }
        }
    }
    Ok(())
}

/// Swagger 2 `consumes`/`produces`: the operation's, else the document's, else JSON.
fn media_types(ctx: &Ctx, op: &Node, key: &str) -> Result<Vec<String>, ImportError> {
    let own = op.opt_string_list(key)?;
    if !own.is_empty() {
        return Ok(own);
    }
    let root = ctx.doc.node().opt_string_list(key)?;
    if !root.is_empty() {
        return Ok(root);
    }
    Ok(vec!["application/json".into()])
}

fn import_request_body(
    ctx: &mut Ctx,
    body: Node,
    method: &mut Method,
    base_name: &str,
) -> Result<(), ImportError> {
    let doc = ctx.doc;
    let body = doc.deref(body, "request body")?;
    let Some(content) = body.get("content") else {
        return Ok(());
    };
    for (mime, media) in content.entries()? {
        if let Some(schema) = media.get("schema")
            && let Some(model) =
                schema::model_for_schema(ctx, schema, &format!("{base_name}Input"))?
        {
            method.request_models.insert(mime.to_string(), model);
        }
    }
    Ok(())
}

fn import_responses(
    ctx: &mut Ctx,
    op: &Node,
    responses: Node,
    method: &mut Method,
    base_name: &str,
) -> Result<(), ImportError> {
    let doc = ctx.doc;
    for (code, response) in responses.entries()? {
        if code.starts_with("x-") {
            continue;
        }
        let valid = code.len() == 3
            && code.chars().all(|c| c.is_ascii_digit())
            && ('1'..='5').contains(&code.chars().next().unwrap_or('0'));
        if !valid {
            ctx.warn(
                &response.ptr,
                format!("response '{code}' is not an HTTP status code; ignored"),
            );
            continue;
        }
        let response = doc.deref(response, "response")?;
        let mut mr = MethodResponse {
            status_code: code.to_string(),
            ..Default::default()
        };
        if let Some(headers) = response.get("headers") {
            for (name, header) in headers.entries()? {
                let header = doc.deref(header, "header")?;
                let required = header.opt_bool("required")?.unwrap_or(false);
                mr.response_parameters
                    .insert(format!("method.response.header.{name}"), required);
            }
        }
        let stem = format!("{base_name}Output{code}");
        match doc.dialect {
            Dialect::Oas3 => {
                if let Some(content) = response.get("content") {
                    for (mime, media) in content.entries()? {
                        if let Some(schema) = media.get("schema")
                            && let Some(model) = schema::model_for_schema(ctx, schema, &stem)?
                        {
                            mr.response_models.insert(mime.to_string(), model);
                        }
                    }
                }
            }
            Dialect::Swagger2 => {
                if let Some(schema) = response.get("schema")
                    && let Some(model) = schema::model_for_schema(ctx, schema, &stem)?
                {
                    for mime in media_types(ctx, op, "produces")? {
                        mr.response_models.insert(mime, model.clone());
                    }
                }
            }
        }
        method.method_responses.insert(code.to_string(), mr);
    }
    Ok(())
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
