//! The OpenAPI 3.1 document: generated from the handlers' annotations, with
//! the bearer scheme and the standard problem responses of every operation.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem, PROBLEM_JSON};
use crate::examples::Examples;
use crate::workflows::Workflows;
use crate::{
    agencies, calendars, dossiers, feedback, forms, health, imports, integrity, national_databases, payments,
    procedures, public_lookup, ratings, reports, sync, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dvc — dịch vụ công trực tuyến",
        description = "Back office of a province's online public services: the procedure catalogue, dossiers, deadlines, fees, figures and national-portal synchronisation.\n\nAuthenticate with a bearer JWT (`Authorization: Bearer <token>`); `dvc token --role admin` mints one, and a server on the development secret prints one per role at start-up. Every error is an RFC 9457 problem document with a stable `code` (the schema `ErrorCode`; docs/ERRORS.md lists each with its status and messages), its `title` and `detail` in Vietnamese when `Accept-Language` prefers `vi`, else in English (`Content-Language` says which). A NUL character (`%00`) in a path or a query is refused with 400 `invalid_characters`, and in a JSON string with 422.\n\nInput is strict, in this order: 401 without a valid token; 403 `forbidden` when the caller's role is not among the operation's `x-roles`, however bad the request; then one 422 `validation_failed` naming every invalid field: `unknown_parameter` (a query parameter the operation does not take, field `query.<name>`), `unknown_field` (a JSON field it does not know, with its path such as `applicant.emial`), `invalid_value`, `out_of_range` (an instant outside the years 0001–9999 in UTC or Vietnam time), and the operation's own codes. The payment platform's callback keeps its own field set.",
        license(name = "MIT")
    ),
    servers((url = "/", description = "The server that serves this document, in whichever environment it runs (local, staging or production)")),
    paths(
        health::live,
        health::ready,
        agencies::list,
        agencies::create,
        agencies::read,
        agencies::update,
        agencies::merge,
        procedures::search,
        procedures::create,
        procedures::read_in_force,
        procedures::list_versions,
        procedures::add_version,
        procedures::read_version,
        procedures::update_version,
        procedures::delete_version,
        procedures::publish,
        procedures::retire,
        calendars::read,
        calendars::replace,
        calendars::preview,
        dossiers::submit_dossier,
        dossiers::push_from_portal,
        dossiers::list,
        dossiers::read,
        dossiers::history,
        dossiers::notifications,
        dossiers::receive,
        dossiers::refuse,
        dossiers::request_supplement,
        dossiers::supplement,
        dossiers::hand_off,
        dossiers::request_payment,
        dossiers::record_payment,
        dossiers::fee_relief,
        dossiers::resolve,
        dossiers::return_result,
        dossiers::withdraw,
        dossiers::stop,
        dossiers::apologize,
        dossiers::upload_document,
        dossiers::download_document,
        forms::form,
        sync::feed,
        sync::failing,
        sync::retry,
        payments::list,
        payments::pay_online,
        payments::callback,
        payments::cancel,
        payments::refund,
        payments::list_attempts,
        payments::refund_attempt,
        webhooks::create,
        webhooks::list,
        webhooks::remove,
        webhooks::deliveries,
        webhooks::redeliver,
        reports::summary,
        reports::drilldown,
        reports::index,
        ratings::rate,
        ratings::read,
        imports::import,
        integrity::history,
        national_databases::lookup_citizen,
        national_databases::lookup_enterprise,
        national_databases::list_lookups,
        national_databases::verify_lookups,
        feedback::file,
        feedback::list,
        feedback::published,
        feedback::read,
        feedback::refuse,
        feedback::request_info,
        feedback::give_info,
        feedback::answer,
        feedback::publish,
        public_lookup::lookup,
    ),
    components(schemas(
        Problem,
        FieldError,
        forms::FormKind,
        crate::export::ExportFormat,
        crate::export::CsvFile,
        crate::export::XlsxFile,
        crate::export::PdfFile,
        crate::export::DocumentContent
    )),
    modifiers(&Security, &StandardErrors, &Language, &Workflows, &Examples, &TaggedUnions),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "agencies", description = "Agencies (cơ quan, đơn vị) and administrative mergers"),
        (name = "procedures", description = "The procedure catalogue (danh mục thủ tục hành chính), versioned"),
        (name = "calendars", description = "Working calendars (holidays, swapped days, office hours) and deadline previews"),
        (name = "dossiers", description = "Dossiers (hồ sơ): submission, reading, the list, the control slip, documents"),
        (name = "dossier actions", description = "The moves of the state machine (docs/RULES.md §4.2); each honours If-Match"),
        (name = "payments", description = "Fees and payments; online payment through the national payment platform (docs/RULES.md §5)"),
        (name = "webhooks", description = "Signed deliveries of dossier changes to subscribers"),
        (name = "reports", description = "The province's figures with drill-down, and the Decision 766 service index"),
        (name = "imports", description = "Dossiers with their whole history, from an older one-stop system"),
        (name = "feedback", description = "Feedback and petitions (phản ánh, kiến nghị), answered within working-day limits"),
        (name = "national databases", description = "The national population and business registration databases and the citizen's data store: applicant checks, look-ups and their audit log"),
        (name = "public look-up", description = "A dossier's status for anyone holding its code and a second factor, without a token (docs/RULES.md §4.4); rate-limited per client address"),
        (name = "national portal", description = "Synchronisation with the National Public Service Portal (DVCQG)"),
    )
)]
pub struct ApiDoc;

