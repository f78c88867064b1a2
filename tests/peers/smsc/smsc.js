#!/usr/bin/env node
// Independent SMSC test peer for Pigeon's SMPP connector.
//
// The SMPP side (PDU codec, sessions, server) is npm `smpp` 0.5.1 (node-smpp); this script only
// drives it: binds, submit_sm answers, delivery receipts, handset (MO) messages, behaviour rules,
// and in-memory logs served over an HTTP JSON control port. Everything listens on 127.0.0.1.
//
// Environment (read at start; most are changeable at run time with POST /behaviour):
//   SMSC_PORT            SMPP port (0 = any free port; see GET /health)
//   SMSC_CONTROL_PORT    HTTP control port (0 = any free port)
//   SMSC_SYSTEM_ID       if set, binds with another system_id get ESME_RINVSYSID (0x0F)
//   SMSC_PASSWORD        if set, binds with another password get ESME_RINVPASWD (0x0E)
//   SMSC_DLR_DELAY_MS    delay before a receipt (default 20)
//   SMSC_RECEIPTS        both|tlv|text|none (default both)
//   SMSC_QUIET=1         no per-PDU console output
//   SMSC_LOG_CAP         entries kept per in-memory log (default 200000); GET /stats stays exact
//   SMSC_NAME            system_id in bind responses (default PIGEONSMSC)
//   SMSC_NODELAY=0       leave Nagle on for SMPP connections (default: TCP_NODELAY)
'use strict';

const http = require('http');
const smpp = require('smpp');

// ---------------------------------------------------------------------------------------------
// Configuration

const env = process.env;
const intEnv = (name, fallback) => (env[name] === undefined || env[name] === '' ? fallback : parseInt(env[name], 10));
const SMPP_PORT = intEnv('SMSC_PORT', 2775);
const CONTROL_PORT = intEnv('SMSC_CONTROL_PORT', 0);
const QUIET = env.SMSC_QUIET === '1';
const LOG_CAP = intEnv('SMSC_LOG_CAP', 200000);
const NAME = env.SMSC_NAME || 'PIGEONSMSC';
const NO_DELAY = env.SMSC_NODELAY !== '0'; // TCP_NODELAY on SMPP sessions (SMSC_NODELAY=0: Nagle on)
const STARTED_AT = Date.now();
const ID_PREFIX = STARTED_AT.toString(16); // ids stay unique across restarts of the peer

function defaultRules() {
  return {
    system_id: env.SMSC_SYSTEM_ID || null,
    password: env.SMSC_PASSWORD || null,
    throttle_every: 0,
    queue_full_every: 0,
    reject: [],
    stat: [],
    dlr_delay_ms: intEnv('SMSC_DLR_DELAY_MS', 20),
    receipts: env.SMSC_RECEIPTS || 'both',
    respond: true,
    submit_delay_ms: 0,
    receipt_timeout_ms: 10000,
    receipt_retries: 3,
    receipt_retry_delay_ms: 1000,
    enquire_link_every_ms: 0,
  };
}

const RULE_CHECKS = {
  system_id: (v) => v === null || typeof v === 'string',
  password: (v) => v === null || typeof v === 'string',
  throttle_every: (v) => Number.isInteger(v) && v >= 0,
  queue_full_every: (v) => Number.isInteger(v) && v >= 0,
  reject: (v) => Array.isArray(v) && v.every((r) => r && typeof r.prefix === 'string' && Number.isInteger(r.status)),
  stat: (v) => Array.isArray(v) && v.every((r) => r && typeof r.prefix === 'string' && typeof r.stat === 'string'),
  dlr_delay_ms: (v) => Number.isInteger(v) && v >= 0,
  receipts: (v) => ['both', 'tlv', 'text', 'none'].includes(v),
  respond: (v) => typeof v === 'boolean',
  submit_delay_ms: (v) => Number.isInteger(v) && v >= 0,
  receipt_timeout_ms: (v) => Number.isInteger(v) && v > 0,
  receipt_retries: (v) => Number.isInteger(v) && v >= 0,
  receipt_retry_delay_ms: (v) => Number.isInteger(v) && v >= 0,
  enquire_link_every_ms: (v) => Number.isInteger(v) && v >= 0,
};

let rules = defaultRules();
let ruleCounters = { throttle: 0, queue_full: 0 };

// Raw bytes, not the library's guesses: node-smpp decodes short_message / message_payload into
// {udh, message} (and decodes data_coding 1 as GSM 03.38) and turns validity_period into a Date.
// The peer logs what was on the wire and decodes it itself, so those decode filters are removed.
for (const command of ['submit_sm', 'deliver_sm', 'data_sm', 'submit_multi']) {
  const params = smpp.commands[command] && smpp.commands[command].params;
  if (!params) continue;
  for (const key of ['short_message', 'validity_period', 'schedule_delivery_time']) {
    if (params[key]) delete params[key].filter;
  }
}
delete smpp.tlvs.message_payload.filter;

