#!/usr/bin/env node
// Echo backend for the end-to-end tests: an independent HTTP stack (Node built-ins only, no npm
// packages) that answers every request with what it received, like the Gateway API conformance
// echo-basic server, so tests can assert on what the gateway really sent upstream.
//
//   node echo.js --name echo-a [--namespace default] --addresses 127.0.10.1,127.0.10.2 [--port 0]
//
// Every address is one "pod"; all of them listen on the same port (the first bind picks it when
// --port is 0, which keeps EndpointSlices simple: one port for every endpoint). Once listening it
// prints one JSON line {"ready":true,"port":N,"addresses":[...]} on stdout.
//
// Each port speaks HTTP/1.1 and HTTP/2 cleartext with prior knowledge (sniffed from the preface), so
// the same peer serves h2c backends.
//
// Response body (JSON): path, query, host, method, proto, headers (lower-case name -> [values]),
// backend, namespace, pod, bodyLength, remote (peer address:port of the upstream connection).
// Optional behaviour, driven by request headers:
//   x-echo-delay-ms: N          wait N ms before answering (timeouts)
//   x-echo-status: N            answer with that status code
//   x-echo-response-headers: a:1,b:2   add these response headers (ResponseHeaderModifier tests)
//   x-echo-body-bytes: N        answer N bytes of a repeating a-z pattern instead of JSON (streaming)
// WebSocket (HTTP/1.1 Upgrade): every text/binary message is sent back prefixed with "<backend>: ".
// Introspection (not recorded): GET /__requests returns every request seen so far (mirrors included),
// DELETE /__requests forgets them.
'use strict';

const crypto = require('crypto');
const http = require('http');
const http2 = require('http2');
const net = require('net');

function parseArgs(argv) {
  const args = { name: 'echo', namespace: 'default', addresses: ['127.0.0.1'], port: 0 };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (value === undefined) {
      fail(`missing value for ${key}`);
    }
    switch (key) {
      case '--name': args.name = value; break;
      case '--namespace': args.namespace = value; break;
      case '--addresses': args.addresses = value.split(',').filter((a) => a.length > 0); break;
      case '--port': args.port = Number.parseInt(value, 10); break;
      default: fail(`unknown argument ${key}`);
    }
  }
  return args;
}

function fail(message) {
  process.stderr.write(`echo: ${message}\n`);
  process.exit(2);
}

const args = parseArgs(process.argv);
const MAX_RECORDED = 20000;
const recorded = [];

function headersOf(req) {
  // rawHeaders keeps repeated headers apart; pseudo-headers (HTTP/2) are reported elsewhere.
  const headers = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.startsWith(':')) {
      continue;
    }
    (headers[name] ??= []).push(raw[i + 1]);
  }
  return headers;
}

function handler(pod) {
  return (req, res) => {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.substring(0, q);
    const query = q < 0 ? '' : target.substring(q + 1);

    if (path === '/__requests') {
      if (req.method === 'DELETE') {
        recorded.length = 0;
      }
      const body = JSON.stringify(recorded);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }

    let bodyLength = 0;
    req.on('data', (chunk) => { bodyLength += chunk.length; });
    req.on('error', () => {});
    req.on('end', () => {
      const headers = headersOf(req);
      const echo = {
        path,
        query,
        host: req.headers[':authority'] ?? req.headers.host ?? '',
        method: req.method,
        proto: `HTTP/${req.httpVersion}`,
        headers,
        backend: args.name,
        namespace: args.namespace,
        pod,
        bodyLength,
        // The gateway's side of the upstream connection: shows whether connections are reused.
        remote: `${req.socket?.remoteAddress ?? ''}:${req.socket?.remotePort ?? ''}`,
        time: Date.now(),
      };
      if (recorded.length >= MAX_RECORDED) {
        recorded.shift();
      }
      recorded.push(echo);

      const status = Number.parseInt(req.headers['x-echo-status'] ?? '200', 10) || 200;
      const delay = Number.parseInt(req.headers['x-echo-delay-ms'] ?? '0', 10) || 0;
      const extra = {};
      const wanted = req.headers['x-echo-response-headers'];
      if (typeof wanted === 'string') {
        for (const pair of wanted.split(',')) {
          const colon = pair.indexOf(':');
          if (colon > 0) {
            extra[pair.substring(0, colon).trim().toLowerCase()] = pair.substring(colon + 1).trim();
          }
        }
      }

      const bodyBytes = Number.parseInt(req.headers['x-echo-body-bytes'] ?? '-1', 10);
      const answer = () => {
        if (res.destroyed || res.writableEnded) {
          return;
        }
        if (bodyBytes >= 0) {
          res.writeHead(status, { ...extra, 'content-type': 'application/octet-stream', 'x-echo-backend': args.name });
          streamPattern(res, bodyBytes);
          return;
        }
        const body = JSON.stringify(echo);
        res.writeHead(status, {
          ...extra,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-echo-backend': args.name,
          'x-echo-pod': pod,
        });
        res.end(body);
      };
      if (delay > 0) {
        setTimeout(answer, delay);
      } else {
        answer();
      }
    });
  };
}

