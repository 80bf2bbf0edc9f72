"""Signs one execute-api request with botocore's own SigV4 signers and prints JSON.

Usage: python sigv4_botocore.py header|presign METHOD URL BODY ACCESS_KEY SECRET
  header  -> {"headers": {...}}  (SigV4Auth: Authorization + X-Amz-Date)
  presign -> {"url": "..."}      (SigV4QueryAuth: X-Amz-* query parameters)
"""
import json
import sys

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

mode, method, url, body, key, secret = sys.argv[1:7]
credentials = Credentials(key, secret)
headers = {"Content-Type": "application/json"} if body else {}
request = AWSRequest(method=method, url=url, data=body.encode() if body else None, headers=headers)
if mode == "header":
    SigV4Auth(credentials, "execute-api", "us-east-1").add_auth(request)
    print(json.dumps({"headers": dict(request.headers.items())}))
else:
    SigV4QueryAuth(credentials, "execute-api", "us-east-1", expires=60).add_auth(request)
    print(json.dumps({"url": request.url}))
