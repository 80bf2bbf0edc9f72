//! The `typescript` SDK (typed from the OpenAPI export, with its JavaScript module form) and
//! SigV4 signing in the generated clients: the emitted types and signatures, the module form
//! run in Node against a deployed stage (parameters, a validated JSON body, an AWS_IAM method
//! signed with and without a session token, refused unsigned or with a wrong secret), the
//! JavaScript SDK signing the same way, and `aws apigateway get-sdk --sdk-type typescript`.
//!
//! The `.ts` is compiled by the real TypeScript compiler (`tsc --strict`, installed by
//! `.ci/run` into `~/.cache/gwtui/node`) together with a caller that must type-check — and a
//! wrongly typed call that must not — and the compiled JavaScript then calls the stage in
//! Node. The `.mjs` (the same source with its types erased, for runtimes without a compiler)
//! runs too.

mod common;
mod mgmt_support;

use std::io::Read as _;

use common::{TestGateway, actor};
use gwtui::engine::CreateDeployment;
use gwtui::engine::IamCredential;
use serde_json::{Value, json};

const ACCESS_KEY: &str = "AKIDSDKTEST";
const SECRET: &str = "sdk-test-secret";
const TEMP_KEY: &str = "ASIASDKTEMP";
const TEMP_SECRET: &str = "sdk-temp-secret";
const TOKEN: &str = "sdk-session-token";

fn mock(template: &str) -> Value {
    json!({
        "type": "mock",
        "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
        "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": template}}}
    })
}

fn api_doc() -> String {
    let pet_ref = json!({"$ref": "#/components/schemas/Pet"});
    json!({
        "openapi": "3.0.1",
        "info": {"title": "sdk", "version": "1"},
        "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": true, "validateRequestParameters": true}},
        "components": {
            "schemas": {
                "Pet": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"}, "age": {"type": "integer"},
                    "tags": {"type": "array", "items": {"type": "string"}}
                }}
            },
            "securitySchemes": {
                "sigv4": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}
            }
        },
        "paths": {
            "/pets": {"post": {
                "x-amazon-apigateway-request-validator": "all",
                "requestBody": {"required": true, "content": {"application/json": {"schema": pet_ref}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": pet_ref}}}},
                "x-amazon-apigateway-integration": mock("{\"created\": true}")
            }},
            "/pets/{petId}": {"get": {
                "parameters": [
                    {"name": "petId", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "type", "in": "query", "schema": {"type": "string"}},
                    {"name": "x-trace", "in": "header", "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": mock("{\"petId\":\"$input.params('petId')\",\"type\":\"$input.params('type')\",\"trace\":\"$input.params('x-trace')\"}")
            }},
            "/iam": {"get": {
                "security": [{"sigv4": []}],
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": mock("{\"key\":\"$context.identity.accessKey\",\"q\":\"$input.params('q')\"}")
            }}
        }
    })
    .to_string()
}

async fn setup() -> (TestGateway, String) {
    let t = TestGateway::start().await;
    let api =
        t.gw.import_rest_api(&actor(), &api_doc(), Default::default())
            .await
            .expect("import");
    t.gw.create_deployment(
        &actor(),
        &api.id,
        CreateDeployment {
            stage_name: Some("prod".into()),
            ..Default::default()
        },
    )
    .await
    .expect("deploy");
    t.gw.set_iam_credentials(vec![
        IamCredential {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET.into(),
            user: None,
            session_token: None,
        },
        IamCredential {
            access_key_id: TEMP_KEY.into(),
            secret_access_key: TEMP_SECRET.into(),
            user: None,
            session_token: Some(TOKEN.into()),
        },
    ]);
    (t, api.id)
}

async fn sdk_zip(t: &TestGateway, api: &str, sdk_type: &str) -> Vec<(String, String)> {
    let resp = t
        .client
        .get(format!(
            "{}/restapis/{api}/stages/prod/sdks/{sdk_type}",
            t.base()
        ))
        .send()
        .await
        .expect("GetSdk");
    assert_eq!(resp.status(), 200);
    unzip(&resp.bytes().await.expect("zip"))
}

fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).expect("entry");
            let mut text = String::new();
            f.read_to_string(&mut text).expect("text");
            (f.name().expect("name").to_string(), text)
        })
        .collect()
}