// Minimal RFC 6455 server side: enough to echo small messages (payloads < 64 KiB) back to the client.
function websocket(pod) {
  return (req, socket, head) => {
    const key = req.headers['sec-websocket-key'];
    if (!key) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    recorded.push({ path: req.url, query: '', host: req.headers.host ?? '', method: req.method, proto: 'websocket',
      headers: headersOf(req), backend: args.name, namespace: args.namespace, pod, bodyLength: 0, time: Date.now() });
    const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\nx-echo-backend: ${args.name}\r\n\r\n`);
    let buffer = Buffer.alloc(0);
    const send = (opcode, payload) => {
      const header = payload.length < 126
        ? Buffer.from([0x80 | opcode, payload.length])
        : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
      socket.write(Buffer.concat([header, payload]));
    };
    const onData = (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 2) {
        const opcode = buffer[0] & 0x0f;
        let length = buffer[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          socket.destroy();
          return;
        }
        const masked = (buffer[1] & 0x80) !== 0;
        const maskOffset = offset;
        if (masked) offset += 4;
        if (buffer.length < offset + length) return;
        const payload = Buffer.from(buffer.subarray(offset, offset + length));
        if (masked) {
          for (let i = 0; i < payload.length; i++) payload[i] ^= buffer[maskOffset + (i % 4)];
        }
        buffer = buffer.subarray(offset + length);
        if (opcode === 8) {
          send(8, payload.subarray(0, 2));
          socket.end();
          return;
        }
        if (opcode === 9) {
          send(10, payload);
        } else if (opcode === 1 || opcode === 2) {
          send(opcode, Buffer.concat([Buffer.from(`${args.name}: `), payload]));
        }
      }
    };
    socket.on('error', () => {});
    socket.on('data', onData);
    // Bytes that arrived with the upgrade request belong to the first frames.
    if (head && head.length > 0) {
      onData(head);
    }
  };
}

// Writes `total` bytes of "abc…z" in 64 KiB chunks, honouring back-pressure, without Content-Length
// (so HTTP/1.1 answers are chunked and the gateway has to stream them).
function streamPattern(res, total) {
  // 65520 is a multiple of 26; the extra 26 bytes let a chunk start at any phase of the pattern.
  const chunkSize = 65520;
  const pattern = Buffer.alloc(chunkSize + 26);
  for (let i = 0; i < pattern.length; i++) pattern[i] = 97 + (i % 26);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunkSize, total - sent);
      const offset = sent % 26;
      sent += n;
      if (!res.write(pattern.subarray(offset, offset + n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

function listen(address, port) {
  const pod = `${args.name}@${address}`;
  const h1 = http.createServer(handler(pod));
  h1.keepAliveTimeout = 120000;
  h1.headersTimeout = 125000;
  h1.requestTimeout = 0;
  h1.on('upgrade', websocket(pod));
  const h2 = http2.createServer({}, handler(pod));
  h2.on('sessionError', () => {});

  // HTTP/2 prior knowledge starts with "PRI * HTTP/2.0"; anything else is HTTP/1.x.
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (chunk) => {
      socket.pause();
      socket.unshift(chunk);
      const isH2 = chunk.length >= 3 && chunk.toString('latin1', 0, 3) === 'PRI';
      if (isH2) {
        // The HTTP/2 session takes the socket over and reads what was unshifted itself.
        h2.emit('connection', socket);
      } else {
        h1.emit('connection', socket);
        socket.resume();
      }
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

async function main() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const servers = [];
    try {
      const first = await listen(args.addresses[0], args.port);
      servers.push(first);
      const port = first.address().port;
      for (const address of args.addresses.slice(1)) {
        servers.push(await listen(address, port));
      }
      process.stdout.write(JSON.stringify({ ready: true, port, addresses: args.addresses }) + '\n');
      return;
    } catch (err) {
      for (const s of servers) {
        s.close();
      }
      // A fixed port that is taken cannot be retried; a random one can (another address had it).
      if (args.port !== 0 || err.code !== 'EADDRINUSE') {
        fail(`listen failed: ${err.message}`);
      }
    }
  }
  fail('could not find a port free on every address');
}

process.on('SIGTERM', () => process.exit(0));
main();