const STATUS = smpp.errors;
const MESSAGE_STATE = { ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 };

// ---------------------------------------------------------------------------------------------
// Logs and counters

class CappedLog {
  constructor(cap) { this.cap = cap; this.items = []; }
  push(item) {
    this.items.push(item);
    if (this.items.length > this.cap + Math.ceil(this.cap / 4)) this.items.splice(0, this.items.length - this.cap);
  }
  all() { return this.items.length > this.cap ? this.items.slice(this.items.length - this.cap) : this.items; }
  clear() { this.items = []; }
}

const logs = { submits: new CappedLog(LOG_CAP), messages: new CappedLog(LOG_CAP), receipts: new CappedLog(LOG_CAP),
  mo: new CappedLog(LOG_CAP), binds: new CappedLog(LOG_CAP) };
let stats;
function resetStats() {
  stats = { submits: 0, submits_accepted: 0, submits_rejected: 0, submits_unanswered: 0, messages: 0,
    receipts_created: 0, receipts_sent: 0, receipts_acked: 0, receipts_nacked: 0, receipts_timed_out: 0,
    receipts_failed: 0, receipts_pending: 0, mo_sent: 0, mo_acked: 0, binds: 0, bind_failures: 0, enquire_links: 0, unmatched_resps: 0 };
}
resetStats();
let submitCounter = 0; // never reset: message ids stay unique for the whole run
let moRef = 0;
let generation = 0; // bumped by POST /reset: receipts of before are dropped
let bindCounter = 0;
const partials = new Map(); // concatenation key -> {parts: Map(partNo -> submit), ...}
const pendingReceipts = new Map(); // system_id -> [receipt] waiting for a receiver-capable bind

function say(obj) {
  if (!QUIET) console.log(JSON.stringify(obj));
}

// ---------------------------------------------------------------------------------------------
// Decoding

function decodeUcs2(buf) {
  const even = buf.length & 1 ? buf.subarray(0, buf.length - 1) : buf;
  const copy = Buffer.from(even);
  copy.swap16();
  return copy.toString('utf16le');
}

// data_coding -> 'gsm' | 'ascii' | 'latin1' | 'ucs2' | null (binary / unknown)
function alphabet(dc) {
  if (dc === 0) return 'gsm';
  if (dc === 1) return 'ascii';
  if (dc === 3) return 'latin1';
  if (dc === 8) return 'ucs2';
  if ((dc & 0xf0) === 0xf0) return dc & 0x04 ? null : 'gsm';
  if ((dc & 0xc0) === 0x00 && dc >= 0x10) return ['gsm', null, 'ucs2', null][(dc >> 2) & 3];
  return null;
}

function decodeText(buf, dc, shiftTable) {
  switch (alphabet(dc)) {
    case 'gsm': return smpp.gsmCoder.decode(buf, shiftTable || 0);
    case 'ascii': return buf.toString('latin1');
    case 'latin1': return buf.toString('latin1');
    case 'ucs2': return decodeUcs2(buf);
    default: return null;
  }
}

// UDH: [UDHL, (IEI, IEL, data)...] -> {ies: [{iei, data: Buffer}], length}
function parseUdh(body) {
  if (!body.length) return { ies: [], length: 0, malformed: true };
  const udhl = body[0];
  const end = Math.min(1 + udhl, body.length);
  const ies = [];
  let malformed = 1 + udhl > body.length;
  let i = 1;
  while (i + 1 < end) {
    const iel = body[i + 1];
    if (i + 2 + iel > end) { malformed = true; break; }
    ies.push({ iei: body[i], data: body.subarray(i + 2, i + 2 + iel) });
    i += 2 + iel;
  }
  return { ies, length: end, malformed };
}

function concatInfo(ies, pdu) {
  for (const ie of ies) {
    if (ie.iei === 0x00 && ie.data.length === 3) return { method: 'udh', ref: ie.data[0], total: ie.data[1], part: ie.data[2] };
    if (ie.iei === 0x08 && ie.data.length === 4) {
      return { method: 'udh', ref: ie.data.readUInt16BE(0), total: ie.data[2], part: ie.data[3], ref16: true };
    }
  }
  if (pdu.sar_msg_ref_num !== undefined && pdu.sar_total_segments !== undefined && pdu.sar_segment_seqnum !== undefined) {
    return { method: 'sar', ref: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, part: pdu.sar_segment_seqnum };
  }
  return null;
}

function nowStamp(ms) {
  const d = new Date(ms).toISOString(); // UTC: 2026-11-22T18:03:04.000Z
  return d.slice(2, 4) + d.slice(5, 7) + d.slice(8, 10) + d.slice(11, 13) + d.slice(14, 16);
}

const stripPlus = (s) => (s && s[0] === '+' ? s.slice(1) : s || '');
const matchPrefix = (destination, prefix) => stripPlus(destination).startsWith(stripPlus(prefix));

