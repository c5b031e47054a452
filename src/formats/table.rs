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
    #[error("the spreadsheet is too large or abnormally compressed")]
    TooLarge,
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
            Self::TooLarge => lang.pick(
                "Bảng tính quá lớn (quá 2 triệu ô hoặc quá 200 MB khi giải nén); hãy chia thành nhiều tệp nhỏ hơn.",
                "The spreadsheet is too large (over 2 million cells or 200 MB uncompressed); split it into smaller files.",
            ),
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

/// Most cells read from a workbook, blank ones inside the table included
/// (a roster of 100,000 people in 20 columns is 2 million).
const MAX_CELLS: usize = 2_000_000;

/// Most bytes the entries of a workbook's ZIP may inflate to, together.
const MAX_INFLATED: u64 = 200 * 1024 * 1024;

fn read_workbook(bytes: &[u8], zip: bool) -> Result<RawRows, TableError> {
    let format = if zip { "XLSX/ODS" } else { "XLS" };
    // Third-party parsers meet hostile uploads here; a panic inside one must
    // become an error, not take the worker down.
    let parsed = std::panic::catch_unwind(|| first_sheet(bytes, zip));
    match parsed {
        Ok(Ok(Some(rows))) => Ok(rows),
        Ok(Ok(None)) => Err(TableError::Empty),
        Ok(Err(Broken::NotAWorkbook)) => Err(TableError::NotASpreadsheet),
        Ok(Err(Broken::TooLarge)) => Err(TableError::TooLarge),
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
    /// More than [`MAX_CELLS`] cells or [`MAX_INFLATED`] bytes.
    TooLarge,
    Damaged(String),
}

fn first_sheet(bytes: &[u8], zip: bool) -> Result<Option<RawRows>, Broken> {
    fn first<R: Reader<Cursor<Vec<u8>>>>(mut book: R) -> Result<Option<RawRows>, Broken>
    where
        R::Error: std::fmt::Display,
    {
        let sheet = book.worksheet_range_at(0).transpose();
        let range = sheet.map_err(|e| Broken::Damaged(e.to_string()))?;
        Ok(range.map(|r| range_rows(&r)))
    }
    let cursor = || Cursor::new(bytes.to_vec());
    if !zip {
        check_ole(bytes)?;
        return match open_workbook_from_rs::<Xls<_>, _>(cursor()) {
            Ok(book) => first(book),
            Err(e) => Err(Broken::Damaged(e.to_string())),
        };
    }
    // The readers inflate whole parts into memory: bound them first.
    check_inflated_size(bytes, MAX_INFLATED)?;
    // XLSX and XLSB cells are streamed: calamine's ranges allocate the whole
    // rectangle between the first and the last cell, which two cells in
    // opposite corners make 17 billion cells.
    match open_workbook_from_rs::<Xlsx<_>, _>(cursor()) {
        Ok(mut book) => {
            let Some(name) = book.sheet_names().first().cloned() else {
                return Ok(None);
            };
            match book.worksheet_cells_reader(&name) {
                Ok(mut cells) => sparse_rows(|| cells.next_cell()).map(Some),
                Err(XlsxError::NotAWorksheet(_)) => Ok(Some(Vec::new())),
                Err(e) => Err(Broken::Damaged(e.to_string())),
            }
        }
        Err(xlsx) => {
            // calamine's ODS reader expands repeated rows and cells while
            // opening, and hangs on some damaged files: check first.
            check_ods(bytes)?;
            if let Ok(book) = open_workbook_from_rs::<Ods<_>, _>(cursor()) {
                return first(book);
            }
            if let Ok(mut book) = open_workbook_from_rs::<Xlsb<_>, _>(cursor()) {
                let Some(name) = book.sheet_names().first().cloned() else {
                    return Ok(None);
                };
                let mut cells = book
                    .worksheet_cells_reader(&name)
                    .map_err(|e| Broken::Damaged(e.to_string()))?;
                return sparse_rows(|| cells.next_cell()).map(Some);
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

/// Checks the sector allocation table of a legacy XLS file (an OLE
/// compound file) before calamine reads it: damaged when a chain of
/// sectors loops, which calamine follows for ever, holding a sector more
/// each turn (1.5 KB grew past 2 GB), or when the table lists more sectors
/// than the file has. Headers it cannot read are left to calamine.
fn check_ole(bytes: &[u8]) -> Result<(), Broken> {
    /// Ids from here on end a chain or mark a special sector.
    const SPECIAL: u32 = 0xFFFF_FFFA;
    /// A sector of the DIFAT itself, not of the table.
    const DIFSECT: u32 = 0xFFFF_FFFC;
    let damaged = |what: &str| Err(Broken::Damaged(format!("compound file: {what}")));
    let ids = |b: &[u8]| -> Vec<u32> {
        b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let Some(header) = bytes.get(..512) else {
        return Ok(());
    };
    let size: usize = match header.get(30..32) {
        Some([9, 0]) => 512,
        Some([12, 0]) => 4096,
        _ => return Ok(()),
    };
    // Sector `id` follows the header, which takes one sector's room.
    let sector = |id: u32| -> &[u8] {
        let start = (id as usize).saturating_add(1).saturating_mul(size);
        let end = start.saturating_add(size).min(bytes.len());
        bytes.get(start..end).unwrap_or(&[])
    };
    let sectors = bytes.len() / size + 1;
    // The table's sectors: 109 in the header, then a chain of DIFAT
    // sectors, the last id of each naming the next.
    let mut table: Vec<u32> = ids(header.get(76..512).unwrap_or(&[]));
    let mut next = ids(header.get(68..72).unwrap_or(&[]))
        .first()
        .copied()
        .unwrap_or(SPECIAL);
    let mut steps = 0;
    while next < SPECIAL {
        steps += 1;
        if steps > sectors {
            return damaged("the DIFAT chain loops");
        }
        let mut more = ids(sector(next));
        next = more.pop().unwrap_or(SPECIAL);
        table.extend(more);
    }
    table.retain(|&id| id < DIFSECT);
    if table.len() > sectors {
        return damaged("the allocation table lists more sectors than the file has");
    }
    let fat: Vec<u32> = table.iter().flat_map(|&id| ids(sector(id))).collect();
    // Follow every chain once: 1 on the chain being followed, 2 known to end.
    let mut state = vec![0u8; fat.len()];
    let mut path = Vec::new();
    for start in 0..fat.len() {
        let mut at = start;
        while let Some(0) = state.get(at) {
            state[at] = 1;
            path.push(at);
            match fat.get(at) {
                Some(&id) if id < SPECIAL => at = id as usize,
                _ => break,
            }
        }
        if state.get(at) == Some(&1) && fat.get(at).is_some_and(|&id| id < SPECIAL) {
            return damaged("a chain of sectors loops");
        }
        for p in path.drain(..) {
            state[p] = 2;
        }
    }
    Ok(())
}

/// Inflates every entry once through a bounded reader, keeping nothing:
/// too large when together they exceed `max` bytes (a zip bomb). Archive
/// errors are left to the spreadsheet readers to report.
fn check_inflated_size(bytes: &[u8], max: u64) -> Result<(), Broken> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut left = max;
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index(i) else {
            continue;
        };
        let mut bounded = std::io::Read::take(entry, left + 1);
        // On a damaged entry, what was inflated before the error counts.
        let _ = std::io::copy(&mut bounded, &mut std::io::sink());
        let inflated = left + 1 - bounded.limit();
        if inflated > left {
            return Err(Broken::TooLarge);
        }
        left -= inflated;
    }
    Ok(())
}

/// Checks an ODS `content.xml` before calamine reads it: too large when
/// its reader would hold more than [`MAX_CELLS`] cells (per table, the
/// cells of each row up to its last filled one, and the rectangle from the
/// first to the last filled row with repeats expanded); damaged unless it
/// is well-formed XML, since the reader loops for ever when the file ends
/// inside a table or a cell annotation. Passes when there is no
/// `content.xml` (not an ODS file).
fn check_ods(bytes: &[u8]) -> Result<(), Broken> {
    use quick_xml::events::{BytesStart, Event};
    const MAX_COLUMNS: usize = 16_384;
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(());
    };
    let damaged = |what: &str| Err(Broken::Damaged(format!("content.xml: {what}")));
    let repeats = |e: &BytesStart<'_>, name: &str| -> usize {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|a| a.value.trim().parse().ok())
            .unwrap_or(1)
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buf = Vec::new();
    let (mut total, mut area_rows, mut width, mut pending) = (0usize, 0usize, 0usize, 0usize);
    // The open row: its repeat count, next column, and end of its last filled cell.
    let mut row: Option<(usize, usize, usize)> = None;
    // Open elements (the reader checks that end tags match them).
    let mut depth = 0usize;
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) if depth == 0 => break,
            Ok(Event::Eof) => return damaged("the file ends inside an element"),
            Err(e) => return damaged(&e.to_string()),
            Ok(event) => event,
        };
        let open = matches!(event, Event::Start(_));
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                row = Some((repeats(&e, "table:number-rows-repeated"), 0, 0));
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                pending = pending.saturating_add(repeats(&e, "table:number-rows-repeated"));
            }
            Event::Start(e) | Event::Empty(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                if let Some((_, at, filled)) = row.as_mut() {
                    let n = repeats(&e, "table:number-columns-repeated");
                    *at = at.saturating_add(n).min(MAX_COLUMNS);
                    // A cell with content or a value may be filled; an empty
                    // element without either is blank.
                    let valued = e
                        .try_get_attribute("office:value-type")
                        .ok()
                        .flatten()
                        .is_some()
                        || e.try_get_attribute("table:formula")
                            .ok()
                            .flatten()
                            .is_some();
                    if open || valued {
                        *filled = *at;
                    }
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if let Some((n, _, filled)) = row.take() {
                    total = total.saturating_add(filled);
                    if filled > 0 {
                        area_rows = area_rows.saturating_add(pending).saturating_add(n);
                        pending = 0;
                        width = width.max(filled);
                    } else {
                        pending = pending.saturating_add(n);
                    }
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                total = total.saturating_add(area_rows.saturating_mul(width));
                (area_rows, width, pending) = (0, 0, 0);
            }
            _ => {}
        }
        if total > MAX_CELLS {
            return Err(Broken::TooLarge);
        }
        buf.clear();
    }
    if total.saturating_add(area_rows.saturating_mul(width)) > MAX_CELLS {
        return Err(Broken::TooLarge);
    }
    Ok(())
}

