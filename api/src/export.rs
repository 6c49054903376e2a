//! Exports for spreadsheets: the figures, their drill-downs and the dossier
//! list as CSV or XLSX besides JSON (docs/RULES.md §7).
//!
//! - The format is asked with `?format=csv|xlsx|json` or the `Accept`
//!   header; `format` wins. An `Accept` naming none of the three answers
//!   JSON, as before exports existed (`*/*` and clients that send a browser's
//!   `Accept` keep working).
//! - CSV: UTF-8 with a byte order mark (a spreadsheet then reads Vietnamese
//!   correctly), a header row, RFC 4180 quoting; instants in Vietnam time as
//!   RFC 3339 (`2026-04-01T09:00:00+07:00`), as in JSON.
//! - XLSX: counts and rates are number cells; instants are date-time cells
//!   holding the Vietnam wall-clock time (`yyyy-mm-dd hh:mm:ss`, to the
//!   second; a spreadsheet cell has no time zone).
//! - Lists are read from the database a page at a time on a blocking thread,
//!   in one read-only transaction (every page sees the same database:
//!   `read_snapshot`), and written to a streamed body through a bounded channel: memory stays
//!   bounded whatever the number of rows. An XLSX sheet is written in
//!   rust_xlsxwriter's constant memory mode (rows go to a temporary file),
//!   then zipped straight into the body. A sheet holds at most 1,048,576
//!   rows: a longer export goes on in the next sheet under the same header.
//! - A failure after the first byte was sent cannot change the status: the
//!   body is cut off (the client sees a broken transfer, never a short file
//!   that looks whole) and the cause is logged.

use std::borrow::Cow;
use std::io::{self, Write};

use actix_web::http::header::{self, Header};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, Timelike, Utc};
use dvc_persistence::DbConnection;
use rust_xlsxwriter::{ExcelDateTime, Workbook};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::ApiError;
use crate::state::AppState;
use crate::time::vn;
use dvc_domain::ErrorCode;

pub const CSV: &str = "text/csv";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const JSON: &str = "application/json";

/// How many rows an export reads from the database at a time.
pub const PAGE: i64 = 1000;

/// The answer's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Json,
    Csv,
    Xlsx,
}

/// An XLSX workbook (the OpenAPI document's name for the file's bytes).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
pub struct XlsxFile(pub Vec<u8>);

/// A PDF file's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "application/pdf")]
pub struct PdfFile(pub Vec<u8>);

/// A document's content: its bytes as uploaded, in its own media type (not
/// JSON, not base64).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
pub struct DocumentContent(pub Vec<u8>);

/// A CSV file: UTF-8 with a byte order mark, a header row, RFC 4180 quoting.
#[derive(ToSchema)]
#[schema(value_type = String)]
pub struct CsvFile(pub String);

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `csv` or `xlsx`: a spreadsheet file of the whole answer (every row, no
    /// pages); `json` (the default). Wins over the `Accept` header. Another
    /// name is refused (422 `unsupported_format`).
    #[param(value_type = Option<ExportFormat>)]
    #[validate(custom(function = "format_name"))]
    pub format: Option<String>,
}

fn named(format: &str) -> Option<ExportFormat> {
    match format {
        "json" => Some(ExportFormat::Json),
        "csv" => Some(ExportFormat::Csv),
        "xlsx" => Some(ExportFormat::Xlsx),
        _ => None,
    }
}

fn format_name(format: &str) -> Result<(), validator::ValidationError> {
    named(format)
        .map(drop)
        .ok_or_else(|| crate::check::error(ErrorCode::UnsupportedFormat, "format is json, csv or xlsx"))
}

impl FormatParam {
    /// The format asked: `format`, else the first of `Accept` (by quality)
    /// that is one of the three, else JSON.
    pub fn choose(&self, req: &HttpRequest) -> ExportFormat {
        self.format.as_deref().and_then(named).unwrap_or_else(|| from_accept(req))
    }
}

