//! The methods each path takes, read from the OpenAPI document (which lists
//! every route), for the `Allow` header a 405 must carry (RFC 9110 §15.5.6).

use std::sync::OnceLock;

/// One documented path: its segments (`None` for a `{parameter}`) and its methods.
type Route = (Vec<Option<String>>, Vec<&'static str>);

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
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, on)| on.then_some(m))
                .collect();
                (segments, methods)
            })
            .collect()
    })
}

/// The value of `Allow` for `path`: the methods of the documented route it
/// matches, joined by ", " (literal segments win over parameters, as in the
/// router); `GET` for the undocumented pages (Swagger UI, the document itself).
pub fn allow(path: &str) -> String {
    let given: Vec<&str> = path.split('/').collect();
    let matches = |segments: &[Option<String>]| {
        segments.len() == given.len()
            && segments.iter().zip(&given).all(|(s, g)| s.as_deref().map_or(!g.is_empty(), |s| s == *g))
    };
    table()
        .iter()
        .filter(|(segments, _)| matches(segments))
        .max_by_key(|(segments, _)| segments.iter().filter(|s| s.is_some()).count())
        .map_or_else(|| "GET".to_owned(), |(_, methods)| methods.join(", "))
}

#[cfg(test)]
mod tests {
    use super::allow;

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
}
