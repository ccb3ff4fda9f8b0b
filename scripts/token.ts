/**
 * Mints a room or admin token for operators:
 *   npx tsx scripts/token.ts --room x --permissions publish,subscribe [--name Ann] [--ttl 3600]
 *   npx tsx scripts/token.ts --admin                  (REST API token)
 *   npx tsx scripts/token.ts --stream live/demo       (publish key: rtmp://host/live/demo?key=…)
 * The secret comes from the configuration (`auth.secret`, or ESTUARY_AUTH_SECRET). The token
 * goes to stdout and nothing else does, so it can be captured with $(...).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.js';
import { mintToken, DEFAULT_TOKEN_TTL_S, type Permission } from '../server/auth/tokens.js';

const PERMISSIONS: readonly Permission[] = ['publish', 'subscribe'];

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(2);
}

function parsePermissions(raw: string | undefined): Permission[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of list) if (!PERMISSIONS.includes(p as Permission)) fail(`unknown permission "${p}" (use ${PERMISSIONS.join(', ')})`);
  return list as Permission[];
}

const { values } = parseArgs({
  options: {
    room: { type: 'string' },
    permissions: { type: 'string' },
    admin: { type: 'boolean', default: false },
    name: { type: 'string' },
    stream: { type: 'string' },
    ttl: { type: 'string', default: String(DEFAULT_TOKEN_TTL_S) },
  },
  strict: true,
});

const secret = loadConfig().auth.secret;
if (!secret) fail('no secret: set auth.secret in the config or ESTUARY_AUTH_SECRET');
if (!values.room && !values.admin && !values.stream) fail('--room is required (or --admin for an API token, --stream for a publish key)');
const ttlSeconds = Number(values.ttl);
if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) fail('--ttl must be a positive whole number of seconds');

const token = await mintToken(secret, {
  room: values.room,
  permissions: parsePermissions(values.permissions),
  admin: values.admin,
  name: values.name,
  stream: values.stream,
  ttlSeconds,
});
process.stdout.write(token + '\n');
