// A dossier's whole life through a client generated from openapi.json
// (openapi-typescript types, openapi-fetch calls by path), as an agency's
// front end would write it: no `any`, no casts (eslint.config.mjs), strict
// tsc. Each answer is checked at run time against what its type says.
//
// Environment: DVC_BASE (the server), DVC_TOKEN_CITIZEN, DVC_TOKEN_OFFICER,
// DVC_TOKEN_APPROVER, DVC_TOKEN_INTEGRATOR (from `dvc token`).

import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Schemas = components["schemas"];
type Status = Schemas["StatusDto"];
type Dossier = Schemas["DossierOut"];

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set`);
  }
  return value;
}

let checks = 0;
function check(ok: boolean, what: string): void {
  checks += 1;
  if (!ok) {
    throw new Error(`check failed: ${what}`);
  }
}

// The national portal's TrangThaiHoSo of each status (docs/RULES.md §4.2).
// A `Record` over the generated union: tsc refuses it if the document adds
// or drops a status.
const STATUS_CODES: Record<Status, number> = {
  submitted: 1,
  received: 2,
  refused: 3,
  processing: 4,
  awaiting_supplement: 5,
  awaiting_payment: 6,
  withdrawn: 7,
  stopped: 8,
  resolved: 9,
  returned: 10,
};

function isStatus(value: unknown): value is Status {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(STATUS_CODES, value);
}

// Every value each closed set may take at run time, written once against
// the generated union (an omission or an extra value does not compile).
const ACTIONS: Record<Schemas["ActionKindDto"], true> = {
  receive: true,
  refuse: true,
  "request-supplement": true,
  supplement: true,
  "hand-off": true,
  "request-payment": true,
  "record-payment": true,
  "record-fee-relief": true,
  resolve: true,
  return: true,
  withdraw: true,
  stop: true,
  apologize: true,
};
const DOCUMENT_KINDS: Record<Schemas["DocumentKindDto"], true> = { component: true, result: true, authorisation: true };
const PAYMENT_STATUSES: Record<Schemas["PaymentStatusDto"], true> = {
  pending: true,
  paid: true,
  failed: true,
  cancelled: true,
  refunded: true,
};
const HISTORY_ACTIONS: Record<Schemas["HistoryActionDto"], true> = {
  submit: true,
  receive: true,
  refuse: true,
  "request-supplement": true,
  supplement: true,
  "hand-off": true,
  "request-payment": true,
  payments: true,
  "fee-relief": true,
  resolve: true,
  return: true,
  withdraw: true,
  stop: true,
  apologize: true,
  "upload-document": true,
  "recompute-deadline": true,
};
const ROLES: Record<Schemas["RoleDto"], true> = {
  citizen: true,
  officer: true,
  approver: true,
  agency_admin: true,
  admin: true,
  integrator: true,
  viewer: true,
};

function within<K extends string>(set: Record<K, true>, value: unknown): boolean {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(set, value);
}

/** The dossier answers what its type says, and is in the status expected. */
function expectDossier(d: Dossier | undefined, status: Status, step: string): Dossier {
  if (d === undefined) {
    throw new Error(`${step}: no dossier in the answer`);
  }
  check(isStatus(d.status), `${step}: status ${String(d.status)} is a StatusDto`);
  check(d.status === status, `${step}: status ${d.status}, expected ${status}`);
  check(d.status_code === STATUS_CODES[d.status], `${step}: status_code ${d.status_code} for ${d.status}`);
  check(/^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$/.test(d.code), `${step}: code ${d.code}`);
  check(Number.isInteger(d.version) && d.version >= 1, `${step}: version ${d.version}`);
  check(Array.isArray(d.allowed_actions) && d.allowed_actions.every((a) => within(ACTIONS, a)), `${step}: allowed_actions`);
  check(d.documents.every((doc) => within(DOCUMENT_KINDS, doc.kind)), `${step}: document kinds`);
  check(["in_sync", "pending", "failing"].includes(d.sync.state), `${step}: sync state ${d.sync.state}`);
  return d;
}

/** Fails with the problem document when the answer is not a success. */
function ok<T>(answer: { data?: T; error?: unknown; response: Response }, step: string): T {
  if (answer.error !== undefined || answer.data === undefined) {
    throw new Error(`${step}: HTTP ${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

/** A small, well-formed one-page PDF (its cross-reference offsets counted). */
function pdf(text: string): Uint8Array {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    "",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  const stream = `BT /F1 14 Tf 72 770 Td (${text}) Tj ET`;
  objects[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const at of offsets) {
    body += `${String(at).padStart(10, "0")} 00000 n \n`;
  }
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(body);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function main(): Promise<void> {
  const baseUrl = env("DVC_BASE");
  const as = (token: string) => createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
  const citizen = as(env("DVC_TOKEN_CITIZEN"));
  const officer = as(env("DVC_TOKEN_OFFICER"));
  const approver = as(env("DVC_TOKEN_APPROVER"));
  const integrator = as(env("DVC_TOKEN_INTEGRATOR"));
  const started = Date.now();

  // The citizen files online (the applicant is themself: their token's subject).
  const submitted = expectDossier(
    ok(
      await citizen.POST("/api/v1/dossiers", {
        body: {
          procedure: "2.001610",
          applicant: { kind: "citizen", id_number: "001099012345", name: "Fuzz Citizen", phone: "0912345678" },
          summary: "Đăng ký thành lập doanh nghiệp tư nhân (kiểm thử khách TypeScript)",
          documents: [],
        },
      }),
      "submit",
    ),
    "submitted",
    "submit",
  );
  const code = submitted.code;
  check(submitted.channel === "online", "an online submission");
  const path = { code };

  // The component document: a real PDF, sent as its bytes.
  const bytes = pdf("Giay de nghi dang ky doanh nghiep");
  check(new TextDecoder().decode(bytes.subarray(0, 5)) === "%PDF-", "the file is a PDF");
  const uploaded = ok(
    await citizen.POST("/api/v1/dossiers/{code}/documents", {
      params: { path, query: { component_code: "TP01", name: "giấy đề nghị.pdf" } },
      body: new Blob([bytes], { type: "application/pdf" }),
      bodySerializer: (body) => body,
      headers: { "Content-Type": "application/pdf" },
    }),
    "upload",
  );
  check(uploaded.kind === "component" && uploaded.component_code === "TP01", "an uploaded component");
  check(uploaded.media_type === "application/pdf", `media type ${uploaded.media_type}`);
  check(uploaded.size === bytes.length, `size ${uploaded.size}, sent ${bytes.length}`);
  check(/^[0-9a-f]{64}$/.test(uploaded.sha256), "a SHA-256");

  // The desk receives it (the clock starts), and hands it to the department.
  const received = expectDossier(
    ok(await officer.POST("/api/v1/dossiers/{code}/receive", { params: { path }, body: {} }), "receive"),
    "received",
    "receive",
  );
  check(typeof received.due_at === "string" && received.received_at !== null, "a due instant once received");
  check(received.timeliness === "within_deadline", `timeliness ${String(received.timeliness)}`);
  expectDossier(
    ok(
      await officer.POST("/api/v1/dossiers/{code}/hand-off", {
        params: { path },
        body: { to_agency: "000.00.05.H56", note: "Chuyển phòng Đăng ký kinh doanh" },
      }),
      "hand-off",
    ),
    "processing",
    "hand-off",
  );

  // The fees: asked, then paid at the desk in cash.
  expectDossier(
    ok(await officer.POST("/api/v1/dossiers/{code}/request-payment", { params: { path }, body: {} }), "request-payment"),
    "awaiting_payment",
    "request-payment",
  );
  const payments = ok(await citizen.GET("/api/v1/dossiers/{code}/payments", { params: { path } }), "payments");
  check(payments.items.every((p) => within(PAYMENT_STATUSES, p.status)), "payment statuses");
  const pending = payments.items.find((p) => p.status === "pending");
  if (pending === undefined) {
    throw new Error("no pending payment after the request");
  }
  check(pending.method === "unspecified", `a requested payment's method is unspecified, got ${pending.method}`);
  check(pending.amount_vnd === 150000, `the fees of 2.001610: ${pending.amount_vnd}`);
  expectDossier(
    ok(
      await officer.POST("/api/v1/dossiers/{code}/payments", {
        params: { path },
        body: { method: "cash", amount_vnd: pending.amount_vnd, reference: "BL-TS-0001" },
      }),
      "record payment",
    ),
    "processing",
    "record payment",
  );
  const paid = ok(await citizen.GET("/api/v1/dossiers/{code}/payments", { params: { path } }), "payments");
  check(paid.items.some((p) => p.status === "paid" && p.method === "cash" && !p.cashless), "paid in cash");

  // The leader decides, the desk hands the result over.
  expectDossier(
    ok(await approver.POST("/api/v1/dossiers/{code}/resolve", { params: { path }, body: { outcome: "granted" } }), "resolve"),
    "resolved",
    "resolve",
  );
  const returned = expectDossier(
    ok(await officer.POST("/api/v1/dossiers/{code}/return", { params: { path }, body: { channel: "in_person" } }), "return"),
    "returned",
    "return",
  );
  check(returned.outcome === "granted", "granted");
  check(returned.allowed_actions.length === 0, "nothing left to do");
  check(returned.timeliness === "early" || returned.timeliness === "on_time", `timeliness ${String(returned.timeliness)}`);

  // The document comes back byte for byte.
  const document = returned.documents.find((d) => d.id === uploaded.id);
  check(document !== undefined, "the upload is one of the dossier's documents");
  const downloaded = await citizen.GET("/api/v1/dossiers/{code}/documents/{id}", {
    params: { path: { code, id: uploaded.id } },
    parseAs: "arrayBuffer",
  });
  const content = new Uint8Array(ok(downloaded, "download"));
  check(sameBytes(content, bytes), `the download is the upload (${content.length} bytes, sent ${bytes.length})`);
  check(downloaded.response.headers.get("content-type") === "application/pdf", "downloaded as application/pdf");
  check(downloaded.response.headers.get("x-content-sha256") === uploaded.sha256, "the same SHA-256");

  // The control slip: one row per step, each a known action by a known role.
  const history = ok(await citizen.GET("/api/v1/dossiers/{code}/history", { params: { path } }), "history");
  check(history.items.every((r) => within(HISTORY_ACTIONS, r.action) && within(ROLES, r.actor_role)), "history actions and roles");
  const steps = history.items.map((r) => `${r.action}:${r.to_status}`);
  const expected = [
    "submit:submitted",
    "upload-document:submitted",
    "receive:received",
    "hand-off:processing",
    "request-payment:awaiting_payment",
    "payments:processing",
    "resolve:resolved",
    "return:returned",
  ];
  check(JSON.stringify(steps) === JSON.stringify(expected), `history ${steps.join(", ")}`);

  // The change feed tells the same story; each event is narrowed by its `status`.
  const feed = ok(await integrator.GET("/api/v1/changes", { params: { query: { after: 0, limit: 1000 } } }), "changes");
  const mine = feed.items.filter((c) => c.dossier_code === code);
  check(mine.length === expected.length, `${mine.length} changes of the dossier`);
  for (const change of mine) {
    const event = change.event;
    check(event.status === change.status && event.step.to_status === change.status, `change ${change.seq}: its status`);
    check(event.status_code === STATUS_CODES[event.status], `change ${change.seq}: status_code`);
    check(event.step.action === change.action && within(HISTORY_ACTIONS, event.step.action), `change ${change.seq}: action`);
    if (event.status === "returned") {
      check(event.outcome === "granted" && typeof event.returned_at === "string", "the returned event carries the result");
    }
  }

  // What the citizen reads last: the dossier as the list shows it.
  // The list answers JSON, CSV or XLSX (a union of the three): JSON by default.
  const listed = ok(await citizen.GET("/api/v1/dossiers", { params: { query: { status: "returned" } } }), "list");
  if (typeof listed === "string" || !("items" in listed)) {
    throw new Error("the list did not answer JSON");
  }
  check(listed.items.some((d) => d.code === code), "listed among the returned dossiers");
  listed.items.forEach((d) => expectDossier(d, "returned", "list"));

  console.log(`lifecycle of ${code}: ${checks} checks passed in ${Date.now() - started} ms`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
