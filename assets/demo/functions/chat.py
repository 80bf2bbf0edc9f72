"""The demo WebSocket chat's Lambda handler, after AWS's simple-websocket-chat-app:
`$connect` remembers the connection, `$disconnect` forgets it, `sendmessage`
(`{"action": "sendmessage", "data": "..."}`) posts the data to every connection through the
`@connections` API; a connection that is gone (410) is forgotten.

Connections live in SQLite (`CHAT_DB`) where AWS's sample uses DynamoDB. The `@connections`
client is boto3's `apigatewaymanagementapi` when boto3 is installed, else a small SigV4
signer on urllib: either signs with the credential gwtui puts in every worker's environment
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`) and calls `GWTUI_ENDPOINT`."""
import datetime
import hashlib
import hmac
import json
import os
import sqlite3
import urllib.error
import urllib.parse
import urllib.request


def _db():
    db = sqlite3.connect(os.environ.get("CHAT_DB", "/tmp/gwtui-chat.sqlite3"), timeout=10)
    db.execute("CREATE TABLE IF NOT EXISTS connections (id TEXT PRIMARY KEY, api TEXT, stage TEXT)")
    return db


def _endpoint(ctx):
    base = os.environ.get("GWTUI_ENDPOINT", "http://127.0.0.1:4566")
    return "%s/restapis/%s/%s/_user_request_" % (base, ctx["apiId"], ctx["stage"])


class Gone(Exception):
    pass


def _post_boto3(endpoint, connection_id, data):
    import boto3

    client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=data)
    except client.exceptions.GoneException:
        raise Gone()


def _sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _post_urllib(endpoint, connection_id, data):
    url = "%s/@connections/%s" % (endpoint, urllib.parse.quote(connection_id, safe=""))
    parsed = urllib.parse.urlsplit(url)
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    region = os.environ.get("AWS_REGION", "us-east-1")
    payload_hash = hashlib.sha256(data).hexdigest()
    path = urllib.parse.quote(parsed.path, safe="/-_.~")
    canonical = "\n".join([
        "POST", path, "", "host:" + parsed.netloc, "x-amz-content-sha256:" + payload_hash,
        "x-amz-date:" + amz_date, "", "host;x-amz-content-sha256;x-amz-date", payload_hash,
    ])
    scope = "%s/%s/execute-api/aws4_request" % (day, region)
    to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest(),
    ])
    key = _sign(("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode(), day)
    for part in (region, "execute-api", "aws4_request"):
        key = _sign(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_hash,
        "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=%s"
        % (os.environ["AWS_ACCESS_KEY_ID"], scope, signature),
    })
    try:
        urllib.request.urlopen(request, timeout=10).read()
    except urllib.error.HTTPError as e:
        if e.code == 410:
            raise Gone()
        raise


def _post(endpoint, connection_id, data):
    try:
        import boto3  # noqa: F401
    except ImportError:
        return _post_urllib(endpoint, connection_id, data)
    return _post_boto3(endpoint, connection_id, data)


def handler(event, context):
    ctx = event["requestContext"]
    route = ctx["routeKey"]
    db = _db()
    try:
        if route == "$connect":
            with db:
                db.execute(
                    "INSERT OR REPLACE INTO connections VALUES (?, ?, ?)",
                    (ctx["connectionId"], ctx["apiId"], ctx["stage"]),
                )
            return {"statusCode": 200, "body": "Connected."}
        if route == "$disconnect":
            with db:
                db.execute("DELETE FROM connections WHERE id = ?", (ctx["connectionId"],))
            return {"statusCode": 200, "body": "Disconnected."}
        try:
            data = json.loads(event.get("body") or "{}").get("data", "")
        except ValueError:
            return {"statusCode": 400, "body": "Send JSON: {\"action\": \"sendmessage\", \"data\": \"...\"}"}
        payload = (data if isinstance(data, str) else json.dumps(data)).encode()
        endpoint = _endpoint(ctx)
        rows = db.execute(
            "SELECT id FROM connections WHERE api = ? AND stage = ?", (ctx["apiId"], ctx["stage"])
        ).fetchall()
        for (connection_id,) in rows:
            try:
                _post(endpoint, connection_id, payload)
            except Gone:
                with db:
                    db.execute("DELETE FROM connections WHERE id = ?", (connection_id,))
        return {"statusCode": 200, "body": "Data sent."}
    finally:
        db.close()
