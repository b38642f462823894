import { createServer } from 'node:net';

const handedOut = new Set<number>();

/**
 * A free port on 127.0.0.1 that this process has not handed out before: the kernel may offer a
 * just-closed port again, and two names of one stack must never share a port.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await askKernel(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no fresh free port after 50 tries');
}

function askKernel(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
