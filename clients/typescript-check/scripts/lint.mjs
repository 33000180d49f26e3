// Fails on a type assertion (`as`, `<T>x`), a non-null assertion (`x!`), `any`, or a suppression comment
// in the hand-written sources (src/*.ts except the generated schema.d.ts). Comments and string
// literals are blanked out first, so prose in them does not count.
import { readdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "src");
const rules = [
  [/\bas\s+[A-Za-z_{[(<"']/, "type assertion (as)"],
  [/[\w)\]]!(?![=])/, "non-null assertion (!)"],
  [/\bany\b/, "any"],
  [/(^|[=(,:?&|]|\breturn)\s*<\s*[A-Za-z_][\w.]*(\[\])?\s*>\s*[\w(]/, "angle-bracket type assertion"],
];
const suppressions = /@ts-(ignore|expect-error|nocheck)|eslint-disable/;

// Blanks out comments and the text of string and template literals (not the code inside `${…}`),
// keeping line breaks so line numbers stay right.
function code(text) {
  let out = "";
  const stack = []; // open template literals and `${` blocks inside them
  let i = 0;
  const blank = (c) => (c === "\n" ? "\n" : " ");
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    const top = stack[stack.length - 1];
    if (top === "`") {
      if (c === "\\") { out += "  "; i += 2; continue; }
      if (c === "`") { stack.pop(); out += c; i++; continue; }
      if (c === "$" && next === "{") { stack.push("{"); out += "${"; i += 2; continue; }
      out += blank(c); i++; continue;
    }
    if (c === "/" && next === "/") { while (i < text.length && text[i] !== "\n") { out += " "; i++; } continue; }
    if (c === "/" && next === "*") {
      const close = text.indexOf("*/", i + 2);
      const stop = close < 0 ? text.length : close + 2;
      for (; i < stop; i++) out += blank(text[i]);
      continue;
    }
    if (c === '"' || c === "'") {
      out += c; i++;
      while (i < text.length && text[i] !== c && text[i] !== "\n") {
        if (text[i] === "\\") { out += " "; i++; }
        out += blank(text[i]); i++;
      }
      out += c; i++; continue;
    }
    if (c === "`") { stack.push("`"); out += c; i++; continue; }
    if (c === "{" && stack.length > 0) { stack.push("{"); out += c; i++; continue; }
    if (c === "}" && top === "{") { stack.pop(); out += c; i++; continue; }
    out += c; i++;
  }
  return out;
}

let failures = 0;
for (const name of readdirSync(src).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))) {
  const text = readFileSync(join(src, name), "utf8");
  const lines = code(text).split("\n");
  const raw = text.split("\n");
  lines.forEach((line, i) => {
    for (const [pattern, what] of rules) {
      if (pattern.test(line)) {
        console.error(`src/${name}:${i + 1}: ${what}: ${raw[i].trim()}`);
        failures++;
      }
    }
    if (suppressions.test(raw[i])) {
      console.error(`src/${name}:${i + 1}: suppression comment: ${raw[i].trim()}`);
      failures++;
    }
  });
}
if (failures > 0) {
  console.error(`!! lint: ${failures} forbidden construct(s)`);
  process.exit(1);
}
console.log(">> lint: no type assertion, non-null assertion or any in src/*.ts");
