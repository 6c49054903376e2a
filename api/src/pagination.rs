//! Cursor pagination: `limit` (default 50, at most 500) and an opaque cursor.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::{Validate, ValidationErrors};

use crate::check::Report;
use crate::error::ApiError;
use dvc_domain::ErrorCode;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500, example = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A validated page request: the key to start after, and how many to fetch
/// (one more than asked, to know whether a next page exists).
pub struct Page {
    pub after: Option<String>,
    pub limit: i64,
}

impl Validate for PageParams {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut report = Report::default();
        report.take(limit(self.limit));
        report.take(self.cursor.as_deref().map(decode_cursor).transpose());
        report.finish()
    }
}

impl PageParams {
    /// The page asked for (its check passed in the extractor).
    pub fn page(&self) -> Result<Page, ApiError> {
        Ok(Page { after: self.cursor.as_deref().map(decode_cursor).transpose()?, limit: limit(self.limit)? })
    }
}

fn limit(asked: Option<i64>) -> Result<i64, ApiError> {
    let limit = asked.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field("limit", ErrorCode::OutOfRange, "limit is between 1 and 500"));
    }
    Ok(limit)
}

impl Page {
    /// Cuts the fetched rows to the page and makes the next cursor from the
    /// last item's key.
    pub fn finish<T>(&self, mut items: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        (items, next)
    }

    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("k:{key}"))
}

fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("k:").map(str::to_owned))
        .filter(|key| key.len() <= 256)
        .ok_or_else(|| {
            ApiError::invalid_field("cursor", ErrorCode::InvalidCursor, "the cursor is not one this API gave out")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let c = encode_cursor("1.000656");
        assert_eq!(decode_cursor(&c).ok(), Some("1.000656".to_owned()));
        assert!(decode_cursor("not-a-cursor!").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x:1")).is_err());
    }
}
