#!/usr/bin/env node
// One TLS (or, with --plain, TCP) client exchange for TLSRoute/TCPRoute tests (Node built-ins only):
//   node tls-client.js --host A --port P [--servername S] [--lines "a,b"] [--plain 1] [--alpn h2,http/1.1]
// Connects (no certificate verification: tests compare the certificate seen), sends each line, half-closes,
// reads until the server ends, and prints one JSON line {ok, subjectCN, alpn, received} or {ok:false, error}.
'use strict';
const net = require('net');
const tls = require('tls');

const opts = {};
for (let i = 2; i < process.argv.length; i += 2) {
  opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

const lines = (opts.lines || 'hello').split(',');
let received = '';
let done = false;
function finish(result) {
  if (done) return;
  done = true;
  console.log(JSON.stringify(result));
  process.exit(0);
}

const port = Number(opts.port);
const socket = opts.plain
  ? net.connect({ host: opts.host, port, allowHalfOpen: true })
  : tls.connect({
    host: opts.host,
    port,
    servername: opts.servername,
    rejectUnauthorized: false,
    ALPNProtocols: opts.alpn ? opts.alpn.split(',') : undefined,
    allowHalfOpen: true,
  });
socket.setEncoding('utf8');
socket.on(opts.plain ? 'connect' : 'secureConnect', () => {
  for (const line of lines) socket.write(line + '\n');
  socket.end();
});
socket.on('data', (d) => { received += d; });
socket.on('end', () => {
  const cert = opts.plain ? null : socket.getPeerCertificate();
  finish({
    ok: true,
    subjectCN: cert && cert.subject ? cert.subject.CN : null,
    alpn: opts.plain ? null : socket.alpnProtocol || null,
    received: received.split('\n').filter((l) => l.length > 0),
  });
});
socket.on('error', (e) => finish({ ok: false, error: e.code || e.message, received }));
setTimeout(() => finish({ ok: false, error: 'timeout', received }), 15000);
