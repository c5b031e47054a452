//! Uploaded tables (XLSX, XLS, ODS, CSV) read into rows of text, and tables
//! written back as XLSX or CSV.
use std::io::Cursor;

use calamine::{Data, Ods, Range, Reader, Xls, Xlsb, Xlsx, XlsxError, open_workbook_from_rs};
use rust_xlsxwriter::{Format, Workbook};

use crate::i18n::Lang;

/// One data row; `line` is its 1-based row (XLSX) or line (CSV) number in
/// the file, the header being line 1 when it is the first row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    pub line: usize,
    pub cells: Vec<String>,
}

/// A header row and the non-empty rows below it. Every row has at least as
/// many cells as there are headers (missing ones are empty strings).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
}

/// What is wrong with a CSV line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvProblem {
    #[error("a quoted field is never closed")]
    UnclosedQuote,
    #[error("text follows a closing quote")]
    TextAfterQuote,
    #[error("{0}")]
    Other(String),
}

/// Why a table could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty or has no header row")]
    Empty,
    #[error("not a spreadsheet (XLSX, XLS, ODS or UTF-8 CSV)")]
    NotASpreadsheet,
    #[error("unreadable {format} file: {detail}")]
    Unreadable {
        format: &'static str,
        detail: String,
    },
    #[error("CSV line {line}: {message}")]
    Csv { line: usize, message: CsvProblem },
    #[error("cannot write the table: {0}")]
    Write(String),
}

impl TableError {
    /// The line at fault, when known (CSV errors).
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Csv { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// A sentence for the person who uploaded the file.
    pub fn message(&self, lang: Lang) -> String {
        let s = match self {
            Self::Empty => lang.pick(
                "Tệp trống hoặc không có dòng tiêu đề.",
                "The file is empty or has no header row.",
            ),
            Self::NotASpreadsheet => lang.pick(
                "Tệp không phải bảng tính: hãy dùng Excel (.xlsx, .xls), OpenDocument (.ods) hoặc CSV mã hoá UTF-8.",
                "The file is not a spreadsheet: use Excel (.xlsx, .xls), OpenDocument (.ods) or UTF-8 CSV.",
            ),
            Self::Unreadable { .. } => lang.pick(
                "Không đọc được tệp bảng tính: tệp bị hỏng hoặc không đầy đủ.",
                "The spreadsheet cannot be read: it is damaged or incomplete.",
            ),
            Self::Csv { line, message } => {
                let what = match (message, lang) {
                    (CsvProblem::UnclosedQuote, Lang::Vi) => "dấu ngoặc kép mở mà không đóng",
                    (CsvProblem::UnclosedQuote, Lang::En) => "a quoted field is never closed",
                    (CsvProblem::TextAfterQuote, Lang::Vi) => "có chữ ngay sau dấu ngoặc kép đóng",
                    (CsvProblem::TextAfterQuote, Lang::En) => "text follows a closing quote",
                    (CsvProblem::Other(m), _) => m,
                };
                return match lang {
                    Lang::Vi => format!("Dòng {line} của tệp CSV không hợp lệ: {what}."),
                    Lang::En => format!("Line {line} of the CSV file is not valid: {what}."),
                };
            }
            Self::Write(_) => lang.pick("Không tạo được tệp bảng tính.", "The spreadsheet could not be created."),
        };
        s.to_string()
    }
}

/// Reads the first worksheet of an XLSX/XLSB/ODS/XLS file, or a UTF-8 CSV
/// file (comma, semicolon or tab; sniffed from the header line). The format
/// is told from the content, never from a file name.
pub fn read_table(bytes: &[u8]) -> Result<Table, TableError> {
    let raw = if bytes.starts_with(b"PK\x03\x04") {
        read_workbook(bytes, true)?
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        read_workbook(bytes, false)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| TableError::NotASpreadsheet)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Text with NUL bytes is some binary format, not a CSV file.
        if text.contains('\0') {
            return Err(TableError::NotASpreadsheet);
        }
        read_csv(text)?
    };
    build(raw)
}

