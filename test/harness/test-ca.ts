/**
 * Test certificate authorities made with the machine's `openssl` (node:crypto cannot issue X.509
 * certificates): a CA, and certificates it signs for a server name or a client. EC P-256 keys in PKCS#8,
 * which both the Go server and the SDK's clients (OpenSSL-based grpc-js, rustls-based Core) accept.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const openssl = (args: string[], cwd: string) => promisify(execFile)('openssl', args, { cwd });

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
}

export class TestCa {
  private constructor(
    readonly dir: string,
    readonly name: string,
    readonly certFile: string,
    private readonly keyFile: string,
  ) {}

  static async create(dir: string, name: string): Promise<TestCa> {
    fs.mkdirSync(dir, { recursive: true });
    const certFile = path.join(dir, `${name}.pem`);
    const keyFile = path.join(dir, `${name}.key`);
    await openssl(
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      dir,
    );
    return new TestCa(dir, name, certFile, keyFile);
  }

  /** A server certificate for `dnsName` (its only subject alternative name). */
  issueServer(file: string, dnsName: string): Promise<IssuedCertificate> {
    return this.issue(file, dnsName, [`subjectAltName=DNS:${dnsName}`, 'extendedKeyUsage=serverAuth', 'basicConstraints=critical,CA:FALSE']);
  }

  /** A client certificate for mTLS. */
  issueClient(file: string, commonName: string): Promise<IssuedCertificate> {
    return this.issue(file, commonName, [`subjectAltName=DNS:${commonName}`, 'extendedKeyUsage=clientAuth', 'basicConstraints=critical,CA:FALSE']);
  }

  private async issue(file: string, commonName: string, extensions: string[]): Promise<IssuedCertificate> {
    const base = path.join(this.dir, file);
    const [certFile, keyFile, csr, ext] = [`${base}.pem`, `${base}.key`, `${base}.csr`, `${base}.ext`];
    fs.writeFileSync(ext, extensions.join('\n') + '\n');
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${commonName}`], this.dir);
    await openssl(
      ['x509', '-req', '-in', csr, '-CA', this.certFile, '-CAkey', this.keyFile, '-set_serial', String(Date.now()), '-days', '2', '-extfile', ext, '-out', certFile],
      this.dir,
    );
    return { certFile, keyFile };
  }
}
