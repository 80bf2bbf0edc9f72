//! The `typescript` SDK: `apiGateway-ts-sdk/apigClient.ts`, a typed client generated from the
//! stage's exported OpenAPI 3 document (models → TypeScript types; one method per resource and
//! verb, named as in the JavaScript SDK, with typed path/query/header parameters, request body
//! and response `data`), plus `apigClient.mjs`, the same module with its types erased, for
//! runtimes without a TypeScript compiler. API keys and SigV4 signing as in the JavaScript SDK.
//!
//! One source gives both files: type-only text is written between [`OPEN`] and [`CLOSE`]; the
//! `.ts` keeps it, the `.mjs` drops it.

use std::fmt::Write as _;

use serde_json::Value;

use super::SdkError;
use super::javascript::method_name;
use crate::model::ApiDefinition;
use crate::openapi::{ExportFormat, ExportOptions, Extensions};

/// Starts type-only text.
const OPEN: char = '\u{27EA}';
/// Ends type-only text.
const CLOSE: char = '\u{27EB}';

/// Verbs an `ANY` method is generated for (as the JavaScript SDK does).
const ANY_VERBS: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

const VERBS: [&str; 8] = [
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "x-amazon-apigateway-any-method",
];

/// The `.ts` (types kept) and `.mjs` (types erased) forms of marked source.
pub fn erase(marked: &str) -> (String, String) {
    let mut ts = String::with_capacity(marked.len());
    let mut js = String::with_capacity(marked.len());
    let mut in_type = false;
    for c in marked.chars() {
        match c {
            OPEN => in_type = true,
            CLOSE => in_type = false,
            c => {
                ts.push(c);
                if !in_type {
                    js.push(c);
                }
            }
        }
    }
    (ts, js)
}

fn t(text: &str) -> String {
    format!("{OPEN}{text}{CLOSE}")
}

/// A TypeScript string literal (also a valid property name).
fn lit(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A model name as a TypeScript identifier.
pub fn type_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The TypeScript type of a JSON schema (draft 4, as API Gateway models are).
pub fn schema_type(schema: &Value, depth: usize) -> String {
    if depth > 16 {
        return "unknown".into();
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return match r.rsplit_once('/') {
            Some((_, name)) => type_name(name),
            None => "unknown".into(),
        };
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let literals: Vec<String> = values.iter().map(Value::to_string).collect();
        if !literals.is_empty() {
            return literals.join(" | ");
        }
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ => Vec::new(),
    };
    if kinds.is_empty() {
        return "unknown".into();
    }
    let types: Vec<String> = kinds
        .iter()
        .map(|kind| match *kind {
            "string" => "string".to_string(),
            "number" | "integer" => "number".to_string(),
            "boolean" => "boolean".to_string(),
            "null" => "null".to_string(),
            "array" => {
                let item = schema
                    .get("items")
                    .map_or_else(|| "unknown".to_string(), |i| schema_type(i, depth + 1));
                format!("Array<{item}>")
            }
            "object" => object_type(schema, depth),
            _ => "unknown".to_string(),
        })
        .collect();
    types.join(" | ")
}

fn object_type(schema: &Value, depth: usize) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields = Vec::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let optional = if required.contains(&name.as_str()) {
                ""
            } else {
                "?"
            };
            fields.push(format!(
                "{}{optional}: {}",
                lit(name),
                schema_type(prop, depth + 1)
            ));
        }
    }
    match schema.get("additionalProperties") {
        Some(Value::Bool(false)) => {}
        Some(extra @ Value::Object(_)) => {
            fields.push(format!("[key: string]: {}", schema_type(extra, depth + 1)));
        }
        _ if fields.is_empty() => fields.push("[key: string]: unknown".into()),
        _ => {}
    }
    format!("{{ {} }}", fields.join("; "))
}

