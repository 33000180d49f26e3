// Puts the OpenAPI document the client is generated from in .openapi/v1.json: the repository's
// openapi/v1.json when it exists, else the one the running service serves at
// ${TOM_API_URL}/swagger/v1/swagger.json (TOM_API_URL defaults to http://127.0.0.1:8080).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = join(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(here, "..", "..", "openapi", "v1.json");
const target = join(here, ".openapi", "v1.json");
mkdirSync(dirname(target), { recursive: true });

let text;
let source;
if (existsSync(committed)) {
  text = readFileSync(committed, "utf8");
  source = "openapi/v1.json";
} else {
  const api = process.env.TOM_API_URL ?? "http://127.0.0.1:8080";
  source = `${api}/swagger/v1/swagger.json`;
  const response = await fetch(source);
  if (!response.ok) {
    console.error(`!! ${source}: HTTP ${response.status}`);
    process.exit(1);
  }
  text = await response.text();
}
const doc = JSON.parse(text);
writeFileSync(target, JSON.stringify(doc, null, 2) + "\n");
writeFileSync(join(here, ".openapi", "source.txt"), source + "\n");
console.log(`>> OpenAPI ${doc.openapi} document from ${source} -> .openapi/v1.json`);
