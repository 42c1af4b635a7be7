'use strict';
// Test Istio CA for the Meshway mtls tests.
//
// An independent gRPC stack (@grpc/grpc-js + @grpc/proto-loader) serving the same ca.proto the C#
// client is generated from, so a framing or field-number mistake on either side shows up as a
// failed test. Certificates are made with @peculiar/x509 on Node's WebCrypto, not with .NET.
//
// Behaviour mirrors istiod where the tests care:
//   * TLS with a server certificate signed by the test root (SAN 127.0.0.1, localhost, istiod DNS);
//   * `authorization: Bearer <JWT>` required; the identity comes from the token's `sub`
//     (system:serviceaccount:<ns>:<sa>), never from the CSR SANs (istiod ignores them too);
//   * `clusterid` checked when --cluster-id is given;
//   * response chain: leaf first, root last, each element ending in "\n".
//
// Usage: node server.js --state-dir DIR [--port N] [--trust-domain TD] [--max-ttl S]
//                       [--cluster-id ID] [--fault MODE] [--fault-file FILE] [--slow-ms N]
//                       [--fail-first N] [--init-only]
// Faults (also from env CA_FAULT): none | down (every call UNAVAILABLE) | garbage | one-element |
//   wrong-identity | wrong-key | expired | not-yet-valid | slow
// Prints "LISTENING <port>" on stdout when ready and "SIGNED <spiffe-id> <serial> <ttl-seconds>"
// for every certificate it returns; diagnostics go to stderr.

const fs = require('fs');
const path = require('path');
const { webcrypto } = require('crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs this polyfill first.
require('reflect-metadata');
const x509 = require('@peculiar/x509');

x509.cryptoProvider.set(webcrypto);
const subtle = webcrypto.subtle;
const EC = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN = { name: 'ECDSA', hash: 'SHA-256' };

function parseArgs(argv) {
  const args = {
    port: 0, host: '127.0.0.1', stateDir: null, trustDomain: 'cluster.local', maxTtl: 0,
    clusterId: null, fault: process.env.CA_FAULT || 'none', slowMs: 10000, failFirst: 0, initOnly: false, faultFile: null,
  };
  for (let i = 2; i < argv.length; i++) {
    const key = argv[i];
    if (key === '--init-only') { args.initOnly = true; continue; }
    const value = argv[++i];
    switch (key) {
      case '--port': args.port = Number(value); break;
      case '--host': args.host = value; break;
      case '--state-dir': args.stateDir = value; break;
      case '--trust-domain': args.trustDomain = value; break;
      case '--max-ttl': args.maxTtl = Number(value); break;
      case '--cluster-id': args.clusterId = value; break;
      case '--fault': args.fault = value; break;
      case '--slow-ms': args.slowMs = Number(value); break;
      case '--fail-first': args.failFirst = Number(value); break;
      case '--fault-file': args.faultFile = value; break;
      default: throw new Error(`unknown argument ${key}`);
    }
  }
  if (!args.stateDir) throw new Error('--state-dir is required');
  return args;
}

function pemKey(der) {
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

function serial() {
  // Positive 16-byte serial, hex.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  return Buffer.from(bytes).toString('hex');
}

// The root is kept in the state dir so a restarted CA (the "CA comes back" tests) signs with the
// same root the clients already trust.
async function loadOrCreateRoot(stateDir) {
  const certFile = path.join(stateDir, 'root-cert.pem');
  const keyFile = path.join(stateDir, 'root-key.pk8');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const cert = new x509.X509Certificate(fs.readFileSync(certFile, 'utf8'));
    const key = await subtle.importKey('pkcs8', fs.readFileSync(keyFile), EC, true, ['sign']);
    return { cert, key };
  }
  const keys = await subtle.generateKey(EC, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'O=meshway-test-ca, CN=Meshway Test Root',
    notBefore: new Date(now - 3600 * 1000),
    notAfter: new Date(now + 10 * 24 * 3600 * 1000),
    signingAlgorithm: SIGN,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(keyFile, Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey)));
  fs.writeFileSync(certFile, cert.toString('pem') + '\n');
  return { cert, key: keys.privateKey };
}

async function issue(root, publicKey, { sans, notBefore, notAfter, serverAuth }) {
  const extensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(serverAuth
      ? [x509.ExtendedKeyUsage.serverAuth]
      : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
    new x509.SubjectAlternativeNameExtension(sans, true),
    await x509.AuthorityKeyIdentifierExtension.create(root.cert, false),
  ];
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'O=meshway-test',
    issuer: root.cert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: SIGN,
    publicKey,
    signingKey: root.key,
    extensions,
  });
}

function identityFromToken(header) {
  const match = /^Bearer\s+(\S+)$/i.exec(header || '');
  if (!match) return { error: 'missing bearer token' };
  const parts = match[1].split('.');
  if (parts.length !== 3) return { error: 'token is not a JWT' };
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch (e) {
    return { error: 'token payload is not JSON' };
  }
  const sub = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub || '');
  if (!sub) return { error: `token subject '${claims.sub}' is not a service account` };
  return { namespace: sub[1], serviceAccount: sub[2] };
}

