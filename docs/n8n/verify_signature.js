// n8n Code node ("Run Once for Each Item"): check the Standard Webhooks signature of an outbound event from mkt
// (webhook-id, webhook-timestamp, webhook-signature: "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>", where the
// key is the base64 part of the whsec_ secret). Passes the event on when the signature is right and fresh (at most
// 5 minutes old); otherwise stops this execution with an error.
// Needs the Webhook node option "Raw Body" on and NODE_FUNCTION_ALLOW_BUILTIN=crypto in n8n's environment.
// The secret: the one this workflow got from POST /api/v1/hooks (kept in its static data by subscribe-hooks.json),
// else MKT_OUTBOUND_SECRET (printed once by `mkt outbound add`).
const crypto = require('crypto');
const hook = $getWorkflowStaticData('global').mktHook || {};
const secret = hook.secret || $env.MKT_OUTBOUND_SECRET || '';
const headers = $json.headers;
const raw = Buffer.from($binary.data.data, 'base64');
const id = headers['webhook-id'] || '';
const ts = headers['webhook-timestamp'] || '';
const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
const expected = Buffer.from(
  crypto.createHmac('sha256', key).update(`${id}.${ts}.`).update(raw).digest('base64'));
const fresh = /^[0-9]{1,12}$/.test(ts) && Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
const valid = secret !== '' && fresh && (headers['webhook-signature'] || '').split(' ').some((entry) => {
  const given = Buffer.from(entry.startsWith('v1,') ? entry.slice(3) : '');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
});
if (!valid) {
  throw new Error('bad or stale mkt signature');
}
return { json: JSON.parse(raw.toString('utf8')) };
