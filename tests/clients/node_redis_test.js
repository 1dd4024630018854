// node-redis (Debian's node-redis 4.5.1, whose client is @redis/client
// 1.4.2) against walnut, started by run_all.
//
// What node-redis 4.5.1 sends on connect, from its source
// (@redis/client/dist/lib/client/index.js, the socket initiator in
// _RedisClient_initiateSocket): no HELLO. It queues SELECT <db> (when
// `database` is not 0), READONLY (when `readonly`), CLIENT SETNAME <name>
// (when `name`) and AUTH [user] <password> (when given), each with
// {asap: true}, which puts it at the front of the queue
// (commands-queue.js, unshiftNode): so the wire order is AUTH, CLIENT
// SETNAME, READONLY, SELECT, and any of them failing fails the connect.
// HELLO exists only as a command (commands/HELLO.js, client.hello()).
//
// Prints "PASS name" or "FAIL name: why" per case; exits 1 when any failed.
'use strict';
const assert = require('assert');
const fs = require('fs');
const { createClient } = require('redis');

const env = process.env;
const PORT = Number(env.WALNUT_PORT);
const DB_PORT = Number(env.WALNUT_DB_PORT);
const DB = Number(env.WALNUT_DB);
const AUTH_PORT = Number(env.WALNUT_AUTH_PORT);
const PASSWORD = env.WALNUT_AUTH_PASSWORD;
const REDIS_PORTS = env.REDIS_PORTS.split(' ').map(Number);
const TLS_PORT = Number(env.WALNUT_TLS_PORT);
const TLS_CA = env.TLS_CA_FILE;
const REDIS_TLS_SERVER_PORT = Number(env.REDIS_TLS_SERVER_PORT);

// Connected clients of the running case, closed after it whatever happens,
// so that the process can exit.
let open = [];

async function connect(options) {
  const client = createClient({
    ...options,
    // A connect that fails stays failed: the default strategy retries
    // forever, which would hide the reason behind the case's timeout.
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: () => new Error('no reconnect in tests'),
      ...options.socket,
    },
  });
  // node-redis emits 'error' before rejecting connect(); unhandled, it
  // would end the process.
  client.on('error', () => {});
  open.push(client);
  await client.connect();
  return client;
}

const walnut = (port, options = {}) => connect({ url: `redis://127.0.0.1:${port}`, ...options });
const backend = (port, options = {}) => connect({ url: `redis://127.0.0.1:${port}`, ...options });

// Why a connect failed: with a reconnect strategy that gives up, connect()
// rejects with a ReconnectStrategyError holding the reply in socketError.
const connectError = (e) => e.socketError ?? e;

// The error fn() rejected with.
async function rejects(fn) {
  try {
    const result = await fn();
    throw new assert.AssertionError({ message: `no error; resolved ${JSON.stringify(result)}` });
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return e;
  }
}

