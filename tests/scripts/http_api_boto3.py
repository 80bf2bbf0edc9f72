"""boto3's apigatewayv2 client against gwtui: an HTTP API built, deployed, invoked, paged,
tagged, updated, imported, exported and deleted.

Usage: python http_api_boto3.py ENDPOINT BACKEND_URL
Prints one JSON line {"apiId": ..., "importedId": ...} on success; any failed check raises.
"""
import json
import sys
import urllib.error
import urllib.request

import boto3
from botocore.exceptions import ClientError

endpoint, backend = sys.argv[1], sys.argv[2]
v2 = boto3.client("apigatewayv2", endpoint_url=endpoint, region_name="us-east-1")


def invoke(api_id, stage, path):
    url = f"{endpoint}/restapis/{api_id}/{stage}/_user_request_{path}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url)) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def error_code(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError(f"{fn.__name__} should have failed")


api = v2.create_api(Name="boto3-http", ProtocolType="HTTP", Tags={"team": "gw"},
                    CorsConfiguration={"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET"]})
api_id = api["ApiId"]
assert api["Name"] == "boto3-http" and api["ProtocolType"] == "HTTP", api
assert api["CorsConfiguration"]["AllowOrigins"] == ["https://a.example"], api
assert hasattr(api["CreatedDate"], "year"), api  # parsed as a timestamp

integration = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                    IntegrationUri=backend + "/{proxy}", PayloadFormatVersion="1.0")
iid = integration["IntegrationId"]
assert integration["TimeoutInMillis"] == 30000, integration
for i in range(3):
    v2.create_route(ApiId=api_id, RouteKey=f"GET /r{i}/{{proxy+}}", Target=f"integrations/{iid}")
routes = v2.get_routes(ApiId=api_id, MaxResults="2")
assert len(routes["Items"]) == 2 and routes["NextToken"], routes
rest = v2.get_routes(ApiId=api_id, MaxResults="2", NextToken=routes["NextToken"])
assert len(rest["Items"]) == 1 and "NextToken" not in rest, rest

stage = v2.create_stage(ApiId=api_id, StageName="dev", StageVariables={"v": "1"},
                        DefaultRouteSettings={"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50.0})
assert "DeploymentId" not in stage, stage
status, _ = invoke(api_id, "dev", "/r0/x")
assert status == 404, status  # a stage without a deployment serves nothing
deployment = v2.create_deployment(ApiId=api_id, StageName="dev", Description="first")
assert deployment["DeploymentStatus"] == "DEPLOYED" and deployment["AutoDeployed"] is False, deployment
status, body = invoke(api_id, "dev", "/r1/a/b")
assert status == 200, (status, body)
assert json.loads(body)["uri"] == "/a/b", body

v2.update_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
v2.update_route(ApiId=api_id, RouteId=v2.get_routes(ApiId=api_id)["Items"][0]["RouteId"], RouteKey="GET /renamed/{proxy+}")
status, body = invoke(api_id, "dev", "/renamed/z")
assert status == 200, (status, body)

updated = v2.update_api(ApiId=api_id, Description="now described")
assert updated["Description"] == "now described", updated
arn = f"arn:aws:apigateway:us-east-1::/apis/{api_id}"
v2.tag_resource(ResourceArn=arn, Tags={"env": "test"})
assert v2.get_tags(ResourceArn=arn)["Tags"] == {"team": "gw", "env": "test"}
v2.untag_resource(ResourceArn=arn, TagKeys=["team"])
assert v2.get_tags(ResourceArn=arn)["Tags"] == {"env": "test"}

exported = v2.export_api(ApiId=api_id, Specification="OAS30", OutputType="YAML")["body"].read().decode()
assert "3.0.1" in exported and "x-amazon-apigateway-integration" in exported, exported
imported = v2.import_api(Body=v2.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")["body"].read().decode())
assert imported["Name"] == "boto3-http", imported
assert len(v2.get_routes(ApiId=imported["ApiId"])["Items"]) == 3

assert error_code(v2.get_api, ApiId="nope") == ("NotFoundException", 404)
assert error_code(v2.create_route, ApiId=api_id, RouteKey="BAD") == ("BadRequestException", 400)
assert error_code(v2.delete_integration, ApiId=api_id, IntegrationId=iid) == ("ConflictException", 409)

v2.delete_stage(ApiId=api_id, StageName="dev")
v2.delete_api(ApiId=api_id)
assert error_code(v2.get_api, ApiId=api_id) == ("NotFoundException", 404)
print(json.dumps({"apiId": api_id, "importedId": imported["ApiId"]}))