// ---------------------------------------------------------------------------------------------
// Sessions

const binds = new Map(); // bind_id -> bind record (live sessions only)

function bindRecord(session, mode, systemId) {
  const socket = session.socket;
  return { bind_id: ++bindCounter, system_id: systemId, mode, remote_address: socket.remoteAddress,
    remote_port: socket.remotePort, bound_at: Date.now(), enquire_links: 0, submits: 0, unbound_at: null,
    enquire_links_sent: 0, enquire_link_resps: 0 };
}

const canReceive = (b) => b && (b.mode === 'transceiver' || b.mode === 'receiver');
const liveSession = (b) => b && b.session && b.session.socket.writable;

function receiverFor(systemId, preferredBindId) {
  const preferred = binds.get(preferredBindId);
  if (canReceive(preferred) && liveSession(preferred) && (systemId === null || preferred.system_id === systemId)) {
    return preferred;
  }
  let found = null;
  for (const b of binds.values()) { // most recent bind wins
    if (canReceive(b) && liveSession(b) && (systemId === null || systemId === undefined || b.system_id === systemId)) found = b;
  }
  return found;
}

function publicBind(b) {
  const { session, timer, ...rest } = b; // eslint-disable-line no-unused-vars
  return rest;
}

const server = smpp.createServer((session) => {
  let bound = null;
  if (NO_DELAY) session.socket.setNoDelay(true);
  session.on('error', (err) => {
    say({ event: 'session_error', bind_id: bound && bound.bind_id, error: String(err && err.message) });
    // node-smpp leaves a session that failed to parse a PDU wedged: drop it, as an SMSC would.
    session.destroy();
  });
  session.on('close', () => {
    if (!bound) return;
    bound.unbound_at = Date.now();
    if (bound.timer) clearInterval(bound.timer);
    binds.delete(bound.bind_id);
    say({ event: 'closed', bind_id: bound.bind_id });
    requeueInFlight(bound.bind_id);
  });

  const onBind = (mode) => (pdu) => {
    if (bound) {
      session.send(pdu.response({ command_status: STATUS.ESME_RALYBND }));
      return;
    }
    let status = 0;
    if (rules.system_id !== null && pdu.system_id !== rules.system_id) status = STATUS.ESME_RINVSYSID;
    else if (rules.password !== null && pdu.password !== rules.password) status = STATUS.ESME_RINVPASWD;
    const attempt = { at: Date.now(), mode, system_id: pdu.system_id, status, remote_port: session.socket.remotePort };
    if (status) {
      stats.bind_failures++;
      logs.binds.push(attempt);
      say({ event: 'bind_refused', ...attempt });
      session.send(pdu.response({ command_status: status }), () => session.close());
      return;
    }
    bound = bindRecord(session, mode, pdu.system_id);
    attempt.bind_id = bound.bind_id;
    logs.binds.push(attempt);
    Object.defineProperty(bound, 'session', { value: session, enumerable: false });
    binds.set(bound.bind_id, bound);
    stats.binds++;
    session.send(pdu.response({ system_id: NAME }));
    say({ event: 'bound', bind_id: bound.bind_id, mode, system_id: pdu.system_id });
    startEnquireLinks(bound);
    if (canReceive(bound)) flushPending(bound);
  };
  session.on('bind_transceiver', onBind('transceiver'));
  session.on('bind_transmitter', onBind('transmitter'));
  session.on('bind_receiver', onBind('receiver'));

  session.on('enquire_link', (pdu) => {
    stats.enquire_links++;
    if (bound) bound.enquire_links++;
    session.send(pdu.response());
  });
  session.on('unbind', (pdu) => {
    session.send(pdu.response(), () => session.close());
  });
  session.on('submit_sm', (pdu) => onSubmit(session, bound, pdu));
  session.on('pdu', (pdu) => {
    if (pdu.isResponse()) {
      // emitted before node-smpp matches it to a request: a response nobody waits for is a client bug
      if (!session._callbacks[pdu.sequence_number]) {
        stats.unmatched_resps++;
        say({ event: 'unmatched_resp', bind_id: bound && bound.bind_id, command: pdu.command, seq: pdu.sequence_number });
      }
      return;
    }
    if (['bind_transceiver', 'bind_transmitter', 'bind_receiver', 'enquire_link', 'unbind', 'submit_sm'].includes(pdu.command)) {
      return;
    }
    // generic_nack for unknown commands, ESME_RINVCMDID for the ones this peer does not offer
    session.send(pdu.response({ command_status: STATUS.ESME_RINVCMDID }));
  });
});

