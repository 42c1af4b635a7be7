#!/usr/bin/env node
// A fixed-rate HBONE load source for bench/waypoint.py, built on Node's own http2 + tls (independent of .NET),
// behaving like a ztunnel in front of a client app with keep-alive connections:
//
//   node waypoint-load.js --hbone IP:PORT --expect-san SPIFFE --authority IP:PORT --cert F --key F --ca F
//        [--local IP] [--rate 1000] [--warmup 2] [--seconds 10] [--conns 16] [--body 1024]
//
// One mTLS HTTP/2 connection to --hbone (TLS 1.3, ALPN h2, no SNI; the server's URI SAN must be --expect-san)
// carries --conns CONNECT tunnels to --authority; each tunnel is a keep-alive HTTP/1.1 connection that sends
// POST requests with a --body byte body. Requests are scheduled open-loop at --rate per second and latency is
// measured from each request's scheduled time (so queueing behind a slow reply counts, as in wrk2).
// Prints "MEASURE_START" when the warm-up ends and "MEASURE_END" when the measured window's last request has
// been sent, then one JSON line {sent, ok, errors, p50, p90, p99, p999, max, rps} for the measured window.
'use strict';
const fs = require('fs');
const http2 = require('http2');
const tls = require('tls');
const { performance } = require('perf_hooks');

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  return args;
}

function uriSans(cert) {
  const san = (cert && cert.subjectaltname) || '';
  return san.split(', ').filter(s => s.startsWith('URI:')).map(s => s.slice(4));
}

const args = parseArgs(process.argv.slice(2));
const rate = Number(args.rate || 1000);
const warmup = Number(args.warmup || 2);
const seconds = Number(args.seconds || 10);
const conns = Number(args.conns || 16);
const body = Buffer.alloc(Number(args.body || 1024), 'x');
const hostPort = args.hbone.split(':');

const session = http2.connect(`https://${args.hbone}`, {
  createConnection: () => tls.connect({
    host: hostPort[0],
    port: Number(hostPort[1]),
    localAddress: args.local,
    ca: fs.readFileSync(args.ca),
    cert: fs.readFileSync(args.cert),
    key: fs.readFileSync(args.key),
    minVersion: 'TLSv1.3',
    ALPNProtocols: ['h2'],
    checkServerIdentity: (_name, cert) => (uriSans(cert).includes(args['expect-san'])
      ? undefined : new Error(`server identity ${uriSans(cert).join(',')} is not ${args['expect-san']}`)),
  }),
});
session.on('error', e => { console.error(`session: ${e.message}`); process.exit(1); });

// Node's http client over an Http2Stream corrupts the first bytes of a request once the stream is reused (seen
// on Node 20), so each tunnel runs this small keep-alive HTTP/1.1 client: one request at a time, the answer
// framed by Content-Length or chunked encoding.
const request = Buffer.concat([Buffer.from(
  `POST /bench HTTP/1.1\r\nhost: ${args.authority}\r\ncontent-type: application/octet-stream\r\n`
  + `content-length: ${body.length}\r\n\r\n`, 'latin1'), body]);

class Tunnel {
  constructor(onIdle) {
    this.onIdle = onIdle;
    this.pending = null; // {index, scheduled}
    this.buf = Buffer.alloc(0);
    this.stream = session.request({ ':method': 'CONNECT', ':authority': args.authority });
    this.ready = new Promise((resolve, reject) => {
      this.stream.once('response', h => (h[':status'] === 200 ? resolve() : reject(new Error(`CONNECT answered ${h[':status']}`))));
      this.stream.once('error', reject);
    });
    this.stream.on('data', chunk => { this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk; this.parse(); });
    this.stream.on('error', e => this.fail(e.message));
    this.stream.on('close', () => this.fail('tunnel closed'));
  }

  send(job) {
    this.pending = job;
    this.stream.write(request);
  }

  fail(message) {
    this.dead = true;
    if (this.pending) { const job = this.pending; this.pending = null; lastError = message; done(job, 0); }
  }

  parse() {
    const head = this.buf.indexOf('\r\n\r\n');
    if (head < 0 || !this.pending) return;
    const text = this.buf.toString('latin1', 0, head);
    const status = Number(text.slice(9, 12));
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
    let end;
    if (cl) {
      end = head + 4 + Number(cl[1]);
      if (this.buf.length < end) return;
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(text)) {
      end = head + 4;
      for (;;) {
        const line = this.buf.indexOf('\r\n', end);
        if (line < 0) return;
        const size = parseInt(this.buf.toString('latin1', end, line), 16);
        end = line + 2 + size + 2;
        if (this.buf.length < end) return;
        if (size === 0) break;
      }
    } else {
      lastError = 'answer without length'; end = this.buf.length;
    }
    this.buf = this.buf.subarray(end);
    const job = this.pending;
    this.pending = null;
    done(job, status);
    this.onIdle(this);
  }
}

const samples = [];
let ok = 0;
let errors = 0;
let lastError = '';
let inFlight = 0;
const total = Math.round((warmup + seconds) * rate);
const firstMeasured = Math.round(warmup * rate);
const idle = [];
const queue = [];

function done(job, status) {
  inFlight--;
  if (job.index >= firstMeasured) {
    if (status === 200) { ok++; samples.push(performance.now() - job.scheduled); } else errors++;
  }
  if (sent === total && inFlight === 0) finish();
}

function onIdle(tunnel) {
  if (tunnel.dead) return;
  const job = queue.shift();
  if (job) tunnel.send(job); else idle.push(tunnel);
}

function fire(index, scheduled) {
  inFlight++;
  const tunnel = idle.pop();
  if (tunnel) tunnel.send({ index, scheduled }); else queue.push({ index, scheduled });
}

let t0 = 0;
let sent = 0;
let measuredEnd = 0;
function tick() {
  const due = Math.min(total, Math.floor((performance.now() - t0) * rate / 1000) + 1);
  while (sent < due) {
    if (sent === firstMeasured) console.log('MEASURE_START');
    fire(sent, t0 + sent * 1000 / rate);
    sent++;
  }
  if (sent < total) setTimeout(tick, 1);
  else { measuredEnd = performance.now(); console.log('MEASURE_END'); }
}

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p / 100) - 1)];
}

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  samples.sort((a, b) => a - b);
  const r3 = v => (v === null ? null : Math.round(v * 1000) / 1000);
  console.log(JSON.stringify({
    sent: total - firstMeasured, ok, errors, lastError,
    p50: r3(pct(samples, 50)), p90: r3(pct(samples, 90)), p99: r3(pct(samples, 99)), p999: r3(pct(samples, 99.9)),
    max: r3(samples.length ? samples[samples.length - 1] : null),
    rps: Math.round((ok + errors) / ((measuredEnd - t0) / 1000 - warmup)),
  }));
  session.close();
  process.exit(0);
}

// Bounded: whatever happens, answer within the run's length plus a grace period.
setTimeout(() => { lastError = lastError || `${inFlight} requests unanswered at the deadline`; errors += inFlight; inFlight = 0; finish(); },
  (warmup + seconds + 10) * 1000).unref();

session.once('connect', async () => {
  const tunnels = [];
  for (let i = 0; i < conns; i++) tunnels.push(new Tunnel(onIdle));
  try {
    await Promise.all(tunnels.map(t => t.ready));
  } catch (e) {
    console.error(`tunnel: ${e.message}`);
    process.exit(1);
  }
  idle.push(...tunnels);
  t0 = performance.now();
  tick();
});