/// Rows from a stream of cells, holding only the filled rows, each from the
/// leftmost filled column to its own last cell (what [`build`] keeps of a
/// dense range). Too large past [`MAX_CELLS`] cells.
fn sparse_rows<'a, E: std::fmt::Display>(
    mut next: impl FnMut() -> Result<Option<calamine::Cell<calamine::DataRef<'a>>>, E>,
) -> Result<RawRows, Broken> {
    let mut cells: Vec<((u32, u32), String)> = Vec::new();
    while let Some(cell) = next().map_err(|e| Broken::Damaged(e.to_string()))? {
        let value = Data::from(cell.get_value().clone());
        if value == Data::Empty {
            continue;
        }
        if cells.len() >= MAX_CELLS {
            return Err(Broken::TooLarge);
        }
        cells.push((cell.get_position(), cell_text(&value)));
    }
    // Stable: of two cells at one place the later wins, as in a range.
    cells.sort_by_key(|(at, _)| *at);
    let left = cells.iter().map(|((_, c), _)| *c).min().unwrap_or(0);
    let mut rows: RawRows = Vec::new();
    let mut held = 0usize;
    for ((row, col), text) in cells {
        let line = row as usize + 1;
        if rows.last().is_none_or(|(l, _)| *l != line) {
            rows.push((line, Vec::new()));
        }
        let Some((_, row)) = rows.last_mut() else {
            continue;
        };
        let at = (col - left) as usize;
        if at < row.len() {
            row[at] = text;
        } else {
            held += at + 1 - row.len();
            if held > MAX_CELLS {
                return Err(Broken::TooLarge);
            }
            row.resize(at, String::new());
            row.push(text);
        }
    }
    Ok(rows)
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
    // A `\r` alone ends a line too (the reader splits records there).
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|&(i, b)| is_line_end(text.as_bytes(), i, b))
        .map(|(i, _)| i)
        .collect();
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