/// One operation of the exported document.
struct Operation {
    name: String,
    verb: String,
    path: String,
    /// (name, location, required); location is `path`, `query` or `header`.
    params: Vec<(String, String, bool)>,
    body: Option<String>,
    response: String,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    let mut sorted: Vec<(&String, &Value)> = paths.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (path, item) in sorted {
        for key in VERBS {
            let Some(op) = item.get(key) else { continue };
            let mut params = Vec::new();
            for p in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(name), Some(location)) = (
                    p.get("name").and_then(Value::as_str),
                    p.get("in").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if !matches!(location, "path" | "query" | "header") {
                    continue;
                }
                let required =
                    location == "path" || p.get("required").and_then(Value::as_bool) == Some(true);
                params.push((name.to_string(), location.to_string(), required));
            }
            // Path parameters the document does not declare are still required.
            for segment in path.split('/') {
                if let Some(name) = segment
                    .strip_prefix('{')
                    .and_then(|s| s.strip_suffix('}'))
                    .map(|s| s.trim_end_matches('+'))
                    && !params.iter().any(|(n, l, _)| n == name && l == "path")
                {
                    params.push((name.to_string(), "path".into(), true));
                }
            }
            let json_schema = |v: Option<&Value>| {
                v.and_then(|c| c.get("content"))
                    .and_then(|c| c.get("application/json"))
                    .and_then(|c| c.get("schema"))
                    .map(|s| schema_type(s, 0))
            };
            let body = json_schema(op.get("requestBody"));
            let response = op
                .get("responses")
                .and_then(Value::as_object)
                .and_then(|r| {
                    let mut codes: Vec<&String> = r.keys().filter(|c| c.starts_with('2')).collect();
                    codes.sort();
                    codes.first().and_then(|c| json_schema(r.get(*c)))
                })
                .unwrap_or_else(|| "unknown".into());
            let verbs: Vec<&str> = if key == "x-amazon-apigateway-any-method" {
                ANY_VERBS.to_vec()
            } else {
                vec![key]
            };
            for verb in verbs {
                out.push(Operation {
                    name: method_name(path, verb),
                    verb: verb.to_ascii_uppercase(),
                    path: path.clone(),
                    params: params.clone(),
                    body: body.clone(),
                    response: response.clone(),
                });
            }
        }
    }
    out
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

