/** `taskhook webhooks add|list|test|rotate`: the same registry the API manages, in the configured store. */
import { HttpError } from '../../errors.js';
import { sendTestPing } from '../../webhooks/replay.js';
import { createWebhook, publicWebhook, requireWebhook, rotateSecret } from '../../webhooks/registry.js';
import { UsageError, requireOption, withDeps, type CliIo } from '../cli-context.js';

export async function webhooksCommand(io: CliIo, positionals: string[], options: { url?: string; events?: string; description?: string; json?: boolean }): Promise<number> {
  const [sub, id] = positionals;
  return withDeps(io, async (deps) => {
    try {
      switch (sub) {
        case 'add': {
          const url = requireOption(options.url, 'url', 'https://example.com/hooks/taskhook');
          const events = options.events?.split(',').map((e) => e.trim()).filter(Boolean);
          const { webhook, secret } = await createWebhook(deps.store, { url, events, description: options.description }, deps.webhookPolicy, deps.now());
          if (options.json) io.out(JSON.stringify({ webhook: publicWebhook(webhook), secret }, null, 2));
          else {
            io.out(`added ${webhook.id} → ${webhook.url} (${webhook.events.join(', ')})`);
            io.out(`secret (shown once; give it to the receiver): ${secret}`);
          }
          return 0;
        }
        case 'list': {
          const list = (await deps.store.listWebhooks()).map(publicWebhook);
          if (options.json) io.out(JSON.stringify(list, null, 2));
          else if (list.length === 0) io.out('no webhooks; add one with: taskhook webhooks add --url https://…');
          else for (const w of list) io.out(`${w.id}  ${w.enabled ? 'enabled ' : 'DISABLED'}  ${w.url}  ${w.events.join(',')}${w.disabledReason ? `  (${w.disabledReason})` : ''}`);
          return 0;
        }
        case 'test': {
          const webhook = await requireWebhook(deps.store, requireId(id, 'test'));
          const attempt = await sendTestPing(deps.webhookClient, webhook, deps.now);
          if (options.json) io.out(JSON.stringify(attempt, null, 2));
          else io.out(attempt.success ? `ok: HTTP ${attempt.status} in ${attempt.durationMs} ms` : `failed: ${attempt.error}`);
          return attempt.success ? 0 : 1;
        }
        case 'rotate': {
          const { webhook, secret } = await rotateSecret(deps.store, requireId(id, 'rotate'), deps.now());
          io.out(`new secret for ${webhook.id} (shown once): ${secret}`);
          io.out(`the previous secret keeps signing until ${webhook.secrets.previous?.expiresAt}`);
          return 0;
        }
        default:
          throw new UsageError('usage: taskhook webhooks add --url URL [--events a,b] | list | test ID | rotate ID');
      }
    } catch (error) {
      if (error instanceof HttpError) throw new UsageError(error.message);
      throw error;
    }
  });
}

function requireId(id: string | undefined, sub: string): string {
  if (!id) throw new UsageError(`usage: taskhook webhooks ${sub} <webhook id> (see taskhook webhooks list)`);
  return id;
}
