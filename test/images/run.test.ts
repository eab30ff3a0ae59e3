// Image tools run as child processes; one that hangs (vips on a disk that fills mid-write) is stopped with a message.
import { expect, test } from 'vitest';
import { runTool } from '../../src/images/run.js';

test('a tool that does not finish in time is stopped, and the message says what to check', async () => {
  const started = Date.now();
  await expect(runTool('sleep', ['30'], { timeoutMs: 300 })).rejects.toThrow(
    'sleep did not finish within 0.3 s and was stopped. A full disk can make it hang: check the free space in LOSSLESS_PRESERVATION_FILES, then run again.',
  );
  expect(Date.now() - started).toBeLessThan(20_000);
});

test('a missing tool is named with what to do', async () => {
  await expect(runTool('no-such-encoder', [])).rejects.toThrow('no-such-encoder was not found: install it or set its path in settings.ini');
});
