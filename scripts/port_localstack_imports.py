#!/usr/bin/env python3
"""Writes tests/fixtures/aws_recorded/imports_localstack.json from localstack's AWS-validated
import snapshots (tests/aws/services/apigateway/test_apigateway_import.snapshot.json) and the
API documents those tests import (tests/aws/files/*), replaying the calls the tests made
(test_apigateway_import.py): ImportRestApi / PutRestApi with their parameters, then
GetAuthorizers / GetModels / GetRequestValidators / GetResources and, for every method of
every resource, GetMethod, GetMethodResponse(200), GetIntegration, GetIntegrationResponse(200)
(the `apigw_snapshot_imported_resources` fixture).

    python3 scripts/port_localstack_imports.py LOCALSTACK_CHECKOUT

The snapshots' placeholders become the replay's: `<kind:N>` (an id, name, uri the test's
transformers masked) binds `<id:kind-N>` where it is a whole value and is referenced as
`{kind-N}` inside a longer string, `datetime` is `<date>`, `<region>` and `<partition>` are
gwtui's (`us-east-1`, `aws`), `<model-base-url>` is AWS's `https://apigateway.amazonaws.com`.
Invocations some tests make between the control-plane calls (deploy + GET) are not replayed
here; test_import_with_stage_variables records only invocations and is not ported.
"""

import json
import re
import sys
from pathlib import Path

SNAPSHOT = "tests/aws/services/apigateway/test_apigateway_import.snapshot.json"
FILES = "tests/aws/files"
PREFIX = "tests/aws/services/apigateway/test_apigateway_import.py::TestApiGatewayImportRestApi::"
OUT = Path(__file__).resolve().parent.parent / "tests/fixtures/aws_recorded/imports_localstack.json"

LAMBDA_ARN = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:function-name/invocations"
)
ROLE = "arn:aws:iam::123456789012:role/lambda-su-role"
PLACEHOLDER = re.compile(r"<([a-z][a-z-]*):(\d+)>")


class Converter:
    def __init__(self):
        self.bound = set()

    def value(self, v, top=False):
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if top and k == "ResponseMetadata":
                    continue
                key = "item" if top and k == "items" else self.text(k, whole=False)
                out[key] = self.value(x)
            return out
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, str):
            return self.text(v, whole=True)
        return v

    def text(self, s, whole):
        if s == "datetime":
            return "<date>"
        s = (
            s.replace("<region>", "us-east-1")
            .replace("<partition>", "aws")
            .replace("<model-base-url>", "https://apigateway.amazonaws.com")
            .replace("<external-aws-endpoint>", "petstore.execute-api.us-west-1")
        )
        m = PLACEHOLDER.fullmatch(s)
        if whole and m:
            var = f"{m[1]}-{m[2]}"
            self.bound.add(var)
            return f"<id:{var}>"
        return PLACEHOLDER.sub(lambda m: "{" + f"{m[1]}-{m[2]}" + "}", s)

    def var_of(self, placeholder):
        m = PLACEHOLDER.fullmatch(placeholder)
        return f"{m[1]}-{m[2]}" if m else None


def step(conv, name, recorded, request, ok_status, sort=None):
    rec = recorded[name]
    if isinstance(rec, list):  # the cognito test stored the sorted item list itself
        rec = {"items": rec}
    meta = rec.get("ResponseMetadata", {})
    status = meta.get("HTTPStatusCode", ok_status)
    s = {"name": name, "request": request, "status": status}
    if "Error" in rec:
        s["error"] = rec["Error"]["Code"]
        s["message"] = conv.text(rec["Error"]["Message"], whole=False)
        return s
    s["body"] = conv.value(rec, top=True)
    if sort:
        s["sort"] = sort
    return s