/// Runs `script` with node in `dir`; its stdout parsed as JSON.
async fn node(dir: &std::path::Path, script_name: &str, script: &str) -> Option<Value> {
    let node = common::require_tool("node")?;
    std::fs::write(dir.join(script_name), script).expect("write");
    let out = tokio::process::Command::new(node)
        .arg(script_name)
        .current_dir(dir)
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("json from node"))
}

/// What each client configuration gets from `/iam` (status and data).
const IAM_CALLS: &str = r#"
const outcome = (p) => p.then((r) => ({ status: r.status, data: r.data }), (e) => ({ status: e.response ? e.response.status : String(e) }));
async function iamCalls(newClient) {
  return {
    unsigned: await outcome(newClient({}).iamGet({ q: 'a b' })),
    signed: await outcome(newClient({ accessKey: 'AKIDSDKTEST', secretKey: 'sdk-test-secret' }).iamGet({ q: "it's (x)*!" })),
    session: await outcome(newClient({ accessKey: 'ASIASDKTEMP', secretKey: 'sdk-temp-secret', sessionToken: 'sdk-session-token', region: 'us-east-1' }).iamGet({})),
    noToken: await outcome(newClient({ accessKey: 'ASIASDKTEMP', secretKey: 'sdk-temp-secret' }).iamGet({})),
    wrongSecret: await outcome(newClient({ accessKey: 'AKIDSDKTEST', secretKey: 'nope' }).iamGet({})),
  };
}
"#;