/// Whether `b`, at `i` in `bytes`, ends a line: a `\n`, or a `\r` not
/// followed by one.
fn is_line_end(bytes: &[u8], i: usize, b: u8) -> bool {
    b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
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
        if is_line_end(bytes, i, b) {
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
    /// Property tests: arbitrary and damaged CSV, XLSX and ODS files.
    mod fuzz {
        use std::sync::OnceLock;

        use proptest::prelude::*;
        use proptest::sample::Index;

        use super::super::fuzz_support::{
            MAX_INPUT, XML_TOKENS, byte_mutations, config, damage_bytes, damage_part, line_count,
            mutated, mutation, rezip, soup,
        };
        use super::super::*;
        use super::{HEADERS, cells, sample};

        const CSV_TOKENS: &[&str] = &[
            "\"", "\"\"", ",", ";", "\t", "'=", "=", "+", "-", "@", "\",\"", "\"\n\"", ",,,,",
        ];

        const CSV_SAMPLES: &[&str] = &[
            "Họ và tên,Ngày sinh,Email\nNguyễn Văn An,15/03/1985,an@example.com\n\"Trần Thị \"\"Bình\"\"\",02/11/1990,binh@example.com\n",
            "\u{feff}Mã;Tên đơn vị;Cấp\r\n01;Thành phố Hà Nội;thành phố\r\n00070;\"Phường Hoàn Kiếm; cũ\";phường\r\n\r\n",
            "code\tname\tparent\n1\t\"dòng 1\ndòng 2\"\t\n2\tXã Bình Minh\t1\n",
            "\u{feff}Tên;Ghi chú\r\n\"An; Bình\";\"nói \"\"chào\"\"\"\r\n\r\n Cường ;\"hai\r\ndòng\"\r\n;\r\nDung;x\r\n",
            "Số điện thoại,Ghi chú\n'=1+1,'-5\n0912345678,\"a,b\"\n",
        ];

        /// Valid workbooks to damage: two XLSX and a hand-made ODS.
        fn workbooks() -> &'static [Vec<u8>] {
            static BOOKS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
            BOOKS.get_or_init(|| {
                let mut book = Workbook::new();
                let sheet = book.add_worksheet();
                sheet.write_string(1, 1, "Điện thoại").unwrap();
                sheet.write_string(1, 2, "Ngày").unwrap();
                sheet.write_number(2, 1, 912_345_678.0).unwrap();
                let date = rust_xlsxwriter::ExcelDateTime::from_ymd(1990, 3, 5).unwrap();
                let f = Format::new().set_num_format("dd/mm/yyyy");
                sheet.write_datetime_with_format(2, 2, &date, &f).unwrap();
                sheet.write_boolean(3, 1, true).unwrap();
                vec![
                    write_xlsx("Danh sách", &HEADERS, &sample()).unwrap(),
                    book.save_to_buffer().unwrap(),
                    ods(ODS_TABLE),
                ]
            })
        }

        const ODS_TABLE: &str = r#"<table:table table:name="Trang 1"><table:table-row><table:table-cell office:value-type="string"><text:p>Họ và tên</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Đơn vị</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>Lê Văn Cường</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="70"><text:p>70</text:p></table:table-cell></table:table-row></table:table>"#;

        /// A minimal ODS file with `table` as its only sheet.
        fn ods(table: &str) -> Vec<u8> {
            let content = format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{table}</office:spreadsheet></office:body></office:document-content>"#
            );
            rezip(&[
                (
                    "mimetype".into(),
                    b"application/vnd.oasis.opendocument.spreadsheet".to_vec(),
                ),
                ("content.xml".into(), content.into_bytes()),
                (
                    "META-INF/manifest.xml".into(),
                    br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#.to_vec(),
                ),
            ])
        }

        /// What [`read_table`] promises, for a file of `max_line` lines.
        fn check(result: &Result<Table, TableError>, max_line: usize) -> Result<(), TestCaseError> {
            match result {
                Ok(t) => {
                    prop_assert!(
                        t.headers.last().is_some_and(|h| !h.is_empty()),
                        "{:?}",
                        t.headers
                    );
                    prop_assert!(t.headers.iter().all(|h| h.trim() == h));
                    for r in &t.rows {
                        prop_assert!(r.cells.len() >= t.headers.len());
                        prop_assert!(r.cells.iter().all(|c| c.trim() == c));
                        prop_assert!(r.cells.iter().any(|c| !c.is_empty()));
                        prop_assert!(
                            (1..=max_line).contains(&r.line),
                            "line {} of {}",
                            r.line,
                            max_line
                        );
                    }
                    prop_assert!(
                        t.rows.windows(2).all(|w| w[0].line < w[1].line),
                        "{:?}",
                        t.rows.iter().map(|r| r.line).collect::<Vec<_>>()
                    );
                }
                Err(e) => {
                    if let Some(line) = e.line() {
                        prop_assert!(
                            (1..=max_line).contains(&line),
                            "{:?} in {} lines",
                            e,
                            max_line
                        );
                    }
                    prop_assert!(
                        !e.message(Lang::Vi).is_empty() && !e.message(Lang::En).is_empty()
                    );
                }
            }
            Ok(())
        }

        /// What reading `headers` and `rows` back should give: cells
        /// trimmed, blank rows dropped, trailing blank cells cut (as
        /// [`build`] does). Lines count from the header's 1: one a row in a
        /// workbook, in CSV also those inside quoted cells (`csv`).
        fn expected(
            headers: &[String],
            rows: &[Vec<String>],
            csv: bool,
        ) -> Result<Table, TableError> {
            let mut line = 1;
            let raw = std::iter::once(headers.to_vec())
                .chain(rows.iter().cloned())
                .map(|cells| {
                    let at = line;
                    line += 1;
                    if csv {
                        line += cells
                            .iter()
                            .map(|c| line_count(c.as_bytes()) - 1)
                            .sum::<usize>();
                    }
                    (at, cells)
                })
                .collect();
            build(raw)
        }

        fn cell() -> impl Strategy<Value = String> {
            prop_oneof![
                3 => "[ a-zA-Z0-9àáảãạăđêôơưỳỹ,;\"'=+@.-]{0,12}",
                1 => "\\PC{0,10}",
                1 => "[ \t\r\n]{0,3}[^\0]{0,6}[ \t\r\n]{0,3}",
                1 => Just("_x0041_".to_string()),
            ]
            // Excel forbids NUL; `read_table` refuses CSV text holding one.
            .prop_map(|s| s.replace('\0', ""))
        }

        fn grid() -> impl Strategy<Value = (Vec<String>, Vec<Vec<String>>)> {
            (1..6usize).prop_flat_map(|width| {
                (
                    // A first header, so no column is blank throughout.
                    (
                        "[a-zA-ZĐđ][ a-zA-Zà-ỹ0-9]{0,10}",
                        prop::collection::vec(cell(), width - 1),
                    )
                        .prop_map(|(first, rest)| std::iter::once(first).chain(rest).collect()),
                    prop::collection::vec(prop::collection::vec(cell(), 0..width + 2), 0..6),
                )
            })
        }

        /// Two cells at the corners of the sheet: a few kilobytes that
        /// calamine's dense range turned into 17 billion cells (it asked for
        /// 512 GiB and aborted the process). Read sparsely, they are one row.
        #[test]
        fn fuzz_table_far_apart_xlsx_cells_stay_small() {
            let mut book = Workbook::new();
            let sheet = book.add_worksheet();
            sheet.write_string(0, 0, "Họ và tên").unwrap();
            sheet.write_string(1_048_575, 16_383, "x").unwrap();
            let bytes = book.save_to_buffer().unwrap();
            assert!(bytes.len() < 10_000);
            let t = read_table(&bytes).unwrap();
            assert_eq!(t.headers, ["Họ và tên"]);
            assert_eq!(t.rows.len(), 1);
            assert_eq!(t.rows[0].line, 1_048_576);
            assert_eq!(t.rows[0].cells.len(), 16_384);
            assert_eq!(t.rows[0].cells.last().map(String::as_str), Some("x"));
            // Many rows reaching the last column: past the cell budget.
            let mut book = Workbook::new();
            let sheet = book.add_worksheet();
            sheet.write_string(0, 0, "Họ và tên").unwrap();
            for row in 1..=125 {
                sheet.write_string(row * 5000, 16_383, "x").unwrap();
            }
            let bytes = book.save_to_buffer().unwrap();
            assert!(bytes.len() < 20_000);
            assert_eq!(read_table(&bytes), Err(TableError::TooLarge));
        }

        /// A line ended by `\r` alone: the reader splits records there, and
        /// lines are counted there too.
        #[test]
        fn fuzz_table_lone_carriage_returns_end_lines() {
            let t = read_table("Mã;Tên\r\n01;Hà Nội\ra;b\n00070;\"Hoàn\rKiếm\"\r\nx;y".as_bytes())
                .unwrap();
            let lines: Vec<usize> = t.rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 3, 4, 6]);
            let e = read_table(b"a,b\r1,2\r3,\"x").unwrap_err();
            assert_eq!(e.line(), Some(3));
        }

        /// Rows and cells repeated by attribute: 1 KB of ODS that calamine
        /// expands to 50 million cells (several GB) while opening it.
        #[test]
        fn fuzz_table_repeated_ods_cells_are_refused() {
            let bytes = ods(
                r#"<table:table table:name="T"><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="50" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#,
            );
            assert!(bytes.len() < 2_000);
            assert_eq!(read_table(&bytes), Err(TableError::TooLarge));
            let wide = format!(
                r#"<table:table table:name="T">{}</table:table>"#,
                r#"<table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#.repeat(200)
            );
            assert_eq!(read_table(&ods(&wide)), Err(TableError::TooLarge));
            // What LibreOffice writes after the data: blank rows and columns
            // repeated to the sheet's end, which are not expanded.
            let table = ODS_TABLE.replace(
                "</table:table>",
                r#"<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#,
            );
            let t = read_table(&ods(&table)).unwrap();
            assert_eq!(t.headers, ["Họ và tên", "Đơn vị"]);
            assert_eq!(cells(&t), [(2, vec!["Lê Văn Cường", "70"])]);
        }

        /// calamine's ODS reader loops for ever on a `content.xml` that ends
        /// inside a table or a cell annotation (no end-of-file case in those
        /// loops): such a file is refused before it reaches the reader.
        #[test]
        fn fuzz_table_unfinished_ods_does_not_hang() {
            let unfinished = [
                r#"<table:table table:name="T"><table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#,
                r#"<table:table table:name="T"><table:table-row><table:table-cell office:value-type="string"><text:p>x</table:table></table:table-cell></table:table-row>"#,
                r#"<table:table table:name="T"><table:table-row><table:table-cell office:value-type="string"><office:annotation><text:p>ghi chú</text:p>"#,
            ];
            for table in unfinished {
                let bytes = ods(table).to_vec();
                // `ods` closes the document after the table: cut it there.
                let content = String::from_utf8(
                    super::super::fuzz_support::unzip(&bytes)
                        .into_iter()
                        .find(|(n, _)| n == "content.xml")
                        .unwrap()
                        .1,
                )
                .unwrap();
                let cut = &content[..content.find(table).unwrap() + table.len()];
                let mut entries = super::super::fuzz_support::unzip(&bytes);
                for (name, data) in &mut entries {
                    if name == "content.xml" {
                        *data = cut.as_bytes().to_vec();
                    }
                }
                let e = read_table(&rezip(&entries)).unwrap_err();
                assert!(matches!(e, TableError::Unreadable { .. }), "{e:?}");
            }
        }

        /// A legacy XLS (OLE compound file) of three 512-byte sectors:
        /// the header, a directory sector and a FAT sector whose entries are
        /// `fat` (sector 0 is the directory, sector 1 the FAT).
        fn ole(fat: &[u32]) -> Vec<u8> {
            let mut header = vec![0u8; 512];
            header[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
            header[24..26].copy_from_slice(&0x3Eu16.to_le_bytes()); // minor version
            header[26..28].copy_from_slice(&3u16.to_le_bytes()); // major version
            header[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes()); // byte order
            header[30..32].copy_from_slice(&9u16.to_le_bytes()); // 512-byte sectors
            header[32..34].copy_from_slice(&6u16.to_le_bytes()); // 64-byte mini sectors
            header[44..48].copy_from_slice(&1u32.to_le_bytes()); // one FAT sector
            header[48..52].copy_from_slice(&0u32.to_le_bytes()); // directory at sector 0
            header[56..60].copy_from_slice(&4096u32.to_le_bytes()); // mini stream cutoff
            header[60..64].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes()); // no mini FAT
            header[68..72].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes()); // no DIFAT sectors
            for i in 0..109 {
                let id: u32 = if i == 0 { 1 } else { 0xFFFF_FFFF };
                header[76 + 4 * i..80 + 4 * i].copy_from_slice(&id.to_le_bytes());
            }
            let mut directory = vec![0u8; 512];
            let name: Vec<u8> = "Root Entry"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            directory[..name.len()].copy_from_slice(&name);
            directory[64..66].copy_from_slice(&((name.len() + 2) as u16).to_le_bytes());
            directory[66] = 5; // root storage
            directory[116..120].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
            let mut fat_sector = vec![0xFFu8; 512];
            for (i, id) in fat.iter().enumerate() {
                fat_sector[4 * i..4 * i + 4].copy_from_slice(&id.to_le_bytes());
            }
            [header, directory, fat_sector].concat()
        }

        /// A FAT whose directory chain loops back on itself: calamine
        /// followed it for ever, 512 bytes more each turn.
        #[test]
        fn fuzz_table_looping_xls_chain_is_refused() {
            let looping = ole(&[0, 0xFFFF_FFFD]);
            assert_eq!(looping.len(), 1536);
            let e = read_table(&looping).unwrap_err();
            assert!(
                matches!(e, TableError::Unreadable { format: "XLS", .. }),
                "{e:?}"
            );
            // Two sectors pointing at each other, and a long way round.
            for fat in [&[2, 0xFFFF_FFFD, 0][..], &[2, 0xFFFF_FFFD, 3, 4, 0]] {
                assert!(read_table(&ole(fat)).is_err());
            }
            // A chain that ends is read (and found not to be a workbook).
            let e = read_table(&ole(&[0xFFFF_FFFE, 0xFFFF_FFFD])).unwrap_err();
            assert!(
                matches!(e, TableError::Unreadable { format: "XLS", .. }),
                "{e:?}"
            );
        }

        /// A part that inflates far beyond its size is refused before any
        /// reader holds it (a 66 KB file held a 63 MB cell).
        #[test]
        fn fuzz_table_inflating_xlsx_is_refused() {
            let base = write_xlsx("S", &["Họ và tên"], &[vec!["x".into()]]).unwrap();
            let mut entries = super::super::fuzz_support::unzip(&base);
            let sheet = entries
                .iter_mut()
                .find(|(n, _)| n.ends_with("sheet1.xml"))
                .unwrap();
            let xml = String::from_utf8(sheet.1.clone()).unwrap();
            let start = xml.find("<sheetData>").unwrap();
            let end = xml.find("</sheetData>").unwrap() + "</sheetData>".len();
            let big = "x".repeat(4 * 1024 * 1024);
            sheet.1 = format!(
                r#"{}<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{big}</t></is></c></row></sheetData>{}"#,
                &xml[..start],
                &xml[end..]
            )
            .into_bytes();
            let bytes = rezip(&entries);
            assert!(bytes.len() < 20_000);
            assert!(matches!(
                check_inflated_size(&bytes, 4 * 1024 * 1024),
                Err(Broken::TooLarge)
            ));
            assert!(check_inflated_size(&bytes, 5 * 1024 * 1024).is_ok());
            assert!(check_inflated_size(&bytes[..bytes.len() / 2], 1).is_ok());
            assert_eq!(read_table(&bytes).unwrap().headers[0].len(), big.len());
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn fuzz_table_arbitrary_bytes(
                magic in prop::sample::select(vec![&b""[..], b"PK\x03\x04", b"\xD0\xCF\x11\xE0", b"\xEF\xBB\xBF"]),
                bytes in soup(CSV_TOKENS),
            ) {
                let bytes = [magic, &bytes].concat();
                check(&read_table(&bytes), line_count(&bytes))?;
            }

            #[test]
            fn fuzz_table_ole_allocation_tables(
                fat in prop::collection::vec(
                    prop_oneof![4 => 0..6u32, 1 => prop::sample::select(vec![0xFFFF_FFFA, 0xFFFF_FFFC, 0xFFFF_FFFD, 0xFFFF_FFFE, 0xFFFF_FFFF])],
                    0..8,
                ),
                cut in any::<Index>(),
            ) {
                let mut bytes = ole(&fat);
                bytes.truncate(cut.index(bytes.len()) + 512);
                check(&read_table(&bytes), usize::MAX)?;
            }

            #[test]
            fn fuzz_table_mutated_csv(bytes in mutated(CSV_SAMPLES, CSV_TOKENS)) {
                prop_assert!(bytes.len() <= MAX_INPUT);
                check(&read_table(&bytes), line_count(&bytes))?;
            }

            #[test]
            fn fuzz_table_csv_round_trip((headers, rows) in grid()) {
                // The sniffer reads `;` or a tab outside quotes in the header as
                // the delimiter; `write_csv` quotes only commas. A cell that
                // starts with `'` and a formula character reads back without
                // the `'` (the formula guard cannot tell them apart).
                let guarded = |c: &String| c.trim_start().strip_prefix('\'').is_some_and(|r| r.starts_with(FORMULA_STARTS));
                prop_assume!(headers.iter().all(|h| !h.contains([';', '\t'])));
                prop_assume!(!headers.iter().chain(rows.iter().flatten()).any(guarded));
                let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
                let bytes = write_csv(&header_refs, &rows).unwrap();
                prop_assert_eq!(read_table(&bytes), expected(&headers, &rows, true));
            }
        }

        proptest! {
            // Writing and reading workbooks is slower: fewer cases.
            #![proptest_config(config(48))]

            #[test]
            fn fuzz_table_xlsx_round_trip((headers, rows) in grid()) {
                let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
                let bytes = write_xlsx("Trang 1", &header_refs, &rows).unwrap();
                prop_assert_eq!(read_table(&bytes), expected(&headers, &rows, false));
            }

            #[test]
            fn fuzz_table_damaged_workbook_bytes(which in any::<Index>(), mutations in byte_mutations()) {
                let bytes = damage_bytes(which.get::<Vec<u8>>(workbooks()), &mutations);
                check(&read_table(&bytes), usize::MAX)?;
            }

            #[test]
            fn fuzz_table_damaged_workbook_parts(
                which in any::<Index>(),
                part in any::<Index>(),
                mutations in prop::collection::vec(mutation(XML_TOKENS), 1..6),
            ) {
                let bytes = damage_part(which.get::<Vec<u8>>(workbooks()), &part, &mutations);
                check(&read_table(&bytes), usize::MAX)?;
            }
        }
    }
}

