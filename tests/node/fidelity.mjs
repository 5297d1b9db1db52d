// Protocol fidelity of `gra serve-sim` against the OFFICIAL openai npm client.
// Run by tests/cli/openai_npm.sh with SIM_BASE_URL (a plain server) and
// SIM_FAULT_URL (a server answering 429 to half of the requests, Retry-After 0).
// Prints "ok - ..." / "not ok - ..." per check and "N passed, M failed" last.
import OpenAI from 'openai';

const base = process.env.SIM_BASE_URL;
const faultBase = process.env.SIM_FAULT_URL;
if (!base) {
  console.error('fidelity.mjs: SIM_BASE_URL is not set');
  process.exit(2);
}
const client = new OpenAI({ baseURL: base, apiKey: 'sim-no-key-needed', maxRetries: 0, timeout: 20000 });

let passed = 0;
let failed = 0;
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
  }
}
function cosine(a, b) {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / Math.sqrt(na * nb);
}

const messages = [
  { role: 'system', content: 'You are a careful assistant.' },
  { role: 'user', content: 'Natalia sold clips to 48 of her friends in April. How many clips did she sell?' },
];
let plain = null;

await check('models.list returns the SIMULATED models', async () => {
  const page = await client.models.list();
  const ids = [];
  for await (const m of page) {
    assert(m.object === 'model', `object ${m.object}`);
    assert(/SIMULATED/.test(m.owned_by), `owned_by ${m.owned_by}`);
    ids.push(m.id);
  }
  assert(ids.includes('sim-small-7b') && ids.includes('sim-embed'), `ids ${ids}`);
});

await check('chat.completions.create has the OpenAI shape', async () => {
  const r = await client.chat.completions.create({ model: 'sim-small-7b', messages, temperature: 0.7 });
  assert(r.object === 'chat.completion', `object ${r.object}`);
  assert(r.model === 'sim-small-7b', `model ${r.model}`);
  assert(r.system_fingerprint === 'gra-sim-SIMULATED', `fingerprint ${r.system_fingerprint}`);
  assert(typeof r.id === 'string' && r.id.startsWith('chatcmpl-'), `id ${r.id}`);
  const c = r.choices[0];
  assert(c.message.role === 'assistant' && typeof c.message.content === 'string' && c.message.content.length > 0,
    'message');
  assert(c.finish_reason === 'stop', `finish_reason ${c.finish_reason}`);
  assert(r.usage.total_tokens === r.usage.prompt_tokens + r.usage.completion_tokens, 'usage sum');
  plain = r;
});

await check('the same request gives the same reply', async () => {
  const r = await client.chat.completions.create({ model: 'sim-small-7b', messages, temperature: 0.7 });
  assert(plain && r.choices[0].message.content === plain.choices[0].message.content, 'content differs');
});

await check('another model gives another reply', async () => {
  const r = await client.chat.completions.create({ model: 'sim-large-72b', messages, temperature: 0.7 });
  assert(plain && r.choices[0].message.content !== plain.choices[0].message.content, 'same content');
});

await check('streaming chunks assemble to the non-streamed reply', async () => {
  const stream = await client.chat.completions.create({
    model: 'sim-small-7b', messages, temperature: 0.7, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    assert(chunk.object === 'chat.completion.chunk', `object ${chunk.object}`);
    chunks++;
    if (chunk.choices.length) {
      text += chunk.choices[0].delta?.content ?? '';
      if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  assert(chunks > 3, `only ${chunks} chunks`);
  assert(finish === 'stop', `finish ${finish}`);
  assert(plain && text === plain.choices[0].message.content, `assembled text differs:\n${text}\n${plain?.choices[0].message.content}`);
  assert(usage && usage.total_tokens === plain.usage.total_tokens, 'usage in the final chunk');
});

await check('embeddings.create (default base64 and float) with near-duplicates close', async () => {
  const a = 'the quick brown fox jumps over the lazy dog while seven old farmers watch the river flow past green hills today';
  const b = a.replace('dog', 'cat');
  const c = 'Write a Python function that returns the sum of the squares of a list of integers.';
  const r = await client.embeddings.create({ model: 'sim-embed', input: [a, b, c] });
  assert(r.object === 'list' && r.data.length === 3, 'shape');
  assert(r.data.every((d, i) => d.index === i && d.embedding.length === 384), 'dims');
  assert(r.usage.prompt_tokens > 0, 'usage');
  const near = cosine(r.data[0].embedding, r.data[1].embedding);
  const far = cosine(r.data[0].embedding, r.data[2].embedding);
  assert(near > 0.9, `near-duplicate cosine ${near}`);
  assert(Math.abs(far) < 0.3, `unrelated cosine ${far}`);
  const f = await client.embeddings.create({ model: 'sim-embed', input: a, encoding_format: 'float' });
  const max = Math.max(...f.data[0].embedding.map((x, i) => Math.abs(x - r.data[0].embedding[i])));
  assert(max < 1e-6, `float and base64 differ by ${max}`);
});

await check('an unknown model raises APIError 404 model_not_found', async () => {
  try {
    await client.chat.completions.create({ model: 'no-such-model', messages });
  } catch (e) {
    assert(e instanceof OpenAI.APIError, `not an APIError: ${e}`);
    assert(e instanceof OpenAI.NotFoundError, 'not a NotFoundError');
    assert(e.status === 404, `status ${e.status}`);
    assert(e.code === 'model_not_found', `code ${e.code}`);
    return;
  }
  throw new Error('no error raised');
});

await check('a bad request raises BadRequestError 400', async () => {
  try {
    await client.chat.completions.create({ model: 'sim-small-7b', messages: [] });
  } catch (e) {
    assert(e instanceof OpenAI.BadRequestError && e.status === 400, `got ${e}`);
    assert(e.param === 'messages', `param ${e.param}`);
    return;
  }
  throw new Error('no error raised');
});

if (faultBase) {
  await check('429 faults: RateLimitError without retries, success with the client retries', async () => {
    const noRetry = new OpenAI({ baseURL: faultBase, apiKey: 'x', maxRetries: 0 });
    let limited = 0;
    for (let i = 0; i < 20; i++) {
      try {
        await noRetry.chat.completions.create({ model: 'sim-small-7b', messages: [{ role: 'user', content: `q ${i}` }] });
      } catch (e) {
        assert(e instanceof OpenAI.RateLimitError && e.status === 429, `got ${e}`);
        assert(e.headers && e.headers.get('retry-after') !== null, 'no Retry-After');
        limited++;
      }
    }
    assert(limited > 2 && limited < 18, `${limited}/20 limited at rate 0.5`);
    const retrying = new OpenAI({ baseURL: faultBase, apiKey: 'x', maxRetries: 10 });
    for (let i = 0; i < 20; i++) {
      const r = await retrying.chat.completions.create({ model: 'sim-small-7b', messages: [{ role: 'user', content: `r ${i}` }] });
      assert(r.choices[0].message.content.length > 0, 'empty reply');
    }
  });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
