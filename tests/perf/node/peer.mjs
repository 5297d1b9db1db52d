// peer.mjs: the perf_client peer. Drives N chat completions at concurrency C
// against an OpenAI-compatible endpoint with the official `openai` package
// (its defaults: keep-alive, retries on), the same request shape as the C
// client's benchmark, and prints one JSON line with the CPU time this Node
// process used (process.cpuUsage: user + system, all threads) per request.
//
//   node peer.mjs --url http://127.0.0.1:PORT/v1 --n 20000 --c 64 --model fast
import OpenAI from 'openai';
import { VERSION } from 'openai/version';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

const url = arg('url');
const n = Number(arg('n', '20000'));
const c = Number(arg('c', '64'));
const model = arg('model', 'fast');
const warmup = Number(arg('warmup', '500'));
if (!url) {
  console.error('usage: node peer.mjs --url URL [--n N] [--c C] [--model M] [--warmup W]');
  process.exit(2);
}

const client = new OpenAI({ baseURL: url, apiKey: 'sk-perf-peer-not-a-secret', timeout: 600000 });

async function drive(total, offset) {
  let next = 0, ok = 0, failed = 0;
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      try {
        const r = await client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: `question ${offset + i}: say something short.` }],
          temperature: 0.7,
          max_tokens: 128,
          seed: offset + i,
        });
        if (r.choices && r.choices[0] && typeof r.choices[0].message.content === 'string') ok++;
        else failed++;
      } catch (e) {
        failed++;
      }
    }
  }
  await Promise.all(Array.from({ length: c }, worker));
  return { ok, failed };
}

await drive(warmup, 1e9);
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const { ok, failed } = await drive(n, 0);
const wall_ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({
  peer: 'node ' + process.version + ' openai ' + VERSION,
  n, c, ok, failed, wall_ms,
  cpu_us: cpu.user + cpu.system,
  cpu_us_per_req: (cpu.user + cpu.system) / n,
}));
