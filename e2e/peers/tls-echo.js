#!/usr/bin/env node
// HTTPS echo for BackendTLSPolicy tests (Node built-ins only):
//   node tls-echo.js --name NAME --address 127.1.2.10 --cert cert.pem --key key.pem
// Answers every request with JSON {tlsBackend, sni, path, host, alpn} and prints {"ready":true,"port":P}.
'use strict';
const https = require('https');
const fs = require('fs');

const opts = {};
for (let i = 2; i < process.argv.length; i += 2) {
  opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

const server = https.createServer({ key: fs.readFileSync(opts.key), cert: fs.readFileSync(opts.cert) }, (req, res) => {
  const body = JSON.stringify({
    tlsBackend: opts.name,
    sni: req.socket.servername || null,
    path: req.url,
    host: req.headers.host || null,
    alpn: req.socket.alpnProtocol || null,
  });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
});
server.on('tlsClientError', () => {}); // a refused handshake is the test's business, not a crash
server.listen(0, opts.address || '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, port: server.address().port }));
});
process.on('SIGTERM', () => process.exit(0));
