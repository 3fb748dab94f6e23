/**
 * The import walls, checked in `npm test` (stage "walls") and by `npm run lint:walls`.
 *
 * Server layers, imports only downward:
 *   edge    server/src/{edge,admin,auth,limits,metrics,turn}, app.ts, main.ts — HTTP routes, WebSocket
 *           sessions, tokens and grants, abuse limits, /metrics, TURN
 *   rooms   server/src/rooms — room and peer semantics, permissions, one handler per protocol method
 *   cluster server/src/cluster (to come: Redis) — beside rooms, behind the room-directory interface
 *   media   server/src/media — worker pool, routers, transports: everything that touches mediasoup
 *   base    server/src/{config,config-values,logger}.ts and protocol/ — importable from every layer
 * The packages: protocol/ imports none of them; client/ and loadtest/ never import server code; the
 * load test and the bench use the client library through its index.ts only (the bench may import server
 * code: it runs Confero in-process to measure it); product code never imports test code. Type-only imports count: a wall that types may cross is not a wall.
 */
const SERVER_EDGE = '^server/src/(edge|admin|auth|limits|metrics|turn)/|^server/src/(app|main)\\.ts$';
const TEST_CODE = '(^|/)(test|test-node|testkit)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle makes load order matter and the layers meaningless: break it with a narrower type or a callback.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'media-is-the-bottom',
      severity: 'error',
      comment: 'server/src/media knows mediasoup, not rooms, sessions or routes.',
      from: { path: '^server/src/media/' },
      to: { path: ['^server/src/(rooms|cluster)/', SERVER_EDGE] },
    },
    {
      name: 'rooms-below-edge',
      severity: 'error',
      comment: 'server/src/rooms must not reach up into the edge (routes, sessions, auth, limits, metrics, TURN) nor into the cluster module beside it.',
      from: { path: '^server/src/rooms/' },
      to: { path: ['^server/src/cluster/', SERVER_EDGE] },
    },
    {
      name: 'cluster-below-edge',
      severity: 'error',
      comment: 'The cluster module sits beside rooms: it may use rooms and media, never the edge.',
      from: { path: '^server/src/cluster/' },
      to: { path: SERVER_EDGE },
    },
    {
      name: 'protocol-stands-alone',
      severity: 'error',
      comment: 'protocol/ is defined once and used by everyone: it imports none of them.',
      from: { path: '^protocol/' },
      to: { path: '^(server|client|loadtest|bench|testkit|scripts)/' },
    },
    {
      name: 'server-src-is-self-contained',
      severity: 'error',
      comment: 'The server imports no client, load-test, bench or test code.',
      from: { path: '^server/src/' },
      to: { path: ['^(client|loadtest|bench|testkit)/', TEST_CODE] },
    },
    {
      name: 'client-never-imports-server',
      severity: 'error',
      comment: 'client/ and loadtest/ talk to the server over the protocol only.',
      from: { path: '^(client|loadtest)/src/' },
      to: { path: '^server/' },
    },
    {
      name: 'client-lib-is-dom-free',
      severity: 'error',
      comment: 'The client library is shared with headless bots: it never imports the page (client/src/ui).',
      from: { path: '^client/src/lib/' },
      to: { path: '^client/src/ui/' },
    },
    {
      name: 'client-library-through-its-index',
      severity: 'error',
      comment: 'Bots and the bench use the client library as a library: through client/src/lib/index.ts, not its inner files.',
      from: { path: '^(loadtest|bench)/' },
      to: { path: '^client/src/', pathNot: '^client/src/lib/index\\.ts$' },
    },
    {
      name: 'product-never-imports-tests',
      severity: 'error',
      comment: 'Product code never imports test code. Written exception: bench/worker-crash.ts drives browsers as the tests do and uses testkit/ for it.',
      from: { path: '^(server|client|loadtest|protocol)/src/|^bench/', pathNot: '^bench/worker-crash\\.ts$' },
      to: { path: TEST_CODE },
    },
    // Tests share helpers through testkit/, never another package's test folder. Written exception:
    // testkit/ itself imports server/src, to start real servers in-process.
    ...[
      ['server/test', '^(client|loadtest|bench|testkit)/'],
      ['client/(test|test-node)', '^(server|loadtest|bench|testkit)/'],
      ['loadtest/test', '^(server|client|bench|testkit)/'],
    ].map(([folder, others]) => ({
      name: 'tests-share-only-the-testkit',
      severity: 'error',
      comment: `${folder} is its package's own: what other packages' tests need belongs in testkit/.`,
      from: { path: others },
      to: { path: `^${folder}/` },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|test-artifacts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
