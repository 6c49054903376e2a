//! The language of problem documents, from the request's `Accept-Language`
//! (RFC 9110 §12.5.4): the supported language with the highest weight
//! (`q`), the first listed on a tie; a range matches by its primary subtag
//! (`vi-VN` is Vietnamese); `*` and anything else unsupported mean English.

use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::HttpRequest;

use crate::error::Lang;

/// The language `header` (an `Accept-Language` value) asks for.
pub fn negotiate(header: &str) -> Lang {
    let mut best: Option<(u16, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or_default().trim();
        let Some(lang) = supported(range) else { continue };
        let mut weight = Some(1000);
        for param in parts {
            if let Some((name, value)) = param.split_once('=') {
                if name.trim().eq_ignore_ascii_case("q") {
                    weight = qvalue(value.trim());
                }
            }
        }
        // An invalid weight drops the item, as an unreadable one would be.
        let Some(weight) = weight.filter(|w| *w > 0) else { continue };
        if best.is_none_or(|(b, _)| weight > b) {
            best = Some((weight, lang));
        }
    }
    best.map_or(Lang::En, |(_, lang)| lang)
}

/// The language a request asks for.
pub fn of_request(req: &HttpRequest) -> Lang {
    req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map_or(Lang::En, negotiate)
}

fn supported(range: &str) -> Option<Lang> {
    let primary = range.split('-').next().unwrap_or_default();
    if primary.eq_ignore_ascii_case("vi") {
        Some(Lang::Vi)
    } else if primary.eq_ignore_ascii_case("en") {
        Some(Lang::En)
    } else {
        None
    }
}

/// A weight in thousandths: `0`, `1`, `0.x` with up to three decimals.
fn qvalue(text: &str) -> Option<u16> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_when_it_weighs_most_among_supported_languages() {
        assert_eq!(negotiate("vi"), Lang::Vi);
        assert_eq!(negotiate("vi-VN"), Lang::Vi);
        assert_eq!(negotiate("VI-vn"), Lang::Vi);
        assert_eq!(negotiate("vi-VN,vi;q=0.9,en;q=0.8"), Lang::Vi);
        assert_eq!(negotiate("fr-FR, vi;q=0.5"), Lang::Vi);
        assert_eq!(negotiate("en;q=0.4, vi ; q=0.7"), Lang::Vi);
    }

    #[test]
    fn english_otherwise() {
        assert_eq!(negotiate(""), Lang::En);
        assert_eq!(negotiate("fr"), Lang::En);
        assert_eq!(negotiate("*"), Lang::En);
        assert_eq!(negotiate("en-US,vi;q=0.9"), Lang::En);
        assert_eq!(negotiate("vi;q=0.5, en"), Lang::En);
        assert_eq!(negotiate("en, vi"), Lang::En, "a tie goes to the first listed");
        assert_eq!(negotiate("vi;q=0"), Lang::En, "q=0 means not acceptable");
        assert_eq!(negotiate("vi;q=2"), Lang::En, "an invalid weight drops the item");
        assert_eq!(negotiate("vi;q=0.5555"), Lang::En);
        assert_eq!(negotiate(";;;,,=q,\u{1}"), Lang::En);
        assert_eq!(negotiate("vietnamese"), Lang::En, "a range matches by its whole primary subtag");
    }

    #[test]
    fn weights_parse_as_thousandths() {
        assert_eq!(qvalue("1"), Some(1000));
        assert_eq!(qvalue("1.000"), Some(1000));
        assert_eq!(qvalue("0.8"), Some(800));
        assert_eq!(qvalue("0.085"), Some(85));
        assert_eq!(qvalue("0"), Some(0));
        assert_eq!(qvalue("1.5"), None);
        assert_eq!(qvalue("-0.5"), None);
        assert_eq!(qvalue("abc"), None);
    }
}
