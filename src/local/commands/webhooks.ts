/** `taskhook webhooks add|list|test|rotate`: the same registry the API manages, in the configured store; its errors go to the CLI exit table as they are. */
import { sendTestPing } from '../../webhooks/replay.js';
import { createWebhook, publicWebhook, requireWebhook, rotateSecret } from '../../webhooks/registry.js';
import { EXIT, UsageError, requireOption, withDeps, type CliIo } from '../cli-context.js';

export async function webhooksCommand(
  io: CliIo,
  positionals: string[],
  options: { url?: string; events?: string; description?: string; json?: boolean },
): Promise<number> {
  const [sub, id] = positionals;
  return withDeps(io, async (deps) => {
    switch (sub) {
      case 'add': {
        const url = requireOption(options.url, 'url', 'https://example.com/hooks/taskhook');
        const events = options.events
          ?.split(',')
          .map((e) => e.trim())
          .filter(Boolean);
        const { webhook, secret } = await createWebhook(deps.store, { url, events, description: options.description }, deps.webhookPolicy, deps.now());
        if (options.json) io.out(JSON.stringify({ webhook: publicWebhook(webhook), secret }, null, 2));
        else {
          io.out(`added ${webhook.id} → ${webhook.url} (${webhook.events.join(', ')})`);
          io.out(`secret (shown once; give it to the receiver): ${secret}`);
        }
        return EXIT.ok;
      }
      case 'list': {
        const list = (await deps.store.listWebhooks()).map(publicWebhook);
        if (options.json) io.out(JSON.stringify(list, null, 2));
        else if (list.length === 0) io.out('no webhooks; add one with: taskhook webhooks add --url https://…');
        else
          for (const w of list)
            io.out(`${w.id}  ${w.enabled ? 'enabled ' : 'DISABLED'}  ${w.url}  ${w.events.join(',')}${w.disabledReason ? `  (${w.disabledReason})` : ''}`);
        return EXIT.ok;
      }
      case 'test': {
        const webhook = await requireWebhook(deps.store, requireId(id, 'test'));
        const attempt = await sendTestPing(deps.webhookClient, webhook, deps.now);
        if (options.json) io.out(JSON.stringify(attempt, null, 2));
        else io.out(attempt.success ? `ok: HTTP ${attempt.status} in ${attempt.durationMs} ms` : `failed: ${attempt.error}`);
        return attempt.success ? EXIT.ok : EXIT.failed;
      }
      case 'rotate': {
        const { webhook, secret, publicKey, previousExpiresAt } = await rotateSecret(deps.store, requireId(id, 'rotate'), deps.now());
        io.out(publicKey ? `new public key for ${webhook.id}: ${publicKey}` : `new secret for ${webhook.id} (shown once): ${secret}`);
        io.out(`the previous ${publicKey ? 'key' : 'secret'} keeps signing until ${previousExpiresAt}`);
        return EXIT.ok;
      }
      default:
        throw new UsageError('usage: taskhook webhooks add --url URL [--events a,b] | list | test ID | rotate ID');
    }
  });
}

function requireId(id: string | undefined, sub: string): string {
  if (!id) throw new UsageError(`usage: taskhook webhooks ${sub} <webhook id> (see taskhook webhooks list)`);
  return id;
}
