// iam-simulate-driver.mjs: the reference evaluator for the differential
// tests of shared/iameval. It reads one JSON case per line on stdin and
// writes one JSON answer per line on stdout, in the same order:
//
//   in:  {"id":1,"request":{"principal":"arn:...","action":"s3:GetObject",
//         "resource":"arn:...","resourceAccount":"111122223333",
//         "context":{"aws:SourceIp":["10.0.0.1"]}},
//         "identity":[{"name":"p0","policy":{...}}],"resource":{...}|null,
//         "boundary":{...}|null,"session":{...}|null,
//         "scps":[[{"name":"s0","policy":{...}}]],"rcps":[[...]]}
//   out: {"id":1,"decision":"Allowed"} or {"id":1,"error":"..."}
//
// Usage: node iam-simulate-driver.mjs EMULATORS_DIR
// where EMULATORS_DIR holds the node_modules installed from
// .ci/emulators/package-lock.json.
//
// It calls the core engine of @cloud-copilot/iam-simulate (authorize) the
// way the package's runUnsafeSimulation does, without its input validation
// (which would reject made-up context keys) and with the session policy
// that runUnsafeSimulation does not pass on. A context key with one value
// is sent as a string (single-valued), with several as an array
// (multivalued), which is how shared/iameval reads Request.Context.
// IAM_SIMULATE_DEBUG=1 writes the reference's whole analysis of each case
// to stderr, to see why it decided as it did.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import readline from 'node:readline';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node iam-simulate-driver.mjs EMULATORS_DIR\n');
  process.exit(2);
}
const require = createRequire(join(dir, 'package.json'));
// The package's exports map only names its index; the engine's modules are
// loaded by path from the same dist folder.
const esm = dirname(require.resolve('@cloud-copilot/iam-simulate')).replace(/cjs$/, 'esm');
const load = (p) => import(pathToFileURL(join(esm, p)).href);
const { authorize } = await load('core_engine/CoreSimulatorEngine.js');
const { AwsRequestImpl } = await load('request/request.js');
const { RequestContextImpl } = await load('requestContext.js');
const { DiscoveryContextKeyConstraints } = await load('context_keys/discoveryContextKeyConstraints.js');
const policyRequire = createRequire(join(esm, 'index.js'));
const { loadPolicy } = await import(pathToFileURL(policyRequire.resolve('@cloud-copilot/iam-policy')).href.replace('/cjs/', '/esm/'));

function levels(list, prefix) {
  return (list || []).map((level, i) => ({
    orgIdentifier: `${prefix}-${i}`,
    policies: level.map((p) => loadPolicy(p.policy, { name: p.name }))
  }));
}

function run(c) {
  const r = c.request;
  const ctx = {};
  for (const [k, v] of Object.entries(r.context || {})) {
    ctx[k] = v.length === 1 ? v[0] : v;
  }
  const request = new AwsRequestImpl(
    r.principal,
    { resource: r.resource, accountId: r.resourceAccount },
    r.action,
    new RequestContextImpl(ctx)
  );
  const result = authorize({
    request,
    sessionPolicy: c.session ? loadPolicy(c.session, { name: 'session' }) : undefined,
    identityPolicies: (c.identity || []).map((p) => loadPolicy(p.policy, { name: p.name })),
    serviceControlPolicies: levels(c.scps, 'ou'),
    resourceControlPolicies: levels(c.rcps, 'rcp'),
    resourcePolicy: c.resource ? loadPolicy(c.resource, { name: 'resource' }) : undefined,
    permissionBoundaries: c.boundary ? [loadPolicy(c.boundary, { name: 'boundary' })] : undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
    },
    serviceSettings: { s3: {} }
  });
  if (process.env.IAM_SIMULATE_DEBUG) {
    process.stderr.write(JSON.stringify(result, (k, v) => (k === 'statement' ? undefined : v), 1) + '\n');
  }
  return result.result;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
const flush = () => {
  if (out.length) {
    process.stdout.write(out.join('\n') + '\n');
    out.length = 0;
  }
};
for await (const line of rl) {
  if (!line.trim()) continue;
  let id = null;
  try {
    const c = JSON.parse(line);
    id = c.id;
    out.push(JSON.stringify({ id, decision: run(c) }));
  } catch (e) {
    out.push(JSON.stringify({ id, error: String((e && e.stack) || e) }));
  }
  if (out.length >= 256) flush();
}
flush();
