"""Starts moto's server (PyPI `moto[server]`) on a free loopback port with its IAM checks on,
so every request must carry a valid SigV4 signature from a known access key. Creates that key
(an IAM user with an allow-all policy), prints one JSON line
{"endpoint", "access_key_id", "secret_access_key"} and serves until stdin closes, i.e. until
the test process that started it exits."""

import json
import os
import sys

# The first three requests (the IAM calls below) are let through without credentials; every
# later request is authenticated (signature checked) and authorized.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
endpoint = f"http://{host}:{port}"
iam = boto3.client(
    "iam",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="bootstrap",
    aws_secret_access_key="bootstrap",
)
iam.create_user(UserName="gwtui")
iam.put_user_policy(
    UserName="gwtui",
    PolicyName="all",
    PolicyDocument=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    ),
)
key = iam.create_access_key(UserName="gwtui")["AccessKey"]
sys.stdout.write(
    json.dumps(
        {
            "endpoint": endpoint,
            "access_key_id": key["AccessKeyId"],
            "secret_access_key": key["SecretAccessKey"],
        }
    )
    + "\n"
)
sys.stdout.flush()
sys.stdin.read()
os._exit(0)
