// gwtui's Node.js bootstrap: loads the handler named by _HANDLER from LAMBDA_TASK_ROOT and loops
// on the AWS Lambda Runtime API (AWS_LAMBDA_RUNTIME_API), calling handler(event, context[,
// callback]) the way Lambda's own Node.js runtime does: async handlers, callback style and
// context.succeed/fail/done all work, so ordinary handlers run unchanged.
'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');
const { pathToFileURL } = require('url');

const API = '/2018-06-01/runtime';
const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port: Number(PORT || 80), method, path: p, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function post(p, payload, headers) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  return request('POST', API + p, body, Object.assign({ 'Content-Type': 'application/json', 'Content-Length': body.length }, headers || {}));
}

function errorPayload(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
    };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

async function loadHandler() {
  const name = process.env._HANDLER || '';
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) {
    throw Object.assign(new Error(`Bad handler ${name}`), { name: 'Runtime.MalformedHandlerName' });
  }
  const modulePath = name.slice(0, dot);
  const fnPath = name.slice(dot + 1).split('.');
  const base = path.resolve(root, modulePath);
  let mod;
  try {
    if (fs.existsSync(base + '.mjs')) {
      mod = await import(pathToFileURL(base + '.mjs').href);
    } else {
      const resolved = require.resolve(base);
      mod = resolved.endsWith('.mjs') ? await import(pathToFileURL(resolved).href) : require(resolved);
    }
  } catch (e) {
    throw Object.assign(new Error(`Cannot find module '${modulePath}': ${e && e.message}`), { name: 'Runtime.ImportModuleError' });
  }
  let handler = mod;
  for (const part of fnPath) handler = handler && handler[part];
  if (typeof handler !== 'function' && mod && mod.default) {
    handler = mod.default;
    for (const part of fnPath) handler = handler && handler[part];
  }
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${modulePath}.${fnPath.join('.')} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return handler;
}

function makeContext(headers, finish) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  const parse = (v) => { try { return v ? JSON.parse(v) : undefined; } catch (_) { return undefined; } };
  return {
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parse(headers['lambda-runtime-client-context']),
    identity: parse(headers['lambda-runtime-cognito-identity']),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    succeed: (result) => finish(null, result),
    fail: (err) => finish(err === undefined || err === null ? new Error('handled') : err),
    done: (err, result) => finish(err, result),
  };
}

function invoke(handler, event, headers) {
  return new Promise((resolve, reject) => {
    let finished = false;
    const finish = (err, result) => {
      if (finished) return;
      finished = true;
      if (err !== undefined && err !== null) reject(err); else resolve(result);
    };
    const context = makeContext(headers, finish);
    try {
      const returned = handler(event, context, finish);
      if (returned && typeof returned.then === 'function') {
        returned.then((v) => finish(null, v), (e) => finish(e === undefined || e === null ? new Error('handled') : e));
      }
    } catch (e) {
      finish(e);
    }
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    const payload = errorPayload(e);
    await post('/init/error', payload, { 'Lambda-Runtime-Function-Error-Type': payload.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await request('GET', API + '/invocation/next');
    if (next.status !== 200) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const id = next.headers['lambda-runtime-aws-request-id'];
    if (next.headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'];
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString('utf8')) : undefined;
    } catch (e) {
      await post(`/invocation/${id}/error`, errorPayload(e), { 'Lambda-Runtime-Function-Error-Type': 'Runtime.UnmarshalError' });
      continue;
    }
    try {
      const result = await invoke(handler, event, next.headers);
      const body = JSON.stringify(result === undefined ? null : result);
      await post(`/invocation/${id}/response`, Buffer.from(body));
    } catch (e) {
      console.error(e);
      const payload = errorPayload(e);
      await post(`/invocation/${id}/error`, payload, { 'Lambda-Runtime-Function-Error-Type': payload.errorType });
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