function startEnquireLinks(b) {
  if (b.timer) clearInterval(b.timer);
  b.timer = null;
  if (!rules.enquire_link_every_ms) return;
  Object.defineProperty(b, 'timer', { value: setInterval(() => {
    if (!liveSession(b)) return;
    b.enquire_links_sent++;
    b.session.send(new smpp.PDU('enquire_link'), () => { b.enquire_link_resps++; });
  }, rules.enquire_link_every_ms), enumerable: false, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// submit_sm

function onSubmit(session, bound, pdu) {
  stats.submits++;
  if (!bound || bound.mode === 'receiver') {
    stats.submits_rejected++;
    session.send(pdu.response({ command_status: STATUS.ESME_RINVBNDSTS }));
    return;
  }
  bound.submits++;
  const payload = Buffer.isBuffer(pdu.message_payload) && pdu.message_payload.length > 0;
  const body = payload ? pdu.message_payload : (pdu.short_message || Buffer.alloc(0));
  const esm = pdu.esm_class || 0;
  const dc = pdu.data_coding || 0;
  let ies = [];
  let textBytes = body;
  let udhMalformed = false;
  if (esm & 0x40) {
    const udh = parseUdh(body);
    ies = udh.ies;
    udhMalformed = udh.malformed;
    textBytes = body.subarray(udh.length);
  }
  let shift = 0;
  for (const ie of ies) if ((ie.iei === 0x24 || ie.iei === 0x25) && ie.data.length) shift = ie.data[0];
  const concat = concatInfo(ies, pdu);
  const entry = {
    n: stats.submits, seq: pdu.sequence_number, at: Date.now(), message_id: null, status: null,
    bind_id: bound.bind_id, system_id: bound.system_id, service_type: pdu.service_type,
    source_addr: pdu.source_addr, source_addr_ton: pdu.source_addr_ton, source_addr_npi: pdu.source_addr_npi,
    destination_addr: pdu.destination_addr, dest_addr_ton: pdu.dest_addr_ton, dest_addr_npi: pdu.dest_addr_npi,
    data_coding: dc, esm_class: esm, registered_delivery: pdu.registered_delivery || 0,
    validity_period: pdu.validity_period || '', schedule_delivery_time: pdu.schedule_delivery_time || '',
    protocol_id: pdu.protocol_id || 0, priority_flag: pdu.priority_flag || 0,
    udh: ies.map((ie) => ie.iei.toString(16).padStart(2, '0') + ie.data.length.toString(16).padStart(2, '0') + ie.data.toString('hex')),
    udh_malformed: udhMalformed || undefined,
    sar: pdu.sar_msg_ref_num !== undefined || pdu.sar_total_segments !== undefined || pdu.sar_segment_seqnum !== undefined
      ? { msg_ref_num: pdu.sar_msg_ref_num, total_segments: pdu.sar_total_segments, segment_seqnum: pdu.sar_segment_seqnum }
      : null,
    payload, sm_length: (pdu.short_message || Buffer.alloc(0)).length,
    concat: concat ? { method: concat.method, ref: concat.ref, total: concat.total, part: concat.part } : null,
    text: decodeText(textBytes, dc, shift), body_hex: textBytes.toString('hex'),
  };
  logs.submits.push(entry);

  if (!rules.respond) {
    stats.submits_unanswered++;
    entry.status = 'unanswered';
    say({ event: 'submit_unanswered', n: entry.n, destination: entry.destination_addr });
    return;
  }

  let status = 0;
  if (rules.throttle_every && ++ruleCounters.throttle % rules.throttle_every === 0) status = STATUS.ESME_RTHROTTLED;
  else if (rules.queue_full_every && ++ruleCounters.queue_full % rules.queue_full_every === 0) status = STATUS.ESME_RMSGQFUL;
  else {
    for (const r of rules.reject) if (matchPrefix(entry.destination_addr, r.prefix)) { status = r.status; break; }
  }
  entry.status = status;
  const respond = () => {
    if (status) {
      stats.submits_rejected++;
      session.send(pdu.response({ command_status: status }));
      say({ event: 'submit_rejected', n: entry.n, status, destination: entry.destination_addr });
      return;
    }
    const id = ID_PREFIX + (++submitCounter).toString(16).padStart(8, '0');
    entry.message_id = id;
    stats.submits_accepted++;
    session.send(pdu.response({ message_id: id }));
    if (!QUIET) {
      say({ event: 'submit', n: entry.n, bind_id: entry.bind_id, message_id: id, from: entry.source_addr,
        to: entry.destination_addr, dc: dc, esm: esm, rd: entry.registered_delivery, udh: entry.udh, sar: entry.sar,
        payload: payload || undefined, text: entry.text && entry.text.length > 60 ? entry.text.slice(0, 60) + '…' : entry.text });
    }
    assemble(entry, concat);
    scheduleReceipt(entry);
  };
  if (rules.submit_delay_ms) setTimeout(respond, rules.submit_delay_ms);
  else respond();
}

function assemble(entry, concat) {
  const base = { source: entry.source_addr, destination: entry.destination_addr, data_coding: entry.data_coding,
    system_id: entry.system_id };
  if (!concat) {
    stats.messages++;
    logs.messages.push({ ...base, text: entry.text, parts: 1, method: entry.payload ? 'payload' : 'single',
      message_ids: [entry.message_id], warnings: [] });
    return;
  }
  const key = [entry.system_id, entry.source_addr, entry.destination_addr, concat.method, concat.ref16 ? 16 : 8,
    concat.ref, concat.total].join('|');
  let partial = partials.get(key);
  if (!partial) {
    partial = { ...base, method: concat.method, ref: concat.ref, total: concat.total, parts: new Map(), first_at: Date.now() };
    partials.set(key, partial);
    if (partials.size > LOG_CAP) partials.delete(partials.keys().next().value); // never completed: forget the oldest
  }
  partial.parts.set(concat.part, entry);
  if (partial.parts.size < concat.total) return;
  partials.delete(key);
  const ordered = [];
  const warnings = [];
  for (let i = 1; i <= concat.total; i++) {
    const part = partial.parts.get(i);
    if (!part) { warnings.push(`part ${i} missing (numbers seen: ${[...partial.parts.keys()]})`); continue; }
    ordered.push(part);
    if (alphabet(part.data_coding) === 'gsm' && part.body_hex.endsWith('1b')) warnings.push(`part ${i} ends with a GSM escape (0x1B)`);
    if (alphabet(part.data_coding) === 'ucs2' && part.body_hex.length >= 4) {
      const last = parseInt(part.body_hex.slice(-4), 16);
      if (last >= 0xd800 && last <= 0xdbff) warnings.push(`part ${i} ends with a UTF-16 high surrogate`);
    }
    if (part.data_coding !== partial.data_coding) warnings.push(`part ${i} has data_coding ${part.data_coding}`);
  }
  stats.messages++;
  logs.messages.push({ source: partial.source, destination: partial.destination, system_id: partial.system_id,
    text: ordered.map((p) => p.text === null ? '' : p.text).join(''), parts: concat.total, method: partial.method,
    ref: partial.ref, data_coding: partial.data_coding, message_ids: ordered.map((p) => p.message_id),
    payload: ordered.some((p) => p.payload), warnings });
}

// ---------------------------------------------------------------------------------------------
// Receipts

function wantsReceipt(rd, stat) {
  switch (rd & 3) {
    case 1: return true;
    case 2: return stat !== 'DELIVRD';
    case 3: return stat === 'DELIVRD';
    default: return false;
  }
}

function scheduleReceipt(entry) {
  if (rules.receipts === 'none') return;
  let stat = 'DELIVRD';
  let err = '000';
  for (const r of rules.stat) {
    if (matchPrefix(entry.destination_addr, r.prefix)) { stat = r.stat; err = r.err === undefined ? '000' : String(r.err); break; }
  }
  if (!wantsReceipt(entry.registered_delivery, stat)) return;
  const receipt = { message_id: entry.message_id, n: entry.n, system_id: entry.system_id, bind_id: entry.bind_id,
    source_addr: entry.destination_addr, destination_addr: entry.source_addr, stat, err, mode: rules.receipts,
    submitted_at: entry.at, attempts: [], state: 'scheduled', acked_at: null };
  Object.defineProperty(receipt, 'gen', { value: generation, enumerable: false });
  Object.defineProperty(receipt, 'entry', { value: entry, enumerable: false });
  stats.receipts_created++;
  logs.receipts.push(receipt);
  setTimeout(() => sendReceipt(receipt), rules.dlr_delay_ms);
}

function receiptPdu(receipt) {
  const entry = receipt.entry;
  const done = Date.now();
  const text = (entry.text || '').slice(0, 20).replace(/[^\x20-\x7e]/g, '?');
  const dlvrd = receipt.stat === 'DELIVRD' ? '001' : '000';
  const options = {
    source_addr_ton: entry.dest_addr_ton, source_addr_npi: entry.dest_addr_npi, source_addr: entry.destination_addr,
    dest_addr_ton: entry.source_addr_ton, dest_addr_npi: entry.source_addr_npi, destination_addr: entry.source_addr,
    esm_class: 0x04, data_coding: 0x00, short_message: Buffer.alloc(0),
  };
  if (receipt.mode !== 'tlv') {
    options.short_message = Buffer.from(`id:${receipt.message_id} sub:001 dlvrd:${dlvrd} submit date:${nowStamp(entry.at)}` +
      ` done date:${nowStamp(done)} stat:${receipt.stat} err:${receipt.err} text:${text}`, 'latin1');
  }
  if (receipt.mode !== 'text') {
    options.receipted_message_id = receipt.message_id;
    options.message_state = MESSAGE_STATE[receipt.stat] === undefined ? MESSAGE_STATE.UNKNOWN : MESSAGE_STATE[receipt.stat];
  }
  return new smpp.PDU('deliver_sm', options);
}

const inFlight = new Map(); // bind_id -> Set(receipt)

function sendReceipt(receipt) {
  if (receipt.state === 'acked' || receipt.state === 'failed' || receipt.gen !== generation) return;
  const target = receiverFor(receipt.system_id, receipt.bind_id);
  if (!target) {
    receipt.state = 'pending';
    stats.receipts_pending++;
    if (!pendingReceipts.has(receipt.system_id)) pendingReceipts.set(receipt.system_id, []);
    pendingReceipts.get(receipt.system_id).push(receipt);
    return;
  }
  const attempt = { bind_id: target.bind_id, at: Date.now(), status: null };
  receipt.attempts.push(attempt);
  receipt.state = 'sent';
  stats.receipts_sent++;
  if (!inFlight.has(target.bind_id)) inFlight.set(target.bind_id, new Set());
  const flying = inFlight.get(target.bind_id);
  flying.add(receipt);
  let settled = false;
  const timer = setTimeout(() => {
    if (settled || receipt.gen !== generation) return;
    settled = true;
    flying.delete(receipt);
    attempt.status = 'timeout';
    stats.receipts_timed_out++;
    retry(receipt, 0);
  }, rules.receipt_timeout_ms);
  Object.defineProperty(receipt, 'cancel', { value: () => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    attempt.status = 'closed';
    return true;
  }, configurable: true, writable: true, enumerable: false });
  const ok = target.session.send(receiptPdu(receipt), (resp) => {
    if (settled || receipt.gen !== generation) return;
    settled = true;
    clearTimeout(timer);
    flying.delete(receipt);
    delete receipt.cancel;
    attempt.status = resp.command_status;
    if (resp.command_status === 0) {
      receipt.state = 'acked';
      receipt.acked_at = Date.now();
      stats.receipts_acked++;
      say({ event: 'receipt_acked', message_id: receipt.message_id, bind_id: target.bind_id });
    } else {
      stats.receipts_nacked++;
      say({ event: 'receipt_nacked', message_id: receipt.message_id, status: resp.command_status });
      retry(receipt, rules.receipt_retry_delay_ms);
    }
  });
  if (!ok) { // socket no longer writable: the close handler re-queues it
    receipt.cancel();
    flying.delete(receipt);
    setImmediate(() => sendReceipt(receipt));
  }
}

function retry(receipt, delay) {
  const failures = receipt.attempts.filter((a) => a.status !== 'closed').length;
  if (failures > rules.receipt_retries) {
    receipt.state = 'failed';
    stats.receipts_failed++;
    say({ event: 'receipt_failed', message_id: receipt.message_id });
    return;
  }
  receipt.state = 'retrying';
  setTimeout(() => sendReceipt(receipt), delay);
}

function requeueInFlight(bindId) {
  const flying = inFlight.get(bindId);
  inFlight.delete(bindId);
  if (!flying) return;
  for (const receipt of flying) {
    if (receipt.cancel && receipt.cancel()) setImmediate(() => sendReceipt(receipt));
  }
}

function flushPending(b) {
  const waiting = pendingReceipts.get(b.system_id);
  if (!waiting || !waiting.length) return;
  pendingReceipts.delete(b.system_id);
  for (const receipt of waiting) {
    stats.receipts_pending--;
    receipt.bind_id = b.bind_id;
    sendReceipt(receipt);
  }
}

// ---------------------------------------------------------------------------------------------
// Handset (MO) messages

function addressOf(number, ton, npi) {
  if (typeof number !== 'string' || !number) throw new Error('addresses must be non-empty strings');
  if (number[0] === '+') return { addr: number.slice(1), ton: ton === undefined ? 1 : ton, npi: npi === undefined ? 1 : npi };
  if (/^[0-9]+$/.test(number)) return { addr: number, ton: ton === undefined ? 0 : ton, npi: npi === undefined ? 1 : npi };
  return { addr: number, ton: ton === undefined ? 5 : ton, npi: npi === undefined ? 0 : npi };
}

// Split encoded text into chunks of `units` code units (GSM: septets, never after an ESC;
// UCS-2: 16-bit units, never between a surrogate pair).
function split(encoded, dc, units) {
  const chunks = [];
  if (dc === 8) {
    let i = 0;
    while (i < encoded.length) {
      let end = Math.min(i + units * 2, encoded.length);
      if (end < encoded.length) {
        const last = encoded.readUInt16BE(end - 2);
        if (last >= 0xd800 && last <= 0xdbff) end -= 2;
      }
      chunks.push(encoded.subarray(i, end));
      i = end;
    }
  } else {
    let i = 0;
    while (i < encoded.length) {
      let end = Math.min(i + units, encoded.length);
      if (end < encoded.length && encoded[end - 1] === 0x1b) end -= 1;
      chunks.push(encoded.subarray(i, end));
      i = end;
    }
  }
  return chunks.length ? chunks : [Buffer.alloc(0)];
}

function buildMo(body) {
  const method = body.method || 'single';
  const dc = body.data_coding === undefined ? 0 : body.data_coding;
  if (!['single', 'udh', 'udh16', 'sar', 'payload'].includes(method)) throw new Error(`unknown method ${method}`);
  if (dc !== 0 && dc !== 8) throw new Error('data_coding must be 0 or 8');
  if (typeof body.text !== 'string') throw new Error('text must be a string');
  if (dc === 0 && !smpp.gsmCoder.GSM.charRegex.test(body.text)) throw new Error('text is not GSM 03.38: use data_coding 8');
  const encoded = dc === 0 ? smpp.gsmCoder.encode(body.text, 0) : Buffer.from(body.text, 'utf16le').swap16();
  const from = addressOf(body.from, body.source_ton, body.source_npi);
  const to = addressOf(body.to, body.dest_ton, body.dest_npi);
  const base = { source_addr: from.addr, source_addr_ton: from.ton, source_addr_npi: from.npi,
    destination_addr: to.addr, dest_addr_ton: to.ton, dest_addr_npi: to.npi, data_coding: dc, esm_class: 0 };
  if (method === 'payload') return [{ ...base, short_message: Buffer.alloc(0), message_payload: encoded }];
  const singleLimit = dc === 0 ? 160 : 70;
  if (method === 'single') {
    if (encoded.length > (dc === 0 ? singleLimit : singleLimit * 2)) {
      throw new Error(`text is longer than one part (${singleLimit} ${dc === 0 ? 'septets' : 'UCS-2 units'})`);
    }
    return [{ ...base, short_message: encoded }];
  }
  const chunks = split(encoded, dc, method === 'udh16' ? (dc === 0 ? 152 : 66) : (dc === 0 ? 153 : 67));
  if (chunks.length > 255) throw new Error('text needs more than 255 parts');
  const ref = body.ref === undefined ? (method === 'udh' ? (moRef = (moRef + 1) & 0xff) : (moRef = (moRef + 1) & 0xffff)) : body.ref;
  const pdus = chunks.map((chunk, i) => {
    if (method === 'udh') {
      return { ...base, esm_class: 0x40, short_message: Buffer.concat([Buffer.from([5, 0, 3, ref & 0xff, chunks.length, i + 1]), chunk]) };
    }
    if (method === 'udh16') {
      return { ...base, esm_class: 0x40,
        short_message: Buffer.concat([Buffer.from([6, 8, 4, (ref >> 8) & 0xff, ref & 0xff, chunks.length, i + 1]), chunk]) };
    }
    return { ...base, short_message: chunk, sar_msg_ref_num: ref & 0xffff, sar_total_segments: chunks.length,
      sar_segment_seqnum: i + 1 };
  });
  return body.reverse ? pdus.reverse() : pdus;
}

function sendMo(body) {
  return new Promise((resolve) => {
    let pdus;
    try { pdus = buildMo(body); } catch (e) { resolve([400, { error: e.message }]); return; }
    const target = receiverFor(body.system_id === undefined ? null : body.system_id, null);
    if (!target) { resolve([409, { error: 'no receiver bound' }]); return; }
    const statuses = new Array(pdus.length).fill(null);
    const record = { at: Date.now(), bind_id: target.bind_id, from: body.from, to: body.to, text: body.text,
      method: body.method || 'single', data_coding: body.data_coding || 0, parts: pdus.length, statuses };
    logs.mo.push(record);
    let waiting = pdus.length;
    const finish = () => { clearTimeout(timer); resolve([200, { statuses, bind_id: target.bind_id, parts: pdus.length }]); };
    const timer = setTimeout(() => { waiting = -1; resolve([200, { statuses, bind_id: target.bind_id, parts: pdus.length,
      timed_out: true }]); }, body.timeout_ms || 10000);
    pdus.forEach((options, i) => {
      stats.mo_sent++;
      target.session.send(new smpp.PDU('deliver_sm', options), (resp) => {
        statuses[i] = resp.command_status;
        if (resp.command_status === 0) stats.mo_acked++;
        if (waiting > 0 && --waiting === 0) finish();
      });
    });
    say({ event: 'mo', bind_id: target.bind_id, parts: pdus.length, from: body.from, to: body.to });
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP control

function filterLog(items, query) {
  let out = items;
  const since = query.get('since');
  if (since !== null) out = out.filter((e) => e.n > Number(since));
  for (const field of ['destination_addr', 'source_addr', 'message_id', 'system_id', 'destination', 'source']) {
    const v = query.get(field);
    if (v !== null) out = out.filter((e) => e[field] === v);
  }
  const limit = query.get('limit');
  if (limit !== null) out = out.slice(-Number(limit));
  return out;
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (!raw) { resolve({}); return; }
      try { resolve(JSON.parse(raw)); } catch (e) { reject(new Error('body is not JSON')); }
    });
    req.on('error', reject);
  });
}

function setRules(update) {
  if (!update || typeof update !== 'object' || Array.isArray(update)) throw new Error('behaviour must be a JSON object');
  for (const [key, value] of Object.entries(update)) {
    if (!(key in RULE_CHECKS)) throw new Error(`unknown behaviour ${key}`);
    if (!RULE_CHECKS[key](value)) throw new Error(`bad value for ${key}: ${JSON.stringify(value)}`);
  }
  rules = { ...rules, ...update };
  if ('throttle_every' in update) ruleCounters.throttle = 0;
  if ('queue_full_every' in update) ruleCounters.queue_full = 0;
  if ('enquire_link_every_ms' in update) for (const b of binds.values()) startEnquireLinks(b);
}

function disconnect(body) {
  const mode = body.mode || 'unbind';
  if (!['unbind', 'close'].includes(mode)) throw new Error('mode must be unbind or close');
  const targets = [...binds.values()].filter((b) => body.bind_id === undefined || b.bind_id === body.bind_id);
  for (const b of targets) {
    if (mode === 'close') b.session.destroy();
    else {
      b.session.send(new smpp.PDU('unbind'), () => b.session.close());
      setTimeout(() => b.session.destroy(), 2000).unref(); // a client that never answers the unbind
    }
  }
  return targets.map((b) => b.bind_id);
}

const routes = {
  'GET /health': (q) => {
    if (q.get('gc') && global.gc) global.gc(); // node --expose-gc: measure live memory
    const memory = process.memoryUsage();
    return [200, { ok: true, smpp_port: server.address().port, control_port: control.address().port,
      pid: process.pid, started_at: STARTED_AT, name: NAME, rss_mb: Math.round(memory.rss / 1048576),
      heap_used_mb: Math.round(memory.heapUsed / 1048576) }];
  },
  'GET /stats': () => [200, { ...stats, binds_live: binds.size, partials: partials.size }],
  'GET /submits': (q) => [200, filterLog(logs.submits.all(), q)],
  'GET /messages': (q) => [200, filterLog(logs.messages.all(), q)],
  'GET /partials': () => [200, [...partials.values()].map((p) => ({ source: p.source, destination: p.destination,
    method: p.method, ref: p.ref, total: p.total, parts_seen: [...p.parts.keys()] }))],
  'GET /receipts': (q) => [200, filterLog(logs.receipts.all(), q)],
  'GET /mo': (q) => [200, filterLog(logs.mo.all(), q)],
  'GET /binds': (q) => [200, q.get('all') ? logs.binds.all() : [...binds.values()].map(publicBind)],
  'GET /behaviour': () => [200, rules],
  'POST /behaviour': (q, body) => { setRules(body); return [200, rules]; },
  'POST /reset': () => {
    generation++;
    for (const log of Object.values(logs)) log.clear();
    inFlight.clear();
    partials.clear();
    for (const list of pendingReceipts.values()) for (const r of list) r.state = 'dropped';
    pendingReceipts.clear();
    resetStats();
    rules = defaultRules();
    ruleCounters = { throttle: 0, queue_full: 0 };
    for (const b of binds.values()) startEnquireLinks(b);
    return [200, { ok: true }];
  },
  'POST /mo': (q, body) => sendMo(body),
  'POST /disconnect': (q, body) => [200, { bind_ids: disconnect(body) }],
};

const control = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const route = routes[`${req.method} ${url.pathname}`];
  let status = 404;
  let answer = { error: `no route ${req.method} ${url.pathname}` };
  if (route) {
    try {
      const body = req.method === 'POST' ? await readJson(req) : null;
      [status, answer] = await route(url.searchParams, body);
    } catch (e) {
      status = 400;
      answer = { error: e.message };
    }
  }
  const text = JSON.stringify(answer);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
});

// ---------------------------------------------------------------------------------------------
// Start and stop

server.on('error', (e) => { console.error(`smsc: SMPP listen failed: ${e.message}`); process.exit(2); });
control.on('error', (e) => { console.error(`smsc: control listen failed: ${e.message}`); process.exit(2); });
server.listen(SMPP_PORT, '127.0.0.1', () => {
  control.listen(CONTROL_PORT, '127.0.0.1', () => {
    console.log(JSON.stringify({ event: 'listening', smpp_port: server.address().port,
      control_port: control.address().port, pid: process.pid, id_prefix: ID_PREFIX }));
  });
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close();
  control.close();
  const live = [...binds.values()];
  let left = live.length;
  const done = () => { console.log(JSON.stringify({ event: 'stopped' })); process.exit(0); };
  if (!left) done();
  for (const b of live) {
    const closeOne = () => { b.session.destroy(); if (--left === 0) done(); };
    if (!b.session.send(new smpp.PDU('unbind'), closeOne)) closeOne();
  }
  setTimeout(done, 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

// An orphaned peer (its test runner died) exits instead of holding its ports.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(3); }, 1000).unref();
