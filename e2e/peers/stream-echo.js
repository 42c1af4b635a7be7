#!/usr/bin/env node
// Line echo for TLSRoute/TCPRoute tests (Node built-ins only):
//   node stream-echo.js --name NAME --address 127.1.2.10 [--cert cert.pem --key key.pem] [--port P]
// With a certificate it is a tls.createServer backend (its own certificate, so a client behind a passthrough
// gateway can prove whose certificate it saw), else a net.createServer one. Each line "X" is answered with
// "NAME:X"; the line "sni" with "NAME:sni=<servername or none>"; the line "quit" ends the connection; a client
// half-close is answered with "NAME:bye" before ending. Prints {"ready":true,"port":P}.
'use strict';
const net = require('net');
const tls = require('tls');
const fs = require('fs');

const opts = {};
for (let i = 2; i < process.argv.length; i += 2) {
  opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

function serve(socket) {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      if (line === 'quit') {
        socket.end(`${opts.name}:quit\n`);
        return;
      }
      if (line === 'sni') {
        socket.write(`${opts.name}:sni=${socket.servername || 'none'}\n`);
      } else {
        socket.write(`${opts.name}:${line}\n`);
      }
    }
  });
  socket.on('end', () => socket.end(`${opts.name}:bye\n`));
  socket.on('error', () => {});
}

const server = opts.cert
  ? tls.createServer({ key: fs.readFileSync(opts.key), cert: fs.readFileSync(opts.cert), allowHalfOpen: true }, serve)
  : net.createServer({ allowHalfOpen: true }, serve);
server.on('tlsClientError', () => {});
server.listen(Number(opts.port || 0), opts.address || '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, port: server.address().port }));
});
process.on('SIGTERM', () => process.exit(0));
