/**
 * A throwaway self-signed certificate made by openssl, for the fakes that serve TLS (the client
 * checks it like any other, so TLS stays on in every test) and for client-certificate logins.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCertificateOptions {
  /** The subject's common name, e.g. 127.0.0.1. */
  commonName: string;
  /** subjectAltName entries, e.g. ['IP:127.0.0.1', 'DNS:localhost']. @default none */
  altNames?: string[];
  /** The key: an EC P-256 key, or RSA 2048 bits. @default 'ec' */
  keyType?: 'ec' | 'rsa';
  /** Where the files go. @default a new temporary folder */
  dir?: string;
  /** Where the certificate goes. @default cert.pem in `dir` */
  certFile?: string;
}

/** Makes a key and a certificate valid for 2 days; returns their PEM files' paths. */
export function selfSignedCertificate(options: SelfSignedCertificateOptions): {
  keyFile: string;
  certFile: string;
} {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'test-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = options.certFile ?? join(dir, 'cert.pem');
  const key =
    (options.keyType ?? 'ec') === 'ec'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']
      : ['-newkey', 'rsa:2048'];
  const altNames = options.altNames?.length
    ? ['-addext', `subjectAltName=${options.altNames.join(',')}`]
    : [];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...key,
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=${options.commonName}`,
      ...altNames,
    ],
    { stdio: 'ignore' },
  );
  return { keyFile, certFile };
}
