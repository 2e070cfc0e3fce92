import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatSwarmKey,
  generateSwarmKey,
  parseSwarmKey,
  readSwarmKey,
  swarmKeyFingerprint,
  SwarmKeyError,
  writeSwarmKey,
} from '../../node/host/swarm-key.ts';

const HEX = 'dffb7e3135399a8b1612b2aaca1c36a3a8ac2cd0cca51ceeb2ced87d308cac6d';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'gossipfl-swarm-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('swarm keys', () => {
  it('parses the standard format (base16, base64, CRLF, trailing newline) and formats it back', () => {
    const key = parseSwarmKey(`/key/swarm/psk/1.0.0/\n/base16/\n${HEX}`);
    expect(Buffer.from(key.bytes).toString('hex')).toBe(HEX);
    expect(formatSwarmKey(key)).toBe(`/key/swarm/psk/1.0.0/\n/base16/\n${HEX}\n`);
    const base64 = Buffer.from(HEX, 'hex').toString('base64');
    expect(parseSwarmKey(`/key/swarm/psk/1.0.0/\r\n/base64/\r\n${base64}\r\n`).bytes).toEqual(key.bytes);
    expect(parseSwarmKey(new TextEncoder().encode(formatSwarmKey(key))).bytes).toEqual(key.bytes);
  });

  it('reads go-libp2p\'s /bin/ form (32 raw bytes after line 2) from bytes, and refuses a wrong length', () => {
    const raw = Buffer.from(HEX, 'hex');
    const file = (body: Buffer): Uint8Array => new Uint8Array(Buffer.concat([Buffer.from('/key/swarm/psk/1.0.0/\n/bin/\n'), body]));
    expect(Buffer.from(parseSwarmKey(file(raw)).bytes).toString('hex')).toBe(HEX);
    expect(Buffer.from(parseSwarmKey(file(Buffer.concat([raw, Buffer.from('\n')]))).bytes).toString('hex')).toBe(HEX);
    for (const body of [raw.subarray(1), Buffer.concat([raw, Buffer.from('x')]), Buffer.from(HEX)]) {
      let failure: unknown;
      try {
        parseSwarmKey(file(body), 'swarm.key');
      } catch (error) {
        failure = error;
      }
      expect((failure as Error).name).toBe('SwarmKeyError');
      expect((failure as Error).message).toMatch(/^swarm\.key: a \/bin\/ key is exactly 32 bytes after line 2, got \d+/);
    }
  });

  it('generates distinct 32-byte keys with short printable fingerprints', () => {
    const a = generateSwarmKey();
    const b = generateSwarmKey();
    expect(a.bytes.byteLength).toBe(32);
    expect(swarmKeyFingerprint(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(swarmKeyFingerprint(a)).not.toBe(swarmKeyFingerprint(b));
    expect(parseSwarmKey(formatSwarmKey(a)).bytes).toEqual(a.bytes);
  });

  it.each([
    ['an empty file', '', /line 1 is missing/],
    ['a wrong header', `/key/swarm/psk/2.0.0/\n/base16/\n${HEX}`, /line 1 is "\/key\/swarm\/psk\/2.0.0\/"/],
    ['an unknown encoding', `/key/swarm/psk/1.0.0/\n/base32/\n${HEX}`, /line 2 is "\/base32\/"/],
    ['a /bin/ key given as text', `/key/swarm/psk/1.0.0/\n/bin/\n${HEX}`, /line 2 is "\/bin\/": such a key is raw bytes/],
    ['a missing key line', '/key/swarm/psk/1.0.0/\n/base16/\n', /line 3\) is missing/],
    ['a short key', `/key/swarm/psk/1.0.0/\n/base16/\n${HEX.slice(2)}`, /62 hex digits, expected 64/],
    ['a non-hex key', `/key/swarm/psk/1.0.0/\n/base16/\n${'zz'.repeat(32)}`, /not hexadecimal/],
    ['extra lines', `/key/swarm/psk/1.0.0/\n/base16/\n${HEX}\nmore`, /after line 3/],
  ])('rejects %s with a SwarmKeyError saying what is wrong', (_name, input, message) => {
    let failure: unknown;
    try {
      parseSwarmKey(input, 'swarm.key');
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(SwarmKeyError);
    expect((failure as Error).name).toBe('SwarmKeyError');
    expect((failure as Error).message).toMatch(/^swarm\.key: /);
    expect((failure as Error).message).toMatch(message);
  });

  it('writes a key file with mode 0600, reads it back, and never overwrites one', async () => {
    const path = join(folder, 'keys', 'swarm.key');
    const key = generateSwarmKey();
    await writeSwarmKey(path, key);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readSwarmKey(path)).bytes).toEqual(key.bytes);

    await expect(writeSwarmKey(path, generateSwarmKey())).rejects.toThrow(/already exists/);
    expect((await readSwarmKey(path)).bytes).toEqual(key.bytes);
  });

  it('names the file when it is missing or malformed', async () => {
    const missing = join(folder, 'nope.key');
    await expect(readSwarmKey(missing)).rejects.toThrow(`the swarm key file ${missing} does not exist`);
    const bad = join(folder, 'bad.key');
    await writeFile(bad, 'hello\n');
    await expect(readSwarmKey(bad)).rejects.toThrow(`${bad}: line 1 is "hello"`);
    expect(await readFile(bad, 'utf8')).toBe('hello\n');
  });
});
