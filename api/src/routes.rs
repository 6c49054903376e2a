//! The methods and header parameters each path takes, read from the OpenAPI
//! document (which lists every route): for the `Allow` header a 405 must
//! carry (RFC 9110 §15.5.6), and for what a CORS preflight is answered.

use std::sync::OnceLock;

use utoipa::openapi::path::{Operation, ParameterIn};

/// One documented path: its segments (`None` for a `{parameter}`), its
/// methods, and the header parameters its operations document.
struct Route {
    segments: Vec<Option<String>>,
    methods: Vec<&'static str>,
    headers: Vec<String>,
}

fn table() -> &'static [Route] {
    static TABLE: OnceLock<Vec<Route>> = OnceLock::new();
    TABLE.get_or_init(|| {
        crate::openapi::document()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template
                    .split('/')
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect();
                let operations = [
                    ("GET", &item.get),
                    ("PUT", &item.put),
                    ("POST", &item.post),
                    ("DELETE", &item.delete),
                    ("PATCH", &item.patch),
                ];
                let methods = operations.iter().filter_map(|(m, op)| op.is_some().then_some(*m)).collect();
                let mut headers: Vec<String> = item
                    .parameters
                    .iter()
                    .flatten()
                    .chain(operations.iter().filter_map(|(_, op)| op.as_ref()).flat_map(parameters))
                    .filter(|p| matches!(p.parameter_in, ParameterIn::Header))
                    .map(|p| p.name.clone())
                    .collect();
                headers.sort();
                headers.dedup();
                Route { segments, methods, headers }
            })
            .collect()
    })
}

fn parameters(op: &Operation) -> impl Iterator<Item = &utoipa::openapi::path::Parameter> {
    op.parameters.iter().flatten()
}

/// The documented route `path` matches (literal segments win over
/// parameters, as in the router); none for the undocumented pages (Swagger
/// UI, the document itself) and unknown paths.
fn route(path: &str) -> Option<&'static Route> {
    let given: Vec<&str> = path.split('/').collect();
    let matches = |segments: &[Option<String>]| {
        segments.len() == given.len()
            && segments.iter().zip(&given).all(|(s, g)| s.as_deref().map_or(!g.is_empty(), |s| s == *g))
    };
    table().iter().filter(|r| matches(&r.segments)).max_by_key(|r| r.segments.iter().filter(|s| s.is_some()).count())
}

/// The methods `path` takes: those of its documented route; `GET` for the
/// undocumented pages.
pub fn methods(path: &str) -> &'static [&'static str] {
    route(path).map_or(&["GET"], |r| r.methods.as_slice())
}

/// The value of `Allow` for `path`: its methods joined by ", ".
pub fn allow(path: &str) -> String {
    methods(path).join(", ")
}

/// The header parameters the operations of `path` document (`If-Match`,
/// `Idempotency-Key`), beyond those every route reads.
pub fn header_parameters(path: &str) -> &'static [String] {
    route(path).map_or(&[], |r| r.headers.as_slice())
}

/// Every method of any route, and every header parameter of any operation.
pub fn all_methods_and_headers() -> (Vec<&'static str>, Vec<&'static str>) {
    let mut methods: Vec<&str> = table().iter().flat_map(|r| r.methods.iter().copied()).collect();
    let mut headers: Vec<&str> = table().iter().flat_map(|r| r.headers.iter().map(String::as_str)).collect();
    for list in [&mut methods, &mut headers] {
        list.sort_unstable();
        list.dedup();
    }
    (methods, headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_segment_matches_any_value() {
        assert_eq!(allow("/api/v1/agencies/000.00.00.H56"), "GET, PUT");
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        assert_eq!(allow("/api/v1/feedback/published"), "GET");
    }

    #[test]
    fn several_methods_are_listed() {
        assert_eq!(allow("/api/v1/agencies"), "GET, POST");
    }

    #[test]
    fn header_parameters_are_read_from_the_document() {
        assert_eq!(header_parameters("/api/v1/dossiers"), ["Idempotency-Key"]);
        assert_eq!(header_parameters("/api/v1/dossiers/G01.01-250101-0001/receive"), ["If-Match"]);
        assert!(header_parameters("/api/v1/procedures/X/versions/1").is_empty());
        assert!(header_parameters("/swagger-ui/").is_empty());
        let (methods, headers) = all_methods_and_headers();
        for method in ["DELETE", "GET", "POST", "PUT"] {
            assert!(methods.contains(&method), "{method} not in {methods:?}");
        }
        for header in ["Idempotency-Key", "If-Match"] {
            assert!(headers.contains(&header), "{header} not in {headers:?}");
        }
    }
}