fn assert_iam_outcomes(v: &Value) {
    assert_eq!(v["unsigned"]["status"], 403, "{v}");
    assert_eq!(v["signed"]["status"], 200, "{v}");
    assert_eq!(v["signed"]["data"]["key"], ACCESS_KEY, "{v}");
    assert_eq!(v["signed"]["data"]["q"], "it's (x)*!", "{v}");
    assert_eq!(v["session"]["status"], 200, "{v}");
    assert_eq!(v["session"]["data"]["key"], TEMP_KEY, "{v}");
    assert_eq!(v["noToken"]["status"], 403, "{v}");
    assert_eq!(v["wrongSecret"]["status"], 403, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_sdk_signs_requests_for_aws_iam_methods() {
    common::init();
    let (t, api) = setup().await;
    let files = sdk_zip(&t, &api, "javascript").await;
    let client = &files[0].1;
    assert!(client.contains("function signRequest(method, url, headers, body)"));
    assert!(client.contains("apigClient.iamGet = function"));
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("apigClient.js"), client).expect("write");
    let script = format!(
        "{IAM_CALLS}\nconst factory = require('./apigClient.js');\niamCalls((c) => factory.newClient(c)).then((v) => console.log(JSON.stringify(v)), (e) => {{ console.error(e); process.exit(1); }});\n"
    );
    let Some(v) = node(dir.path(), "main.js", &script).await else {
        return;
    };
    assert_iam_outcomes(&v);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_sdk_is_typed_from_the_openapi_export_and_its_module_calls_the_stage() {
    common::init();
    let (t, api) = setup().await;
    let types = mgmt_support::expect(
        &t.client,
        &t.base(),
        reqwest::Method::GET,
        "/sdktypes",
        &Value::Null,
        200,
    )
    .await;
    let ids: Vec<&str> = types["item"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, ["javascript", "typescript"]);

    let files = sdk_zip(&t, &api, "typescript").await;
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "apiGateway-ts-sdk/apigClient.ts",
            "apiGateway-ts-sdk/apigClient.mjs",
            "apiGateway-ts-sdk/README.md"
        ]
    );
    let (ts, mjs) = (&files[0].1, &files[1].1);
    for want in [
        r#"export type Pet = { "name": string; "age"?: number; "tags"?: Array<string> };"#,
        r#"export type PetsPetIdGetParams = { "petId": string; "type"?: string; "x-trace"?: string };"#,
        "petsPetIdGet(params: PetsPetIdGetParams, body?: unknown, additionalParams?: AdditionalParams): Promise<ApiResponse<unknown>> {",
        "petsPost(params: PetsPostParams = {}, body?: Pet, additionalParams?: AdditionalParams): Promise<ApiResponse<Pet>> {",
        "return request<Pet>(\"POST\", \"/pets\", [], [], params, body, additionalParams);",
        "export function newClient(config: ClientConfig = {}) {",
        "export interface ClientConfig {",
        "sessionToken?: string;",
    ] {
        assert!(ts.contains(want), "{want} missing from:\n{ts}");
    }
    // The module form is the same source without a type left.
    for gone in [
        "export type",
        "interface",
        ": string",
        "Promise<",
        "ClientConfig",
        " as ",
    ] {
        assert!(!mjs.contains(gone), "{gone} left in:\n{mjs}");
    }
    assert!(
        mjs.contains("petsPost(params = {}, body, additionalParams) {"),
        "{mjs}"
    );

    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("apigClient.mjs"), mjs).expect("write");
    let script = format!(
        r#"{IAM_CALLS}
import {{ newClient }} from './apigClient.mjs';
const client = newClient({{}});
const pet = await client.petsPetIdGet({{ petId: 'a/b 7', type: 'dog', 'x-trace': 't-1' }});
const created = await client.petsPost({{}}, {{ name: 'Rex', tags: ['good'] }});
const invalid = await outcome(client.petsPost({{}}, {{ age: 3 }}));
const iam = await iamCalls(newClient);
console.log(JSON.stringify({{ pet: {{ status: pet.status, data: pet.data }}, created: created.data, invalid, iam }}));
"#
    );
    let Some(v) = node(dir.path(), "main.mjs", &script).await else {
        return;
    };
    assert_eq!(
        v["pet"],
        json!({"status": 200, "data": {"petId": "a%2Fb%207", "type": "dog", "trace": "t-1"}})
    );
    assert_eq!(v["created"], json!({"created": true}));
    assert_eq!(v["invalid"]["status"], 400, "{v}");
    assert_iam_outcomes(&v["iam"]);
    t.stop().await;
}

/// A caller of the typed client: well-typed calls that must compile under `--strict`, calls
/// that must not (`@ts-expect-error` fails the compile when the line it covers is accepted),
/// and the results printed as JSON once run.
const TYPED_CALLER: &str = r#"import { newClient, type Pet, type PetsPetIdGetParams, type ApiResponse } from './apigClient.js';

const client = newClient({});
const params: PetsPetIdGetParams = { petId: 'a/b 7', type: 'dog', 'x-trace': 't-1' };
const pet: ApiResponse<unknown> = await client.petsPetIdGet(params);
const rex: Pet = { name: 'Rex', tags: ['good'] };
const created: ApiResponse<Pet> = await client.petsPost({}, rex);
const signed = await newClient({ accessKey: 'AKIDSDKTEST', secretKey: 'sdk-test-secret' }).iamGet({ q: 'typed' });

// Each line below is a type error the compiler must report.
// @ts-expect-error -- petId is required
const missingPathParameter = () => client.petsPetIdGet({ type: 'dog' });
// @ts-expect-error -- Pet.name is required
const petWithoutName: Pet = { age: 3 };
// @ts-expect-error -- Pet.age is a number
const petWithTextAge: Pet = { name: 'x', age: 'three' };
// @ts-expect-error -- the body of POST /pets is a Pet
const wrongBody = () => client.petsPost({}, { nom: 'Rex' });
// @ts-expect-error -- no such operation
const noSuchOperation = () => client.petsDelete({});
// @ts-expect-error -- ClientConfig has no such option
const badConfig = newClient({ secret: 'x' });
void [missingPathParameter, petWithoutName, petWithTextAge, wrongBody, noSuchOperation, badConfig];

