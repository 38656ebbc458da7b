// Builds the two FC code directories (dist/api, dist/poller) and the CLI (dist/cli) with esbuild.
import { build } from 'esbuild';
import { mkdir, rm, writeFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { buildConsole, embedConsole } from '../src/console/bundle.mjs';

// Paths below are relative to the repository root, wherever the script is started from.
process.chdir(fileURLToPath(new URL('..', import.meta.url)));

const quiet = process.argv.includes('--quiet');
/** `--report`: print what each FC bundle is made of (esbuild's metafile), the largest parts first. */
const report = process.argv.includes('--report');
const functions = ['api', 'poller'].filter((name) => existsSync(`functions/${name}/index.ts`));

await rm('dist', { recursive: true, force: true });

// The web console's browser code, embedded in the API handler of every bundle (src/console/bundle.mjs).
const consoleFiles = await buildConsole();

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: false, logLevel: 'warning', legalComments: 'none' };

/** Source that only the local runtime may use: a path prefix (or file) and why it cannot go to FC. */
const LOCAL_ONLY = [
  ['src/store/sqlite.ts', 'the SQLite store (native better-sqlite3)'],
  ['src/ecs/simulator/', 'the ECS simulator'],
  ['src/local/', 'the local CLI and HTTP server'],
];

/** FC bundles get a stub for the SQLite store: open.ts imports it lazily, but esbuild would still inline it. */
const localOnlyForFc = {
  name: 'local-only-for-fc',
  setup(pluginBuild) {
    const openTs = path.resolve('src/store/open.ts');
    pluginBuild.onResolve({ filter: /^\.\/sqlite\.js$/ }, (args) =>
      args.importer === openTs ? { path: path.resolve('src/store/unavailable.ts') } : undefined,
    );
    pluginBuild.onResolve({ filter: /^better-sqlite3$/ }, (args) => ({
      errors: [{ text: `better-sqlite3 is native and local-only; ${path.relative('.', args.importer)} must not reach a Function Compute bundle` }],
    }));
  },
};

/**
 * Packages an FC index.js must not carry: nothing the function runs calls the first ones; the last ones live in a
 * file of their own next to index.js, required when first used. The build fails if one creeps back in.
 */
const LEFT_OUT = [
  ['node_modules/undici/', 'undici (the webhook client is on node:http and node:https)'],
  ['node_modules/xml2js/', "pop-core's ROA client and its XML parser (taskhook calls ECS over RPC)"],
  ['node_modules/@alicloud/fc2/', '@alicloud/fc2 (the poller requires it from fc2.js at its first shard; the API never invokes a function)'],
  ['node_modules/debug/', 'debug (replaced by a silent stub)'],
  ['node_modules/tablestore/', 'the Tablestore SDK (tablestore.js, required when the store opens)'],
];

/** A module that throws when used, for a dependency's part that taskhook never calls. */
const leftOutModule = (what) => `const unavailable = function () { throw new Error(${JSON.stringify(`${what} is left out of this Function Compute bundle`)}); };
unavailable.get = unavailable;
module.exports = unavailable;`;

/**
 * Trims the FC bundles' dependencies to what runs: pop-core's index also loads its ROA client (xml2js, xmlbuilder,
 * sax), and taskhook only uses RPCClient. @alicloud/fc2 stays out of index.js: the poller requires it from fc2.js
 * (built below) at its first shard, and the API, which never asks for a shard invoker, gets a stub. `debug`, which
 * httpx and fc2 call, would print signed requests and the string-to-sign with DEBUG=httpx:*,lambda: it is silenced.
 * The Tablestore SDK is required from tablestore.js (built below): index.js is strict mode throughout (TypeScript's
 * `strict`), and the SDK assigns undeclared variables (`for (pro in …)` in lib/filter.js and lib/metadata.js, and
 * more), which throws a ReferenceError there; in a file of its own it runs as the sloppy-mode code it is.
 */
const trimForFc = (name) => ({
  name: 'trim-for-fc',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^@alicloud\/pop-core$/ }, (args) =>
      pluginBuild.resolve('@alicloud/pop-core/lib/rpc.js', { kind: args.kind, resolveDir: args.resolveDir }),
    );
    pluginBuild.onResolve({ filter: /^@alicloud\/fc2$/ }, (args) =>
      name === 'poller' ? { path: './fc2.js', external: true } : { path: args.path, namespace: 'left-out' },
    );
    pluginBuild.onResolve({ filter: /^tablestore$/ }, () => ({ path: './tablestore.js', external: true }));
    // The /docs renderer: a file of its own next to the API's index.js, required at the first /docs request.
    pluginBuild.onResolve({ filter: /\/redoc-asset\.js$/ }, () => ({ path: './redoc-asset.js', external: true }));
    silenceDebug(pluginBuild);
  },
});