/// Raw rows with their line numbers, before trimming and header detection.
type RawRows = Vec<(usize, Vec<String>)>;

fn build(raw: RawRows) -> Result<Table, TableError> {
    let clean = |cells: Vec<String>| -> Vec<String> {
        cells.into_iter().map(|c| c.trim().to_string()).collect()
    };
    let mut rows = raw
        .into_iter()
        .map(|(line, cells)| (line, clean(cells)))
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()));
    let (_, mut headers) = rows.next().ok_or(TableError::Empty)?;
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    let width = headers.len();
    let rows = rows
        .map(|(line, mut cells)| {
            while cells.len() > width && cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            cells.resize(cells.len().max(width), String::new());
            TableRow { line, cells }
        })
        .collect();
    Ok(Table { headers, rows })
}

fn read_workbook(bytes: &[u8], zip: bool) -> Result<RawRows, TableError> {
    let format = if zip { "XLSX/ODS" } else { "XLS" };
    // Third-party parsers meet hostile uploads here; a panic inside one must
    // become an error, not take the worker down.
    let parsed = std::panic::catch_unwind(|| first_sheet(bytes, zip));
    match parsed {
        Ok(Ok(Some(range))) => Ok(range_rows(&range)),
        Ok(Ok(None)) => Err(TableError::Empty),
        Ok(Err(Broken::NotAWorkbook)) => Err(TableError::NotASpreadsheet),
        Ok(Err(Broken::Damaged(detail))) => Err(TableError::Unreadable { format, detail }),
        Err(_) => Err(TableError::Unreadable {
            format,
            detail: "the parser panicked".into(),
        }),
    }
}

/// Why a workbook could not be opened.
enum Broken {
    /// A readable ZIP without a workbook in it (a .docx, say).
    NotAWorkbook,
    Damaged(String),
}

fn first_sheet(bytes: &[u8], zip: bool) -> Result<Option<Range<Data>>, Broken> {
    fn first<R: Reader<Cursor<Vec<u8>>>>(mut book: R) -> Result<Option<Range<Data>>, Broken>
    where
        R::Error: std::fmt::Display,
    {
        let sheet = book.worksheet_range_at(0).transpose();
        sheet.map_err(|e| Broken::Damaged(e.to_string()))
    }
    let cursor = || Cursor::new(bytes.to_vec());
    if !zip {
        return match open_workbook_from_rs::<Xls<_>, _>(cursor()) {
            Ok(book) => first(book),
            Err(e) => Err(Broken::Damaged(e.to_string())),
        };
    }
    match open_workbook_from_rs::<Xlsx<_>, _>(cursor()) {
        Ok(book) => first(book),
        Err(xlsx) => {
            if let Ok(book) = open_workbook_from_rs::<Ods<_>, _>(cursor()) {
                return first(book);
            }
            if let Ok(book) = open_workbook_from_rs::<Xlsb<_>, _>(cursor()) {
                return first(book);
            }
            match xlsx {
                XlsxError::FileNotFound(_) | XlsxError::RelationshipNotFound => {
                    Err(Broken::NotAWorkbook)
                }
                other => Err(Broken::Damaged(other.to_string())),
            }
        }
    }
}

fn range_rows(range: &Range<Data>) -> RawRows {
    let (top, _) = range.start().unwrap_or((0, 0));
    range
        .rows()
        .enumerate()
        .map(|(i, row)| (top as usize + i + 1, row.iter().map(cell_text).collect()))
        .collect()
}

/// A cell as text: dates as `YYYY-MM-DD`, whole numbers without `.0` or an
/// exponent (phone numbers stored as numbers stay intact).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(dt) => number_text(dt.as_f64()),
        Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("{e}"),
    }
}

fn number_text(f: f64) -> String {
    // Integers up to 2^53 are exact in a float; print them as integers.
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        format!("{}", f as i64)
    } else {
        // Rust's float Display is the shortest exact form and never uses an exponent.
        format!("{f}")
    }
}

