"""gwtui's Python bootstrap: loads the handler named by _HANDLER from LAMBDA_TASK_ROOT and loops
on the AWS Lambda Runtime API (AWS_LAMBDA_RUNTIME_API), calling handler(event, context) the way
Lambda's own Python runtime does, so ordinary handlers run unchanged."""

import http.client
import importlib
import json
import os
import sys
import time
import traceback

API = "/2018-06-01/runtime"
HOST, _, PORT = os.environ["AWS_LAMBDA_RUNTIME_API"].partition(":")
PORT = int(PORT or "80")
_conn = None


def _request(method, path, body=None, headers=None):
    """One request on a kept-alive connection (reconnects once if the connection went away)."""
    global _conn
    for attempt in (0, 1):
        if _conn is None:
            _conn = http.client.HTTPConnection(HOST, PORT)
        try:
            _conn.request(method, path, body=body, headers=headers or {})
            response = _conn.getresponse()
            return response, response.read()
        except (http.client.HTTPException, OSError):
            _conn.close()
            _conn = None
            if attempt:
                raise


def _post(path, payload, headers=None):
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    _request("POST", API + path, body, h)


def _error_payload(exc, request_id=None):
    tb = traceback.extract_tb(exc.__traceback__)
    payload = {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_list(tb),
    }
    if request_id:
        payload["requestId"] = request_id
    return payload


class LambdaContext:
    """The `context` argument: Lambda's attribute and method names."""

    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)


def _load_handler():
    name = os.environ.get("_HANDLER", "")
    root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if root not in sys.path:
        sys.path.insert(0, root)
    module_path, _, function_name = name.rpartition(".")
    if not module_path or not function_name:
        raise _InitError("Runtime.MalformedHandlerName", "Bad handler '%s': not enough values to unpack" % name)
    try:
        module = importlib.import_module(module_path.replace("/", "."))
    except Exception as exc:  # noqa: BLE001 - reported to the Runtime API like Lambda does
        raise _InitError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_path, exc))
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError(
            "Runtime.HandlerNotFound",
            "Handler '%s' missing on module '%s'" % (function_name, module_path),
        )
    return handler


class _InitError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def main():
    try:
        handler = _load_handler()
    except _InitError as exc:
        _post("/init/error", {"errorMessage": str(exc), "errorType": exc.error_type, "stackTrace": []},
              {"Lambda-Runtime-Function-Error-Type": exc.error_type})
        sys.exit(1)
    while True:
        response, body = _request("GET", API + "/invocation/next")
        if response.status != 200:
            time.sleep(0.05)
            continue
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        deadline = int(response.getheader("Lambda-Runtime-Deadline-Ms") or "0")
        arn = response.getheader("Lambda-Runtime-Invoked-Function-Arn")
        trace = response.getheader("Lambda-Runtime-Trace-Id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        cc = response.getheader("Lambda-Runtime-Client-Context")
        ci = response.getheader("Lambda-Runtime-Cognito-Identity")
        context = LambdaContext(request_id, deadline, arn, json.loads(cc) if cc else None,
                                json.loads(ci) if ci else None)
        try:
            event = json.loads(body) if body else None
            result = handler(event, context)
            try:
                payload = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                _post("/invocation/%s/error" % request_id,
                      {"errorMessage": "Unable to marshal response: %s" % exc,
                       "errorType": "Runtime.MarshalError", "requestId": request_id, "stackTrace": []},
                      {"Lambda-Runtime-Function-Error-Type": "Runtime.MarshalError"})
                continue
            _post("/invocation/%s/response" % request_id, payload)
        except Exception as exc:  # noqa: BLE001 - a handler error is the invocation's result
            traceback.print_exc()
            error = _error_payload(exc, request_id)
            _post("/invocation/%s/error" % request_id, error,
                  {"Lambda-Runtime-Function-Error-Type": "Unhandled"})


if __name__ == "__main__":
    main()
