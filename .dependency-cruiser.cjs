// @ts-check
/**
 * Layering rules for taskhook (run: `npm run deps`). Layers, top to bottom:
 *   functions/ (FC entries)  ·  src/local/ (local runtime + CLI)  ·  src/fc/ (FC event/context adapters)
 *   src/http/ (API routes)  ·  src/poller.ts + src/poll/ (poll-cycle orchestrator and its steps)
 *   src/shards/ (the shard type and the Invoker port, used by the poller and src/fc/)
 *   src/store/, src/ecs/, src/webhooks/ (domain)  ·  src/config.ts
 *   src/tasks/, src/errors.ts (ground floor)
 * Test-only product code: src/fakes/ (Tablestore fake), src/ecs/simulator/ (ECS simulator).
 * Paths are relative to the repository root, as depcruise prints them.
 */

/** Everything a domain/ground-floor module must never reach: the layers above it. */
const UPPER_LAYERS = ['^src/poller\\.ts$', '^src/poll/', '^src/http/', '^src/local/', '^src/fc/'];
/** Test/bench-only product code. */
const FAKES = ['^src/fakes/', '^src/ecs/simulator/'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---- hygiene -------------------------------------------------------------------------------------
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles hide the real layering, break lazy init order and make modules impossible to test alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import nobody can resolve is a typo, a moved file or a missing package; esbuild would fail later and worse.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment: 'An npm package not declared in package.json works only by hoisting luck and is missing from a clean install.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-orphans',
      severity: 'warn',
      comment: 'A module in src that nothing imports and that imports nothing is dead code (or an entry that needs an exception here).',
      from: { orphan: true, path: '^src/', pathNot: ['\\.d\\.(c|m)?ts$'] },
      to: {},
    },

    // ---- entries and top layers ----------------------------------------------------------------------
    {
      name: 'functions-only-fc-and-root',
      severity: 'error',
      comment:
        'FC entries are thin: they hand the FC dependency source (src/fc/) to a handler factory (the timer one in src/fc/, the API one in src/http/app.ts) and nothing else of src.',
      from: { path: '^functions/' },
      to: { path: '^src/', pathNot: ['^src/fc/', '^src/http/app\\.ts$'] },
    },
    {
      name: 'not-to-local',
      severity: 'error',
      comment: 'src/local/ (local runtime, CLI) is a top layer: nothing else in src may depend on it, or it leaks into FC bundles.',
      from: { path: '^src/', pathNot: '^src/local/' },
      to: { path: '^src/local/' },
    },
    {
      name: 'not-to-fc',
      severity: 'error',
      comment: 'src/fc/ (FC event/context specifics) is a top layer: only functions/ and src/local/ use it; src/http/ may use fc/http-event.ts.',
      from: { pathNot: ['^src/fc/', '^src/local/', '^functions/', '^src/http/'] },
      to: { path: '^src/fc/' },
    },
    {
      name: 'http-only-fc-http-event',
      severity: 'error',
      comment: 'The API routes may use the FC 3.0 HTTP-event normalising middleware, and no other FC specifics.',
      from: { path: '^src/http/' },
      to: { path: '^src/fc/', pathNot: '^src/fc/http-event\\.ts$' },
    },
    {
      name: 'src-not-to-functions',
      severity: 'error',
      comment: 'functions/ are the outermost entries; only the local runtime (which hosts them locally) may import them.',
      from: { path: '^src/', pathNot: '^src/local/' },
      to: { path: '^functions/' },
    },

    // ---- domain --------------------------------------------------------------------------------------
    {
      name: 'domain-not-to-upper-layers',
      severity: 'error',
      comment: 'store, ecs and webhooks are called by the poller and the routes, never the other way round.',
      from: { path: ['^src/store/', '^src/ecs/', '^src/webhooks/'] },
      to: { path: UPPER_LAYERS },
    },
    {
      name: 'config-ground-floor-only',
      severity: 'error',
      comment: 'Config is loaded by everything, so it may only (even transitively) reach the ground floor and leaf helpers, not the domain.',
      from: { path: '^src/config\\.ts$' },
      to: {
        reachable: true,
        path: ['^src/webhooks/', '^src/ecs/', '^src/store/', ...UPPER_LAYERS, '^src/runtime\\.ts$', '^src/poll-[^/]*\\.ts$', ...FAKES],
      },
    },

    // ---- ground floor --------------------------------------------------------------------------------
    {
      name: 'tasks-ground-floor',
      severity: 'error',
      comment: 'src/tasks/ is the shared vocabulary at the bottom: only itself, src/errors.ts and node builtins.',
      from: { path: '^src/tasks/' },
      to: { pathNot: ['^src/tasks/', '^src/errors\\.ts$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'errors-imports-nothing-from-src',
      severity: 'error',
      comment: 'src/errors.ts is imported from every layer; any import from src there is a cycle waiting to happen.',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/' },
    },

    // ---- fakes: product code, test/bench-only at run time -------------------------------------------
    {
      name: 'no-fakes-in-product-paths',
      severity: 'error',
      comment: 'The Tablestore fake and the ECS simulator are for tests, bench and the local demo; product paths must not import them.',
      from: { path: ['^src/store/', '^src/webhooks/', '^src/poller\\.ts$', '^src/poll/', '^src/shards/', '^src/http/', '^src/fc/', '^functions/'] },
      to: { path: FAKES },
    },
    {
      name: 'no-fakes-reachable-from-functions',
      severity: 'error',
      comment: 'Same guard as scripts/build.mjs LOCAL_ONLY, earlier: no FC entry may reach the fakes even transitively.',
      from: { path: '^functions/' },
      to: { reachable: true, path: FAKES },
    },

    // ---- test and bench ------------------------------------------------------------------------------
    {
      name: 'bench-not-to-test',
      severity: 'error',
      comment: 'bench/ must not depend on test helpers; shared fakes live in src/fakes/ and src/ecs/simulator/.',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'src-not-to-test-or-bench',
      severity: 'error',
      comment: 'Product code must not import test or bench code; it would end up in the bundles.',
      from: { path: ['^src/', '^functions/'] },
      to: { path: ['^test/', '^bench/'] },
    },
  ],

  options: {
    // Analyse the repo's own TypeScript; stop at packages.
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^dist/', '^bench/results/', '^coverage/'] },
    moduleSystems: ['es6', 'cjs', 'tsd'],
    // Count `import type` too: a type-only edge is still a layering edge.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // The sources import `./x.js` that is really `./x.ts` (moduleResolution "bundler"), some without extension.
    // depcruise maps .js -> .ts/.d.ts, .mjs -> .mts, .cjs -> .cts itself when the .js file does not exist
    // (its schema has no enhanced-resolve `extensionAlias`); `npm run deps -- --output-type text` shows the edges.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