/// Pieces shared by the importers' property tests (each module's
/// `tests::fuzz`): the case count, a bound on input sizes, random mutations
/// of valid samples, and the checks every question importer promises.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod fuzz_support {
    use std::io::{Cursor, Read, Write};

    use proptest::prelude::*;
    use proptest::sample::Index;

    use crate::domain::question::ParsedFile;

    /// No generated or mutated input is longer than this.
    pub(crate) const MAX_INPUT: usize = 64 * 1024;

    /// A config running `cases` cases, or `PROPTEST_CASES` when it is set
    /// (the long run: `PROPTEST_CASES=100000 cargo test --release --lib fuzz`).
    pub(crate) fn config(cases: u32) -> ProptestConfig {
        ProptestConfig {
            cases: std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(cases),
            ..ProptestConfig::default()
        }
    }

    /// Pieces that trouble most text readers, added to each format's own.
    const COMMON: &[&str] = &[
        "\n", "\r\n", "\r", "\n\n", "\u{feff}", "\0", " ", "\t", "\"", "'", ",", ";", "\\", "é",
        "e\u{301}", "Đ", "ữ", "\u{202e}", "\u{fffd}", "𝔸",
    ];

    /// One random change to a byte string.
    #[derive(Clone, Debug)]
    pub(crate) enum Mutation {
        Delete { at: Index, len: usize },
        Duplicate { at: Index, len: usize },
        Insert { at: Index, bytes: Vec<u8> },
        Flip { at: Index, mask: u8 },
        SwapLines(Index, Index),
        Truncate(Index),
    }

    fn tokens(own: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> + Clone {
        let all: Vec<&'static str> = own.iter().chain(COMMON).copied().collect();
        prop::sample::select(all).prop_map(|t| t.as_bytes().to_vec())
    }

    /// A mutation that inserts the format's own `tokens` (`{`, `::`, `<`…)
    /// more often than anything else.
    pub(crate) fn mutation(own: &'static [&'static str]) -> impl Strategy<Value = Mutation> {
        let insert = prop_oneof![
            5 => tokens(own),
            2 => prop::collection::vec(any::<u8>(), 1..8),
            1 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
            1 => (tokens(own), 2..200usize).prop_map(|(t, n)| t.repeat(n)),
        ];
        prop_oneof![
            3 => (any::<Index>(), 1..40usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
            2 => (any::<Index>(), 1..80usize).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
            6 => (any::<Index>(), insert).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
            1 => (any::<Index>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
            2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
            1 => any::<Index>().prop_map(Mutation::Truncate),
        ]
    }

    /// Applies `m`, keeping the result within [`MAX_INPUT`].
    pub(crate) fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
        let n = bytes.len();
        match m {
            Mutation::Insert { at, bytes: new } => {
                let at = at.index(n + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            _ if n == 0 => {}
            Mutation::Delete { at, len } => {
                let at = at.index(n);
                bytes.drain(at..(at + len).min(n));
            }
            Mutation::Duplicate { at, len } => {
                let at = at.index(n);
                let piece = bytes[at..(at + len).min(n)].to_vec();
                bytes.splice(at..at, piece);
            }
            Mutation::Flip { at, mask } => bytes[at.index(n)] ^= mask,
            Mutation::SwapLines(a, b) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
                *bytes = lines.join(&b'\n');
            }
            Mutation::Truncate(at) => bytes.truncate(at.index(n)),
        }
        bytes.truncate(MAX_INPUT);
    }

    /// One of `samples` with 1–8 random mutations.
    pub(crate) fn mutated(
        samples: &'static [&'static str],
        own: &'static [&'static str],
    ) -> impl Strategy<Value = Vec<u8>> {
        (
            prop::sample::select(samples),
            prop::collection::vec(mutation(own), 1..8),
        )
            .prop_map(|(sample, mutations)| {
                let mut bytes = sample.as_bytes().to_vec();
                for m in &mutations {
                    apply(&mut bytes, m);
                }
                bytes
            })
    }

    /// [`mutated`] as text, invalid UTF-8 replaced, for readers of `&str`.
    pub(crate) fn mutated_text(
        samples: &'static [&'static str],
        own: &'static [&'static str],
    ) -> impl Strategy<Value = String> {
        mutated(samples, own).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Arbitrary bytes, invalid UTF-8 included, made mostly of the format's
    /// `own` tokens, text and random bytes.
    pub(crate) fn soup(own: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            4 => tokens(own),
            2 => "\\PC{1,8}".prop_map(String::into_bytes),
            1 => prop::collection::vec(any::<u8>(), 1..8),
        ];
        prop::collection::vec(piece, 0..80).prop_map(|v| v.concat())
    }

    /// [`soup`] as text, for readers of `&str`.
    pub(crate) fn soup_text(own: &'static [&'static str]) -> impl Strategy<Value = String> {
        soup(own).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// How many lines `bytes` has: every `\n` and every `\r` not before a
    /// `\n` ends one. A reported line is never past this.
    pub(crate) fn line_count(bytes: &[u8]) -> usize {
        let lone_cr = bytes
            .windows(2)
            .filter(|w| w[0] == b'\r' && w[1] != b'\n')
            .count()
            + usize::from(bytes.last() == Some(&b'\r'));
        1 + bytes.iter().filter(|&&b| b == b'\n').count() + lone_cr
    }

    /// What every question importer promises: each question passes
    /// [`QuestionDraft::validate`](crate::domain::question::QuestionDraft::validate)
    /// (a stem, enough distinct non-empty options, a right one, a module),
    /// every line is in `1..=max_line`, questions come in file order.
    pub(crate) fn check_parsed(parsed: &ParsedFile, max_line: usize) -> Result<(), TestCaseError> {
        for (line, q) in &parsed.questions {
            prop_assert!(
                q.validate().is_ok(),
                "line {}: {:?}: {:?}",
                line,
                q.validate(),
                q
            );
            prop_assert!(q.options.iter().any(|o| o.correct));
            prop_assert!(!q.stem.trim().is_empty());
        }
        for (line, message) in parsed
            .questions
            .iter()
            .map(|(l, _)| (l, "question"))
            .chain(parsed.skipped.iter().map(|(l, m)| (l, m.as_str())))
            .chain(parsed.errors.iter().map(|(l, m)| (l, m.as_str())))
        {
            prop_assert!(
                (1..=max_line).contains(line),
                "line {} not in 1..={}: {}",
                line,
                max_line,
                message
            );
            prop_assert!(!message.trim().is_empty());
        }
        prop_assert!(
            parsed.questions.windows(2).all(|w| w[0].0 <= w[1].0),
            "questions out of order: {:?}",
            parsed.questions.iter().map(|(l, _)| l).collect::<Vec<_>>()
        );
        Ok(())
    }

    /// The entries (name, data) of a ZIP archive.
    pub(crate) fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut f = archive.by_index(i).unwrap();
                let mut data = Vec::new();
                f.read_to_end(&mut data).unwrap();
                (String::from_utf8_lossy(f.name_raw()).into_owned(), data)
            })
            .collect()
    }

    /// A ZIP archive of `entries`, deflated.
    pub(crate) fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(name.as_str(), options).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// XML tokens for mutating the parts of an office file.
    pub(crate) const XML_TOKENS: &[&str] = &[
        "<",
        ">",
        "</",
        "/>",
        "&",
        "&amp;",
        "&#x0;",
        "&#xFFFF;",
        "&lt;",
        "\"",
        "=",
        "<c r=\"XFD1048576\"><v>1</v></c>",
        "<c r=\"A1\" t=\"s\"><v>99999</v></c>",
        "<row r=\"0\">",
        "<si><t>x</t></si>",
        "<![CDATA[",
        "]]>",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
        "&a;",
        "_x0000_",
        "t=\"inlineStr\"",
        "<is><t>",
        "r=\"A1\"",
        "r=\"ZZZZZZZ9999999999\"",
    ];

    /// A valid workbook with `mutations` applied to one of its parts (the
    /// ZIP itself stays valid, so the spreadsheet reader meets the damage).
    pub(crate) fn damage_part(workbook: &[u8], part: &Index, mutations: &[Mutation]) -> Vec<u8> {
        let mut entries = unzip(workbook);
        let victim = part.index(entries.len());
        for m in mutations {
            apply(&mut entries[victim].1, m);
        }
        rezip(&entries)
    }

    /// A valid workbook (or any ZIP) with `mutations` applied to its bytes.
    pub(crate) fn damage_bytes(workbook: &[u8], mutations: &[Mutation]) -> Vec<u8> {
        let mut bytes = workbook.to_vec();
        for m in mutations {
            apply(&mut bytes, m);
        }
        bytes
    }

    /// Mutations of binary files: flips and cuts more than insertions.
    pub(crate) fn byte_mutations() -> impl Strategy<Value = Vec<Mutation>> {
        let m = prop_oneof![
            4 => (any::<Index>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
            1 => (any::<Index>(), 1..40usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
            1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
                .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
            1 => any::<Index>().prop_map(Mutation::Truncate),
        ];
        prop::collection::vec(m, 1..6)
    }
}
