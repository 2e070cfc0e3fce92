import { describe, expect, it } from 'vitest';
import { waitUntil, WaitTimeoutError, type Listenable } from '../../node/host/wait.ts';

/** An EventTarget that counts its listeners, to prove every path removes them. */
class CountingTarget extends EventTarget implements Listenable {
  listeners = 0;
  override addEventListener(type: string, listener: (event: Event) => void): void {
    this.listeners++;
    super.addEventListener(type, listener);
  }
  override removeEventListener(type: string, listener: (event: Event) => void): void {
    this.listeners--;
    super.removeEventListener(type, listener);
  }
}

describe('waitUntil', () => {
  it('resolves at once when the condition already holds, without listening', async () => {
    const target = new CountingTarget();
    await expect(waitUntil(target, ['change'], () => 'ready', () => 'x', AbortSignal.timeout(1_000))).resolves.toBe('ready');
    expect(target.listeners).toBe(0);
  });

  it('re-checks on events and removes its listener once satisfied', async () => {
    const target = new CountingTarget();
    let value = 0;
    const waiting = waitUntil(target, ['change'], () => (value >= 2 ? value : undefined), () => 'value 2', AbortSignal.timeout(5_000));
    expect(target.listeners).toBe(1);
    value = 1;
    target.dispatchEvent(new Event('change'));
    value = 2;
    target.dispatchEvent(new Event('change'));
    await expect(waiting).resolves.toBe(2);
    expect(target.listeners).toBe(0);
  });

  it('fails with WaitTimeoutError at the deadline, or when stopped, and removes its listener', async () => {
    const target = new CountingTarget();
    const late = waitUntil(target, ['change'], () => undefined, () => 'something that never happens', AbortSignal.timeout(20));
    await expect(late).rejects.toThrow(new WaitTimeoutError('timed out waiting for something that never happens'));
    expect(target.listeners).toBe(0);

    const stop = new AbortController();
    const stopped = waitUntil(target, ['change'], () => undefined, () => 'peers', stop.signal, { pollMs: 5 });
    stop.abort();
    await expect(stopped).rejects.toThrow('stopped waiting for peers');
    expect(target.listeners).toBe(0);
  });
});