/// The document as served and as committed in `openapi.json`.
pub fn document() -> Document {
    let mut doc = ApiDoc::openapi();
    crate::contract::with_roles(&mut doc);
    crate::contract::close_request_bodies(&mut doc);
    integer_formats(&mut doc);
    doc
}

/// Gives every integer schema without a format its width (`int32` when its
/// bounds fit, else `int64`): a count or an index of `usize` is written
/// without one, and a client generator must know what to hold it in.
fn integer_formats(doc: &mut Document) {
    use utoipa::openapi::schema::{ArrayItems, KnownFormat, Schema, SchemaFormat, SchemaType, Type};
    fn walk(schema: &mut RefOr<Schema>) {
        let RefOr::T(schema) = schema else { return };
        match schema {
            Schema::Object(o) => {
                let integer = match &o.schema_type {
                    SchemaType::Type(t) => *t == Type::Integer,
                    SchemaType::Array(ts) => ts.contains(&Type::Integer),
                    SchemaType::AnyValue => false,
                };
                if integer && o.format.is_none() {
                    let fits = |n: &Option<utoipa::Number>, lo: bool| {
                        n.as_ref().is_some_and(|n| {
                            let v = serde_json::to_value(n).ok().and_then(|v| v.as_f64()).unwrap_or(f64::MAX);
                            if lo {
                                v >= f64::from(i32::MIN)
                            } else {
                                v <= f64::from(i32::MAX)
                            }
                        })
                    };
                    let width = if fits(&o.minimum, true) && fits(&o.maximum, false) {
                        KnownFormat::Int32
                    } else {
                        KnownFormat::Int64
                    };
                    o.format = Some(SchemaFormat::KnownFormat(width));
                }
                o.properties.values_mut().for_each(walk);
            }
            Schema::Array(a) => {
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    walk(items);
                }
            }
            Schema::OneOf(x) => x.items.iter_mut().for_each(walk),
            Schema::AllOf(x) => x.items.iter_mut().for_each(walk),
            Schema::AnyOf(x) => x.items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Some(components) = doc.components.as_mut() {
        components.schemas.values_mut().for_each(walk);
    }
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            for parameter in op.parameters.iter_mut().flatten() {
                if let Some(schema) = parameter.schema.as_mut() {
                    walk(schema);
                }
            }
        }
    }
}