/** `debug` as a logger that is never enabled. */
function silenceDebug(pluginBuild) {
  pluginBuild.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'silent-debug' }));
  pluginBuild.onLoad({ filter: /.*/, namespace: 'silent-debug' }, () => ({
    contents: 'module.exports = function debug() { const log = function () {}; log.enabled = false; return log; };',
    loader: 'js',
  }));
  pluginBuild.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({ contents: leftOutModule(args.path), loader: 'js' }));
}

/**
 * The Tablestore SDK's protobuf messages, smaller and loaded lazily: its pbjs static module
 * (tablestore_compiled_proto.js, 2.6 MB of source, 619 KiB minified, all of it run when the SDK loads) becomes the
 * same messages built by protobufjs/light from a JSON descriptor of the SDK's own .proto files (about 41 KB), each
 * message class generated the first time the SDK touches it. Same protobufjs, same wire format.
 */
const tablestoreProtoFromDescriptor = {
  name: 'tablestore-proto-from-descriptor',
  setup(pluginBuild) {
    const sdkRequire = createRequire(createRequire(import.meta.url).resolve('tablestore/package.json'));
    const protocol = path.dirname(sdkRequire.resolve('./lib/protocol/tablestore_compiled_proto.js'));
    let descriptor = null;
    pluginBuild.onLoad({ filter: /[\\/]tablestore[\\/]lib[\\/]protocol[\\/]tablestore_compiled_proto\.js$/ }, (args) => {
      if (path.dirname(args.path) !== protocol) return undefined;
      descriptor ??= JSON.stringify(
        sdkRequire('protobufjs')
          .loadSync(['tablestore.proto', 'tablestore_filter.proto', 'tablestore_search.proto'].map((file) => path.join(protocol, file)))
          .toJSON(),
      );
      return { contents: protoModule(descriptor), loader: 'js', resolveDir: protocol };
    });
  },
};

/** The module that stands in for tablestore_compiled_proto.js: namespaces, message classes and enums shaped as pbjs emits them. */
const protoModule = (descriptor) => `var protobuf = require('protobufjs/light');
var root = protobuf.Root.fromJSON(JSON.parse(${JSON.stringify(descriptor)}));
function enumObject(reflected) {
  var byId = {}, values = Object.create(byId);
  Object.keys(reflected.values).forEach(function (name) { byId[reflected.values[name]] = name; values[name] = reflected.values[name]; });
  return values;
}
function lazy(target, name, make) {
  Object.defineProperty(target, name, { configurable: true, enumerable: true, get: function () {
    var value = make();
    Object.defineProperty(target, name, { configurable: true, enumerable: true, writable: true, value: value });
    return value;
  } });
}
function expose(reflected, target) {
  reflected.nestedArray.forEach(function (nested) {
    if (nested instanceof protobuf.Type) lazy(target, nested.name, function () { return expose(nested, nested.ctor); });
    else if (nested instanceof protobuf.Enum) lazy(target, nested.name, function () { return enumObject(nested); });
    else if (nested instanceof protobuf.Namespace) target[nested.name] = expose(nested, {});
  });
  return target;
}
module.exports = expose(root, {});
`;

/**
 * zod's error messages in English only: its `z.locales` namespace would carry every language (257 KiB minified),
 * and taskhook never switches locale (zod registers English itself, from locales/en.js).
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core|mini)$/.test(args.resolveDir)
        ? { path: path.join(args.resolveDir, '../locales/index.js'), namespace: 'zod-english-only' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

/** The CLI requires pop-core's RPC client alone too (its packages stay in node_modules): the ROA client's XML parser is 38 files. */
const rpcOnlyForCli = {
  name: 'rpc-only-for-cli',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^@alicloud\/pop-core$/ }, () => ({ path: '@alicloud/pop-core/lib/rpc.js', external: true }));
  },
};

/** dist/poller/fc2.js: @alicloud/fc2 for the shard invoker. Code upload (ali-oss, axios) and WebSocket sessions (ws) never run there. */
const fc2InvokeOnly = {
  name: 'fc2-invoke-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(ali-oss|axios|ws)$/ }, (args) => ({ path: args.path, namespace: 'left-out' }));
    silenceDebug(pluginBuild);
  },
};

/** The largest inputs of a bundle, grouped by package (node_modules/<name>) or by the folder of a source file. */
function largestParts(metafile, count = 12) {
  const [output] = Object.values(metafile.outputs);
  const parts = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const key = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? path.posix.dirname(input);
    parts[key] = (parts[key] ?? 0) + bytesInOutput;
  }
  return Object.entries(parts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([part, bytes]) => `  ${(bytes / 1024).toFixed(1).padStart(7)} KiB  ${part}`)
    .join('\n');
}

