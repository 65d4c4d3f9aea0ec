// The simulator's certificate when none is given: self-signed, EC P-256, valid for a year
// (backdated a minute against clock skew), for 127.0.0.1, ::1 and localhost.
import { generate } from 'selfsigned';

export async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const now = Date.now();
  const result = await generate([{ name: 'commonName', value: 'toneguard gateway simulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: result.cert, key: result.private };
}
