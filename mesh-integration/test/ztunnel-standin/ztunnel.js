#!/usr/bin/env node
// A ztunnel stand-in for tests: Node's own http2 + tls stack (independent of .NET) speaking HBONE.
//
//   node ztunnel.js dest   --listen IP:PORT --cert F --key F --ca F --name POD [--trust-domain TD] [--tcp-echo-port N]...
//     A destination pod: HBONE server (TLS 1.3, client cert required and in the trust domain, ALPN h2,
//     plain HTTP/2 CONNECT only, else 400). Each tunnel is served by an HTTP/1.1 echo app (or echoed
//     as raw bytes when the CONNECT port is a --tcp-echo-port, or piped to a local app when the CONNECT
//     port is named by --forward-port PORT=HOST:APPPORT, as ztunnel delivers to the pod's app). The echo answer is JSON naming the pod
//     and the client SPIFFE ID seen on the HBONE connection, so tests can check identities.
//
//   node ztunnel.js source --cert F --key F --ca F [--local IP]
//     A source pod: a control server on 127.0.0.1 (prints LISTENING <port>); POST /send with JSON
//     {hbone, expectSan, authority, method, path, headers, body, raw, rawMethod, cert, key, noCert}
//     opens (or reuses) an HBONE session to `hbone`, verifies the server's URI SAN equals
//     `expectSan`, sends CONNECT `authority`, then one HTTP/1.1 request (or raw bytes) through it and
//     answers {ok, connectStatus, status, headers, body} or {ok:false, stage, error}.
//     POST /forward with JSON {hbone, expectSan, authority} opens a plain TCP listener on 127.0.0.1 and
//     answers {port}: every connection to it becomes one CONNECT tunnel (ztunnel's outbound capture), so
//     any client (grpc-js) can talk through HBONE.
'use strict';
const fs = require('fs');
const http = require('http');
const http2 = require('http2');
const net = require('net');
const tls = require('tls');

function parseArgs(argv) {
  const args = { _: [], 'tcp-echo-port': [], 'forward-port': [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      const value = argv[++i];
      if (Array.isArray(args[key])) args[key].push(value); else args[key] = value;
    } else {
      args._.push(a);
    }
  }
  return args;
}

function uriSans(cert) {
  const san = (cert && cert.subjectaltname) || '';
  return san.split(', ').filter(s => s.startsWith('URI:')).map(s => s.slice(4));
}

function splitHostPort(text) {
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(text.slice(i + 1)) };
}

function dest(args) {
  const td = args['trust-domain'] || 'cluster.local';
  const tcpPorts = new Set(args['tcp-echo-port'].map(Number));
  const forwards = new Map(args['forward-port'].map(f => { const [port, to] = f.split('='); return [Number(port), splitHostPort(to)]; }));
  const listen = splitHostPort(args.listen);
  const app = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      console.log(`REQUEST ${req.method} ${req.url}`); // tests look for requests the waypoint sent on its own (mirrors)
      const tunnel = req.socket.hbone || {};
      const body = JSON.stringify({
        pod: args.name,
        peer: tunnel.peer,
        authority: tunnel.authority,
        forwarded: tunnel.forwarded,
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-pod': args.name });
      res.end(body);
    });
  });
  const server = http2.createSecureServer({
    key: fs.readFileSync(args.key),
    cert: fs.readFileSync(args.cert),
    ca: fs.readFileSync(args.ca),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
    ALPNProtocols: ['h2'],
  });
  server.on('secureConnection', socket => {
    // ztunnel's TrustDomainVerifier: a valid chain is not enough, the client must be in our trust domain.
    const sans = uriSans(socket.getPeerCertificate());
    if (!sans.some(s => s.startsWith(`spiffe://${td}/`))) {
      console.log(`REFUSED_IDENTITY ${sans.join(',') || '(none)'}`);
      socket.destroy();
    }
  });
  server.on('stream', (stream, headers) => {
    const peer = uriSans(stream.session.socket.getPeerCertificate())[0];
    if (headers[':method'] !== 'CONNECT' || headers[':path'] !== undefined) {
      console.log(`BAD_REQUEST ${headers[':method']}`);
      stream.respond({ ':status': 400 });
      stream.end();
      return;
    }
    const authority = headers[':authority'];
    const target = splitHostPort(authority);
    console.log(`CONNECT ${authority} ${peer}`);
    stream.respond({ ':status': 200 });
    if (tcpPorts.has(target.port)) {
      stream.pipe(stream);
      return;
    }
    const forward = forwards.get(target.port);
    if (forward) {
      const socket = net.connect(forward.port, forward.host);
      socket.on('error', () => stream.close(http2.constants.NGHTTP2_CONNECT_ERROR));
      stream.on('error', () => socket.destroy());
      stream.on('close', () => socket.destroy());
      stream.pipe(socket).pipe(stream);
      return;
    }
    stream.hbone = { peer, authority, forwarded: headers['forwarded'] };
    stream.setTimeout(0);
    app.emit('connection', stream);
  });
  server.on('sessionError', e => console.log(`SESSION_ERROR ${e.message}`));
  server.on('tlsClientError', e => console.log(`TLS_ERROR ${e.message}`));
  server.listen(listen.port, listen.host, () => console.log(`LISTENING ${server.address().port}`));
}

