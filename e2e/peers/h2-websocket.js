#!/usr/bin/env node
// WebSocket over HTTP/2 (RFC 8441 extended CONNECT) as a browser does it, Node built-ins only: one HTTP/2
// connection (h2c prior knowledge, or h2 over TLS), a CONNECT stream with `:protocol: websocket`, then
// RFC 6455 frames written and read by hand on that stream (client frames masked):
//   node h2-websocket.js --address 127.1.2.1 --port 8080 --host ws.example --path /chat \
//        [--tls 1] [--messages hello,again] [--header name:value]
// Prints one JSON line: {"enableConnectProtocol", "status", "headers", "messages": [...], "closeCode"}
// or {"error": "..."} (exit code 1) when the connection or the stream fails.
'use strict';
const crypto = require('crypto');
const http2 = require('http2');

const opts = { messages: 'hello' };
for (let i = 2; i < process.argv.length; i += 2) {
  opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
const tls = opts.tls === '1';
const scheme = tls ? 'https' : 'http';

function fail(message) {
  console.log(JSON.stringify({ error: message }));
  process.exit(1);
}
setTimeout(() => fail('timeout'), Number(opts.timeout || 8000)).unref();

const session = http2.connect(`${scheme}://${opts.host}:${opts.port}`, {
  createConnection: () => tls
    ? require('tls').connect({ host: opts.address, port: Number(opts.port), servername: opts.host, ALPNProtocols: ['h2'], rejectUnauthorized: false })
    : require('net').connect({ host: opts.address, port: Number(opts.port) }),
});
session.on('error', (err) => fail(`session: ${err.message}`));

function frame(opcode, payload) {
  // Client-to-server frames must be masked (RFC 6455 5.3); payloads here are short (< 126 bytes).
  const mask = crypto.randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i % 4];
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | masked.length]), mask, masked]);
}

session.once('remoteSettings', (settings) => {
  const result = { enableConnectProtocol: settings.enableConnectProtocol === true, status: 0, headers: {}, messages: [], closeCode: null };
  if (!result.enableConnectProtocol) {
    // Node refuses to send :protocol to a peer that did not advertise it; report what we saw.
    console.log(JSON.stringify(result));
    session.close();
    return;
  }
  const headers = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': scheme,
    ':path': opts.path || '/',
    ':authority': `${opts.host}:${opts.port}`,
    'sec-websocket-version': '13',
  };
  if (opts.header) {
    const at = opts.header.indexOf(':');
    headers[opts.header.slice(0, at)] = opts.header.slice(at + 1);
  }
  let stream;
  try {
    stream = session.request(headers, { endStream: false });
  } catch (err) {
    fail(`request: ${err.message}`);
  }
  const pending = opts.messages.split(',');
  let buffer = Buffer.alloc(0);
  const sendNext = () => {
    if (pending.length > 0) {
      stream.write(frame(1, Buffer.from(pending.shift())));
    } else {
      const code = Buffer.alloc(2);
      code.writeUInt16BE(1000);
      stream.write(frame(8, code));
    }
  };
  stream.on('response', (h) => {
    result.status = h[':status'];
    for (const [name, value] of Object.entries(h)) {
      if (!name.startsWith(':')) result.headers[name] = value;
    }
    if (result.status !== 200) {
      console.log(JSON.stringify(result));
      session.destroy();
      process.exit(0);
    }
    sendNext();
  });
  stream.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 2) {
      const opcode = buffer[0] & 0x0f;
      let length = buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      }
      if (buffer.length < offset + length) return;
      const payload = buffer.subarray(offset, offset + length);
      buffer = buffer.subarray(offset + length);
      if (opcode === 8) {
        result.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 0;
        stream.end();
        console.log(JSON.stringify(result));
        session.close();
        return;
      }
      if (opcode === 1) {
        result.messages.push(payload.toString('utf8'));
        sendNext();
      }
    }
  });
  stream.on('error', (err) => fail(`stream: ${err.message}`));
  stream.on('close', () => {
    if (result.closeCode === null && result.status === 200) fail(`stream closed early (rst ${stream.rstCode}) after ${JSON.stringify(result.messages)}`);
  });
});