console.log(JSON.stringify({
  pet: { status: pet.status, data: pet.data },
  created: created.data,
  signed: { status: signed.status, data: signed.data },
}));
"#;

/// Runs `tsc` in `dir` with `args`; its combined output when it fails.
async fn tsc(tsc: &std::path::Path, dir: &std::path::Path, args: &[&str]) -> Result<(), String> {
    let out = tokio::process::Command::new(tsc)
        .args(args)
        .current_dir(dir)
        .output()
        .await
        .expect("tsc runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

const TSC_ARGS: [&str; 10] = [
    "--strict",
    "--target",
    "es2022",
    "--module",
    "nodenext",
    "--lib",
    "es2022,dom",
    "--outDir",
    "out",
    "main.ts",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_sdk_type_checks_with_tsc_and_its_compiled_client_calls_the_stage() {
    common::init();
    let Some(tsc_path) = common::require_tool("tsc") else {
        return;
    };
    let (t, api) = setup().await;
    let files = sdk_zip(&t, &api, "typescript").await;
    let ts = &files
        .iter()
        .find(|(n, _)| n.ends_with("apigClient.ts"))
        .expect("apigClient.ts")
        .1;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("apigClient.ts"), ts).expect("write");
    // ES modules for tsc's nodenext resolution and for Node running the output.
    std::fs::write(dir.path().join("package.json"), r#"{"type": "module"}"#).expect("write");
    std::fs::write(dir.path().join("main.ts"), TYPED_CALLER).expect("write");
    if let Err(errors) = tsc(&tsc_path, dir.path(), &TSC_ARGS).await {
        panic!("tsc --strict rejected the generated client or its caller:\n{errors}");
    }

    // The same caller with one ill-typed call left unmarked must not compile: the compiler
    // really checks the generated types.
    let broken = TYPED_CALLER.replacen("// @ts-expect-error -- petId is required\n", "", 1);
    std::fs::write(dir.path().join("main.ts"), broken).expect("write");
    let errors = tsc(&tsc_path, dir.path(), &TSC_ARGS)
        .await
        .expect_err("an ill-typed call compiled");
    assert!(
        errors.contains("petId") && errors.contains("main.ts"),
        "{errors}"
    );

    let Some(node) = common::require_tool("node") else {
        return;
    };
    let out = tokio::process::Command::new(node)
        .arg("out/main.js")
        .current_dir(dir.path())
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json from node");
    assert_eq!(
        v["pet"],
        json!({"status": 200, "data": {"petId": "a%2Fb%207", "type": "dog", "trace": "t-1"}})
    );
    assert_eq!(v["created"], json!({"created": true}));
    assert_eq!(
        v["signed"],
        json!({"status": 200, "data": {"key": ACCESS_KEY, "q": "typed"}})
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_get_sdk_writes_the_typescript_zip() {
    common::init();
    let Some(aws) = common::require_tool("aws") else {
        return;
    };
    let (t, api) = setup().await;
    let dir = tempfile::tempdir().expect("dir");
    let out_file = dir.path().join("sdk.zip");
    let mut cmd = tokio::process::Command::new(aws);
    mgmt_support::aws_env(&mut cmd);
    let out = cmd
        .args([
            "apigateway",
            "get-sdk",
            "--endpoint-url",
            &t.base(),
            "--rest-api-id",
            &api,
            "--stage-name",
            "prod",
            "--sdk-type",
            "typescript",
        ])
        .arg(&out_file)
        .output()
        .await
        .expect("aws runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = unzip(&std::fs::read(&out_file).expect("zip written"));
    assert_eq!(files.len(), 3);
    assert!(files[0].1.contains("export type Pet = "));
    t.stop().await;
}
