#!/usr/bin/env node
// Heedful's Bluesky test peer: a local, offline AT Protocol network (PLC directory, PDS, Bluesky
// AppView, and the Ozone moderation service TestNetwork always starts) from @atproto/dev-env
// 0.3.215, on a PostgreSQL server that tests/peers/bluesky.py runs. Started by that module with
// NODE_PATH pointing at the node_modules that install.sh put in the cache folder.
//
// Environment (ports are chosen free by the caller; defaults only for running this by hand):
//   DB_POSTGRES_URL      postgres://pg@127.0.0.1:PORT/postgres (required; waited for at start)
//   DB_POSTGRES_SCHEMA   schema suffix, default "dev" -> schemas appview_dev and ozone_dev
//   PLC_PORT PDS_PORT APPVIEW_PORT OZONE_PORT CONTROL_PORT
//   PDS_PUBLIC_URL       the PDS's public URL, written into every new account's DID document
//                        (default http://localhost:PDS_PORT). The Python side points it at its
//                        switchable loopback proxy, so clients that follow the DID document (as
//                        the atproto SDKs do after createSession) keep going through the proxy.
//   INFO_FILE            where to write the JSON with the URLs and DIDs once READY
//   SEQUENCER_MAX_POLL_MS  cap (ms) for the PDS sequencer's idle poll backoff (stock: 1000 ms,
//                        so an idle write reaches the AppView up to ~1 s late); 0 = stock
//   FIX_UPDATESEEN_RACE  1 (default) serialises the AppView's updateSeen calls, see below
//   EXIT_ON_STDIN_EOF=1  orphan guard: the caller holds our stdin open; once it closes (the
//                        caller died, even by SIGKILL) the network stops itself, then runs
//                        PG_STOP_COMMAND (a JSON array: argv) and removes RUN_DIR
//
// Control server on 127.0.0.1:CONTROL_PORT, up once the network is READY:
//   GET  /health        200 "ok"
//   POST /process-all   returns once the AppView has indexed everything the PDS emitted
//   POST /shutdown      closes the network cleanly and exits 0 (SIGTERM/SIGINT do the same)
'use strict'
require('@atproto/dev-env/dist/env') // dotenv, before anything else (as dev-env's bin.js does)
const http = require('node:http')
const fs = require('node:fs')
const { spawnSync } = require('node:child_process')
const { Client: PgClient } = require('pg')
const { TestNetwork, mockMailer } = require('@atproto/dev-env')

// seconds since node started (module loading included)
const log = (...a) => console.log(`[network +${process.uptime().toFixed(2)}s]`, ...a)
const int = (name, dflt) => parseInt(process.env[name] || String(dflt), 10)

const PLC_PORT = int('PLC_PORT', 2582)
const PDS_PORT = int('PDS_PORT', 2583)
const APPVIEW_PORT = int('APPVIEW_PORT', 2584)
const OZONE_PORT = int('OZONE_PORT', 2587)
const CONTROL_PORT = int('CONTROL_PORT', 2589)
const PDS_PUBLIC_URL = process.env.PDS_PUBLIC_URL || `http://localhost:${PDS_PORT}`
const DB_URL = process.env.DB_POSTGRES_URL
const INFO_FILE = process.env.INFO_FILE || ''

let network
let closing = false

async function shutdown(code = 0, orphaned = false) {
  if (closing) return
  closing = true
  log(orphaned ? 'stdin closed: the caller is gone, shutting down' : 'shutting down')
  const timer = setTimeout(() => {
    log('close() took more than 20 s, exiting anyway')
    process.exit(code || 1)
  }, 20000)
  try {
    if (network) await network.close()
    log('closed')
  } catch (err) {
    log('error while closing', err)
    code = code || 1
  }
  clearTimeout(timer)
  if (orphaned) cleanUpAfterCaller()
  process.exit(code)
}

// Nobody else will stop PostgreSQL and remove the run folder: do what the caller would have.
function cleanUpAfterCaller() {
  try {
    const command = JSON.parse(process.env.PG_STOP_COMMAND || '[]')
    if (command.length) spawnSync(command[0], command.slice(1), { stdio: 'inherit' })
    if (process.env.RUN_DIR) fs.rmSync(process.env.RUN_DIR, { recursive: true, force: true })
  } catch (err) {
    log('cleanup failed', err)
  }
}

