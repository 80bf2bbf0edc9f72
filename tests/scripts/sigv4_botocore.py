"""Signs one request with botocore's own SigV4 signers and prints JSON.

Usage: python sigv4_botocore.py header|presign METHOD URL BODY ACCESS_KEY SECRET
                                [SERVICE [REGION [SESSION_TOKEN]]]
  header  -> {"headers": {...}}  (SigV4Auth: Authorization + X-Amz-Date [+ X-Amz-Security-Token])
  presign -> {"url": "..."}      (SigV4QueryAuth: X-Amz-* query parameters)
SERVICE defaults to execute-api, REGION to us-east-1; an empty SESSION_TOKEN means none.
"""
import json
import sys

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

mode, method, url, body, key, secret = sys.argv[1:7]
service = sys.argv[7] if len(sys.argv) > 7 else "execute-api"
region = sys.argv[8] if len(sys.argv) > 8 else "us-east-1"
token = (sys.argv[9] if len(sys.argv) > 9 else "") or None
credentials = Credentials(key, secret, token)
headers = {"Content-Type": "application/json"} if body else {}
request = AWSRequest(method=method, url=url, data=body.encode() if body else None, headers=headers)
if mode == "header":
    SigV4Auth(credentials, service, region).add_auth(request)
    print(json.dumps({"headers": dict(request.headers.items())}))
else:
    SigV4QueryAuth(credentials, service, region, expires=60).add_auth(request)
    print(json.dumps({"url": request.url}))
