#!/usr/bin/env node
// A hand-written gRPC-Web client (Node built-ins only) for echo.Echo/Unary over HTTP/1.1:
//   node grpc-web-client.js --address 127.1.2.1 --port 8080 --authority grpc.example --text hi
// POSTs one length-prefixed EchoRequest{text} with content-type application/grpc-web+proto, reads the whole
// answer and splits it into frames: data frames (flag 0x00) are decoded as EchoReply{text, backend}, the
// trailer frame (flag 0x80) as "name:value" lines. Prints one JSON line {status, httpVersion, contentType,
// messages, trailers, frames}.
'use strict';
const http = require('http');

const opts = {};
for (let i = 2; i < process.argv.length; i += 2) {
  opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

function encodeRequest(text) {
  const t = Buffer.from(text, 'utf8');
  const message = Buffer.concat([Buffer.from([0x0a, t.length]), t]); // field 1 (text), LEN; texts here are < 128 bytes
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

function decodeReply(buf) {
  const out = {};
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      const value = buf.subarray(pos, pos + len);
      pos += len;
      if (field === 1) out.text = value.toString('utf8');
      if (field === 2) out.backend = value.toString('utf8');
    } else if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 4) out.index = v;
    } else {
      throw new Error('unexpected wire type ' + wire);
    }
  }
  return out;
}

const body = encodeRequest(opts.text || 'hello');
const req = http.request({
  host: opts.address,
  port: Number(opts.port),
  method: 'POST',
  path: opts.path || '/echo.Echo/Unary',
  headers: {
    host: opts.authority,
    'content-type': 'application/grpc-web+proto',
    'x-grpc-web': '1',
    'content-length': body.length,
  },
}, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    const all = Buffer.concat(chunks);
    const messages = [];
    const trailers = {};
    const frames = [];
    let pos = 0;
    while (pos + 5 <= all.length) {
      const flag = all[pos];
      const len = all.readUInt32BE(pos + 1);
      const payload = all.subarray(pos + 5, pos + 5 + len);
      pos += 5 + len;
      frames.push(flag);
      if (flag & 0x80) {
        for (const line of payload.toString('ascii').split('\r\n').filter(Boolean)) {
          const i = line.indexOf(':');
          trailers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
        }
      } else {
        messages.push(decodeReply(payload));
      }
    }
    console.log(JSON.stringify({
      status: res.statusCode, httpVersion: res.httpVersion, contentType: res.headers['content-type'] || null,
      headerStatus: res.headers['grpc-status'] || null, messages, trailers, frames, leftover: all.length - pos,
    }));
  });
});
req.on('error', (err) => { console.log(JSON.stringify({ error: err.message })); process.exit(1); });
req.end(body);