// The caller starts PostgreSQL while this process loads its ~500 modules: wait for it here.
async function waitForPostgres(url, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const client = new PgClient({ connectionString: url })
    try {
      await client.connect()
      await client.query('select 1')
      await client.end()
      return
    } catch (err) {
      await client.end().catch(() => {})
      if (Date.now() > deadline) throw new Error(`PostgreSQL not reachable at ${url}: ${err}`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }
}

async function main() {
  if (!DB_URL) throw new Error('DB_POSTGRES_URL is not set')
  log('modules loaded')
  await waitForPostgres(DB_URL)
  log('postgres reachable')

  network = await TestNetwork.create({
    dbPostgresUrl: DB_URL,
    dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || 'dev',
    plc: { port: PLC_PORT },
    pds: { port: PDS_PORT, hostname: 'localhost', enableDidDocWithSession: true },
    bsky: { port: APPVIEW_PORT, publicUrl: `http://localhost:${APPVIEW_PORT}` },
    ozone: {
      port: OZONE_PORT,
      chatUrl: 'http://localhost:1', // no chat service; only Ozone's chat features use it
      chatDid: 'did:example:chat',
      dbMaterializedViewRefreshIntervalMs: 30000,
    },
  })
  mockMailer(network.pds) // e-mails are logged, never sent

  // Accounts created from now on get PDS_PUBLIC_URL as their PDS endpoint in PLC (createAccount
  // reads cfg.service.publicUrl per request), and createSession/refreshSession return that DID
  // document. The network's own service accounts, made during create(), keep the direct URL.
  network.pds.ctx.cfg.service.publicUrl = PDS_PUBLIC_URL
  // dev-env's mockNetworkUtilities makes the PDS's and the AppView's DID resolvers rewrite the
  // PDS's public URL to its local one, so the AppView keeps reaching the PDS directly (good:
  // indexing goes on while the proxy is off). The PDS's own resolver, though, is where the
  // session's DID document comes from: rewrite back, so clients are sent to the public URL.
  const localPdsUrl = `http://localhost:${network.pds.port}`
  const pdsDidResolver = network.pds.ctx.idResolver.did
  const mockedResolve = pdsDidResolver.resolveNoCache
  pdsDidResolver.resolveNoCache = async (did) => {
    const result = await mockedResolve.call(pdsDidResolver, did)
    const service = result?.service?.find((svc) => svc.id === '#atproto_pds')
    if (typeof service?.serviceEndpoint === 'string') {
      service.serviceEndpoint = service.serviceEndpoint.replace(localPdsUrl, PDS_PUBLIC_URL)
    }
    return result
  }

  // The PDS sequencer polls its event table with an exponential backoff capped at 1000 ms when
  // idle, so the first write after a quiet moment reached the AppView up to ~1 s later.
  const maxPoll = int('SEQUENCER_MAX_POLL_MS', 0)
  if (maxPoll > 0) {
    const seq = network.pds.ctx.sequencer
    seq.exponentialBackoff = async function () {
      this.triesWithNoResults++
      await new Promise((r) => setTimeout(r, Math.min(2 ** this.triesWithNoResults, maxPoll)))
    }
  }

  // A race in @atproto/bsky 0.0.221: app.bsky.notification.updateSeen runs
  // updateNotificationSeen({priority: false}) and ({priority: true}) in parallel; on an account's
  // first updateSeen both INSERT its actor_state row, and when the priority one wins the account
  // is silently switched to "priority notifications" (listNotifications then shows only
  // accounts it follows). Running the calls one after the other, in call order, lets the
  // priority:false INSERT win. (Fixed upstream later.) FIX_UPDATESEEN_RACE=0 keeps the race.
  if (process.env.FIX_UPDATESEEN_RACE !== '0') {
    const dp = network.bsky.ctx.dataplane
    const orig = dp.updateNotificationSeen
    const chains = new Map()
    dp.updateNotificationSeen = (req, ...rest) => {
      const key = req.actorDid
      const next = (chains.get(key) || Promise.resolve())
        .catch(() => {})
        .then(() => orig(req, ...rest))
      chains.set(key, next)
      next.finally(() => chains.get(key) === next && chains.delete(key)).catch(() => {})
      return next
    }
  }
  await network.processAll()
  log('services up')

  const info = {
    plcUrl: network.plc.url,
    pdsUrl: network.pds.url, // direct, bypassing the proxy
    pdsPublicUrl: PDS_PUBLIC_URL,
    pdsDid: network.pds.ctx.cfg.service.did,
    appviewUrl: network.bsky.url,
    appviewDid: network.bsky.serverDid,
    ozoneUrl: network.ozone.url || `http://localhost:${OZONE_PORT}`,
    controlUrl: `http://127.0.0.1:${CONTROL_PORT}`,
    adminPassword: 'admin-pass',
    pid: process.pid,
    startupSeconds: process.uptime(),
  }

  const control = http.createServer(async (req, res) => {
    try {
      if (req.url === '/health') {
        res.end('ok')
      } else if (req.url === '/process-all' && req.method === 'POST') {
        const started = Date.now()
        await network.processAll(30000)
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ ok: true, ms: Date.now() - started }))
      } else if (req.url === '/shutdown' && req.method === 'POST') {
        res.end('bye')
        setImmediate(() => shutdown(0))
      } else {
        res.statusCode = 404
        res.end('not found')
      }
    } catch (err) {
      res.statusCode = 500
      res.end(String(err && err.stack))
    }
  })
  await new Promise((resolve, reject) => {
    control.once('error', reject)
    control.listen(CONTROL_PORT, '127.0.0.1', resolve)
  })

  if (INFO_FILE) {
    fs.writeFileSync(`${INFO_FILE}.tmp`, JSON.stringify(info, null, 2))
    fs.renameSync(`${INFO_FILE}.tmp`, INFO_FILE)
  }
  log('READY', JSON.stringify(info))
}

process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
if (process.env.EXIT_ON_STDIN_EOF === '1') {
  process.stdin.on('end', () => shutdown(0, true))
  process.stdin.on('error', () => shutdown(0, true))
  process.stdin.resume()
}
main().catch((err) => {
  console.error('FAILED TO START NETWORK:', err)
  shutdown(1)
})
