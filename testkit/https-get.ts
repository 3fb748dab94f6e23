/** GET over https with `ca` as the only trusted root (so verification really happens); rejects on a TLS error. */
import https from 'node:https';

export function httpsGet(url: string, ca: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ...(ca ? { ca } : {}), timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`timeout: GET ${url}`)));
    request.on('error', reject);
  });
}