/// Splits CSV text into records with their starting line numbers.
fn read_csv(text: &str) -> Result<RawRows, TableError> {
    let delimiter = sniff_delimiter(text);
    check_quotes(text, delimiter)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    // A record's position is where the previous one ended, before the line
    // breaks (and blank lines) that separate them: skip those, then count.
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let line_at = |byte: u64| {
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX);
        while matches!(text.as_bytes().get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        1 + newlines.partition_point(|&n| n < at)
    };
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv {
            line: e.position().map_or(0, |p| line_at(p.byte())),
            message: CsvProblem::Other(e.to_string()),
        })?;
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        out.push((line, record.iter().map(undo_formula_guard).collect()));
    }
    Ok(out)
}

/// Removes the `'` that [`write_csv`] puts before `=`, `+`, `-`, `@`, so an
/// exported file imports back unchanged.
fn undo_formula_guard(cell: &str) -> String {
    match cell.trim_start().strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest.to_string(),
        _ => cell.to_string(),
    }
}

/// The delimiter (`,`, `;` or tab) seen most often on the first non-empty
/// line outside quotes; a comma when there is none.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b',', 0), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in header.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            counts
                .iter_mut()
                .filter(|(d, _)| *d == b)
                .for_each(|(_, n)| *n += 1);
        }
    }
    // max_by_key keeps the last maximum; a reversed scan prefers the comma on a tie.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| *d)
}

/// Finds the quote errors that the lenient `csv` reader would accept silently.
fn check_quotes(text: &str, delimiter: u8) -> Result<(), TableError> {
    let bytes = text.as_bytes();
    let (mut line, mut i, mut field_start, mut open_line) = (1, 0, true, 0);
    let mut quoted = false;
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                    let next = bytes.get(i + 1).copied();
                    let ends = next.is_none_or(|n| n == delimiter || n == b'\n' || n == b'\r');
                    if !ends {
                        return Err(TableError::Csv {
                            line,
                            message: CsvProblem::TextAfterQuote,
                        });
                    }
                }
            }
        } else if b == b'"' && field_start {
            quoted = true;
            open_line = line;
        }
        if b == b'\n' {
            line += 1;
        }
        field_start = !quoted && (b == delimiter || b == b'\n' || b == b'\r');
        i += 1;
    }
    if quoted {
        return Err(TableError::Csv {
            line: open_line,
            message: CsvProblem::UnclosedQuote,
        });
    }
    Ok(())
}

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

/// Writes one worksheet: a bold, frozen header row, fitted column widths,
/// every cell as text (a cell such as `=1+1` stays text, never a formula).
/// Characters Excel forbids in sheet names are removed.
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, TableError> {
    write_xlsx_report(sheet_name, &[], headers, rows, usize::MAX)
}

/// Writes a report: a header block (title, period, unit, date produced…),
/// a blank line, then the table with a bold header row. Cells of columns
/// from `numeric_from` on are written as numbers when they are numbers;
/// everything else is text (never a formula).
pub fn write_xlsx_report(
    sheet_name: &str,
    header_block: &[String],
    headers: &[&str],
    rows: &[Vec<String>],
    numeric_from: usize,
) -> Result<Vec<u8>, TableError> {
    let err = |e: rust_xlsxwriter::XlsxError| TableError::Write(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_title(sheet_name)).map_err(err)?;
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let mut r: u32 = 0;
    for (i, line) in header_block.iter().enumerate() {
        let f = if i == 0 { &title } else { &Format::new() };
        sheet.write_string_with_format(r, 0, line, f).map_err(err)?;
        r += 1;
    }
    if !header_block.is_empty() {
        r += 1;
    }
    let table_top = r;
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(r, col(c)?, *h, &bold)
            .map_err(err)?;
    }
    for row in rows {
        r += 1;
        for (c, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(n) if c >= numeric_from && n.is_finite() => {
                    sheet.write_number(r, col(c)?, n).map_err(err)?
                }
                _ => sheet.write_string(r, col(c)?, cell).map_err(err)?,
            };
            if widths.len() <= c {
                widths.resize(c + 1, 0);
            }
            widths[c] = widths[c].max(cell.chars().count());
        }
    }
    for (c, w) in widths.iter().enumerate() {
        sheet
            .set_column_width(col(c)?, (w + 2).clamp(8, 60) as f64)
            .map_err(err)?;
    }
    sheet.set_freeze_panes(table_top + 1, 0).map_err(err)?;
    book.save_to_buffer().map_err(err)
}

