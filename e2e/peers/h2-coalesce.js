#!/usr/bin/env node
// HTTP/2 connection coalescing as a browser does it (Node built-ins only): one TLS connection, set up with
// one SNI, carries requests for several hosts, one after the other:
//   node h2-coalesce.js --address 127.1.2.1 --port 8443 --sni a.example --hosts a.example,b.example --path /x
// Prints one JSON line: {"connections": N, "results": [{"host", "status", "body"}...]}. N counts TLS
// connections the session opened (always 1: reuse is the point).
'use strict';
const http2 = require('http2');

const opts = {};
for (let i = 2; i < process.argv.length; i += 2) {
  opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

let connections = 0;
const session = http2.connect(`https://${opts.sni}:${opts.port}`, {
  servername: opts.sni,
  rejectUnauthorized: false,
  createConnection: (url, options) => {
    connections++;
    return require('tls').connect({ ...options, host: opts.address, port: Number(opts.port), servername: opts.sni, ALPNProtocols: ['h2'] });
  },
});
session.on('error', (err) => {
  console.log(JSON.stringify({ error: err.message }));
  process.exit(1);
});

function request(host) {
  return new Promise((resolve) => {
    const req = session.request({ ':method': 'GET', ':path': opts.path || '/', ':authority': `${host}:${opts.port}`, ':scheme': 'https' });
    let status = 0;
    let body = '';
    req.on('response', (headers) => { status = headers[':status']; });
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve({ host, status, body }));
    req.on('error', (err) => resolve({ host, status: 0, body: err.message }));
    req.end();
  });
}

(async () => {
  const results = [];
  for (const host of opts.hosts.split(',')) {
    results.push(await request(host));
  }
  console.log(JSON.stringify({ connections, results }));
  session.close();
})();