fn from_accept(req: &HttpRequest) -> ExportFormat {
    let Ok(accept) = header::Accept::parse(req) else { return ExportFormat::Json };
    let mut ranked: Vec<_> = accept.iter().filter(|r| r.quality > header::Quality::ZERO).collect();
    // Highest quality first; among equals, the order given.
    ranked.sort_by_key(|r| std::cmp::Reverse(r.quality));
    for r in ranked {
        match r.item.essence_str() {
            CSV => return ExportFormat::Csv,
            XLSX => return ExportFormat::Xlsx,
            JSON | "application/*" | "*/*" => return ExportFormat::Json,
            _ => {}
        }
    }
    ExportFormat::Json
}

/// One cell of a row.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Count(u64),
    /// A rate's value; blank when it has none (a denominator of 0).
    Ratio(Option<f64>),
    Instant(Option<DateTime<Utc>>),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Text(Cow::Owned(s))
    }
}

impl From<Option<String>> for Value<'_> {
    fn from(s: Option<String>) -> Self {
        Value::Text(Cow::Owned(s.unwrap_or_default()))
    }
}

/// A table being written, row after row; the first row is the header.
pub trait Sheet {
    fn row(&mut self, cells: &[Value]) -> Result<(), ApiError>;
}

fn write_failed(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("export not written: {e}"))
}

/// RFC 4180 CSV in UTF-8 with a byte order mark.
pub struct CsvSheet<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> CsvSheet<W> {
    pub fn new(mut w: W) -> Result<Self, ApiError> {
        w.write_all("\u{feff}".as_bytes()).map_err(write_failed)?;
        Ok(Self { out: csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(w) })
    }

    pub fn finish(self) -> Result<W, ApiError> {
        self.out.into_inner().map_err(|e| write_failed(e.error()))
    }
}

