// The layer rules of src/, checked by dependency-cruiser before the tests (`npm run check:layers`).
// Arrows point down: workflows → (types of) activities → adapters → config; the gateway, the CLI,
// the client and the worker sit on top. An import that runs back up fails the build.
'use strict';

/** Imports the TypeScript compiler erases: they couple no code at run time. */
const TYPE_ONLY = ['type-only'];

module.exports = {
  forbidden: [
    {
      name: 'workflows-are-deterministic',
      comment:
        'Workflow code runs in the deterministic sandbox and is replayed from history: it may load only ' +
        "other workflow files, the Temporal workflow and common packages and OpenTelemetry's workflow " +
        'interceptors (made for the sandbox); anything else (node builtins, adapters, observability, ' +
        'activities) is a side effect or a non-deterministic input. Types are erased.',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: {
        pathNot: [
          '^src/workflows/',
          '^node_modules/@temporalio/(workflow|common)/',
          '^node_modules/@temporalio/interceptors-opentelemetry/lib/workflow/',
        ],
        dependencyTypesNot: TYPE_ONLY,
      },
    },
    {
      name: 'workflows-see-only-activity-types',
      comment:
        'Even type-only, workflows know the rest of src/ only through the activities they schedule ' +
        '(their input and output types), so a workflow never depends on how a layer is implemented.',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: { path: '^src/', pathNot: '^src/(workflows|activities)/' },
    },
    {
      name: 'adapters-stay-below-their-callers',
      comment:
        'Adapters talk to the outside world (stores, providers, HTTP) for whoever calls them; knowing the ' +
        'gateway, the CLI, the worker, the Temporal client or the activities would run an arrow back up.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(gateway|cli|worker|client|activities)/' },
    },
    {
      name: 'adapters-use-only-workflow-types',
      comment: 'Adapters may share the workflow types (the value a refinement carries), never workflow code.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/workflows/', dependencyTypesNot: TYPE_ONLY },
    },
    {
      name: 'adapters-record-no-metrics-themselves',
      comment:
        'Instrumentation sits at the seams, in one way: observability wraps adapters in decorators; an ' +
        'adapter that calls the metrics module directly is a second way.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/observability/metrics\\.ts$' },
    },
    {
      name: 'config-is-the-bottom-layer',
      comment:
        'Every process reads its configuration first; config importing a layer that reads config is a ' +
        'cycle in the making. The stage policies are pure data that the configuration overrides, and the ' +
        'input limits pure data that limits set in the configuration must stay within.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: {
        path: '^src/(adapters|temporal|activities|gateway|cli|client|worker|observability|workflows)/',
        pathNot: ['^src/workflows/stage-policies\\.ts$', '^src/workflows/input-validation\\.ts$'],
      },
    },
    {
      name: 'gateway-does-not-reach-into-the-worker',
      comment:
        'The gateway is a server that starts and reads refinements through the Temporal client; what the ' +
        'worker executes (activities, worker start-up) is not its code.',
      severity: 'error',
      from: { path: '^src/gateway/' },
      to: { path: '^src/(activities|worker)/' },
    },
    {
      name: 'cli-speaks-http-only',
      comment:
        "The CLI is a client of the gateway's HTTP API; it shares no server or worker code. The response " +
        "types of the gateway's route schemas are the wire contract and may be imported as types.",
      severity: 'error',
      from: { path: '^src/cli/', pathNot: '^src/cli/admin-commands\\.ts$' },
      to: { path: '^src/(gateway|worker|activities)/', dependencyTypesNot: TYPE_ONLY },
    },
    {
      name: 'cli-admin-commands-use-only-the-gateway-auth-and-stores',
      comment:
        "The one exception: `refinery token` and `refinery api-key` are operator commands run on the gateway's " +
        'host, on its configuration and its database (there is no HTTP route that mints a development token ' +
        'or creates the first API key). They may load the dev-token signer and the API-key store, nothing else. ' +
        '(`refinery admin erase-user` also opens the gateway database, and starts the erasure through src/client.)',
      severity: 'error',
      from: { path: '^src/cli/admin-commands\\.ts$' },
      to: {
        path: '^src/(gateway|worker|activities)/',
        pathNot: '^src/gateway/(auth/dev-token|stores/(database|api-keys))\\.ts$',
        dependencyTypesNot: TYPE_ONLY,
      },
    },
    {
      name: 'cli-types-only-from-the-wire-contract',
      comment: 'The one type-only door from the CLI into the gateway: the schemas beside the routes.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: {
        path: '^src/(gateway|worker|activities)/',
        pathNot: '^src/gateway/routes/[^/]+\\.schemas\\.ts$',
        dependencyTypes: TYPE_ONLY,
      },
    },
    {
      name: 'activities-serve-only-the-worker',
      comment: 'Activities are what the worker executes; the processes above them are their callers.',
      severity: 'error',
      from: { path: '^src/activities/' },
      to: { path: '^src/(gateway|cli|client|worker)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes load order matter and the layers meaningless: split the shared part out.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-does-not-import-tests',
      comment: 'The shipped code must not depend on the test harness (it is not in the build).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing would fail at run time, or hides an arrow from the rules above.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports are seen (and marked type-only), so the rules can allow them where they say so.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // A copy of the checkout with node_modules linked in (a quick way to try an import) reads the same.
    preserveSymlinks: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
