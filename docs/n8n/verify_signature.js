// n8n Code node ("Run Once for Each Item"): check X-Mkt-Signature on an outbound event from mkt.
// Needs the Webhook node option "Raw Body" on, and NODE_FUNCTION_ALLOW_BUILTIN=crypto in n8n's environment.
// Put the subscription's signing secret (printed once by `mkt outbound add`) in MKT_OUTBOUND_SECRET.
const crypto = require('crypto');
const secret = $env.MKT_OUTBOUND_SECRET;
const headers = $json.headers;
const raw = Buffer.from($binary.data.data, 'base64');
const ts = headers['x-mkt-timestamp'];
const expected = 'sha256=' + crypto.createHmac('sha256', secret).update(ts + '.').update(raw).digest('hex');
const given = headers['x-mkt-signature'] || '';
const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
if (!fresh || given.length !== expected.length ||
    !crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
  throw new Error('bad or stale mkt signature');
}
return { json: JSON.parse(raw.toString('utf8')) };