function source(args) {
  const sessions = new Map();
  const ca = fs.readFileSync(args.ca);
  function session(req) {
    const certFile = req.noCert ? null : (req.cert || args.cert);
    const keyFile = req.noCert ? null : (req.key || args.key);
    const key = `${req.hbone}|${req.expectSan}|${certFile}`;
    const existing = sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return Promise.resolve(existing);
    const { host, port } = splitHostPort(req.hbone);
    return new Promise((resolve, reject) => {
      const options = {
        host, port, ca,
        minVersion: 'TLSv1.3',
        ALPNProtocols: ['h2'],
        // Like ztunnel: no SNI (an IP literal sends none), and the server must carry the expected SPIFFE ID.
        checkServerIdentity: (_name, cert) => {
          const sans = uriSans(cert);
          return sans.includes(req.expectSan) ? undefined : new Error(`server identity ${sans.join(',')} is not ${req.expectSan}`);
        },
      };
      if (args.local) options.localAddress = args.local;
      if (certFile) {
        options.cert = fs.readFileSync(certFile);
        options.key = fs.readFileSync(keyFile);
      }
      const s = http2.connect(`https://${req.hbone}`, { createConnection: () => tls.connect(options) });
      s.once('connect', () => { sessions.set(key, s); resolve(s); });
      s.once('error', e => { sessions.delete(key); reject(e); });
      s.once('close', () => { sessions.delete(key); reject(new Error('session closed')); });
    });
  }

  function send(req) {
    return new Promise(async resolve => {
      let s;
      try {
        s = await session(req);
      } catch (e) {
        resolve({ ok: false, stage: 'session', error: e.message });
        return;
      }
      const headers = req.rawMethod
        ? { ':method': req.rawMethod, ':path': '/', ':scheme': 'https', ':authority': req.authority }
        : { ':method': 'CONNECT', ':authority': req.authority, ...(req.connectHeaders || {}) };
      const tunnel = s.request(headers, { endStream: !!req.rawMethod });
      tunnel.once('error', e => resolve({ ok: false, stage: 'connect', error: e.message }));
      tunnel.once('close', () => resolve({ ok: false, stage: 'connect', error: `stream closed (${tunnel.rstCode})` }));
      tunnel.once('response', h => {
        const connectStatus = h[':status'];
        if (connectStatus !== 200) {
          tunnel.close();
          resolve({ ok: false, stage: 'connect', connectStatus });
          return;
        }
        if (req.raw !== undefined) {
          const chunks = [];
          tunnel.on('data', c => chunks.push(c));
          tunnel.on('end', () => resolve({ ok: true, connectStatus, raw: Buffer.concat(chunks).toString('utf8') }));
          tunnel.end(req.raw);
          return;
        }
        const r = http.request({
          createConnection: () => tunnel,
          method: req.method || 'GET',
          path: req.path || '/',
          headers: { host: req.host || req.authority, ...(req.headers || {}) },
        }, res => {
          const chunks = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () => {
            tunnel.close();
            resolve({ ok: true, connectStatus, status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          });
        });
        r.on('error', e => resolve({ ok: false, stage: 'http', error: e.message }));
        r.end(req.body || undefined);
      });
    });
  }

  function forward(req) {
    return new Promise(resolve => {
      const listener = net.createServer(socket => {
        socket.pause();
        session(req).then(s => {
          const tunnel = s.request({ ':method': 'CONNECT', ':authority': req.authority });
          tunnel.once('response', h => {
            if (h[':status'] !== 200) { console.log(`FORWARD_REFUSED ${h[':status']}`); socket.destroy(); tunnel.close(); return; }
            socket.pipe(tunnel).pipe(socket);
            socket.resume();
          });
          tunnel.on('error', () => socket.destroy());
          tunnel.on('close', () => socket.destroy());
          socket.on('error', () => tunnel.close());
        }, e => { console.log(`FORWARD_SESSION ${e.message}`); socket.destroy(); });
      });
      listener.listen(0, '127.0.0.1', () => resolve({ ok: true, port: listener.address().port }));
    });
  }

  const control = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const result = req.url === '/forward' ? await forward(body) : await send(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result));
    });
  });
  control.listen(0, '127.0.0.1', () => console.log(`LISTENING ${control.address().port}`));
}

const args = parseArgs(process.argv.slice(2));
process.stdin.on('end', () => process.exit(0)); // the test closes stdin to stop us
process.stdin.resume();
if (args._[0] === 'dest') dest(args);
else if (args._[0] === 'source') source(args);
else { console.error('usage: ztunnel.js dest|source ...'); process.exit(2); }