const tests = {
  async client_name() {
    const c = await walnut(PORT, { name: 'walnut-node' });
    assert.strictEqual(await c.clientGetName(), 'walnut-node', 'CLIENT GETNAME after connect');
  },

  async set_get() {
    const c = await walnut(PORT);
    assert.strictEqual(await c.set('node:one', '1'), 'OK', 'SET');
    assert.strictEqual(await c.get('node:one'), '1', 'GET');
    assert.strictEqual(await c.get('node:missing'), null, 'GET of a missing key');
  },

  async mget_over_two_servers() {
    const c = await walnut(PORT);
    const keys = Array.from({ length: 40 }, (_, i) => `node:spread:${i}`);
    assert.strictEqual(await c.mSet(keys.map((k, i) => [k, `v${i}`])), 'OK', 'MSET');
    assert.deepStrictEqual(await c.mGet(keys), keys.map((_, i) => `v${i}`), 'MGET');
    // Both servers hold some: MSET/MGET really went over two servers.
    const perServer = [];
    for (const port of REDIS_PORTS) perServer.push(await (await backend(port)).exists(keys));
    assert.ok(perServer[0] + perServer[1] === keys.length && Math.min(...perServer) > 0,
      `keys per server ${perServer}`);
    assert.strictEqual(await c.del(keys), keys.length, 'DEL of all');
  },

  async hello_2() {
    const c = await walnut(PORT);
    const reply = await c.sendCommand(['HELLO', '2']);
    assert.ok(Array.isArray(reply) && reply.length % 2 === 0, `HELLO 2: ${JSON.stringify(reply)}`);
    const fields = {};
    for (let i = 0; i < reply.length; i += 2) fields[reply[i]] = reply[i + 1];
    for (const f of ['server', 'version', 'proto', 'id', 'mode', 'role', 'modules']) {
      assert.ok(f in fields, `HELLO 2 has no '${f}': ${JSON.stringify(reply)}`);
    }
    assert.strictEqual(fields.proto, 2, 'proto');
    assert.strictEqual(fields.id, await c.clientId(), 'id is the CLIENT ID');
    // node-redis's own wrapper reads the same reply by position.
    const hello = await c.hello({ protover: 2 });
    assert.strictEqual(hello.proto, 2, `client.hello(): ${JSON.stringify(hello)}`);
    const e = await rejects(() => c.sendCommand(['HELLO', '3']));
    assert.match(e.message, /^NOPROTO /, `HELLO 3: ${e.message}`);
  },

  async database_pool() {
    const c = await walnut(DB_PORT, { database: DB });
    assert.strictEqual(await c.set('node:db', 'in-db'), 'OK', 'SET');
    assert.strictEqual(await c.get('node:db'), 'in-db', 'GET');
    // Where it landed: the pool's db on its server, not db 0.
    assert.strictEqual(await (await backend(REDIS_PORTS[0], { database: DB })).get('node:db'), 'in-db',
      `not in db ${DB}`);
    assert.strictEqual(await (await backend(REDIS_PORTS[0])).get('node:db'), null, 'landed in db 0');
  },

  async database_refused() {
    // SELECT on connect: the connect fails with walnut's reason.
    const e = await rejects(() => walnut(PORT, { database: DB }));
    assert.strictEqual(connectError(e).message,
      `ERR SELECT ${DB} refused: this walnut pool serves db 0 only; a pool with 'redis_db: ${DB}' serves db ${DB}`);
  },

  async password() {
    const c = await walnut(AUTH_PORT, { password: PASSWORD });
    assert.strictEqual(await c.set('node:auth', 'yes'), 'OK', 'SET with the password');
    assert.strictEqual(await c.get('node:auth'), 'yes', 'GET with the password');
    const e = await rejects(() => walnut(AUTH_PORT, { password: `not-${PASSWORD}` }));
    assert.strictEqual((connectError(e)).message, 'ERR invalid password', 'wrong password');
  },

  async multi() {
    // node-redis's multi().exec() sends MULTI, the commands and EXEC, and
    // returns EXEC's array.
    const c = await walnut(PORT);
    const got = await c.multi().set('node:tx', '1').incr('node:tx').get('node:tx').exec();
    assert.deepStrictEqual(got, ['OK', 2, '2'], 'multi().exec()');
  },

  async subscribe() {
    // node-redis's subscriber is a duplicate connection in subscribed mode.
    const publisher = await walnut(PORT);
    const subscriber = await walnut(PORT);
    const got = [];
    let resolve;
    const twoMessages = new Promise((r) => { resolve = r; });
    await subscriber.subscribe(['node:chan:a', 'node:chan:b'], (message, channel) => {
      got.push([channel, message]);
      if (got.length === 2) resolve();
    });
    assert.strictEqual(await publisher.publish('node:chan:a', 'one'), 1, 'PUBLISH a');
    assert.strictEqual(await publisher.publish('node:chan:b', 'two'), 1, 'PUBLISH b');
    await twoMessages;
    assert.deepStrictEqual(got.sort(), [['node:chan:a', 'one'], ['node:chan:b', 'two']]);
    await subscriber.unsubscribe();
    assert.strictEqual(await subscriber.set('node:after', 'ok'), 'OK', 'SET after UNSUBSCRIBE');
    assert.strictEqual(await subscriber.get('node:after'), 'ok', 'GET after UNSUBSCRIBE');
  },

  async tls_both_sides() {
    // TLS to walnut, which speaks TLS to its server.
    const c = await connect({
      socket: { host: '127.0.0.1', port: TLS_PORT, tls: true, ca: [fs.readFileSync(TLS_CA)] },
    });
    assert.strictEqual(await c.set('node:tls', 'yes'), 'OK');
    assert.strictEqual(await c.get('node:tls'), 'yes');
    const values = Array.from({ length: 100 }, (_, i) => 'y'.repeat(i * 150));
    await Promise.all(values.map((v, i) => c.set(`node:tls:${i}`, v)));
    const got = await Promise.all(values.map((_, i) => c.get(`node:tls:${i}`)));
    assert.deepStrictEqual(got, values, 'pipelined GETs');
    const direct = await backend(REDIS_TLS_SERVER_PORT);
    assert.strictEqual(await direct.get('node:tls'), 'yes', 'on the TLS server');
  },

  async blpop() {
    // A blocking command on a client of its own; another client pushes.
    const c = await walnut(PORT);
    const other = await walnut(PORT);
    await c.del('node:queue');
    const popped = c.blPop('node:queue', 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.strictEqual(await other.rPush('node:queue', 'job'), 1, 'RPUSH while the other blocks');
    assert.deepStrictEqual(await popped, { key: 'node:queue', element: 'job' }, 'BLPOP');
  },
};

// A case that hangs fails alone, before run_all's bound on the whole file.
function within(ms, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  let failed = 0;
  for (const [name, fn] of Object.entries(tests)) {
    try {
      await within(10000, fn());
      console.log(`PASS ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.message}`);
      if (!(e instanceof assert.AssertionError)) console.log(e.stack);
    } finally {
      for (const c of open) {
        if (c.isOpen) await c.disconnect().catch(() => {});
      }
      open = [];
    }
  }
  process.exitCode = failed ? 1 : 0;
}

main();
