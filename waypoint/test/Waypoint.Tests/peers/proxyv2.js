#!/usr/bin/env node
// Plays the node's ztunnel in Istio's sandwich mode, with Node's `net` and a PROXY protocol v2 header built by
// hand (haproxy proxy-protocol.txt §2.2): signature, 0x21 (v2, PROXY), 0x11 (TCP over IPv4), length, source
// and destination addresses and ports, then TLV 0xD0 = the client's SPIFFE ID. Then one HTTP/1.1 request.
//
//   node proxyv2.js --to IP:PORT --src IP:PORT --dst IP:PORT --identity SPIFFE_ID --path /p [--bad KIND]
//     KIND: v1 (a text v1 header), local (LOCAL command), short-tlv (a TLV running past the header),
//           no-identity (no 0xD0 TLV), huge (length 65535)
// Prints one JSON line: {ok:true, status, body} or {ok:false, closed:true, received} when the server closed.
'use strict';
const net = require('net');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const split = s => { const i = s.lastIndexOf(':'); return { host: s.slice(0, i), port: Number(s.slice(i + 1)) }; };
const to = split(args.to);
const src = split(args.src);
const dst = split(args.dst);

function ipv4(host) { return Buffer.from(host.split('.').map(Number)); }
function u16(n) { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; }
function tlv(type, value) { return Buffer.concat([Buffer.from([type]), u16(value.length), value]); }

function header(bad) {
  if (bad === 'v1') return Buffer.from(`PROXY TCP4 ${src.host} ${dst.host} ${src.port} ${dst.port}\r\n`);
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const addresses = Buffer.concat([ipv4(src.host), ipv4(dst.host), u16(src.port), u16(dst.port)]);
  let tlvs = bad === 'no-identity' ? tlv(0x05, Buffer.from('unique-id')) : tlv(0xd0, Buffer.from(args.identity));
  if (bad === 'short-tlv') tlvs = tlvs.subarray(0, tlvs.length - 5); // the TLV says more bytes than follow
  const payload = Buffer.concat([addresses, tlvs]);
  const command = bad === 'local' ? 0x20 : 0x21;
  const length = bad === 'huge' ? 65535 : payload.length;
  return Buffer.concat([signature, Buffer.from([command, 0x11]), u16(length), payload]);
}

const socket = net.connect(to.port, to.host, () => {
  socket.write(header(args.bad));
  socket.write(`GET ${args.path || '/'} HTTP/1.1\r\nhost: ${args.dst}\r\nconnection: close\r\n\r\n`);
});
const chunks = [];
socket.on('data', c => chunks.push(c));
socket.on('error', () => {});
socket.on('close', () => {
  const text = Buffer.concat(chunks).toString('utf8');
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  if (!m) { console.log(JSON.stringify({ ok: false, closed: true, received: text })); return; }
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  console.log(JSON.stringify({ ok: true, status: Number(m[1]), body }));
});
setTimeout(() => { console.log(JSON.stringify({ ok: false, timeout: true })); process.exit(0); }, 15000).unref();
