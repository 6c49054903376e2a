//! A small page writer over printpdf: A4 pages, DejaVu Sans (embedded as a
//! subset with its ToUnicode map, so the text stays searchable), paragraphs
//! wrapped at word boundaries, the administrative header and a QR code.

use std::sync::OnceLock;

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, Rgb, TextItem,
};
use unicode_normalization::UnicodeNormalization;

/// DejaVu Sans 2.37 (licence: `api/assets/fonts/LICENSE`): it has every
/// precomposed Vietnamese letter.
const REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

struct Fonts {
    regular: ParsedFont,
    bold: ParsedFont,
}

fn fonts() -> Option<&'static Fonts> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Some(Fonts {
                regular: ParsedFont::from_bytes(REGULAR_TTF, 0, &mut Vec::new())?,
                bold: ParsedFont::from_bytes(BOLD_TTF, 0, &mut Vec::new())?,
            })
        })
        .as_ref()
}

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 62.0;
const RIGHT: f32 = PAGE_W - 50.0;
const TOP: f32 = PAGE_H - 45.0;
const BOTTOM: f32 = 50.0;
pub const BODY: f32 = 11.0;

/// A piece of a paragraph: `Words` may break at its spaces, `Keep` stays on
/// one line (a code, a name, an instant) unless it is wider than a line.
pub enum Piece {
    Words(String),
    Keep(String),
}

pub fn words(s: impl Into<String>) -> Piece {
    Piece::Words(s.into())
}

pub fn keep(s: impl Into<String>) -> Piece {
    Piece::Keep(s.into())
}

