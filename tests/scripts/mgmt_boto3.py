"""boto3 against gwtui's management API: the same flow as the AWS CLI test.

Usage: python mgmt_boto3.py ENDPOINT BACKEND_URL
Prints one JSON line {"apiId": ..., "importedId": ...} on success; any failed check raises.
"""
import json
import sys
import tempfile
import urllib.request
import urllib.error

import boto3
from botocore.exceptions import ClientError

endpoint, backend = sys.argv[1], sys.argv[2]
gw = boto3.client("apigateway", endpoint_url=endpoint, region_name="us-east-1")


def invoke(api_id, path):
    url = f"{endpoint}/restapis/{api_id}/test/_user_request_{path}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url)) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


api = gw.create_rest_api(name="boto3-api", tags={"team": "gw"})
api_id = api["id"]
assert api["name"] == "boto3-api", api
root = gw.get_resources(restApiId=api_id)["items"][0]
assert root["path"] == "/", root

mock = gw.create_resource(restApiId=api_id, parentId=root["id"], pathPart="mock")
gw.put_method(restApiId=api_id, resourceId=mock["id"], httpMethod="GET", authorizationType="NONE")
gw.put_integration(restApiId=api_id, resourceId=mock["id"], httpMethod="GET", type="MOCK",
                   requestTemplates={"application/json": '{"statusCode": 200}'})
gw.put_method_response(restApiId=api_id, resourceId=mock["id"], httpMethod="GET", statusCode="200",
                       responseParameters={"method.response.header.x-mock": False})
gw.put_integration_response(restApiId=api_id, resourceId=mock["id"], httpMethod="GET", statusCode="200",
                            selectionPattern="",
                            responseParameters={"method.response.header.x-mock": "'yes'"},
                            responseTemplates={"application/json": '{"mock": true}'})

proxy = gw.create_resource(restApiId=api_id, parentId=root["id"], pathPart="backend")
gw.put_method(restApiId=api_id, resourceId=proxy["id"], httpMethod="GET", authorizationType="NONE")
pi = gw.put_integration(restApiId=api_id, resourceId=proxy["id"], httpMethod="GET", type="HTTP_PROXY",
                        integrationHttpMethod="GET", uri=f"{backend}/echo")
assert pi["type"] == "HTTP_PROXY" and pi["httpMethod"] == "GET", pi

# Paging: one resource per page, following `position`.
pages = gw.get_paginator("get_resources").paginate(restApiId=api_id, PaginationConfig={"PageSize": 1})
paths = sorted(r["path"] for page in pages for r in page["items"])
assert paths == ["/", "/backend", "/mock"], paths

dep = gw.create_deployment(restApiId=api_id, stageName="test", variables={"greeting": "hello"})
status, headers, body = invoke(api_id, "/mock")
assert (status, body) == (200, '{"mock": true}'), (status, body)
assert headers.get("x-mock") == "yes", headers
status, headers, body = invoke(api_id, "/backend")
assert status == 200 and json.loads(body)["uri"] == "/echo", (status, body)

stages = gw.get_stages(restApiId=api_id)["item"]
assert [s["stageName"] for s in stages] == ["test"], stages
assert stages[0]["variables"] == {"greeting": "hello"}, stages

updated = gw.update_stage(restApiId=api_id, stageName="test", patchOperations=[
    {"op": "replace", "path": "/variables/greeting", "value": "bye"},
    {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "60"},
    {"op": "replace", "path": "/~1backend/GET/throttling/burstLimit", "value": "7"},
])
assert updated["variables"]["greeting"] == "bye", updated
assert updated["methodSettings"]["*/*"]["cacheTtlInSeconds"] == 60, updated
assert updated["methodSettings"]["backend/GET"]["throttlingBurstLimit"] == 7, updated
status, _, body = invoke(api_id, "/mock")
assert status == 200, (status, body)

# Bad input comes back as botocore ClientErrors with AWS's codes.
for call, code in [
    (lambda: gw.get_rest_api(restApiId="nope"), "NotFoundException"),
    (lambda: gw.update_stage(restApiId=api_id, stageName="test",
                             patchOperations=[{"op": "replace", "path": "/bogus", "value": "1"}]), "BadRequestException"),
    (lambda: gw.update_stage(restApiId=api_id, stageName="test",
                             patchOperations=[{"op": "replace", "path": "/variables/bad-name", "value": "x"}]), "BadRequestException"),
    (lambda: gw.delete_deployment(restApiId=api_id, deploymentId=dep["id"]), "BadRequestException"),
]:
    try:
        call()
        raise AssertionError(f"expected {code}")
    except ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response

export = gw.get_export(restApiId=api_id, stageName="test", exportType="swagger",
                       parameters={"extensions": "integrations"}, accepts="application/yaml")
assert export["contentType"] == "application/yaml", export
text = export["body"].read().decode()
assert "swagger:" in text and "x-amazon-apigateway-integration" in text, text
imported = gw.import_rest_api(body=text.encode())
assert imported["name"] == "boto3-api", imported

gw.flush_stage_cache(restApiId=api_id, stageName="test")
gw.tag_resource(resourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api_id}", tags={"env": "dev"})
tags = gw.get_tags(resourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api_id}")["tags"]
assert tags == {"team": "gw", "env": "dev"}, tags

gw.delete_rest_api(restApiId=api_id)
try:
    gw.get_rest_api(restApiId=api_id)
    raise AssertionError("the API should be gone")
except ClientError as e:
    assert e.response["Error"]["Code"] == "NotFoundException", e.response
status, _, _ = invoke(api_id, "/mock")
assert status == 403, status

print(json.dumps({"apiId": api_id, "importedId": imported["id"], "deploymentId": dep["id"]}))
