import { PromptClient } from 'promptpin';

const client = await PromptClient.create({ source: new URL('./prompts', import.meta.url).pathname });

const prompt = client.get('support-agent', 'user-42'); // synchronous: pinned, bucketed, frozen
console.log(`${prompt.name} v${prompt.version} (${prompt.slice})`);

const reply = await prompt.call(
  async (messages) => ({ choices: [{ message: { content: `echo: ${JSON.stringify(messages).length} chars` } }] }),
  { vars: { customer_name: 'Ann', plan: 'pro', question: 'Where is my invoice?' } },
);
console.log(reply.choices[0]?.message.content);
await client.close();
