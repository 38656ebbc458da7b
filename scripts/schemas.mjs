// Writes schemas/ecs-task-event.json from the schema source (src/schema/event.ts): run as `npm run schemas`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { eventJsonSchema } from '../src/schema/event.ts';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const file = 'schemas/ecs-task-event.json';
mkdirSync('schemas', { recursive: true });
writeFileSync(file, await format(JSON.stringify(eventJsonSchema()), { ...(await resolveConfig(file)), filepath: file }));
console.log(`${file} written`);
