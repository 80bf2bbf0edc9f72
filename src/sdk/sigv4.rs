//! SigV4 signing (service `execute-api`) as JavaScript, for the generated clients: with
//! `accessKey`/`secretKey` (and optionally `sessionToken`, `region`) in the client's config,
//! as AWS's generated JavaScript SDK takes them, every request is signed over `host`,
//! `x-amz-date` (and `x-amz-security-token`) and the body's SHA-256, with WebCrypto
//! (`globalThis.crypto.subtle`: Node 19+ and browsers).
//!
//! The canonical URI is the path as sent (already percent-encoded) encoded once more, the
//! canonical query its decoded pairs re-encoded and sorted — what SigV4 prescribes for every
//! service but S3, and what `auth::sigv4` verifies.

/// The signer inside `newClient` (it reads `config`): `signRequest(method, url, headers,
/// body)` resolves once `headers` carry `x-amz-date`, the token and `Authorization`.
pub const SIGNER_JS: &str = r#"
  var textEncoder = new TextEncoder();

  function toHex(bytes) {
    return Array.prototype.map.call(new Uint8Array(bytes), function (b) {
      return ('0' + b.toString(16)).slice(-2);
    }).join('');
  }

  function sha256Hex(text) {
    return globalThis.crypto.subtle.digest('SHA-256', textEncoder.encode(text)).then(toHex);
  }

  function hmac(key, text) {
    var raw = typeof key === 'string' ? textEncoder.encode(key) : key;
    return globalThis.crypto.subtle
      .importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      .then(function (k) { return globalThis.crypto.subtle.sign('HMAC', k, textEncoder.encode(text)); })
      .then(function (sig) { return new Uint8Array(sig); });
  }

  function awsEncode(text) {
    return encodeURIComponent(text).replace(/[!'()*]/g, function (c) {
      return '%' + c.charCodeAt(0).toString(16).toUpperCase();
    });
  }

  function canonicalQuery(search) {
    return search.split('&').filter(function (p) { return p.length > 0; }).map(function (p) {
      var i = p.indexOf('=');
      var k = i < 0 ? p : p.slice(0, i);
      var v = i < 0 ? '' : p.slice(i + 1);
      return [awsEncode(decodeURIComponent(k)), awsEncode(decodeURIComponent(v))];
    }).sort(function (a, b) {
      return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
    }).map(function (kv) { return kv[0] + '=' + kv[1]; }).join('&');
  }

  function signRequest(method, url, headers, body) {
    var u = new URL(url);
    var amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
    var day = amzDate.slice(0, 8);
    var region = config.region || 'us-east-1';
    var scope = day + '/' + region + '/execute-api/aws4_request';
    var signed = { 'host': u.host, 'x-amz-date': amzDate };
    headers['x-amz-date'] = amzDate;
    if (config.sessionToken) {
      signed['x-amz-security-token'] = config.sessionToken;
      headers['x-amz-security-token'] = config.sessionToken;
    }
    var names = Object.keys(signed).sort();
    var canonicalHeaders = names.map(function (n) { return n + ':' + String(signed[n]).trim() + '\n'; }).join('');
    var signedHeaders = names.join(';');
    var canonicalPath = u.pathname.split('/').map(awsEncode).join('/') || '/';
    return sha256Hex(body || '').then(function (payloadHash) {
      return sha256Hex([method, canonicalPath, canonicalQuery(u.search.slice(1)), canonicalHeaders, signedHeaders, payloadHash].join('\n'));
    }).then(function (requestHash) {
      var toSign = ['AWS4-HMAC-SHA256', amzDate, scope, requestHash].join('\n');
      return hmac('AWS4' + config.secretKey, day)
        .then(function (k) { return hmac(k, region); })
        .then(function (k) { return hmac(k, 'execute-api'); })
        .then(function (k) { return hmac(k, 'aws4_request'); })
        .then(function (k) { return hmac(k, toSign); });
    }).then(function (signature) {
      headers['Authorization'] = 'AWS4-HMAC-SHA256 Credential=' + config.accessKey + '/' + scope +
        ', SignedHeaders=' + signedHeaders + ', Signature=' + toHex(signature);
    });
  }
"#;
