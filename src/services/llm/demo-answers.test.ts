import { describe, expect, it } from 'vitest';
import { demoAnswer, findArithmetic, type DemoRequest } from './demo-answers.js';
import { LONG_ANSWER, LONG_ANSWER_MS } from './demo-long-answer.js';

const tools = (...names: string[]) => names.map((name) => ({ type: 'function', function: { name } }));
const ask = (text: string, extra: Partial<DemoRequest> = {}): DemoRequest => ({
  messages: [{ role: 'system', content: 'Be helpful.' }, { role: 'user', content: text }],
  ...extra,
});
/** A request after the model called `calls` and got `results`. */
const afterTools = (calls: [string, string, string][]): DemoRequest => ({
  messages: [
    { role: 'user', content: 'What is 6*7 and what time is it?' },
    { role: 'assistant', content: null, tool_calls: calls.map(([id, name]) => ({ id, type: 'function', function: { name, arguments: '{}' } })) },
    ...calls.map(([id, , content]) => ({ role: 'tool', tool_call_id: id, content })),
  ],
  tools: tools('calculator', 'current_time'),
});

describe('findArithmetic', () => {
  it.each([
    ['What is 6*7?', '6*7', 42],
    ["What's 12 + 30 please", '12 + 30', 42],
    ['compute (2+3)*4^2 now', '(2+3)*4^2', 80],
    ['6 × 7', '6 * 7', 42],
    ['84 ÷ 2?', '84 / 2', 42],
  ])('%s → %s', (text, expression, value) => {
    expect(findArithmetic(text)).toEqual({ expression, value });
  });

  it.each(['What time is it?', 'I have 3 cats', 'version 1.2.3', 'the years 1990 - ', 'What happened on 2024-05-01?', ''])('finds none in %j', (text) => {
    expect(findArithmetic(text)).toBeNull();
  });
});

describe('demoAnswer', () => {
  it('calls the calculator for arithmetic when it is offered, with no text and no thinking by default', () => {
    expect(demoAnswer(ask('What is 6*7?', { tools: tools('calculator', 'current_time') }))).toEqual({
      thinking: null,
      calls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }],
      text: '',
      delayMs: 12,
    });
  });

  it('calls current_time for the time, and both tools at once when both are asked for', () => {
    expect(demoAnswer(ask('What time is it?', { tools: tools('current_time') })).calls).toEqual([
      { name: 'current_time', arguments: '{"timeZone":"UTC"}' },
    ]);
    expect(demoAnswer(ask('What is 6*7 and what time is it?', { tools: tools('calculator', 'current_time') })).calls.map((c) => c.name)).toEqual([
      'calculator',
      'current_time',
    ]);
  });

  it('uses the tool results of the request after its calls', () => {
    const answer = demoAnswer(
      afterTools([
        ['call_a', 'calculator', '{"expression":"6*7","result":42}'],
        ['call_b', 'current_time', '{"iso":"2026-01-02T03:04:05.000Z","timeZone":"UTC"}'],
      ]),
    );
    expect(answer.calls).toEqual([]);
    expect(answer.text).toBe('6*7 = 42. The current_time tool says it is 2026-01-02T03:04:05.000Z.');
  });

  it('says so when a tool failed', () => {
    const answer = demoAnswer(afterTools([['call_a', 'calculator', 'Error: division by zero']]));
    expect(answer.text).toBe('The calculator call did not work out: Error: division by zero');
  });

  it('works arithmetic out itself without the calculator, and asks for current_time without it', () => {
    expect(demoAnswer(ask('What is 6*7?')).text).toMatch(/^6\*7 = 42\. Turn on the calculator tool/);
    expect(demoAnswer(ask('What is 6*7?', { tools: tools('current_time') })).calls).toEqual([]);
    expect(demoAnswer(ask('What time is it?', { tools: tools('calculator') })).text).toContain('turn on the current_time tool');
  });

  it('thinks only when the request asks for reasoning', () => {
    expect(demoAnswer(ask('Hello', { reasoning_effort: 'medium' })).thinking).toContain('The user wrote "Hello".');
    expect(demoAnswer(ask('Hello', { reasoning_effort: 'none' })).thinking).toBeNull();
    expect(demoAnswer(ask('Hello')).thinking).toBeNull();
  });

  it('answers "long" with the long answer, paced to last about LONG_ANSWER_MS', () => {
    const answer = demoAnswer(ask('Give me a long answer'));
    expect(answer.text).toBe(LONG_ANSWER);
    const chunks = LONG_ANSWER.match(/\S+\s*/g)!.length;
    expect(chunks * answer.delayMs).toBeGreaterThan(LONG_ANSWER_MS * 0.9);
    expect(chunks * answer.delayMs).toBeLessThan(LONG_ANSWER_MS * 1.1);
    expect(demoAnswer(ask('That belongs here')).text).toContain('I am the built-in demo model');
  });

  it('introduces itself otherwise, quoting the message, the same every time', () => {
    const answer = demoAnswer(ask('Tell me something', { tools: tools('calculator', 'current_time') }));
    expect(answer.calls).toEqual([]);
    expect(answer.text).toContain('You said: "Tell me something".');
    expect(demoAnswer(ask('Tell me something', { tools: tools('calculator', 'current_time') }))).toEqual(answer);
  });

  it('reads the text parts of a content list', () => {
    const request: DemoRequest = { messages: [{ role: 'user', content: [{ type: 'text', text: 'What is 2+2?' }] }] };
    expect(demoAnswer(request).text).toMatch(/^2\+2 = 4\./);
  });
});