async function main() {
  const args = parseArgs(process.argv);
  const root = await loadOrCreateRoot(args.stateDir);
  const rootPem = root.cert.toString('pem') + '\n';
  if (args.initOnly) {
    // Only create the root (tests that start the CA later need to trust it up front).
    process.stdout.write('INITIALIZED\n');
    return;
  }

  // Server certificate for the CA endpoint itself, fresh per start.
  const serverKeys = await subtle.generateKey(EC, true, ['sign', 'verify']);
  const now = Date.now();
  const serverCert = await issue(root, serverKeys.publicKey, {
    sans: [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'dns', value: 'localhost' },
      { type: 'dns', value: 'istiod.istio-system.svc' },
    ],
    notBefore: new Date(now - 60 * 1000),
    notAfter: new Date(now + 24 * 3600 * 1000),
    serverAuth: true,
  });
  const serverKeyPem = pemKey(await subtle.exportKey('pkcs8', serverKeys.privateKey));

  const definition = protoLoader.loadSync(path.join(__dirname, '../../src/Mtls/Protos/ca.proto'), {
    keepCase: true, longs: Number, defaults: true, oneofs: true,
  });
  const service = grpc.loadPackageDefinition(definition).istio.v1.auth.IstioCertificateService.service;

  let calls = 0;
  // A fault file, when given and present, overrides --fault per request, so one CA process can
  // serve a whole test class that switches faults between tests.
  function currentFault() {
    if (args.faultFile) {
      try {
        return fs.readFileSync(args.faultFile, 'utf8').trim() || 'none';
      } catch (e) {
        if (e.code !== 'ENOENT') throw e;
      }
    }
    return args.fault;
  }

  async function createCertificate(call) {
    calls++;
    const md = call.metadata;
    const fault = currentFault();
    if (fault === 'down' || calls <= args.failFirst) {
      return { code: grpc.status.UNAVAILABLE, details: 'test CA is unavailable' };
    }
    const who = identityFromToken(md.get('authorization')[0]);
    if (who.error) return { code: grpc.status.UNAUTHENTICATED, details: who.error };
    const clusterId = md.get('clusterid')[0];
    if (args.clusterId && clusterId !== args.clusterId) {
      return { code: grpc.status.UNAUTHENTICATED, details: `clusterid '${clusterId}' is not '${args.clusterId}'` };
    }
    if (fault === 'slow') await new Promise((r) => setTimeout(r, args.slowMs));

    let csr;
    try {
      csr = new x509.Pkcs10CertificateRequest(call.request.csr);
      if (!(await csr.verify())) throw new Error('bad CSR signature');
    } catch (e) {
      return { code: grpc.status.INVALID_ARGUMENT, details: `cannot parse CSR: ${e.message}` };
    }
    let ttl = Number(call.request.validity_duration) || 24 * 3600;
    if (args.maxTtl > 0 && ttl > args.maxTtl) ttl = args.maxTtl;

    const ns = fault === 'wrong-identity' ? 'intruder-ns' : who.namespace;
    const sa = fault === 'wrong-identity' ? 'intruder' : who.serviceAccount;
    const spiffe = `spiffe://${args.trustDomain}/ns/${ns}/sa/${sa}`;
    // X.509 times have second precision: start at the current whole second so the leaf is valid
    // at once and its lifetime is exactly the TTL.
    const start = Math.floor(Date.now() / 1000) * 1000;
    let notBefore = new Date(start);
    let notAfter = new Date(start + ttl * 1000);
    if (fault === 'expired') {
      notBefore = new Date(start - 2 * 3600 * 1000);
      notAfter = new Date(start - 3600 * 1000);
    } else if (fault === 'not-yet-valid') {
      notBefore = new Date(start + 3600 * 1000);
      notAfter = new Date(start + 2 * 3600 * 1000);
    }
    let publicKey = await csr.publicKey.export(webcrypto);
    if (fault === 'wrong-key') {
      publicKey = (await subtle.generateKey(EC, true, ['sign', 'verify'])).publicKey;
    }
    const leaf = await issue(root, publicKey, {
      sans: [{ type: 'url', value: spiffe }], notBefore, notAfter, serverAuth: false,
    });
    const leafPem = leaf.toString('pem') + '\n';

    let chain = [leafPem, rootPem];
    if (fault === 'one-element') chain = [leafPem];
    if (fault === 'garbage') {
      chain = ['-----BEGIN CERTIFICATE-----\nthis is not a certificate\n-----END CERTIFICATE-----\n', 'garbage\n'];
    }
    process.stdout.write(`SIGNED ${spiffe} ${leaf.serialNumber} ${ttl}\n`);
    return { response: { cert_chain: chain } };
  }

  const server = new grpc.Server();
  server.addService(service, {
    CreateCertificate: (call, callback) => {
      createCertificate(call).then(
        (result) => (result.response ? callback(null, result.response) : callback(result)),
        (err) => callback({ code: grpc.status.INTERNAL, details: String(err && err.message) }));
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(null, [{
    private_key: Buffer.from(serverKeyPem), cert_chain: Buffer.from(serverCert.toString('pem') + '\n'),
  }], false);
  server.bindAsync(`${args.host}:${args.port}`, credentials, (err, port) => {
    if (err) {
      process.stderr.write(`bind failed: ${err.message}\n`);
      process.exit(2);
    }
    process.stdout.write(`LISTENING ${port}\n`);
  });
  // The parent test owns our lifetime: exit when it closes stdin or goes away.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

main().catch((err) => {
  process.stderr.write(`test CA failed: ${err && err.stack}\n`);
  process.exit(1);
});
