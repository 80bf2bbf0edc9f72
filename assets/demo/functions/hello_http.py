"""The demo HTTP API's Lambda handler (payload format 2.0): greets the caller and shows
what API Gateway passed in."""
import json


def handler(event, context):
    ctx = event.get("requestContext", {})
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({
            "hello": (event.get("queryStringParameters") or {}).get("name", "world"),
            "routeKey": event.get("routeKey"),
            "rawPath": event.get("rawPath"),
            "stage": ctx.get("stage"),
            "requestId": context.aws_request_id,
        }),
    }