fn col(c: usize) -> Result<u16, TableError> {
    u16::try_from(c).map_err(|_| TableError::Write("too many columns".into()))
}

/// A valid Excel sheet name: no `[]:*?/\`, no edge apostrophes, ≤ 31 characters.
fn sheet_title(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).collect();
    let t: String = cleaned.trim().trim_matches('\'').chars().take(31).collect();
    let t = t.trim().to_string();
    if t.is_empty() {
        "Sheet1".to_string()
    } else {
        t
    }
}

/// Writes UTF-8 CSV with a BOM (so Excel shows Vietnamese correctly), CRLF
/// line ends, and a `'` before any cell starting with `=`, `+`, `-` or `@`
/// so that spreadsheets do not run it as a formula. [`read_table`] removes
/// that `'` again.
pub fn write_csv(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, TableError> {
    let err = |e: csv::Error| TableError::Write(e.to_string());
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let guard = |s: &str| {
        if s.starts_with(FORMULA_STARTS) {
            format!("'{s}")
        } else {
            s.to_string()
        }
    };
    w.write_record(headers.iter().map(|h| guard(h)))
        .map_err(err)?;
    for row in rows {
        w.write_record(row.iter().map(|c| guard(c))).map_err(err)?;
    }
    w.into_inner().map_err(|e| TableError::Write(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rust_xlsxwriter::ExcelDateTime;

    fn cells(t: &Table) -> Vec<(usize, Vec<&str>)> {
        t.rows
            .iter()
            .map(|r| (r.line, r.cells.iter().map(String::as_str).collect()))
            .collect()
    }

    fn sample() -> Vec<Vec<String>> {
        let row = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        vec![
            row(&["Nguyễn Văn An", "0912345678", "=1+1", "x"]),
            row(&["Trần Thị Bình", "+84 912 345 678", "-5", ""]),
            row(&["Lê \"Út\"; Ba, Tư", "@sum(A1)", "dòng 1\ndòng 2", ""]),
        ]
    }

    const HEADERS: [&str; 4] = ["Họ và tên", "Số điện thoại", "Ghi chú", "Lãnh đạo"];

    #[test]
    fn xlsx_round_trip_keeps_text_and_never_writes_formulas() {
        let bytes = write_xlsx("Danh sách", &HEADERS, &sample()).unwrap();
        let t = read_table(&bytes).unwrap();
        assert_eq!(t.headers, HEADERS);
        assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
        // A formula would read back as its (empty) cached value, not "=1+1".
        assert_eq!(
            t.rows.iter().map(|r| r.cells.clone()).collect::<Vec<_>>(),
            sample()
        );
    }

    #[test]
    fn csv_round_trip_guards_formulas_and_restores_them() {
        let bytes = write_csv(&HEADERS, &sample()).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        for guarded in [",'=1+1,", ",'-5,", ",'@sum(A1),"] {
            assert!(text.contains(guarded), "{guarded} in {text}");
        }
        assert!(text.contains("\r\n"));
        let t = read_table(&bytes).unwrap();
        assert_eq!(t.headers, HEADERS);
        assert_eq!(
            t.rows.iter().map(|r| r.cells.clone()).collect::<Vec<_>>(),
            sample()
        );
        assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
    }

    #[test]
    fn excel_numbers_and_dates_become_plain_text() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let date_format = Format::new().set_num_format("dd/mm/yyyy");
        // The header sits in row 2, column B: line numbers follow the sheet.
        sheet.write_string(1, 1, " Phone ").unwrap();
        sheet.write_string(1, 2, "Born").unwrap();
        sheet.write_string(1, 3, "Score").unwrap();
        sheet.write_number(2, 1, 912_345_678.0).unwrap();
        let born = ExcelDateTime::from_ymd(1990, 3, 5).unwrap();
        sheet
            .write_datetime_with_format(2, 2, &born, &date_format)
            .unwrap();
        sheet.write_number(2, 3, 7.25).unwrap();
        sheet.write_number(4, 1, 84_912_345_678.0).unwrap();
        sheet.write_boolean(4, 3, true).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let t = read_table(&bytes).unwrap();
        assert_eq!(t.headers, ["Phone", "Born", "Score"]);
        assert_eq!(
            cells(&t),
            [
                (3, vec!["912345678", "1990-03-05", "7.25"]),
                (5, vec!["84912345678", "", "TRUE"])
            ]
        );
    }

    #[test]
    fn number_text_prints_integers_exactly() {
        assert_eq!(number_text(912_345_678.0), "912345678");
        assert_eq!(number_text(1e15), "1000000000000000");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(0.1), "0.1");
        assert_eq!(number_text(1e20), "100000000000000000000");
    }

    #[test]
    fn csv_delimiters_quotes_and_line_ends_are_understood() {
        let semi = "\u{feff}Tên;Ghi chú\r\n\"An; Bình\";\"nói \"\"chào\"\"\"\r\n\r\n Cường ;\"hai\r\ndòng\"\r\n;\r\nDung;x\r\n";
        let t = read_table(semi.as_bytes()).unwrap();
        assert_eq!(t.headers, ["Tên", "Ghi chú"]);
        assert_eq!(
            cells(&t),
            [
                (2, vec!["An; Bình", "nói \"chào\""]),
                (4, vec!["Cường", "hai\r\ndòng"]),
                (7, vec!["Dung", "x"]),
            ]
        );
        let tab = "a\tb\tc\n1\t2\n";
        let t = read_table(tab.as_bytes()).unwrap();
        assert_eq!(t.headers, ["a", "b", "c"]);
        assert_eq!(cells(&t), [(2, vec!["1", "2", ""])]);
        let comma = "a,b\n1,2,,\n";
        assert_eq!(
            cells(&read_table(comma.as_bytes()).unwrap()),
            [(2, vec!["1", "2"])]
        );
        assert_eq!(sniff_delimiter("\"x;y\",b"), b',');
        assert_eq!(sniff_delimiter("only"), b',');
    }

    #[test]
    fn malformed_csv_names_the_line() {
        let unclosed = "a,b\n1,2\n3,\"bốn\n5,6\n";
        assert_eq!(
            read_table(unclosed.as_bytes()),
            Err(TableError::Csv {
                line: 3,
                message: CsvProblem::UnclosedQuote
            })
        );
        let stray = "a,b\n1,\"2\"x\n";
        let e = read_table(stray.as_bytes()).unwrap_err();
        assert_eq!(e.line(), Some(2));
        assert_eq!(
            e,
            TableError::Csv {
                line: 2,
                message: CsvProblem::TextAfterQuote
            }
        );
        assert_eq!(
            e.message(Lang::Vi),
            "Dòng 2 của tệp CSV không hợp lệ: có chữ ngay sau dấu ngoặc kép đóng."
        );
        // A quote inside an unquoted field is just a character.
        assert_eq!(cells(&read_table(b"a\n5\"\n").unwrap()), [(2, vec!["5\""])]);
    }

    #[test]
    fn other_content_is_refused_without_panicking() {
        let random: Vec<u8> = (0u32..512)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(read_table(&random), Err(TableError::NotASpreadsheet));
        assert_eq!(TableError::NotASpreadsheet.line(), None);
        assert_eq!(
            read_table(b"%PDF-1.4\n\0\0\x01"),
            Err(TableError::NotASpreadsheet)
        );
        assert_eq!(
            read_table(b"\xFF\xFEa\0b\0"),
            Err(TableError::NotASpreadsheet)
        );
        let xlsx = write_xlsx("S", &HEADERS, &sample()).unwrap();
        for cut in [4, 30, xlsx.len() / 2, xlsx.len() - 10] {
            let e = read_table(&xlsx[..cut]).unwrap_err();
            assert!(matches!(e, TableError::Unreadable { .. }), "{cut}: {e:?}");
        }
        let ole = [
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..],
            &[0; 100],
        ]
        .concat();
        assert!(matches!(
            read_table(&ole),
            Err(TableError::Unreadable { format: "XLS", .. })
        ));
        let docx = stored_zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w/>"),
        ]);
        assert_eq!(read_table(&docx), Err(TableError::NotASpreadsheet));
    }

    #[test]
    fn empty_files_and_header_only_files() {
        for empty in [&b""[..], b"\xEF\xBB\xBF", b"\n\r\n", b" , \t\n,,\n"] {
            assert_eq!(read_table(empty), Err(TableError::Empty), "{empty:?}");
        }
        let t = read_table(b"\n\nemail, name ,\n").unwrap();
        assert_eq!(t.headers, ["email", "name"]);
        assert!(t.rows.is_empty());
        let blank = write_xlsx("S", &[], &[]).unwrap();
        assert_eq!(read_table(&blank), Err(TableError::Empty));
    }

    #[test]
    fn writers_check_their_limits() {
        assert_eq!(sheet_title("Danh sách: 2025/[A]"), "Danh sách 2025A");
        assert_eq!(sheet_title("'?'"), "Sheet1");
        assert_eq!(sheet_title(&"Đ".repeat(40)).chars().count(), 31);
        let huge = vec![vec!["x".repeat(40_000)]];
        assert!(matches!(
            write_xlsx("S", &["a"], &huge),
            Err(TableError::Write(_))
        ));
        for e in [
            TableError::Empty,
            TableError::NotASpreadsheet,
            TableError::Unreadable {
                format: "XLS",
                detail: "x".into(),
            },
            TableError::Csv {
                line: 3,
                message: CsvProblem::UnclosedQuote,
            },
            TableError::Write("x".into()),
        ] {
            assert_ne!(e.message(Lang::Vi), e.message(Lang::En));
        }
    }

    /// A minimal ZIP archive with stored (uncompressed) entries.
    fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
        fn crc32(data: &[u8]) -> u32 {
            let mut crc = !0u32;
            for &b in data {
                crc ^= u32::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0xEDB8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for (name, data) in files {
            let offset = out.len() as u32;
            let (crc, size, n) = (crc32(data), data.len() as u32, name.len() as u16);
            let common = |v: &mut Vec<u8>| {
                v.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, method, time, date
                v.extend(crc.to_le_bytes());
                v.extend(size.to_le_bytes());
                v.extend(size.to_le_bytes());
                v.extend(n.to_le_bytes());
                v.extend([0, 0]); // extra length
            };
            out.extend(b"PK\x03\x04");
            common(&mut out);
            out.extend(name.as_bytes());
            out.extend(*data);
            central.extend(b"PK\x01\x02");
            central.extend([20, 0]); // version made by
            common(&mut central);
            central.extend([0; 10]); // comment length, disk, internal and external attributes
            central.extend(offset.to_le_bytes());
            central.extend(name.as_bytes());
        }
        let (start, len, count) = (out.len() as u32, central.len() as u32, files.len() as u16);
        out.extend(central);
        out.extend(b"PK\x05\x06\0\0\0\0");
        out.extend(count.to_le_bytes());
        out.extend(count.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(start.to_le_bytes());
        out.extend([0, 0]);
        out
    }
}