pub fn pretty_json() -> String {
    document().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Whether an operation can be called without a token: no requirement
/// (`security: []`), or an empty one among its alternatives (`{}`: the
/// token is optional, and changes what the caller sees).
pub fn is_public(op: &Operation) -> bool {
    op.security.as_ref().is_none_or(|reqs| {
        reqs.is_empty()
            || reqs.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty())))
    })
}

/// The bearer scheme; the operations that need no token at all say so with
/// an empty requirement list (`security: []`), which Swagger UI shows
/// without a padlock (utoipa writes `security(())` as `[{}]`).
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        // Each environment (local, staging, production) serves its own
        // document: the one server is the one that serves it, reached by
        // citizens and businesses as well as staff, so not internal.
        for server in doc.servers.iter_mut().flatten() {
            server.extensions.get_or_insert_with(Default::default).insert("x-internal".to_owned(), false.into());
        }
        for item in doc.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                if let Some(reqs) = op.security.as_mut() {
                    let only_empty = reqs.len() == 1
                        && serde_json::to_value(&reqs[0]).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()));
                    if only_empty {
                        reqs.clear();
                    }
                }
            }
        }
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A token from `dvc token`, the start-up banner or the province's identity provider. \
                         Verified as RFC8725 (JWT best current practices) advises: one algorithm fixed by the \
                         server (HS256 with the shared secret, or the identity provider's keys), never `none`; \
                         `exp`, `iss`, `aud` and `sub` required and checked.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every tagged union (a serde `tag`: each variant an object whose tag
/// property holds one value) names its tag as the `discriminator`, so that
/// generated clients and validators pick the variant by it. utoipa writes a
/// discriminator only for untagged enums of references; the variants here
/// are inline, so the discriminator has no mapping: the tag's value is in
/// each variant's schema.
struct TaggedUnions;

/// The property that holds one required value in this variant (directly, or
/// in a part of its `allOf`).
fn tags_of(variant: &RefOr<utoipa::openapi::schema::Schema>) -> Vec<String> {
    use utoipa::openapi::schema::Schema;
    let object_tags = |o: &utoipa::openapi::schema::Object| -> Vec<String> {
        o.properties
            .iter()
            .filter(|(name, p)| {
                o.required.contains(name)
                    && matches!(p, RefOr::T(Schema::Object(p)) if p.enum_values.as_ref().is_some_and(|e| e.len() == 1))
            })
            .map(|(name, _)| name.clone())
            .collect()
    };
    match variant {
        RefOr::T(Schema::Object(o)) => object_tags(o),
        RefOr::T(Schema::AllOf(all)) => all
            .items
            .iter()
            .flat_map(|part| match part {
                RefOr::T(Schema::Object(o)) => object_tags(o),
                _ => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

impl Modify for TaggedUnions {
    fn modify(&self, doc: &mut Document) {
        use utoipa::openapi::schema::{Discriminator, Schema};
        let Some(components) = doc.components.as_mut() else { return };
        for schema in components.schemas.values_mut() {
            let RefOr::T(Schema::OneOf(one_of)) = schema else { continue };
            if one_of.discriminator.is_some() || one_of.items.len() < 2 {
                continue;
            }
            let mut variants = one_of.items.iter().map(tags_of);
            let first = variants.next().unwrap_or_default();
            let rest: Vec<Vec<String>> = variants.collect();
            if let Some(tag) = first.into_iter().find(|t| rest.iter().all(|v| v.contains(t))) {
                one_of.discriminator = Some(Discriminator::new(tag));
            }
        }
    }
}

/// The problem responses every operation can give, added once here rather
/// than repeated on each handler.
struct StandardErrors;

const ERRORS: &[(&str, &str)] = &[
    ("400", "Malformed request: invalid JSON, query string or header"),
    ("401", "Missing, expired or invalid bearer token (on a public operation: a token sent that is not valid)"),
    ("403", "The caller's role lacks the named right"),
    ("404", "No such resource, or one the caller may not see"),
    ("405", "Method not allowed on this resource"),
    ("409", "Conflicts with the current state"),
    ("412", "If-Match names an ETag that is no longer current: read the resource again"),
    ("413", "Request body too large"),
    ("415", "Unsupported media type: send application/json"),
    ("422", "Validation failed: one entry per invalid field"),
    ("500", "An unexpected error: quote the problem's `request_id` when reporting it"),
    ("503", "The database is unavailable"),
];

/// The operations that never read a token: the probes, the payment
/// platform's callback (signed instead) and the public look-up. Every other
/// one verifies a token that is sent, public or not (401 when it is not
/// valid), even where none is needed.
const TOKEN_NEVER_READ: &[&str] = &["check_liveness", "check_readiness", "receive_payment_callback", "lookup_dossier"];

fn applies(status: &str, op: &Operation, is_write: bool, public: bool) -> bool {
    match status {
        "401" => !op.operation_id.as_deref().is_some_and(|id| TOKEN_NEVER_READ.contains(&id)),
        "403" => !public,
        "409" | "413" | "415" => is_write,
        "412" => op.parameters.iter().flatten().any(|p| p.name.eq_ignore_ascii_case("If-Match")),
        "422" => is_write || op.parameters.as_ref().is_some_and(|p| !p.is_empty()),
        _ => true,
    }
}

impl Modify for StandardErrors {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        for (status, description) in ERRORS {
            components.responses.insert(
                format!("Problem{status}"),
                RefOr::T(
                    ResponseBuilder::new()
                        .description(*description)
                        .content(
                            PROBLEM_JSON,
                            ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                        )
                        .build(),
                ),
            );
        }
        for item in doc.paths.paths.values_mut() {
            let ops = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ];
            for (op, is_write) in ops {
                let Some(op) = op.as_mut() else { continue };
                let public = is_public(op);
                let is_health = op.tags.as_ref().is_some_and(|t| t.iter().any(|t| t == "health"));
                for (status, _) in ERRORS {
                    if is_health && *status != "503" {
                        continue;
                    }
                    if applies(status, op, is_write, public) && !op.responses.responses.contains_key(*status) {
                        op.responses.responses.insert(
                            (*status).to_owned(),
                            RefOr::Ref(Ref::new(format!("#/components/responses/Problem{status}"))),
                        );
                    }
                }
            }
        }
    }
}

/// `Accept-Language` on every operation (the language of its problem documents)
/// and `Content-Language` on the standard problem responses.
struct Language;

pub const ACCEPT_LANGUAGE_DESCRIPTION: &str = "The language of problem documents: Vietnamese when `vi` (or `vi-VN`…) \
     weighs most among `vi` and `en` (RFC 9110 `q` values), else English. Only `title`, `detail` and \
     `errors[].message` change; `code` does not.";

impl Modify for Language {
    fn modify(&self, doc: &mut Document) {
        // Any text: a value the server cannot read means English, so no
        // bound is declared that the server would not enforce.
        let text = ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).build();
        let accept = ParameterBuilder::new()
            .name("Accept-Language")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(ACCEPT_LANGUAGE_DESCRIPTION))
            .schema(Some(text))
            .example(Some(serde_json::json!("vi-VN,vi;q=0.9,en;q=0.8")))
            .build();
        // On each operation: OpenAPI 3.1 has reusable parameters
        // (`components.parameters`), utoipa 5 does not write them.
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch] {
                if let Some(op) = op.as_mut() {
                    op.parameters.get_or_insert_with(Vec::new).push(accept.clone());
                }
            }
        }
        let content_language = HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .enum_values(Some(dvc_domain::Lang::ALL.map(|l| l.tag()))),
            )
            .description(Some("The language of `title` and `detail`"))
            .build();
        let components = doc.components.get_or_insert_with(Default::default);
        for response in components.responses.values_mut() {
            if let RefOr::T(response) = response {
                response.headers.insert("Content-Language".to_owned(), content_language.clone());
            }
        }
    }
}
