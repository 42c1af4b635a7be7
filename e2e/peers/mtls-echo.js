#!/usr/bin/env node
// HTTPS echo that requires a client certificate from one CA (Node built-ins only), for the Gateway
// backendClientCertificate tests:
//   node mtls-echo.js --name NAME --address 127.1.2.10 --cert cert.pem --key key.pem --ca client-ca.pem
// A client without a certificate from --ca fails the handshake (requestCert + rejectUnauthorized). Every
// accepted request is answered with JSON {tlsBackend, sni, path, clientSubject, clientIssuer, authorized}
// and the process prints {"ready":true,"port":P}.
'use strict';
const https = require('https');
const fs = require('fs');

const opts = {};
for (let i = 2; i < process.argv.length; i += 2) {
  opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

const server = https.createServer({
  key: fs.readFileSync(opts.key),
  cert: fs.readFileSync(opts.cert),
  ca: fs.readFileSync(opts.ca),
  requestCert: true,
  rejectUnauthorized: true,
}, (req, res) => {
  const peer = req.socket.getPeerCertificate();
  const body = JSON.stringify({
    tlsBackend: opts.name,
    sni: req.socket.servername || null,
    path: req.url,
    clientSubject: peer && peer.subject ? peer.subject.CN : null,
    clientIssuer: peer && peer.issuer ? peer.issuer.CN : null,
    authorized: req.socket.authorized,
  });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
});
server.on('tlsClientError', () => {}); // a refused handshake is the test's business, not a crash
server.listen(0, opts.address || '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, port: server.address().port }));
});
process.on('SIGTERM', () => process.exit(0));