pub struct Writer {
    fonts: &'static Fonts,
    doc: PdfDocument,
    regular: FontId,
    bold: FontId,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Writer {
    pub fn new(title: &str) -> Option<Self> {
        let fonts = fonts()?;
        let mut doc = PdfDocument::new(title);
        let regular = doc.add_font(&fonts.regular);
        let bold = doc.add_font(&fonts.bold);
        Some(Self { fonts, doc, regular, bold, pages: vec![Vec::new()], y: TOP })
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// The width of `s` in points.
    pub fn width(&self, s: &str, size: f32, bold: bool) -> f32 {
        let font = if bold { &self.fonts.bold } else { &self.fonts.regular };
        let upm = f32::from(font.pdf_font_metrics.units_per_em.max(1));
        let units: f32 = s
            .chars()
            .map(|c| font.lookup_glyph_index(c as u32).map_or(0.0, |g| f32::from(font.get_horizontal_advance(g))))
            .sum();
        units * size / upm
    }

    /// One line of text at (x, y).
    pub fn text_at(&mut self, x: f32, y: f32, size: f32, bold: bool, s: &str) {
        let font = if bold { self.bold.clone() } else { self.regular.clone() };
        let s: String = s.nfc().collect();
        self.ops().extend([
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) },
            Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(y) } },
            Op::ShowText { items: vec![TextItem::Text(s)] },
            Op::EndTextSection,
        ]);
    }

    fn line_height(size: f32) -> f32 {
        size * 1.45
    }

    /// Room for `h` points more on this page, or a new page.
    pub fn need(&mut self, h: f32) {
        if self.y - h < BOTTOM {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    pub fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    /// The pieces laid out in lines no wider than `max`.
    pub fn wrap(&self, pieces: &[Piece], size: f32, bold: bool, max: f32) -> Vec<String> {
        let mut tokens: Vec<String> = Vec::new();
        for p in pieces {
            match p {
                Piece::Words(s) => tokens.extend(s.split_whitespace().map(str::to_owned)),
                Piece::Keep(s) if !s.trim().is_empty() => tokens.push(s.trim().to_owned()),
                Piece::Keep(_) => {}
            }
        }
        let space = self.width(" ", size, bold);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut w = 0.0;
        for t in tokens {
            let tw = self.width(&t, size, bold);
            if !line.is_empty() && w + space + tw <= max {
                line.push(' ');
                line.push_str(&t);
                w += space + tw;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if tw <= max {
                line = t;
                w = tw;
            } else {
                // Wider than a line (a long word): broken by characters.
                let mut part = String::new();
                let mut pw = 0.0;
                for c in t.chars() {
                    let cw = self.width(c.encode_utf8(&mut [0; 4]), size, bold);
                    if pw + cw > max && !part.is_empty() {
                        lines.push(std::mem::take(&mut part));
                        pw = 0.0;
                    }
                    part.push(c);
                    pw += cw;
                }
                line = part;
                w = pw;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// A paragraph from the left margin (plus `indent`), wrapped.
    pub fn para(&mut self, pieces: &[Piece], size: f32, bold: bool, indent: f32) {
        let lines = self.wrap(pieces, size, bold, RIGHT - LEFT - indent);
        for l in lines {
            let lh = Self::line_height(size);
            self.need(lh);
            self.y -= lh;
            let y = self.y;
            self.text_at(LEFT + indent, y, size, bold, &l);
        }
    }

    /// `label` then `value` kept whole.
    pub fn field(&mut self, label: &str, value: &str) {
        self.para(&[words(format!("{label}:")), keep(value)], BODY, false, 0.0);
    }

    /// A line centred between `x0` and `x1`.
    pub fn centred(&mut self, x0: f32, x1: f32, y: f32, size: f32, bold: bool, s: &str) {
        let w = self.width(s, size, bold);
        let x = x0 + ((x1 - x0 - w) / 2.0).max(0.0);
        self.text_at(x, y, size, bold, s);
    }

    /// A title centred on the page, wrapped.
    pub fn title(&mut self, s: &str, size: f32) {
        let lines = self.wrap(&[words(s)], size, true, RIGHT - LEFT);
        for l in lines {
            let lh = Self::line_height(size);
            self.need(lh);
            self.y -= lh;
            let y = self.y;
            self.centred(LEFT, RIGHT, y, size, true, &l);
        }
    }

    pub fn rule(&mut self, x0: f32, x1: f32, y: f32) {
        self.ops().extend([
            Op::SetOutlineColor { col: Color::Rgb(Rgb { r: 0.0, g: 0.0, b: 0.0, icc_profile: None }) },
            Op::SetOutlineThickness { pt: Pt(0.6) },
            Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint { p: Point { x: Pt(x0), y: Pt(y) }, bezier: false },
                        LinePoint { p: Point { x: Pt(x1), y: Pt(y) }, bezier: false },
                    ],
                    is_closed: false,
                },
            },
        ]);
    }

    /// A thin rule across the page below the current line.
    pub fn separator(&mut self) {
        self.need(8.0);
        self.y -= 5.0;
        let y = self.y;
        self.rule(LEFT, RIGHT, y);
        self.y -= 3.0;
    }

    /// The administrative header: the agency on the left, the national
    /// motto on the right (each centred in its column, underlined), then the
    /// date line on the right.
    pub fn header(&mut self, agency: &str, date_line: &str) {
        let mid = LEFT + 215.0;
        let size = 10.5;
        let lh = Self::line_height(size);
        let left = self.wrap(&[words(agency)], size, true, mid - LEFT - 8.0);
        let mut y = TOP;
        for l in &left {
            y -= lh;
            self.centred(LEFT, mid - 8.0, y, size, true, l);
        }
        let left_end = y;
        let underline = (mid - LEFT) * 0.3;
        let c = (LEFT + mid - 8.0) / 2.0;
        self.rule(c - underline / 2.0, c + underline / 2.0, left_end - 4.0);
        let mut y = TOP - lh;
        self.centred(mid, RIGHT, y, size, true, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
        y -= lh;
        self.centred(mid, RIGHT, y, size + 0.5, true, "Độc lập - Tự do - Hạnh phúc");
        let mw = self.width("Độc lập - Tự do - Hạnh phúc", size + 0.5, true);
        let c = (mid + RIGHT) / 2.0;
        self.rule(c - mw / 2.0, c + mw / 2.0, y - 4.0);
        y -= lh + 6.0;
        self.centred(mid, RIGHT, y, size, false, date_line);
        self.y = y.min(left_end - 8.0) - 6.0;
    }

    /// The dossier code as text and as a QR code of `url`, on the right; the
    /// code and the address on the left of it.
    pub fn code_block(&mut self, code: &str, url: &str) {
        let side = 78.0;
        self.need(side + 6.0);
        let top = self.y - 2.0;
        self.qr(url, RIGHT - side, top - side, side);
        let text_right = RIGHT - side - 10.0;
        let mut y = top;
        let mut line = |w: &mut Self, pieces: &[Piece], size: f32, bold: bool| {
            for l in w.wrap(pieces, size, bold, text_right - LEFT) {
                y -= Self::line_height(size);
                w.text_at(LEFT, y, size, bold, &l);
            }
        };
        line(self, &[words("Mã hồ sơ:"), keep(code)], 12.0, true);
        line(self, &[words("Tra cứu hồ sơ (quét mã QR):"), keep(url)], 8.5, false);
        self.y = y.min(top - side) - 4.0;
    }

    /// A QR code of `data` as filled squares, `side` points wide, its lower
    /// left corner at (x, y); nothing when `data` does not fit a QR code.
    fn qr(&mut self, data: &str, x: f32, y: f32, side: f32) {
        let Ok(code) = qrcode::QrCode::new(data.as_bytes()) else { return };
        let n = code.width();
        let quiet = 2usize;
        let cell = side / (n + 2 * quiet) as f32;
        let colors = code.to_colors();
        let mut ops = vec![Op::SetFillColor { col: Color::Rgb(Rgb { r: 0.0, g: 0.0, b: 0.0, icc_profile: None }) }];
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < n && colors[row * n + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    ops.push(Op::DrawRectangle {
                        rectangle: Rect {
                            x: Pt(x + (quiet + start) as f32 * cell),
                            y: Pt(y + side - (quiet + row + 1) as f32 * cell),
                            width: Pt((col - start) as f32 * cell),
                            height: Pt(cell),
                            mode: Some(PaintMode::Fill),
                            winding_order: None,
                        },
                    });
                } else {
                    col += 1;
                }
            }
        }
        self.ops().extend(ops);
    }

    /// A signature block on the right: the role, then the name below the space to sign.
    pub fn signature(&mut self, role: &str, name: &str) {
        let size = BODY;
        let lh = Self::line_height(size);
        self.need(lh * 5.0);
        let x0 = LEFT + (RIGHT - LEFT) / 2.0;
        self.y -= lh * 1.5;
        let y = self.y;
        self.centred(x0, RIGHT, y, size, true, role);
        self.y -= lh;
        let y = self.y;
        self.centred(x0, RIGHT, y, 9.0, false, "(Ký, ghi rõ họ tên)");
        self.y -= lh * 2.5;
        let y = self.y;
        self.centred(x0, RIGHT, y, size, true, name);
    }

    pub fn finish(mut self) -> Vec<u8> {
        let pages: Vec<PdfPage> =
            std::mem::take(&mut self.pages).into_iter().map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops)).collect();
        self.doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new())
    }
}
