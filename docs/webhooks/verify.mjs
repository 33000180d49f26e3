// Verify TheOpenMoney's TOM-Signature webhook header (Node.js built-in modules only).
// Usage: node verify.mjs '<TOM-Signature header>' '<whsec_... secret>' <file with the raw body>
// Exit status 0 when the signature is valid, 1 when it is not, 2 on wrong usage.
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// rawBody: the request body exactly as received (a Buffer, not re-serialized JSON); secret: the whole whsec_... string.
export function verify(header, rawBody, secret, toleranceSeconds = 300) {
  const parts = String(header).split(",").map((part) => {
    const i = part.indexOf("=");
    return i < 0 ? [part.trim(), ""] : [part.slice(0, i).trim(), part.slice(i + 1).trim()];
  });
  const timestamps = parts.filter(([name]) => name === "t").map(([, value]) => value);
  const signatures = parts.filter(([name]) => name === "v1").map(([, value]) => Buffer.from(value));
  if (timestamps.length !== 1 || signatures.length === 0 || !/^[0-9]{1,12}$/.test(timestamps[0])) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamps[0])) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${timestamps[0]}.`).update(rawBody).digest("hex"));
  return signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.length !== 5) {
    console.error("usage: node verify.mjs '<TOM-Signature header>' '<whsec_... secret>' <body file>");
    process.exit(2);
  }
  process.exit(verify(process.argv[2], readFileSync(process.argv[4]), process.argv[3]) ? 0 : 1);
}
