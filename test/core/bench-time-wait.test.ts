// The bench's reading of /proc/net/tcp (bench/lib/time-wait.mjs): which sockets hold ephemeral
// ports (TIME_WAIT, open; listeners never) and which local address a socket is on, first on fixed
// lines in the kernel's format, then on a real socket that closes first and so lands in TIME_WAIT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { countTimeWait, ephemeralRange, socketsByAddress } from '../../bench/lib/time-wait.mjs';

const hexPort = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
const HEAD = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const line = (local: string, remote: string, st: string) =>
  `   0: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000     0        0 0 1`;

function fixture(lines: string[]): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-')), 'tcp');
  fs.writeFileSync(file, [HEAD, ...lines, ''].join('\n'));
  return file;
}

test('countTimeWait: TIME_WAIT on ephemeral ports, TIME_WAIT in all, open sockets on ephemeral ports', () => {
  const [low] = ephemeralRange();
  const server = `0100007F:${hexPort(low - 100)}`; // a server port, below the range
  const v4 = fixture([
    line(`0200007F:${hexPort(low + 5)}`, server, '06'), // a client in TIME_WAIT: counts
    line(server, `0200007F:${hexPort(low + 6)}`, '06'), // the server side in TIME_WAIT: total only
    line(`0100007F:${hexPort(low + 7)}`, server, '01'), // an open client: holds a port
    line(`0100007F:${hexPort(low + 8)}`, '00000000:0000', '0A'), // a listener: never
    line(server, `0100007F:${hexPort(low + 9)}`, '01'), // an accepted socket on the server port: no
  ]);
  const v6 = fixture([
    line(`00000000000000000000000001000000:${hexPort(low + 10)}`, `00000000000000000000000001000000:0050`, '06'),
  ]);
  assert.deepEqual(countTimeWait([v4, v6]), { total: 3, ephemeral: 2, open: 1 });
  assert.deepEqual(countTimeWait([v4, '/nonexistent']), { total: 2, ephemeral: 1, open: 1 });
});

test('socketsByAddress: local addresses decoded from little-endian hex, listeners left out', () => {
  const file = fixture([
    line('0200007F:2710', '0100007F:5000', '01'),
    line('0200007F:2711', '0100007F:5000', '06'),
    line('0301007F:2710', '0100007F:5000', '06'),
    line('0400007F:5000', '00000000:0000', '0A'),
  ]);
  assert.deepEqual(
    [...socketsByAddress(file)],
    [
      ['127.0.0.2', 2],
      ['127.0.1.3', 1],
    ],
  );
});

test('a real client that closes first is seen on its own address, open and then in TIME_WAIT', async () => {
  const addr = '127.0.3.77'; // no other program uses it
  const server = net.createServer((s) => s.on('end', () => s.end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect({ port, host: '127.0.0.1', localAddress: addr });
  try {
    await new Promise((r) => client.once('connect', r));
    const before = socketsByAddress().get(addr) ?? 0;
    assert.ok(before >= 1, `open socket on ${addr} not seen`);
    client.end();
    await new Promise((r) => client.once('close', r));
    assert.equal(socketsByAddress().get(addr), before, 'the closed client stays in TIME_WAIT on its address');
  } finally {
    client.destroy();
    server.close();
  }
});