fn instant_text(t: DateTime<Utc>) -> String {
    vn(t).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

impl<W: Write> Sheet for CsvSheet<W> {
    fn row(&mut self, cells: &[Value]) -> Result<(), ApiError> {
        for c in cells {
            let field: Cow<str> = match c {
                Value::Text(s) => Cow::Borrowed(s.as_ref()),
                Value::Count(n) => Cow::Owned(n.to_string()),
                Value::Ratio(r) => Cow::Owned(r.map(|v| v.to_string()).unwrap_or_default()),
                Value::Instant(t) => Cow::Owned(t.map(instant_text).unwrap_or_default()),
            };
            self.out.write_field(field.as_bytes()).map_err(write_failed)?;
        }
        self.out.write_record(None::<&[u8]>).map_err(write_failed)
    }
}

/// An instant as Excel's date-time of its Vietnam wall-clock time.
fn excel_instant(t: DateTime<Utc>) -> Option<ExcelDateTime> {
    let l = vn(t).naive_local();
    let seconds = f64::from(l.second()) + f64::from(l.nanosecond().min(999_999_999)) / 1e9;
    ExcelDateTime::from_ymd(u16::try_from(l.year()).ok()?, l.month() as u8, l.day() as u8)
        .and_then(|d| d.and_hms(l.hour() as u16, l.minute() as u8, seconds))
        .ok()
}

/// The rows a worksheet holds, header included.
const SHEET_ROWS: u32 = 1_048_576;

/// An XLSX workbook written in constant memory.
pub struct XlsxSheet {
    book: Workbook,
    sheets: usize,
    row: u32,
    header: Vec<String>,
    date: rust_xlsxwriter::Format,
    bold: rust_xlsxwriter::Format,
}

impl XlsxSheet {
    pub fn new() -> Result<Self, ApiError> {
        let mut book = Workbook::new();
        book.add_worksheet_with_constant_memory().map_err(write_failed)?;
        Ok(Self {
            book,
            sheets: 1,
            row: 0,
            header: Vec::new(),
            date: rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            bold: rust_xlsxwriter::Format::new().set_bold(),
        })
    }

    /// Zips the workbook into `w`.
    pub fn finish(mut self, w: impl Write + Send) -> Result<(), ApiError> {
        self.book.save_to_writer(w).map_err(write_failed)
    }

    fn next_sheet(&mut self) -> Result<(), ApiError> {
        self.book.add_worksheet_with_constant_memory().map_err(write_failed)?;
        self.sheets += 1;
        self.row = 0;
        let header = std::mem::take(&mut self.header);
        let cells: Vec<Value> = header.iter().map(|h| Value::from(h.as_str())).collect();
        self.write(&cells)?;
        self.header = header;
        Ok(())
    }

    fn write(&mut self, cells: &[Value]) -> Result<(), ApiError> {
        let (row, header) = (self.row, self.row == 0);
        let sheet = self.book.worksheet_from_index(self.sheets - 1).map_err(write_failed)?;
        for (col, c) in cells.iter().enumerate() {
            let col = u16::try_from(col).map_err(write_failed)?;
            match c {
                Value::Text(s) if header => sheet.write_string_with_format(row, col, s.as_ref(), &self.bold),
                Value::Text(s) if s.is_empty() => continue,
                Value::Text(s) => sheet.write_string(row, col, s.as_ref()),
                Value::Count(n) => sheet.write_number(row, col, *n as f64),
                Value::Ratio(Some(v)) => sheet.write_number(row, col, *v),
                Value::Ratio(None) | Value::Instant(None) => continue,
                Value::Instant(Some(t)) => match excel_instant(*t) {
                    Some(at) => sheet.write_datetime_with_format(row, col, &at, &self.date),
                    // Before 1900 Excel has no date: the text, as in CSV.
                    None => sheet.write_string(row, col, instant_text(*t)),
                },
            }
            .map_err(write_failed)?;
        }
        self.row += 1;
        Ok(())
    }
}

impl Sheet for XlsxSheet {
    fn row(&mut self, cells: &[Value]) -> Result<(), ApiError> {
        if self.header.is_empty() && self.row == 0 && self.sheets == 1 {
            self.header = cells
                .iter()
                .map(|c| match c {
                    Value::Text(s) => s.to_string(),
                    _ => String::new(),
                })
                .collect();
        } else if self.row == SHEET_ROWS {
            self.next_sheet()?;
        }
        self.write(cells)
    }
}

/// The body's bytes in chunks of about 64 KiB through a bounded channel: a
/// slow client holds the producer back instead of letting the rows pile up.
struct Chunks {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Chunks {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// A sheet that stops its producer once the client has gone away (an XLSX
/// sends nothing before its last row: without this it would be written whole
/// for no one).
struct Watched<'a> {
    inner: &'a mut dyn Sheet,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    rows: u64,
}

impl Sheet for Watched<'_> {
    fn row(&mut self, cells: &[Value]) -> Result<(), ApiError> {
        // Looked at every 1,000 rows.
        self.rows += 1;
        if self.rows == 1000 {
            self.rows = 0;
            if self.tx.is_closed() {
                return Err(ApiError::internal("the client went away"));
            }
        }
        self.inner.row(cells)
    }
}

/// What an export writes its rows with.
pub type Produce = Box<dyn FnOnce(&mut DbConnection, &mut dyn Sheet) -> Result<(), ApiError> + Send>;

/// Answers a table produced on a blocking thread with its own connection,
/// streamed as CSV or XLSX. `name` is the file name without extension.
pub fn stream(state: &AppState, format: ExportFormat, name: &str, produce: Produce) -> HttpResponse {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(8);
    let pool = state.pool.clone();
    let failed = tx.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut out = Chunks { tx, buf: Vec::with_capacity(CHUNK) };
        let done = (|| {
            let mut conn = pool.get().map_err(|e| ApiError::from(dvc_persistence::StoreError::from(e)))?;
            match format {
                ExportFormat::Xlsx => {
                    let mut sheet = XlsxSheet::new()?;
                    let mut watched = Watched { inner: &mut sheet, tx: failed.clone(), rows: 0 };
                    dvc_persistence::read_snapshot(&mut conn, |c| produce(c, &mut watched))?;
                    drop(conn);
                    sheet.finish(&mut out)?;
                }
                _ => {
                    let mut sheet = CsvSheet::new(&mut out)?;
                    dvc_persistence::read_snapshot(&mut conn, |c| produce(c, &mut sheet))?;
                    sheet.finish()?;
                }
            }
            out.flush().map_err(write_failed)
        })();
        if let Err(e) = done {
            log::error!("export cut off: {}", e.cause.as_deref().unwrap_or(&e.detail));
            // The status is sent: a broken transfer tells the client.
            let _ = failed.blocking_send(Err(io::Error::other("export failed")));
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let (mime, ext) = match format {
        ExportFormat::Xlsx => (XLSX.to_owned(), "xlsx"),
        _ => (format!("{CSV}; charset=utf-8; header=present"), "csv"),
    };
    HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.{ext}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// A small table (the summary), written the same way.
pub fn table(state: &AppState, format: ExportFormat, name: &str, rows: Vec<Vec<Value<'static>>>) -> HttpResponse {
    stream(
        state,
        format,
        name,
        Box::new(move |_, sheet| {
            for r in &rows {
                sheet.row(r)?;
            }
            Ok(())
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(format: Option<&str>, accept: Option<&str>) -> Result<ExportFormat, u16> {
        let mut req = actix_web::test::TestRequest::default();
        if let Some(a) = accept {
            req = req.insert_header(("accept", a));
        }
        let param = FormatParam { format: format.map(str::to_owned) };
        param.validate().map_err(|e| ApiError::from(e).status.as_u16())?;
        Ok(param.choose(&req.to_http_request()))
    }

    #[test]
    fn format_wins_over_accept_and_accept_picks_by_quality() {
        assert_eq!(chosen(None, None), Ok(ExportFormat::Json));
        assert_eq!(chosen(None, Some("text/csv")), Ok(ExportFormat::Csv));
        assert_eq!(chosen(None, Some(XLSX)), Ok(ExportFormat::Xlsx));
        assert_eq!(chosen(None, Some("text/csv;q=0.5, application/json")), Ok(ExportFormat::Json));
        assert_eq!(chosen(None, Some("application/json;q=0.5, text/csv")), Ok(ExportFormat::Csv));
        assert_eq!(chosen(None, Some("image/png")), Ok(ExportFormat::Json));
        assert_eq!(chosen(None, Some("text/csv;q=0")), Ok(ExportFormat::Json));
        assert_eq!(chosen(Some("json"), Some("text/csv")), Ok(ExportFormat::Json));
        assert_eq!(chosen(Some("xlsx"), Some("text/csv")), Ok(ExportFormat::Xlsx));
        assert_eq!(chosen(Some("pdf"), None), Err(422));
    }

    #[test]
    fn csv_has_a_bom_a_header_and_rfc_4180_quoting() {
        let mut sheet = CsvSheet::new(Vec::new()).expect("sheet");
        sheet.row(&["code".into(), "tên".into(), "n".into(), "rate".into()]).expect("row");
        sheet.row(&["a,b".into(), "Sở \"Tư pháp\"".into(), Value::Count(3), Value::Ratio(Some(0.75))]).expect("row");
        sheet.row(&["x".into(), "".into(), Value::Count(0), Value::Ratio(None)]).expect("row");
        let bytes = sheet.finish().expect("finished");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert_eq!(text, "\u{feff}code,tên,n,rate\r\n\"a,b\",\"Sở \"\"Tư pháp\"\"\",3,0.75\r\nx,,0,\r\n");
    }
}