const sizes = {};
const reports = [];

for (const name of functions) {
  // FC loads `handler: index.handler` as index.js from the code directory; the package.json pins CommonJS.
  const result = await build({
    ...common,
    entryPoints: [`functions/${name}/index.ts`],
    outfile: `dist/${name}/index.js`,
    minify: true,
    metafile: true,
    // import() of fc2.js becomes require(): FC loads index.js as CommonJS, and so are the files next to it.
    supported: { 'dynamic-import': false },
    plugins: [localOnlyForFc, trimForFc(name), zodEnglishOnly, embedConsole(consoleFiles)],
  });
  const inputs = Object.keys(result.metafile.inputs).map((input) => input.split(path.sep).join('/'));
  for (const [prefix, what] of LOCAL_ONLY) {
    const leaked = inputs.find((input) => input === prefix || input.startsWith(prefix));
    if (leaked) throw new Error(`dist/${name}/index.js would contain ${what} (${leaked}); it is local-only`);
  }
  for (const [prefix, what] of LEFT_OUT) {
    const carried = inputs.find((input) => input.startsWith(prefix));
    if (carried) throw new Error(`dist/${name}/index.js would contain ${what} (${carried}); it is left out on purpose`);
  }
  if (report) reports.push(`dist/${name}/index.js\n${largestParts(result.metafile)}`);
  await writeFile(`dist/${name}/package.json`, JSON.stringify({ type: 'commonjs' }) + '\n');
  sizes[name] = (await stat(`dist/${name}/index.js`)).size;
}

if (functions.length > 0) {
  // One build of the SDK, written next to each function's index.js.
  const result = await build({
    ...common,
    stdin: { contents: "module.exports = require('tablestore');", resolveDir: '.', sourcefile: 'tablestore.js' },
    outfile: 'tablestore.js',
    write: false,
    minify: true,
    metafile: true,
    plugins: [tablestoreProtoFromDescriptor],
  });
  const [file] = result.outputFiles;
  if (file.text.startsWith('"use strict"')) throw new Error('tablestore.js must not be strict mode: the SDK assigns undeclared variables');
  for (const name of functions) await writeFile(`dist/${name}/tablestore.js`, file.contents);
  if (report) reports.push(`dist/*/tablestore.js\n${largestParts(result.metafile)}`);
  sizes.tablestore = file.contents.byteLength;
}

if (functions.includes('api')) {
  await build({ ...common, entryPoints: ['src/http/docs/redoc-asset.ts'], outfile: 'dist/api/redoc-asset.js', minify: true });
  sizes['api-redoc'] = (await stat('dist/api/redoc-asset.js')).size;
}

if (functions.includes('poller')) {
  const result = await build({
    ...common,
    stdin: { contents: "module.exports = require('@alicloud/fc2');", resolveDir: '.', sourcefile: 'fc2.js' },
    outfile: 'dist/poller/fc2.js',
    minify: true,
    metafile: true,
    plugins: [fc2InvokeOnly],
  });
  if (report) reports.push(`dist/poller/fc2.js\n${largestParts(result.metafile)}`);
  sizes['poller-fc2'] = (await stat('dist/poller/fc2.js')).size;
}

await build({
  ...common,
  entryPoints: ['src/local/main.ts'],
  outfile: 'dist/cli/taskhook.cjs',
  packages: 'external',
  plugins: [rpcOnlyForCli, embedConsole(consoleFiles)],
});
sizes.cli = (await stat('dist/cli/taskhook.cjs')).size;

await mkdir('dist', { recursive: true });
await writeFile('dist/bundle-sizes.json', JSON.stringify(sizes, null, 2) + '\n');

if (!quiet) {
  for (const name of functions) console.log(`dist/${name}/index.js  ${(sizes[name] / 1024).toFixed(0)} KiB`);
  if (sizes.tablestore) console.log(`dist/*/tablestore.js  ${(sizes.tablestore / 1024).toFixed(0)} KiB (required when the store opens)`);
  if (sizes['poller-fc2']) console.log(`dist/poller/fc2.js  ${(sizes['poller-fc2'] / 1024).toFixed(0)} KiB (required at the first shard)`);
  console.log(`dist/cli/taskhook.cjs  ${(sizes.cli / 1024).toFixed(0)} KiB`);
  for (const [name, text] of Object.entries(consoleFiles))
    console.log(`console ${name}  ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB (in the API handler)`);
}

if (report) console.log(reports.join('\n'));
