#!/usr/bin/env node
// gRPC peer of the end-to-end tests, on @grpc/grpc-js (an HTTP/2 + gRPC stack independent of .NET).
//
//   node grpc.js server --name NAME --addresses 127.1.2.10[,127.1.2.11]
//     Serves echo.Echo (peers/echo.proto) in plaintext h2c on one OS-chosen port on every address and
//     prints {"ready":true,"port":P}. Replies name the backend and echo the request metadata; responses
//     carry the header "x-backend: NAME" and the trailer "x-trailer: NAME".
//
//   node grpc.js client --target HOST:PORT --authority NAME --method Unary|Stream|Unrouted
//                       [--text T] [--count N] [--repeat N] [--metadata k=v,k2=v2] [--ca ca.pem]
//     Calls through h2c with prior knowledge (or TLS with ALPN h2 when --ca names the PEM roots to trust;
//     the authority is then also the TLS name) and prints one JSON line: {ok, code, details, replies,
//     headers, trailers, backends} (backends counts replies per backend over --repeat unary calls).
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync(path.join(__dirname, 'echo.proto'), { keepCase: true, defaults: true });
const echo = grpc.loadPackageDefinition(definition).echo;

function args() {
  const out = { _: process.argv[2] };
  for (let i = 3; i < process.argv.length; i += 2) {
    out[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  }
  return out;
}

function metadataObject(metadata) {
  const result = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    result[key] = Buffer.isBuffer(value) ? value.toString('base64') : String(value);
  }
  return result;
}

function runServer(opts) {
  const name = opts.name || 'grpc';
  const addresses = (opts.addresses || '127.0.0.1').split(',');
  const reply = (call, text, index) => ({
    text,
    backend: name,
    metadata: metadataObject(call.metadata),
    index,
  });
  const server = new grpc.Server();
  const headers = () => { const m = new grpc.Metadata(); m.set('x-backend', name); return m; };
  const trailers = () => { const m = new grpc.Metadata(); m.set('x-trailer', name); return m; };
  server.addService(echo.Echo.service, {
    Unary(call, callback) {
      call.sendMetadata(headers());
      callback(null, reply(call, call.request.text, 0), trailers());
    },
    Unrouted(call, callback) {
      callback(null, reply(call, 'unrouted', 0));
    },
    Stream(call) {
      call.sendMetadata(headers());
      const count = Math.max(0, call.request.count || 0);
      for (let i = 0; i < count; i++) {
        call.write(reply(call, call.request.text, i));
      }
      call.end(trailers());
    },
  });

  const bind = (address, port) => new Promise((resolve, reject) =>
    server.bindAsync(`${address}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => err ? reject(err) : resolve(bound)));
  (async () => {
    const port = await bind(addresses[0], 0);
    for (const address of addresses.slice(1)) {
      await bind(address, port);
    }
    console.log(JSON.stringify({ ready: true, port }));
  })().catch(err => { console.error(err); process.exit(1); });
  const stop = () => server.forceShutdown();
  process.on('SIGTERM', () => { stop(); process.exit(0); });
  process.on('SIGINT', () => { stop(); process.exit(0); });
}

function callOnce(client, opts) {
  const metadata = new grpc.Metadata();
  for (const pair of (opts.metadata || '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    metadata.add(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const request = { text: opts.text || 'hello', count: Number(opts.count || 0) };
  const deadline = new Date(Date.now() + 10000);
  return new Promise(resolve => {
    const result = { ok: false, code: null, details: null, replies: [], headers: {}, trailers: {} };
    if (opts.method === 'Stream') {
      const call = client.Stream(request, metadata, { deadline });
      call.on('metadata', m => { result.headers = metadataObject(m); });
      call.on('data', r => result.replies.push(r));
      call.on('error', () => {});
      call.on('status', s => {
        result.code = s.code;
        result.details = s.details;
        result.trailers = metadataObject(s.metadata);
        result.ok = s.code === 0;
        resolve(result);
      });
      return;
    }
    const call = client[opts.method || 'Unary'](request, metadata, { deadline }, (err, r) => {
      if (r) {
        result.replies.push(r);
      }
      if (err) {
        result.details = err.details;
      }
    });
    call.on('metadata', m => { result.headers = metadataObject(m); });
    call.on('status', s => {
      result.code = s.code;
      result.details = s.details;
      result.trailers = metadataObject(s.metadata);
      result.ok = s.code === 0;
      // The unary callback runs before 'status'; give it a tick to land.
      setImmediate(() => resolve(result));
    });
  });
}

async function runClient(opts) {
  const options = {};
  if (opts.authority) {
    options['grpc.default_authority'] = opts.authority;
  }
  let credentials = grpc.credentials.createInsecure();
  if (opts.ca) {
    credentials = grpc.credentials.createSsl(require('fs').readFileSync(opts.ca));
    if (opts.authority) {
      options['grpc.ssl_target_name_override'] = opts.authority;
    }
  }
  const client = new echo.Echo(opts.target, credentials, options);
  const repeat = Math.max(1, Number(opts.repeat || 1));
  let last;
  const backends = {};
  const codes = {};
  for (let i = 0; i < repeat; i++) {
    last = await callOnce(client, opts);
    codes[last.code] = (codes[last.code] || 0) + 1;
    for (const r of last.replies) {
      backends[r.backend] = (backends[r.backend] || 0) + 1;
    }
  }
  client.close();
  console.log(JSON.stringify({ ...last, backends, codes }));
}

const opts = args();
if (opts._ === 'server') {
  runServer(opts);
} else if (opts._ === 'client') {
  runClient(opts).catch(err => { console.error(err); process.exit(1); });
} else {
  console.error('usage: grpc.js server|client ...');
  process.exit(2);
}