def resource_steps(conv, recorded, api_var, resources_key, prefix=""):
    steps = []
    for item in recorded[resources_key]["items"]:
        path = item["path"]
        rid = conv.var_of(item["id"])
        for method in item.get("resourceMethods", {}):
            key = f"{path[1:] if path != '/' else 'root'}-{method.lower()}"
            base = f"/restapis/{{{api_var}}}/resources/{{{rid}}}/methods/{method}"
            for what, suffix in (
                ("method", ""),
                ("method-response", "/responses/200"),
                ("integration", "/integration"),
                ("integration-response", "/integration/responses/200"),
            ):
                name = f"{prefix}{what}-{key}"
                if name in recorded:
                    steps.append(step(conv, name, recorded, ["GET", base + suffix], 200))
    return steps


def load(root, name, replace=()):
    text = (root / FILES / name).read_text()
    for a, b in replace:
        text = text.replace(a, b)
    return text


def import_case(root, snap, test, file, replace=(), after=(), import_key=None,
                query="mode=import&failonwarnings=true"):
    recorded = snap[PREFIX + test]["recorded-content"]
    conv = Converter()
    body = load(root, file, replace)
    steps = []
    key = import_key or next((k for k in recorded if k.startswith("import")), None)
    first = ["POST", f"/restapis?{query}", body]
    if key in recorded:
        steps.append(step(conv, key, recorded, first, 201))
        api_var = conv.var_of(recorded[key]["id"])
    else:
        # The test did not record the import itself: a setup step binds the API id.
        api_var = "rest-api"
        steps.append({"name": "import", "setup": True, "request": first, "status": 201,
                      "save": {api_var: "/id"}})
    for name, path, sort in after:
        if name == "resources":
            steps.append(step(conv, name, recorded, ["GET", f"/restapis/{{{api_var}}}{path}"],
                              200, "path"))
            steps += resource_steps(conv, recorded, api_var, name)
        else:
            steps.append(step(conv, name, recorded, ["GET", f"/restapis/{{{api_var}}}{path}"],
                              200, sort))
    return {
        "name": "import_" + re.sub(r"[^a-z0-9]+", "_", test.removeprefix("test_").lower()).strip("_"),
        "source": f"localstack {SNAPSHOT} :: TestApiGatewayImportRestApi::{test} "
        f"(AWS-validated; the document is localstack's {FILES}/{file}; generated by "
        "scripts/port_localstack_imports.py)",
        "steps": steps,
    }


def put_case(root, snap, test, imports, prefix_of, second_import=None):
    """test_import_rest_api(s)_with_base_path_*: CreateRestApi, then PutRestApi
    (mode=overwrite, basepath=...) of each document with the resources after each."""
    recorded = snap[PREFIX + test]["recorded-content"]
    conv = Converter()
    param = re.search(r"\[(\w+)\]", test)[1]
    steps = [{"name": "create-rest-api", "setup": True,
              "request": ["POST", "/restapis", {"name": "restapi-import"}], "status": 201,
              "save": {}}]
    for put_key, res_key, file, replace in imports:
        rec = recorded[put_key]
        conv.value(rec["id"])
        steps[0]["save"][conv.var_of(rec["id"])] = "/id"
        api_var = conv.var_of(rec["id"])
        body = load(root, file, replace)
        steps.append(step(conv, put_key, recorded,
                          ["PUT", f"/restapis/{{{api_var}}}?mode=overwrite&basepath={param}", body],
                          200))
        steps.append(step(conv, res_key, recorded,
                          ["GET", f"/restapis/{{{api_var}}}/resources"], 200, "path"))
        steps += resource_steps(conv, recorded, api_var, res_key, prefix_of(put_key))
    if second_import:
        res_key, file = second_import
        steps.append({"name": "import-no-base-path", "setup": True,
                      "request": ["POST", f"/restapis?mode=import&basepath={param}",
                                  load(root, file)],
                      "status": 201, "save": {"rest-api-2": "/id"}})
        steps.append(step(conv, res_key, recorded,
                          ["GET", "/restapis/{rest-api-2}/resources"], 200, "path"))
        steps += resource_steps(conv, recorded, "rest-api-2", res_key)
    return {
        "name": "import_" + re.sub(r"[^a-z0-9]+", "_", test.removeprefix("test_").lower()).strip("_"),
        "source": f"localstack {SNAPSHOT} :: TestApiGatewayImportRestApi::{test} "
        f"(AWS-validated; the documents are localstack's {FILES}/"
        + ", ".join(i[2] for i in imports)
        + (f", {second_import[1]}" if second_import else "")
        + "; generated by scripts/port_localstack_imports.py)",
        "steps": steps,
    }


