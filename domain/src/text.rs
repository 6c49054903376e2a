//! Text folding for search: Vietnamese without diacritics, lower case.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds text for diacritic- and case-insensitive search: decomposes it,
/// drops the combining marks, maps đ/Đ to d, lower-cases, and collapses runs
/// of white space. `"Đăng  ký KINH doanh"` → `"dang ky kinh doanh"`; composed
/// and decomposed spellings fold to the same string.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_vietnamese_to_plain_lower_case() {
        assert_eq!(fold("Đăng ký thành lập doanh nghiệp"), "dang ky thanh lap doanh nghiep");
    }

    #[test]
    fn composed_and_decomposed_spellings_fold_alike() {
        let composed = "Chứng thực";
        let decomposed: String = unicode_normalization::UnicodeNormalization::nfd(composed).collect();
        assert_ne!(composed, decomposed);
        assert_eq!(fold(composed), fold(&decomposed));
    }

    #[test]
    fn collapses_and_trims_white_space() {
        assert_eq!(fold("  Hộ   tịch \t "), "ho tich");
    }
}