pub fn files(
    def: &ApiDefinition,
    stage: &str,
    invoke_url: &str,
) -> Result<Vec<(String, String)>, SdkError> {
    let exported = crate::openapi::export(
        def,
        &ExportOptions {
            format: ExportFormat::Oas30,
            extensions: Extensions::None,
            yaml: false,
            stage_name: stage.to_string(),
            host: "localhost".into(),
            documentation: None,
        },
    )
    .map_err(|e| SdkError::Export(e.to_string()))?;
    let doc: Value =
        serde_json::from_str(&exported).map_err(|e| SdkError::Export(e.to_string()))?;
    let mut src = String::new();
    let _ = writeln!(
        src,
        "// Generated by gwtui (GetSdk, sdkType typescript) from the OpenAPI export of API {} ({}), stage {}.",
        def.rest_api.name.replace(['\n', '\r'], " "),
        def.rest_api.id,
        stage.replace(['\n', '\r'], " ")
    );
    src.push_str("// apigClient.ts is the typed client; apigClient.mjs is the same module with its types erased.\n\n");
    src.push_str(&t(PRELUDE_TYPES));
    let mut models: Vec<(&String, &Value)> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    models.sort_by(|a, b| a.0.cmp(b.0));
    for (name, schema) in models {
        src.push_str(&t(&format!(
            "/** The `{}` model. */\nexport type {} = {};\n\n",
            name.replace("*/", "*\\/"),
            type_name(name),
            schema_type(schema, 0)
        )));
    }
    let ops = operations(&doc);
    for op in &ops {
        let fields: Vec<String> = op
            .params
            .iter()
            .map(|(n, _, required)| {
                format!("{}{}: string", lit(n), if *required { "" } else { "?" })
            })
            .collect();
        src.push_str(&t(&format!(
            "/** Parameters of `{} {}`. */\nexport type {}Params = {{ {} }};\n\n",
            op.verb,
            op.path.replace("*/", "*\\/"),
            capitalised(&op.name),
            fields.join("; ")
        )));
    }
    let _ = writeln!(src, "const INVOKE_URL = {};", lit(invoke_url));
    src.push_str(RUNTIME);
    src.push_str("  return {\n");
    for op in &ops {
        let list = |loc: &str| {
            let names: Vec<String> = op
                .params
                .iter()
                .filter(|(_, l, _)| l == loc)
                .map(|(n, _, _)| lit(n))
                .collect();
            format!("[{}]", names.join(", "))
        };
        let any_required = op.params.iter().any(|(_, _, r)| *r);
        let params_type = format!("{}Params", capitalised(&op.name));
        let params = if any_required {
            format!("params{}", t(&format!(": {params_type}")))
        } else {
            format!("params{} = {{}}", t(&format!(": {params_type}")))
        };
        let body_type = op.body.clone().unwrap_or_else(|| "unknown".into());
        let _ = write!(
            src,
            "    /** `{verb} {path}` */\n    {name}({params}, body{body_t}, additionalParams{add_t}){ret_t} {{\n      return request{generic}({verb_lit}, {path_lit}, {query}, {headers}, params, body, additionalParams);\n    }},\n",
            verb = op.verb,
            path = op.path.replace("*/", "*\\/"),
            name = op.name,
            body_t = t(&format!("?: {body_type}")),
            add_t = t("?: AdditionalParams"),
            ret_t = t(&format!(": Promise<ApiResponse<{}>>", op.response)),
            generic = t(&format!("<{}>", op.response)),
            verb_lit = lit(&op.verb),
            path_lit = lit(&op.path),
            query = list("query"),
            headers = list("header"),
        );
    }
    src.push_str("  };\n}\n\nexport default { newClient };\n");
    let (ts, js) = erase(&src);
    let mut methods = String::new();
    for op in &ops {
        let _ = writeln!(methods, "- `{}` — `{} {}`", op.name, op.verb, op.path);
    }
    let readme = format!(
        r#"# TypeScript SDK for {name}

Generated by gwtui from the OpenAPI export of stage `{stage}` (invoke URL `{invoke_url}`).

- `apigClient.ts`: the typed client (models as types, typed parameters and responses). It uses
  `fetch`, `URL`, `TextEncoder` and WebCrypto: compile with `"lib": ["es2020", "dom"]`
  (Node 20+ or a browser).
- `apigClient.mjs`: the same module with its types erased, for runtimes without a compiler.

```ts
import {{ newClient }} from './apigClient';
const client = newClient({{ apiKey: 'optional' }});
// AWS_IAM methods: newClient({{ accessKey, secretKey, sessionToken, region }}) signs with SigV4.
const r = await client.petsGet({{}});
console.log(r.status, r.data);
```

Every method takes `(params, body, additionalParams)`: `params` holds the path, query string
and header parameters by name; `additionalParams.headers` / `.queryParams` add more. It
resolves to `{{status, headers, data}}` and rejects on 4xx/5xx (`error.response`).

## Methods

{methods}"#,
        name = def.rest_api.name,
    );
    Ok(vec![
        ("apiGateway-ts-sdk/apigClient.ts".to_string(), ts),
        ("apiGateway-ts-sdk/apigClient.mjs".to_string(), js),
        ("apiGateway-ts-sdk/README.md".to_string(), readme),
    ])
}

/// The client's own types.
const PRELUDE_TYPES: &str = r#"export interface ClientConfig {
  /** The stage's invoke URL (default: the one the SDK was generated for). */
  invokeUrl?: string;
  /** Sent as `x-api-key`. */
  apiKey?: string;
  /** With `secretKey`: requests are SigV4-signed (service `execute-api`). */
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
  /** Default `us-east-1`. */
  region?: string;
  defaultContentType?: string;
  defaultAcceptType?: string;
}

