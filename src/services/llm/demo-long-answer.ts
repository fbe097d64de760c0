/**
 * The demo model's long answer: Markdown of every kind the chat page renders,
 * streamed over about 15 s so a newcomer has time to press Stop, or reload
 * the page and see the run carry on where it was.
 */

/** How long the long answer takes to stream. */
export const LONG_ANSWER_MS = 15_000;

export const LONG_ANSWER = `## A long answer, streamed slowly

This answer takes about fifteen seconds, so there is time to try what the server does while a run is active.

### Things to try now

1. **Stop.** Press Stop: the run ends as cancelled, and the text that had arrived is kept as the answer.
2. **Reload.** Reload the page: the chat follows the same run again, replaying what was said and then streaming the rest.
3. **A second tab.** Open the conversation in another tab: both show the same words at the same time.
4. **Send while busy.** Send another message now, and choose whether it waits in the queue or interrupts this answer.

### How the pieces fit

| Piece | What it does |
| --- | --- |
| Run | One answer being produced, with a status |
| Step | Thinking, text, a tool call or its result |
| Subscription | Follows the steps of a run, from any point |

> Every step is stored as it streams, so a client that drops its connection asks for the steps after the last one it saw and misses nothing.

### Following a run yourself

\`\`\`graphql
subscription ($runId: ID!) {
  chatSteps(runId: $runId, after: 0) {
    __typename
    ... on TextStep { seq delta }
  }
}
\`\`\`

Pass the \`seq\` of the last step you saw as \`after\` to carry on from there. A finished run replays identically, so the same subscription works during the run and long after it.

### When you are done

Switch thinking on to see the reasoning of a model before its answer, enable the calculator tool and ask "What is 6*7?", or set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL to talk to a real model. That is the end of the long answer.
`;