def main():
    root = Path(sys.argv[1])
    snap = json.loads((root / SNAPSHOT).read_text())
    auth = [
        ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:"
         "account-id:function:function-name/invocations", LAMBDA_ARN),
        ("arn:aws:iam::account-id:role", ROLE),
        ("${uri}", "http://petstore.execute-api.us-east-1.amazonaws.com/petstore/pets"),
    ]
    swagger_auth = [
        ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:"
         "000000000000:function:myapi-authorizer-0-22ad13b/invocations", LAMBDA_ARN),
        ("arn:aws:iam::000000000000:role/myapi-authorizer-0-authorizer-role-3bd761a", ROLE),
    ]
    resources = ("resources", "/resources", "path")
    models = ("get-models", "/models", "name")
    cases = [
        import_case(root, snap, "test_import_rest_api", "openapi.spec.pulumi.json"),
        import_case(root, snap, "test_import_swagger_api", "petstore-authorizer.swagger.json",
                    auth, [("get-authorizers", "/authorizers", "name"), models, resources]),
    ]
    for f in ("openapi.spec.tf.json", "swagger-mock-cors.json"):
        cases.append(import_case(root, snap, f"test_import_and_validate_rest_api[{f}]", f, (),
                                 [models, resources]))
    for p in ("ignore", "prepend", "split"):
        cases.append(put_case(
            root, snap, f"test_import_rest_apis_with_base_path_swagger[{p}]",
            [("put-rest-api-swagger-json", "get-resources-swagger-json", "swagger.json",
              swagger_auth)],
            lambda _k: "",
            ("get-resources-no-base-path-swagger", "pets.json")))
    for p in ("ignore", "prepend", "split"):
        cases.append(put_case(
            root, snap, f"test_import_rest_api_with_base_path_oas30[{p}]",
            [("put-rest-api-oas30-srv-var", "get-resources-oas30-srv-var",
              "openapi-basepath-server-variable.yaml", ()),
             ("put-rest-api-oas30-srv-url", "get-resources-oas30-srv-url",
              "openapi-basepath-url.yaml", ())],
            lambda k: "srv-var-" if k.endswith("srv-var") else "srv-url-"))
    cases.append(import_case(
        root, snap, "test_import_with_global_api_key_authorizer", "openapi.spec.global-auth.json",
        [("${authorizer_lambda_invocation_arn}", LAMBDA_ARN)],
        [("get-authorizers", "/authorizers", None), resources]))
    cases.append(import_case(root, snap, "test_import_with_circular_models",
                             "openapi.spec.circular-ref.json", (), [models, resources]))
    cases[-1]["sort_members"] = ["required"]  # the test's SortingTransformer("required")
    cases.append(import_case(
        root, snap, "test_import_with_circular_models_and_request_validation",
        "openapi.spec.circular-ref-with-request-body.json", (),
        [models, ("request-validators", "/requestvalidators", None), resources]))
    cases[-1]["sort_members"] = ["required"]
    cases.append(import_case(
        root, snap, "test_import_with_http_method_integration",
        "openapi-http-method-integration.json",
        [("${lambda_invocation_arn}", LAMBDA_ARN)], [resources]))
    cases.append(import_case(
        root, snap, "test_import_with_cognito_auth_identity_source", "openapi.cognito-auth.json",
        [("${cognito_pool_arn}",
          # the recording's account, as localstack's transformers left it in the snapshot
          "arn:aws:cognito-idp:us-east-1:111111111111:userpool/us-east-1_ABC123")],
        [("get-authorizers", "/authorizers", "name"), resources]))
    cases.append(import_case(root, snap, "test_import_with_integer_http_status_code",
                             "openapi-method-int.spec.yaml", (), [resources]))
    OUT.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(cases)} cases, {sum(len(c['steps']) for c in cases)} steps")


if __name__ == "__main__":
    main()
