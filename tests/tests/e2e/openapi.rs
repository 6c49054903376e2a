//! The committed `openapi.json` is what the code generates and what the
//! server serves; every operation is documented.

use dvc_tests::{both_backends, Backend, TestApp};
use serde_json::Value;

fn committed() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json"))
        .expect("openapi.json at the top level");
    serde_json::from_str(&text).expect("openapi.json is JSON")
}

dvc_tests::e2e_test!(committed_document_equals_the_generated_one);
fn committed_document_equals_the_generated_one() {
    let generated: Value = serde_json::from_str(&dvc_api::openapi::pretty_json()).expect("generated JSON");
    assert!(
        generated == committed(),
        "openapi.json has drifted from the code: run `cargo run -- openapi > openapi.json` and commit it"
    );
}

dvc_tests::e2e_test!(served_document_equals_the_committed_one);
fn served_document_equals_the_committed_one() {
    let app = TestApp::spawn(Backend::Sqlite);
    let served = app.get("/api-docs/openapi.json", None).expect(200).body;
    assert_eq!(served, committed());
}

dvc_tests::e2e_test!(every_operation_has_an_id_summary_tag_security_and_errors);
fn every_operation_has_an_id_summary_tag_security_and_errors() {
    let doc = committed();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            count += 1;
            let at = format!("{method} {path}");
            assert!(op["operationId"].is_string(), "{at}: operationId");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{at}: summary");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{at}: tags");
            assert!(op["security"].is_array(), "{at}: security");
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.keys().any(|k| k.starts_with('2')), "{at}: a success response");
            if !path.starts_with("/health") {
                assert!(responses.contains_key("400") && responses.contains_key("404"), "{at}: error responses");
            }
        }
    }
    assert!(count >= 17, "{count} operations");
}

/// The verbs an operation id may start with: what a client generated from
/// the document calls its methods, and what the OpenAPI links point at.
const VERBS: &[&str] = &[
    "answer",
    "apologize",
    "cancel",
    "check",
    "create",
    "delete",
    "download",
    "file",
    "give",
    "hand",
    "import",
    "list",
    "lookup",
    "merge",
    "preview",
    "publish",
    "push",
    "rate",
    "read",
    "receive",
    "record",
    "redeliver",
    "refund",
    "refuse",
    "replace",
    "request",
    "resolve",
    "retire",
    "retry",
    "return",
    "search",
    "start",
    "stop",
    "submit",
    "supplement",
    "update",
    "upload",
    "verify",
    "withdraw",
];

dvc_tests::e2e_test!(operation_ids_are_unique_verb_noun);
/// Every operation id is `verb_noun` (snake case, at least two words, the
/// first one of [`VERBS`]) and names one operation only.
fn operation_ids_are_unique_verb_noun() {
    let doc = committed();
    let mut seen = std::collections::HashSet::new();
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().expect("operationId");
            assert!(seen.insert(id.to_owned()), "operationId {id} is used twice");
            if !is_verb_noun(id) {
                wrong.push(format!("{} {path}: {id}", method.to_uppercase()));
            }
        }
    }
    assert!(wrong.is_empty(), "operation ids not verb_noun with a verb of VERBS: {wrong:#?}");
    assert!(seen.len() >= 78, "{} operations", seen.len());
}

/// `^[a-z]+(_[a-z0-9]+)+$`, the first word one of [`VERBS`].
fn is_verb_noun(id: &str) -> bool {
    let mut words = id.split('_');
    let verb = words.next().unwrap_or_default();
    let rest: Vec<&str> = words.collect();
    !verb.is_empty()
        && verb.bytes().all(|b| b.is_ascii_lowercase())
        && !rest.is_empty()
        && rest.iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && VERBS.contains(&verb)
}

dvc_tests::e2e_test!(the_verb_noun_rule_refuses_what_names_nothing);
fn the_verb_noun_rule_refuses_what_names_nothing() {
    for good in ["read_index_766", "list_dossiers", "hand_off_dossier", "preview_deadline"] {
        assert!(is_verb_noun(good), "{good}");
    }
    for bad in [
        "update",
        "index",
        "file",
        "published",
        "Read_dossier",
        "read__dossier",
        "read_dossier_",
        "summary_read",
        "read-dossier",
        "read_Dossier",
    ] {
        assert!(!is_verb_noun(bad), "{bad}");
    }
}