export interface AdditionalParams {
  headers?: Record<string, string>;
  queryParams?: Record<string, string>;
}

export interface ApiResponse<T> {
  status: number;
  headers: Record<string, string>;
  data: T;
}

export interface ApiError extends Error {
  response: ApiResponse<unknown>;
}

"#;

/// Signing and the request function, marked for erasure.
const RUNTIME: &str = r#"
const textEncoder = new TextEncoder();

function toHex(bytes⟪: ArrayBuffer⟫)⟪: string⟫ {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(text⟪: string⟫)⟪: Promise<string>⟫ {
  return toHex(await globalThis.crypto.subtle.digest('SHA-256', textEncoder.encode(text)));
}

async function hmac(key⟪: string | ArrayBuffer⟫, text⟪: string⟫)⟪: Promise<ArrayBuffer>⟫ {
  const raw = typeof key === 'string' ? textEncoder.encode(key) : key;
  const k = await globalThis.crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return globalThis.crypto.subtle.sign('HMAC', k, textEncoder.encode(text));
}

function awsEncode(text⟪: string⟫)⟪: string⟫ {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function canonicalQuery(search⟪: string⟫)⟪: string⟫ {
  return search
    .split('&')
    .filter((p) => p.length > 0)
    .map((p)⟪: [string, string]⟫ => {
      const i = p.indexOf('=');
      const k = i < 0 ? p : p.slice(0, i);
      const v = i < 0 ? '' : p.slice(i + 1);
      return [awsEncode(decodeURIComponent(k)), awsEncode(decodeURIComponent(v))];
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map((kv) => kv[0] + '=' + kv[1])
    .join('&');
}

/** SigV4 (service `execute-api`) over host, x-amz-date (and the session token) and the body. */
async function signRequest(
  config⟪: ClientConfig⟫,
  method⟪: string⟫,
  url⟪: string⟫,
  headers⟪: Record<string, string>⟫,
  body⟪: string | undefined⟫,
)⟪: Promise<void>⟫ {
  const u = new URL(url);
  const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const region = config.region || 'us-east-1';
  const scope = `${day}/${region}/execute-api/aws4_request`;
  const signed⟪: Record<string, string>⟫ = { host: u.host, 'x-amz-date': amzDate };
  headers['x-amz-date'] = amzDate;
  if (config.sessionToken) {
    signed['x-amz-security-token'] = config.sessionToken;
    headers['x-amz-security-token'] = config.sessionToken;
  }
  const names = Object.keys(signed).sort();
  const canonicalHeaders = names.map((n) => `${n}:${signed[n].trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalPath = u.pathname.split('/').map((s) => awsEncode(s)).join('/') || '/';
  const payloadHash = await sha256Hex(body ?? '');
  const canonical = [method, canonicalPath, canonicalQuery(u.search.slice(1)), canonicalHeaders, signedHeaders, payloadHash];
  const requestHash = await sha256Hex(canonical.join('\n'));
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, requestHash].join('\n');
  let key = await hmac('AWS4' + (config.secretKey ?? ''), day);
  for (const part of [region, 'execute-api', 'aws4_request']) {
    key = await hmac(key, part);
  }
  const signature = toHex(await hmac(key, toSign));
  headers['Authorization'] =
    `AWS4-HMAC-SHA256 Credential=${config.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

function encodePath(template⟪: string⟫, params⟪: Record<string, unknown>⟫)⟪: string⟫ {
  return template.replace(/\{([^}+]+)(\+?)\}/g, (_match⟪: string⟫, name⟪: string⟫, greedy⟪: string⟫) => {
    const value = params[name];
    if (value === undefined || value === null) {
      throw new Error('missing path parameter ' + name);
    }
    return greedy
      ? String(value).split('/').map((s) => encodeURIComponent(s)).join('/')
      : encodeURIComponent(String(value));
  });
}

export function newClient(config⟪: ClientConfig⟫ = {}) {
  const invokeUrl = String(config.invokeUrl || INVOKE_URL).replace(/\/+$/, '');

  async function request⟪<T>⟫(
    method⟪: string⟫,
    template⟪: string⟫,
    queryNames⟪: string[]⟫,
    headerNames⟪: string[]⟫,
    input⟪: object⟫,
    body⟪: unknown⟫,
    additionalParams⟪: AdditionalParams | undefined⟫,
  )⟪: Promise<ApiResponse<T>>⟫ {
    const params = input⟪ as Record<string, unknown>⟫;
    const extra = additionalParams || {};
    let url = invokeUrl + encodePath(template, params);
    const query⟪: string[]⟫ = [];
    for (const name of queryNames) {
      const v = params[name];
      if (v !== undefined && v !== null) {
        query.push(encodeURIComponent(name) + '=' + encodeURIComponent(String(v)));
      }
    }
    for (const [name, v] of Object.entries(extra.queryParams || {})) {
      query.push(encodeURIComponent(name) + '=' + encodeURIComponent(String(v)));
    }
    if (query.length) {
      url += '?' + query.join('&');
    }
    const headers⟪: Record<string, string>⟫ = { Accept: config.defaultAcceptType || 'application/json' };
    for (const name of headerNames) {
      const v = params[name];
      if (v !== undefined && v !== null) {
        headers[name] = String(v);
      }
    }
    Object.assign(headers, extra.headers || {});
    if (config.apiKey) {
      headers['x-api-key'] = config.apiKey;
    }
    let payload⟪: string | undefined⟫;
    if (body !== undefined && body !== null && method !== 'GET' && method !== 'HEAD') {
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = config.defaultContentType || 'application/json';
      }
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    if (config.accessKey && config.secretKey) {
      await signRequest(config, method, url, headers, payload);
    }
    const res = await fetch(url, { method, headers, body: payload });
    const text = await res.text();
    let data⟪: unknown⟫ = text;
    try {
      data = JSON.parse(text);
    } catch {
      // not JSON: the text
    }
    const responseHeaders⟪: Record<string, string>⟫ = {};
    res.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    const out⟪: ApiResponse<T>⟫ = { status: res.status, headers: responseHeaders, data: data⟪ as T⟫ };
    if (res.status >= 400) {
      const error⟪: ApiError⟫ = Object.assign(new Error('HTTP ' + res.status), { response: out });
      throw error;
    }
    return out;
  }

"#;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_become_typescript_types() {
        let pet = json!({"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "kind": {"enum": ["cat", "dog"]}, "owner": {"$ref": "#/components/schemas/Owner"}
        }});
        assert_eq!(
            schema_type(&pet, 0),
            r#"{ "name": string; "age"?: number; "tags"?: Array<string>; "kind"?: "cat" | "dog"; "owner"?: Owner }"#
        );
        assert_eq!(schema_type(&json!({}), 0), "unknown");
        assert_eq!(
            schema_type(&json!({"type": ["string", "null"]}), 0),
            "string | null"
        );
        assert_eq!(
            schema_type(&json!({"type": "object"}), 0),
            "{ [key: string]: unknown }"
        );
        assert_eq!(type_name("2nd-Pet"), "_2nd_Pet");
    }

    #[test]
    fn marked_types_are_kept_in_ts_and_erased_in_js() {
        let (ts, js) = erase("function f(a⟪: string⟫)⟪: number⟫ { return 1; }\n⟪type X = {};\n⟫");
        assert_eq!(
            ts,
            "function f(a: string): number { return 1; }\ntype X = {};\n"
        );
        assert_eq!(js, "function f(a) { return 1; }\n");
        let (ts, js) = erase(RUNTIME);
        assert!(!ts.contains(OPEN) && !js.contains(CLOSE));
        assert!(ts.contains("config: ClientConfig") && !js.contains("ClientConfig"));
    }
}
