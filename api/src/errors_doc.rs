//! `docs/ERRORS.md`: the table of every [`ErrorCode`], as `dvc errors`
//! prints it; a test keeps the committed file equal to it.

use std::fmt::Write;

use crate::error::{title, ErrorCode, Lang};

/// The Markdown of `docs/ERRORS.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Error codes\n\
         \n\
         Every answer that is not a success is an RFC 9457 problem document \
         (`application/problem+json`) whose `code` is one of the codes below; a 422 \
         `validation_failed` lists each invalid field in `errors`, each with its own `code` \
         from the same table. The codes are stable: a client decides on them, never on the \
         wording.\n\
         \n\
         `title` and `detail` are in English, or in Vietnamese when `Accept-Language` prefers \
         Vietnamese (`vi`, `vi-VN`, weighed by `q`); `Content-Language` says which. In \
         Vietnamese, `title` is the HTTP status in words, `detail` is a sentence with the \
         values of the case where the server has one (`validation_failed`, `forbidden`, \
         `transition_not_allowed`, `precondition_failed`, `rate_limited`, `payload_too_large`, \
         `database_read_only`, `storage_full`), else the code's Vietnamese message below; each \
         entry of `errors` carries its code's Vietnamese message. `code`, `type`, `status` and \
         the other keys do not change with the language.\n\
         \n\
         The HTTP status is the one a problem with this code is answered with; a code of one \
         invalid field is only found in the `errors` of a 422. `bad_request` also stands for \
         another 4xx that has no code of its own.\n\
         \n\
         This file is generated: `dvc errors > docs/ERRORS.md`.\n\
         \n\
         | Code | HTTP status | Meaning | Ý nghĩa |\n\
         |---|---|---|---|\n",
    );
    for code in ErrorCode::ALL {
        let status = match code.status() {
            Some(s) => {
                let reason = actix_web::http::StatusCode::from_u16(s).map_or("", |s| title(s, Lang::En));
                format!("{s} {reason}")
            }
            None => "422, in `errors`".to_owned(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {status} | {} | {} |",
            code.as_str(),
            code.message(Lang::En).replace('|', "\\|"),
            code.message(Lang::Vi).replace('|', "\\|"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_table_is_the_generated_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ERRORS.md");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == markdown(),
            "docs/ERRORS.md has drifted from ErrorCode: run `cargo run -- errors > docs/ERRORS.md` and commit it"
        );
    }

    #[test]
    fn every_code_has_a_row() {
        let table = markdown();
        for code in ErrorCode::ALL {
            assert!(table.contains(&format!("| `{}` |", code.as_str())), "{code}");
        }
    }
}
