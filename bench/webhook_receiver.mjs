// Bench webhook receiver (Node's http module, its own process): listens on 127.0.0.1:<port>, answers 200
// at once, and appends "<event id> <arrival unix s> <event created_at>" per POST to <out file>.
// Stops on SIGTERM.
import { createServer } from "node:http";
import { createWriteStream } from "node:fs";

const [port, outPath] = process.argv.slice(2);
const out = createWriteStream(outPath, { flags: "a" });

const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const at = (performance.timeOrigin + performance.now()) / 1000;
    response.writeHead(200, { "Content-Length": "0" });
    response.end();
    try {
      const event = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      out.write(`${event.id} ${at.toFixed(6)} ${event.created_at}\n`);
    } catch {
      // not an event: counted by nobody
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => out.end(() => process.exit(0)));