dvc_tests::e2e_test!(every_annotated_operation_names_its_id);
/// An operation id is written in the handler's annotation, never derived
/// from the Rust function's name, so that renaming a function cannot change
/// it under the clients and the links.
fn every_annotated_operation_names_its_id() {
    let mut files = Vec::new();
    rust_files(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../api/src")), &mut files);
    let mut missing = Vec::new();
    let mut count = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source");
        for (at, _) in text.match_indices("#[utoipa::path(") {
            count += 1;
            // The attribute runs to its closing `)]`, which is before the next `fn`.
            let attribute = &text[at..text[at..].find("fn ").map_or(text.len(), |end| at + end)];
            if !attribute.contains("operation_id = ") {
                let line = text[..at].lines().count() + 1;
                missing.push(format!("{}:{line}", file.display()));
            }
        }
    }
    assert!(count >= 66, "the scan found only {count} annotations");
    assert!(missing.is_empty(), "#[utoipa::path] without operation_id: {missing:#?}");
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

dvc_tests::e2e_test!(no_two_types_share_a_schema_name);
/// Two types that document themselves under one schema name make the
/// document lie about one of them (utoipa keeps either, silently): every
/// `ToSchema` type of the API and every mirrored enum has a name of its own.
fn no_two_types_share_a_schema_name() {
    let mut files = Vec::new();
    rust_files(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../api/src")), &mut files);
    let mut names: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let declared = if line.contains("derive(") && line.contains("ToSchema") {
                // The type the derive is on: the next `struct` or `enum` line.
                lines[i + 1..].iter().take(12).find_map(|l| {
                    let l = l.trim_start().trim_start_matches("pub ").trim_start_matches("pub(crate) ");
                    let rest = l.strip_prefix("struct ").or_else(|| l.strip_prefix("enum "))?;
                    Some(rest.split(|c: char| !c.is_alphanumeric() && c != '_').next()?.to_owned())
                })
            } else {
                // `Name => Domain { … }` inside `mirror_enum!`.
                let t = line.trim();
                (i > 0 && lines[i.saturating_sub(3)..i].iter().any(|l| l.contains("mirror_enum!")))
                    .then(|| t.split_once(" => ").map(|(n, _)| n.to_owned()))
                    .flatten()
                    .filter(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_'))
            };
            if let Some(name) = declared {
                names.entry(name).or_default().push(format!("{}:{}", file.display(), i + 1));
            }
        }
    }
    assert!(names.len() > 100, "the scan found only {} schema types", names.len());
    let shared: Vec<_> = names.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(shared.is_empty(), "schema names declared twice: {shared:#?}");
}

/// The request example of the operation at `method path` in the committed document.
fn request_example(doc: &Value, method: &str, path: &str) -> Value {
    let examples = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["examples"];
    let (_, example) =
        examples.as_object().and_then(|e| e.iter().next()).unwrap_or_else(|| panic!("{method} {path}: no example"));
    example["value"].clone()
}

both_backends! {
    /// The document's own request examples are true: posted as they stand to
    /// a province with the agencies and the procedure they name, each
    /// creates what it says, and a dossier goes through the actions'
    /// examples (a hand-off, a supplement asked for and given, an apology).
    fn the_request_examples_of_the_document_are_accepted(app: &TestApp) {
        use dvc_domain::auth::Role;
        use dvc_tests::fixtures::{province, tokens};
        let doc = committed();
        province(app);
        let t = tokens(app);
        let admin = app.token(Role::Admin, None);
        for (path, token) in [
            ("/api/v1/agencies", &admin),
            ("/api/v1/procedures", &admin),
            ("/api/v1/dossiers", &t.citizen),
            ("/api/v1/feedback", &t.citizen),
            ("/api/v1/webhooks", &t.integrator),
        ] {
            let body = request_example(&doc, "post", path);
            let answer = app.post(path, Some(token), &body);
            assert_eq!(answer.status, 201, "POST {path} with the document's example: {}", answer.body);
        }
        // The dossier the example submitted, through the actions' examples,
        // on today's clock: the instants they must hold in the future are.
        let code = app.get("/api/v1/dossiers?limit=1", Some(&t.citizen)).expect(200).body["items"][0]["code"]
            .as_str()
            .expect("the example's dossier")
            .to_owned();
        for (action, token) in [
            ("receive", &t.officer),
            ("hand-off", &t.officer),
            ("request-supplement", &t.unit_officer),
            ("supplement", &t.citizen),
            ("apologize", &t.approver),
        ] {
            let path = format!("/api/v1/dossiers/{{code}}/{action}");
            let body = request_example(&doc, "post", &path);
            let answer = app.post(&format!("/api/v1/dossiers/{code}/{action}"), Some(token), &body);
            assert_eq!(answer.status, 200, "POST {path} with the document's example: {}", answer.body);
        }
        let preview = request_example(&doc, "post", "/api/v1/deadlines/preview");
        app.post("/api/v1/deadlines/preview", Some(&t.citizen), &preview).expect(200);
        let calendar = request_example(&doc, "put", "/api/v1/calendars/{id}");
        app.put("/api/v1/calendars/default", Some(&admin), &calendar).expect(200);
    }
}

dvc_tests::e2e_test!(public_operations_have_an_empty_security_list);
/// An operation that needs no token shows no padlock in Swagger UI: its
/// requirement list is empty. One a token changes (drafts for their keepers,
/// an unpublished feedback for its author) offers it as an alternative;
/// every other one requires it.
fn public_operations_have_an_empty_security_list() {
    let doc = committed();
    let public = [
        "check_liveness",
        "check_readiness",
        "list_agencies",
        "read_agency",
        "search_procedures",
        "read_procedure",
        "read_calendar",
        "list_published_feedback",
        "receive_payment_callback",
        "lookup_dossier",
    ];
    let optional = ["list_procedure_versions", "read_procedure_version", "read_feedback"];
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("path item").values() {
            let id = op["operationId"].as_str().expect("operationId");
            let want = if public.contains(&id) {
                serde_json::json!([])
            } else if optional.contains(&id) {
                serde_json::json!([{}, {"bearer": []}])
            } else {
                serde_json::json!([{"bearer": []}])
            };
            assert_eq!(op["security"], want, "{id}");
        }
    }
}
