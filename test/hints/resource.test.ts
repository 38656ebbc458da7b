/** The resource an ActionTrail record names, for the task the call started: from the answer or the request, as each call keeps it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hintedResourceId } from '../../src/hints/resource.js';

const DIR = new URL('../fixtures/hints/', import.meta.url);
const fixture = (name: string): Record<string, any> => JSON.parse(readFileSync(new URL(name, DIR), 'utf8'));

describe('hintedResourceId', () => {
  it.each([
    ['actiontrail-import-image.json', 'm-bp1hintimage00001'],
    ['actiontrail-modify-disk-spec.json', 'd-2zehintdisk0001'],
    ['actiontrail-redeploy-instance.json', 'i-bp1hintinstance01'],
    ['actiontrail-bare-record.json', 'm-uf6hintbare00001'],
    // An export's ImageId is the image it reads, not what it makes.
    ['actiontrail-export-image.json', null],
    ['actiontrail-other-service.json', null],
  ])('%s names %s', (name, expected) => {
    expect(hintedResourceId(fixture(name))).toBe(expected);
  });

  it('reads answers and parameters sent as JSON strings, and takes nothing that is not a resource id', () => {
    const record = (extra: object) => ({ type: 'ecs:ActionTrail:ApiCall', data: { eventName: 'ImportImage', ...extra } });
    expect(hintedResourceId(record({ responseElements: JSON.stringify({ ImageId: 'm-bp1asstring0001' }) }))).toBe('m-bp1asstring0001');
    expect(hintedResourceId(record({ responseElements: { ImageId: 'not-an-image' } }))).toBeNull();
    expect(hintedResourceId(record({ responseElements: '{' }))).toBeNull();
    expect(hintedResourceId(null)).toBeNull();
    expect(hintedResourceId('text')).toBeNull();
  });
});
