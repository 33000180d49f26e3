// Validates every response the partner API gives the day against the OpenAPI document: the schema of
// that operation's response for that status code and content type, with the document's $refs into
// components. OpenAPI 3.1 documents are JSON Schema 2020-12 (ajv/dist/2020); 3.0 ones are turned into
// draft-07 first (`nullable: true` becomes a null alternative; siblings of a $ref are dropped, since 3.0
// ignores them).
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { ValidateFunction } from "ajv";
import type { Middleware } from "openapi-fetch";

type JsonObject = { [key: string]: unknown };

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function child(node: unknown, key: string): unknown {
  return isRecord(node) ? node[key] : undefined;
}

// OpenAPI 3.0 schema → JSON Schema draft-07.
function fromOpenApi30(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fromOpenApi30);
  if (!isRecord(node)) return node;
  if (typeof node.$ref === "string") return { $ref: node.$ref };
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    // The names inside `properties` are property names, not keywords: keep them, convert their schemas.
    if (key === "properties" && isRecord(value)) {
      const properties: JsonObject = {};
      for (const [name, schema] of Object.entries(value)) properties[name] = fromOpenApi30(schema);
      out[key] = properties;
    } else if (key === "example" || key === "examples") {
      out[key] = value;
    } else {
      out[key] = fromOpenApi30(value);
    }
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (typeof out.type === "string") {
      out.type = [out.type, "null"];
    } else if (out.type === undefined && (out.allOf !== undefined || out.oneOf !== undefined || out.anyOf !== undefined)) {
      return { anyOf: [{ type: "null" }, out] };
    }
  } else {
    delete out.nullable;
  }
  return out;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

export interface Outcome {
  readonly what: string;
  readonly ok: boolean;
  readonly problem: string;
}

export class DocumentValidator {
  readonly version: string;
  private readonly doc: JsonObject;
  private readonly components: unknown;
  private readonly ajv: Ajv | Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly outcomes: Outcome[] = [];

  constructor(path: string) {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (!isRecord(parsed) || typeof parsed.openapi !== "string") throw new Error(`${path}: not an OpenAPI document`);
    this.doc = parsed;
    this.version = parsed.openapi;
    const is31 = this.version.startsWith("3.1");
    this.components = is31 ? parsed.components : fromOpenApi30(parsed.components);
    // multipleOf on TON amounts (0.000000001) cannot be checked exactly on floats (0.418 / 1e-9 is
    // 417999999.99999994): a tolerance of 1e-3 on the quotient holds for amounts below 10^13 nanoTON. The day
    // itself compares every amount exactly, through its nanoTON twin.
    const options = { strict: false, allErrors: true, validateFormats: true, multipleOfPrecision: 3 };
    this.ajv = is31 ? new Ajv2020(options) : new Ajv(options);
    addFormats(this.ajv);
    const int = (min: number, max: number): { type: "number"; validate: (n: number) => boolean } => ({
      type: "number",
      validate: (n: number) => Number.isInteger(n) && n >= min && n <= max,
    });
    this.ajv.addFormat("int32", int(-2147483648, 2147483647));
    this.ajv.addFormat("int64", int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    this.ajv.addFormat("double", { type: "number", validate: () => true });
    this.ajv.addFormat("decimal", { type: "number", validate: () => true });
    this.ajv.addFormat("float", { type: "number", validate: () => true });
    this.ajv.addFormat("binary", { type: "string", validate: () => true });
  }

  /** The response object of METHOD PATH for STATUS (its own entry, then `4XX`, then `default`), or a problem. */
  private responseFor(method: string, path: string, status: number): { response: JsonObject; pointer: string } | string {
    const operation = child(child(this.doc.paths, path), method);
    if (!isRecord(operation)) return `operation ${method.toUpperCase()} ${path} is not in the document`;
    const responses = operation.responses;
    for (const key of [String(status), `${String(status)[0]}XX`, "default"]) {
      let response = child(responses, key);
      const ref = child(response, "$ref");
      if (typeof ref === "string" && ref.startsWith("#/components/responses/")) {
        response = child(child(this.doc.components, "responses"), ref.slice("#/components/responses/".length));
      }
      if (isRecord(response)) return { response, pointer: `#/paths/${escapePointer(path)}/${method}/responses/${key}` };
    }
    return `status ${status} is not documented for ${method.toUpperCase()} ${path}`;
  }

  /** Checks one response; records and returns the outcome. */
  check(method: string, path: string, status: number, contentType: string | null, body: string): Outcome {
    const m = method.toLowerCase();
    const what = `${method.toUpperCase()} ${path} -> ${status}`;
    const record = (problem: string): Outcome => {
      const outcome = { what, ok: problem === "", problem };
      this.outcomes.push(outcome);
      return outcome;
    };
    const found = this.responseFor(m, path, status);
    if (typeof found === "string") return record(found);
    const content = found.response.content;
    if (body === "") {
      return record(isRecord(content) && Object.keys(content).length > 0 ? "empty body where the document describes content" : "");
    }
    const mediaType = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (!isRecord(content)) return record(`no content documented for ${status}, got ${mediaType}`);
    const candidates = [mediaType, `${mediaType.split("/")[0]}/*`, "*/*"];
    const key = candidates.find((c) => isRecord(content[c]));
    if (key === undefined) return record(`content type ${mediaType} not documented for ${status} (documented: ${Object.keys(content).join(", ")})`);
    const schema = child(content[key], "schema");
    if (schema === undefined) return record("");
    let value: unknown = body;
    if (mediaType.endsWith("json")) {
      try {
        value = JSON.parse(body);
      } catch {
        return record(`body is not JSON: ${body.slice(0, 80)}`);
      }
    }
    const cacheKey = `${found.pointer}/content/${escapePointer(key)}`;
    let validate = this.compiled.get(cacheKey);
    if (validate === undefined) {
      const version = this.version.startsWith("3.1");
      validate = this.ajv.compile({
        $id: `urn:theopenmoney:response:${this.compiled.size}`,
        allOf: [version ? schema : fromOpenApi30(schema)],
        components: this.components,
      });
      this.compiled.set(cacheKey, validate);
    }
    if (validate(value)) return record("");
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}${e.params ? " " + JSON.stringify(e.params) : ""}`);
    return record(errors.join("; "));
  }

  /** openapi-fetch middleware: checks every response the client receives (a clone, so the client still reads it). */
  middleware(): Middleware {
    return {
      onResponse: async ({ request, response, schemaPath }) => {
        const body = await response.clone().text();
        const outcome = this.check(request.method, schemaPath, response.status, response.headers.get("content-type"), body);
        if (!outcome.ok) console.error(`   !! schema: ${outcome.what}: ${outcome.problem}`);
        return undefined;
      },
    };
  }

  /** Prints the summary; returns how many responses failed. */
  summary(): number {
    const failed = this.outcomes.filter((o) => !o.ok);
    const distinct = new Map<string, number>();
    for (const o of failed) {
      const key = `${o.what}: ${o.problem}`;
      distinct.set(key, (distinct.get(key) ?? 0) + 1);
    }
    console.log(`\n== ${this.outcomes.length} responses validated against the OpenAPI ${this.version} document, ${failed.length} failed`);
    for (const [key, count] of distinct) console.log(`   FAIL x${count} ${key}`);
    return failed.length;
  }
}
