//! Runs the automatic checks of practical tasks on uploaded `.xlsx`,
//! `.docx` and `.pptx` files.
//!
//! [`run_check`] opens the package (at most 5,000 entries; every part is
//! inflated through a bounded reader that stops at 20 MiB and verifies the
//! checksum), follows the relationships from the package root to the parts
//! a check needs (never fixed part names: LibreOffice numbers chart parts
//! per process, its first sheet is `rId2`, slide order is the order of
//! `p:sldIdLst`), and says in plain words, in Vietnamese and English, what
//! it found. It never panics; a file that cannot be read fails with
//! "cannot be read: …".
//!
//! What LibreOffice and Microsoft Office write differently, and how it is
//! allowed for, is in `tests/fixtures/practical/README.md`: the `tx`
//! title-slide layout, empty `p:transition` elements, transitions inside
//! `mc:AlternateContent`, `[$-409]` locale prefixes in number formats,
//! Excel's built-in number formats, shared and array formulas, `_xlfn.`
//! prefixes, heading styles resolved through `styles.xml` by name or outline
//! level, and margins in twips (or universal measures).
use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use crate::domain::office::{Archive, EntryError, Flow, Node, OpenError, percent_decode, walk_xml};
use crate::domain::office_checks::{Cell, Check, Outcome, column_index, parse_cell, parse_range};

/// Packages with more entries are not read.
const MAX_ENTRIES: usize = 5_000;
/// No part is inflated beyond this.
const PART_CAP: u64 = 20 * 1024 * 1024;
/// Twips per millimetre (1440 / 25.4).
const TWIPS_PER_MM: f64 = 1440.0 / 25.4;

/// Runs `check` on the bytes of an uploaded file. Never panics: anything
/// that is not a readable package of the right kind fails with a reason.
pub fn run_check(check: &Check, bytes: &[u8]) -> Outcome {
    // The reader is written not to panic; this is a last line of defence
    // against a panic in a dependency on hostile input.
    std::panic::catch_unwind(|| checked(check, bytes)).unwrap_or_else(|_| {
        Outcome::new(
            false,
            "Không đọc được tệp: lỗi khi đọc nội dung",
            "The file cannot be read: internal error while reading it",
        )
    })
}

/// [`run_check`] without the panic guard (the property tests call this so
/// that a panic is seen).
fn checked(check: &Check, bytes: &[u8]) -> Outcome {
    let result = Package::open(bytes).and_then(|mut pkg| {
        let pkg = &mut pkg;
        match check {
            Check::XlsxFormula {
                range,
                function,
                sheet,
            } => xlsx_formula(pkg, range, function, sheet.as_deref()),
            Check::XlsxChart { chart_type, sheet } => xlsx_chart(pkg, chart_type, sheet.as_deref()),
            Check::XlsxNumberFormat {
                range,
                format,
                sheet,
            } => xlsx_number_format(pkg, range, format, sheet.as_deref()),
            Check::XlsxColumnWidth {
                column,
                min_width,
                sheet,
            } => xlsx_column_width(pkg, column, *min_width, sheet.as_deref()),
            Check::DocxHeading { level, text } => docx_heading(pkg, *level, text.as_deref()),
            Check::DocxLandscape => docx_landscape(pkg),
            Check::DocxMargins {
                top_mm,
                bottom_mm,
                left_mm,
                right_mm,
                tolerance_mm,
            } => docx_margins(
                pkg,
                [*top_mm, *bottom_mm, *left_mm, *right_mm],
                *tolerance_mm,
            ),
            Check::DocxTable {
                min_rows,
                min_columns,
            } => docx_table(pkg, *min_rows, *min_columns),
            Check::DocxHeaderText { text } => docx_header_footer(pkg, text, false),
            Check::DocxFooterText { text } => docx_header_footer(pkg, text, true),
            Check::PptxSlideCount { min, max } => pptx_slide_count(pkg, *min, *max),
            Check::PptxLayout { slide, layout } => pptx_layout(pkg, *slide, layout),
            Check::PptxPicture { slide } => pptx_picture(pkg, *slide),
            Check::PptxTransition { slide } => pptx_transition(pkg, *slide),
        }
    });
    result.unwrap_or_else(|e| {
        Outcome::new(
            false,
            format!("Không đọc được tệp: {}", e.vi),
            format!("The file cannot be read: {}", e.en),
        )
    })
}

// ---------------------------------------------------------------------------
// Package access
// ---------------------------------------------------------------------------

/// Why a package cannot be read, in both languages.
#[derive(Debug)]
struct Unreadable {
    vi: String,
    en: String,
}

impl Unreadable {
    fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            vi: vi.into(),
            en: en.into(),
        }
    }

    fn missing(part: &str) -> Self {
        Self::new(
            format!("thiếu phần {part}"),
            format!("the part {part} is missing"),
        )
    }
}

type Res<T> = Result<T, Unreadable>;

/// One relationship of a part.
#[derive(Clone, Debug)]
struct Rel {
    id: String,
    /// The last segment of the relationship type (`worksheet`, `chart`, …),
    /// the same in transitional and strict OOXML.
    kind: String,
    /// The target part name, resolved against the source part.
    target: String,
}

/// A zip package being read.
struct Package<'a> {
    zip: Archive<'a>,
}

impl<'a> Package<'a> {
    fn open(bytes: &'a [u8]) -> Res<Self> {
        Archive::open(bytes, MAX_ENTRIES)
            .map(|zip| Package { zip })
            .map_err(|e| match e {
                OpenError::NotZip => Unreadable::new(
                    "không phải tệp Office (tệp nén zip)",
                    "not an Office file (zip package)",
                ),
                OpenError::TooManyEntries => Unreadable::new(
                    format!("tệp nén có hơn {MAX_ENTRIES} mục"),
                    format!("the zip package has more than {MAX_ENTRIES} entries"),
                ),
                OpenError::Broken(why) => Unreadable::new(
                    format!("tệp nén bị hỏng ({why})"),
                    format!("the zip package is damaged ({why})"),
                ),
            })
    }

    fn has(&self, name: &str) -> bool {
        self.zip.index_of(name).is_some()
    }

    /// The content of a part, `None` when there is no such part.
    fn read(&mut self, name: &str) -> Res<Option<Vec<u8>>> {
        let Some(index) = self.zip.index_of(name) else {
            return Ok(None);
        };
        match self.zip.read(index, PART_CAP, true) {
            Ok((_, data)) => Ok(Some(data)),
            Err(EntryError::Encrypted) => Err(Unreadable::new(
                format!("phần {name} được mã hóa"),
                format!("the part {name} is encrypted"),
            )),
            Err(EntryError::OverCap(part)) => Err(Unreadable::new(
                format!("phần {part} quá lớn (hơn 20 MB khi giải nén)"),
                format!("the part {part} is too large (over 20 MB uncompressed)"),
            )),
            Err(EntryError::OverDeclared(part)) => Err(Unreadable::new(
                format!("phần {part} bị hỏng (dài hơn kích thước khai báo)"),
                format!("the part {part} is damaged (longer than declared)"),
            )),
            Err(EntryError::Unsupported(why) | EntryError::Broken(why)) => Err(Unreadable::new(
                format!("phần bị hỏng: {why}"),
                format!("damaged part: {why}"),
            )),
        }
    }

    /// Walks the XML of a part; `false` when there is no such part.
    fn walk(&mut self, name: &str, f: impl FnMut(Node<'_>, &[String]) -> Flow) -> Res<bool> {
        let Some(data) = self.read(name)? else {
            return Ok(false);
        };
        walk_xml(&data, f).map_err(|why| {
            Unreadable::new(
                format!("lỗi XML trong {name}: {why}"),
                format!("XML error in {name}: {why}"),
            )
        })?;
        Ok(true)
    }

    /// Walks a part that must exist.
    fn walk_required(&mut self, name: &str, f: impl FnMut(Node<'_>, &[String]) -> Flow) -> Res<()> {
        if self.walk(name, f)? {
            Ok(())
        } else {
            Err(Unreadable::missing(name))
        }
    }

    /// Walks the main part of a package, which must exist and whose root
    /// element must be `root` (`workbook`, `document`, `presentation`):
    /// a file of another kind cannot be read as this one.
    fn walk_main(
        &mut self,
        name: &str,
        root: &str,
        ext: &str,
        mut f: impl FnMut(Node<'_>, &[String]) -> Flow,
    ) -> Res<()> {
        let mut wrong = false;
        let found = self.walk(name, |node, stack| {
            if stack.is_empty()
                && let Node::Open(e) = &node
                && e.local() != root
            {
                wrong = true;
                return Flow::Stop;
            }
            f(node, stack)
        })?;
        if !found {
            return Err(Unreadable::missing(name));
        }
        if wrong {
            return Err(Unreadable::new(
                format!("đây không phải tệp {ext}"),
                format!("this is not a {ext} file"),
            ));
        }
        Ok(())
    }

    /// The internal relationships of `source` ("" for the package root);
    /// none when it has no relationship part.
    fn rels(&mut self, source: &str) -> Res<Vec<Rel>> {
        let mut rels = Vec::new();
        self.walk(&rels_name(source), |node, _| {
            if let Node::Open(e) = node
                && e.local() == "Relationship"
                && !e
                    .attr("TargetMode")
                    .is_some_and(|m| m.eq_ignore_ascii_case("external"))
                && let (Some(id), Some(kind), Some(target)) =
                    (e.attr("Id"), e.attr("Type"), e.attr("Target"))
            {
                rels.push(Rel {
                    id,
                    kind: kind
                        .trim()
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                    target: resolve(source, &target),
                });
            }
            Flow::Go
        })?;
        Ok(rels)
    }

    /// The main part named by the root relationships, else `fallback`.
    fn main_part(&mut self, fallback: &str) -> Res<String> {
        let rels = self.rels("")?;
        Ok(rels
            .into_iter()
            .find(|r| r.kind == "officeDocument" && self.has(&r.target))
            .map_or_else(|| fallback.to_string(), |r| r.target))
    }
}

/// The relationship part of `source`: `xl/_rels/workbook.xml.rels`.
fn rels_name(source: &str) -> String {
    match source.rsplit_once('/') {
        _ if source.is_empty() => "_rels/.rels".to_string(),
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{source}.rels"),
    }
}

/// A relationship target resolved against its source part.
fn resolve(source: &str, target: &str) -> String {
    let target = percent_decode(target.trim()).replace('\\', "/");
    let target = target.split('#').next().unwrap_or_default();
    let mut parts: Vec<&str> = Vec::new();
    let relative = match target.strip_prefix('/') {
        Some(absolute) => absolute,
        None => {
            if let Some((dir, _)) = source.rsplit_once('/') {
                parts.extend(dir.split('/').filter(|s| !s.is_empty()));
            }
            target
        }
    };
    for segment in relative.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

fn parent(stack: &[String]) -> &str {
    stack.last().map_or("", String::as_str)
}

fn grandparent(stack: &[String]) -> &str {
    stack
        .len()
        .checked_sub(2)
        .and_then(|i| stack.get(i))
        .map_or("", String::as_str)
}

fn within(stack: &[String], name: &str) -> bool {
    stack.iter().any(|s| s == name)
}

fn truthy(value: Option<String>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        v == "1" || v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("on")
    })
}

fn parse_u32(value: Option<String>) -> Option<u32> {
    value.and_then(|v| v.trim().parse().ok())
}

fn parse_f64(value: Option<String>) -> Option<f64> {
    value
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// Text for comparisons: NFC, lower case, whitespace collapsed.
fn norm(s: &str) -> String {
    let lower = s.nfc().collect::<String>().to_lowercase();
    lower
        .nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// At most `max` characters of `s`, whitespace collapsed.
fn clip(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        s
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// A number with at most two decimals, a decimal comma in Vietnamese.
fn num(x: f64, vi: bool) -> String {
    let mut s = format!("{x:.2}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_string();
    }
    if vi { s.replace('.', ",") } else { s }
}

fn quoted_list(items: &[String], max: usize) -> String {
    let mut out: Vec<String> = items
        .iter()
        .take(max)
        .map(|s| format!("\"{}\"", clip(s, 60)))
        .collect();
    if items.len() > max {
        out.push("…".to_string());
    }
    out.join(", ")
}

fn pass(vi: impl Into<String>, en: impl Into<String>) -> Res<Outcome> {
    Ok(Outcome::new(true, vi, en))
}

fn fail(vi: impl Into<String>, en: impl Into<String>) -> Res<Outcome> {
    Ok(Outcome::new(false, vi, en))
}

// ---------------------------------------------------------------------------
// Spreadsheets
// ---------------------------------------------------------------------------

/// Column letters of a zero-based index.
fn col_letters(index: u32) -> String {
    let mut n = u64::from(index) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

fn cell_name(cell: Cell) -> String {
    format!("{}{}", col_letters(cell.0), cell.1)
}

fn range_name(from: Cell, to: Cell) -> String {
    if from == to {
        cell_name(from)
    } else {
        format!("{}:{}", cell_name(from), cell_name(to))
    }
}

/// The corners of a cell reference or range, without a size limit.
fn corners(reference: &str) -> Option<(Cell, Cell)> {
    let (a, b) = match reference.split_once(':') {
        Some((a, b)) => (parse_cell(a)?, parse_cell(b)?),
        None => {
            let c = parse_cell(reference)?;
            (c, c)
        }
    };
    Some(((a.0.min(b.0), a.1.min(b.1)), (a.0.max(b.0), a.1.max(b.1))))
}

fn inside(cell: Cell, from: Cell, to: Cell) -> bool {
    (from.0..=to.0).contains(&cell.0) && (from.1..=to.1).contains(&cell.1)
}

fn bad_range(range: &str) -> Res<Outcome> {
    fail(
        format!("Vùng ô không hợp lệ: {range}"),
        format!("Invalid cell range: {range}"),
    )
}

struct SheetRef {
    name: String,
    part: Option<String>,
}

struct Workbook {
    sheets: Vec<SheetRef>,
    rels: Vec<Rel>,
}

impl Workbook {
    fn related(&self, kind: &str, fallback: &str) -> String {
        self.rels
            .iter()
            .find(|r| r.kind == kind)
            .map_or_else(|| fallback.to_string(), |r| r.target.clone())
    }
}

fn workbook(pkg: &mut Package) -> Res<Workbook> {
    let part = pkg.main_part("xl/workbook.xml")?;
    let mut raw = Vec::new();
    pkg.walk_main(&part, "workbook", ".xlsx", |node, stack| {
        if let Node::Open(e) = node
            && e.local() == "sheet"
            && parent(stack) == "sheets"
        {
            raw.push((e.attr("name").unwrap_or_default(), e.ns_attr("id")));
        }
        Flow::Go
    })?;
    let rels = pkg.rels(&part)?;
    let sheets = raw
        .into_iter()
        .map(|(name, id)| SheetRef {
            name,
            part: id
                .and_then(|id| rels.iter().find(|r| r.id == id))
                .map(|r| r.target.clone()),
        })
        .collect();
    Ok(Workbook { sheets, rels })
}

/// The sheet asked for (exact name, else ignoring case), or the first one;
/// the failing outcome when there is none.
fn pick_sheet<'w>(wb: &'w Workbook, wanted: Option<&str>) -> Result<&'w SheetRef, Outcome> {
    match wanted {
        None => wb.sheets.first().ok_or_else(|| {
            Outcome::new(
                false,
                "Tệp không có trang tính nào",
                "The workbook has no sheet",
            )
        }),
        Some(wanted) => wb
            .sheets
            .iter()
            .find(|s| s.name == wanted)
            .or_else(|| {
                let key = norm(wanted);
                wb.sheets.iter().find(|s| norm(&s.name) == key)
            })
            .ok_or_else(|| {
                let names: Vec<String> = wb.sheets.iter().map(|s| s.name.clone()).collect();
                if names.is_empty() {
                    Outcome::new(
                        false,
                        format!(
                            "Không tìm thấy trang tính \"{wanted}\" (tệp không có trang tính nào)"
                        ),
                        format!("Sheet \"{wanted}\" not found (the workbook has no sheet)"),
                    )
                } else {
                    let list = quoted_list(&names, 8);
                    Outcome::new(
                        false,
                        format!("Không tìm thấy trang tính \"{wanted}\" (tệp có: {list})"),
                        format!("Sheet \"{wanted}\" not found (the workbook has: {list})"),
                    )
                }
            }),
    }
}

fn sheet_part(pkg: &Package, sheet: &SheetRef) -> Res<String> {
    match &sheet.part {
        Some(part) if pkg.has(part) => Ok(part.clone()),
        _ => Err(Unreadable::new(
            format!("thiếu phần dữ liệu của trang tính \"{}\"", sheet.name),
            format!("the part of sheet \"{}\" is missing", sheet.name),
        )),
    }
}

/// One `<c>` element.
#[derive(Clone, Debug, Default)]
struct XCell {
    has_formula: bool,
    formula: String,
    /// The `t` attribute of `<f>` (`shared`, `array`, …).
    formula_kind: String,
    shared_index: Option<String>,
    value: String,
    /// The `t` attribute of `<c>` (`s` shared string, `b`, `str`, …).
    kind: Option<String>,
    style: Option<u32>,
}

struct ColSpec {
    min: u32,
    max: u32,
    width: Option<f64>,
    hidden: bool,
    style: Option<u32>,
}

/// What a check needs of a worksheet: the cells of one range, shared and
/// array formulas, row and column styles, column widths.
#[derive(Default)]
struct SheetScan {
    cells: HashMap<Cell, XCell>,
    /// Shared formula index → the master's formula.
    shared: HashMap<String, String>,
    /// Array formulas: (from, to, formula).
    arrays: Vec<(Cell, Cell, String)>,
    /// Rows of the range with a row style (`customFormat`).
    row_styles: HashMap<u32, u32>,
    cols: Vec<ColSpec>,
    default_width: Option<f64>,
    base_width: Option<f64>,
}

impl SheetScan {
    /// The formula a cell holds: its own, the master of its shared formula,
    /// or the array formula that covers it.
    fn formula(&self, at: Cell) -> Option<String> {
        if let Some(c) = self.cells.get(&at)
            && c.has_formula
        {
            let own = c.formula.trim();
            if !own.is_empty() {
                return Some(own.to_string());
            }
            if c.formula_kind == "shared"
                && let Some(master) = c.shared_index.as_ref().and_then(|si| self.shared.get(si))
            {
                return Some(master.clone());
            }
        }
        self.arrays
            .iter()
            .find(|(from, to, _)| inside(at, *from, *to))
            .map(|(_, _, f)| f.clone())
    }

    fn col(&self, index: u32) -> Option<&ColSpec> {
        let number = index.saturating_add(1);
        self.cols.iter().find(|c| (c.min..=c.max).contains(&number))
    }

    /// The style index of a cell: its own; for a missing cell the row's
    /// style, else the column's.
    fn style(&self, at: Cell) -> u32 {
        match self.cells.get(&at) {
            Some(c) => c.style.unwrap_or(0),
            None => self
                .row_styles
                .get(&at.1)
                .copied()
                .or_else(|| self.col(at.0).and_then(|c| c.style))
                .unwrap_or(0),
        }
    }

    fn default_width(&self) -> f64 {
        self.default_width
            .or(self.base_width.map(|b| b + 0.43))
            .unwrap_or(8.43)
    }
}

fn scan_sheet(pkg: &mut Package, part: &str, (from, to): (Cell, Cell)) -> Res<SheetScan> {
    let mut scan = SheetScan::default();
    let mut row: u32 = 0;
    let mut last_col: Option<u32> = None;
    let mut cur: Option<(Option<Cell>, XCell)> = None;
    let mut array_ref: Option<String> = None;
    pkg.walk_required(part, |node, stack| {
        match node {
            Node::Open(e) => match e.local() {
                "row" if parent(stack) == "sheetData" => {
                    row = parse_u32(e.attr("r")).unwrap_or_else(|| row.saturating_add(1));
                    last_col = None;
                    if (from.1..=to.1).contains(&row)
                        && truthy(e.attr("customFormat"))
                        && let Some(s) = parse_u32(e.attr("s"))
                    {
                        scan.row_styles.insert(row, s);
                    }
                }
                "c" if parent(stack) == "row" => {
                    let pos = e.attr("r").and_then(|r| parse_cell(&r)).or_else(|| {
                        let col = last_col.map_or(Some(0), |c| c.checked_add(1));
                        col.filter(|_| row >= 1).map(|c| (c, row))
                    });
                    if let Some(p) = pos {
                        last_col = Some(p.0);
                    }
                    cur = Some((
                        pos,
                        XCell {
                            kind: e.attr("t"),
                            style: parse_u32(e.attr("s")),
                            ..XCell::default()
                        },
                    ));
                }
                "f" if parent(stack) == "c" => {
                    if let Some((_, c)) = cur.as_mut() {
                        c.has_formula = true;
                        c.formula_kind = e.attr("t").unwrap_or_default();
                        c.shared_index = e.attr("si");
                        array_ref = e.attr("ref");
                    }
                }
                "col" if parent(stack) == "cols" => {
                    if let (Some(min), Some(max)) =
                        (parse_u32(e.attr("min")), parse_u32(e.attr("max")))
                    {
                        scan.cols.push(ColSpec {
                            min,
                            max,
                            width: parse_f64(e.attr("width")),
                            hidden: truthy(e.attr("hidden")),
                            style: parse_u32(e.attr("style")),
                        });
                    }
                }
                "sheetFormatPr" => {
                    scan.default_width = parse_f64(e.attr("defaultColWidth"));
                    scan.base_width = parse_f64(e.attr("baseColWidth"));
                }
                _ => {}
            },
            Node::Text(t) => {
                if let Some((_, c)) = cur.as_mut() {
                    match parent(stack) {
                        "f" if grandparent(stack) == "c" => c.formula.push_str(t),
                        "v" if grandparent(stack) == "c" => c.value.push_str(t),
                        "t" if within(stack, "is") && !within(stack, "rPh") => c.value.push_str(t),
                        _ => {}
                    }
                }
            }
            Node::Close(name) => match name {
                "f" if parent(stack) == "c" => {
                    if let Some((_, c)) = &cur {
                        let text = c.formula.trim();
                        if !text.is_empty() {
                            if c.formula_kind == "shared"
                                && let Some(si) = &c.shared_index
                            {
                                scan.shared
                                    .entry(si.clone())
                                    .or_insert_with(|| text.to_string());
                            }
                            if c.formula_kind == "array"
                                && let Some((a, b)) = array_ref.as_deref().and_then(corners)
                            {
                                scan.arrays.push((a, b, text.to_string()));
                            }
                        }
                    }
                    array_ref = None;
                }
                "c" if parent(stack) == "row" => {
                    if let Some((Some(pos), c)) = cur.take()
                        && inside(pos, from, to)
                    {
                        scan.cells.insert(pos, c);
                    }
                }
                _ => {}
            },
        }
        Flow::Go
    })?;
    Ok(scan)
}

/// The text of shared string `index`, if it can be read.
fn shared_string(pkg: &mut Package, wb: &Workbook, index: usize) -> Option<String> {
    let part = wb.related("sharedStrings", "xl/sharedStrings.xml");
    let mut n = 0usize;
    let mut text = String::new();
    let mut found = false;
    let walked = pkg.walk(&part, |node, stack| {
        match node {
            Node::Close("si") if parent(stack) == "sst" => {
                if n == index {
                    found = true;
                    return Flow::Stop;
                }
                n += 1;
            }
            Node::Text(t) if n == index && parent(stack) == "t" && !within(stack, "rPh") => {
                text.push_str(t);
            }
            _ => {}
        }
        Flow::Go
    });
    (walked.is_ok() && found).then_some(text)
}

/// What a cell shows (shared strings resolved), for the detail.
fn shown_value(pkg: &mut Package, wb: &Workbook, cell: &XCell) -> String {
    let raw = cell.value.trim();
    match cell.kind.as_deref() {
        Some("s") => raw
            .parse::<usize>()
            .ok()
            .and_then(|i| shared_string(pkg, wb, i))
            .unwrap_or_else(|| raw.to_string()),
        Some("b") => match raw {
            "1" => "TRUE".to_string(),
            "0" => "FALSE".to_string(),
            other => other.to_string(),
        },
        _ => raw.to_string(),
    }
}

/// `formula` without its string literals.
fn strip_strings(formula: &str) -> String {
    let mut in_string = false;
    formula
        .chars()
        .filter(|c| {
            if *c == '"' {
                in_string = !in_string;
                return false;
            }
            !in_string
        })
        .collect()
}

fn bare_function(name: &str) -> String {
    let upper = name.trim().to_uppercase();
    let mut s = upper.as_str();
    loop {
        if let Some(rest) = s.strip_prefix("_XLFN.") {
            s = rest;
        } else if let Some(rest) = s.strip_prefix("_XLWS.") {
            s = rest;
        } else {
            break;
        }
    }
    s.to_string()
}

/// Whether `formula` calls `function` (case-insensitive, `_xlfn.` and
/// `_xlws.` prefixes ignored, not inside string literals, and not as the
/// tail of a longer name: `DSUM(` does not call `SUM`).
fn calls(formula: &str, function: &str) -> bool {
    let want = bare_function(function);
    if want.is_empty() {
        return false;
    }
    let text = strip_strings(formula)
        .to_uppercase()
        .replace("_XLFN.", "")
        .replace("_XLWS.", "");
    let needle = format!("{want}(");
    text.match_indices(&needle).any(|(i, _)| {
        text.get(..i)
            .and_then(|before| before.chars().next_back())
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'))
    })
}

fn shown_formula(f: &str) -> String {
    let f = clip(f, 80);
    if f.starts_with('=') {
        f
    } else {
        format!("={f}")
    }
}

fn xlsx_formula(
    pkg: &mut Package,
    range: &str,
    function: &str,
    sheet: Option<&str>,
) -> Res<Outcome> {
    let Some((from, to)) = parse_range(range) else {
        return bad_range(range);
    };
    let wb = workbook(pkg)?;
    let target = match pick_sheet(&wb, sheet) {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let part = sheet_part(pkg, target)?;
    let scan = scan_sheet(pkg, &part, (from, to))?;
    let name = bare_function(function);
    let range = range_name(from, to);
    let mut total = 0u32;
    let mut first_good: Option<(Cell, String)> = None;
    let mut first_bad: Option<(Cell, Option<String>)> = None;
    let mut bad = 0u32;
    for r in from.1..=to.1 {
        for c in from.0..=to.0 {
            total += 1;
            let formula = scan.formula((c, r));
            match formula {
                Some(f) if calls(&f, function) => {
                    if first_good.is_none() {
                        first_good = Some(((c, r), f));
                    }
                }
                other => {
                    bad += 1;
                    if first_bad.is_none() {
                        first_bad = Some(((c, r), other));
                    }
                }
            }
        }
    }
    let sheet_name = &target.name;
    match first_bad {
        None => {
            if total == 1
                && let Some((at, f)) = first_good
            {
                let f = shown_formula(&f);
                let at = cell_name(at);
                pass(
                    format!("{at} có công thức {name} trên trang tính \"{sheet_name}\": {f}"),
                    format!("{at} on sheet \"{sheet_name}\" holds a {name} formula: {f}"),
                )
            } else {
                pass(
                    format!(
                        "Cả {total} ô {range} trên trang tính \"{sheet_name}\" có công thức {name}"
                    ),
                    format!(
                        "All {total} cells of {range} on sheet \"{sheet_name}\" hold a {name} formula"
                    ),
                )
            }
        }
        Some((at, formula)) => {
            let cell = cell_name(at);
            let (mut vi, mut en) = match formula {
                Some(f) => {
                    let f = shown_formula(&f);
                    (
                        format!("{cell} có công thức {f}, không gọi hàm {name}"),
                        format!("{cell} holds {f}, which does not call {name}"),
                    )
                }
                None => {
                    let value = match scan.cells.get(&at) {
                        Some(x) => shown_value(pkg, &wb, x),
                        None => String::new(),
                    };
                    if value.trim().is_empty() {
                        (
                            format!("{cell} trống, không có công thức {name}"),
                            format!("{cell} is empty: no {name} formula"),
                        )
                    } else {
                        let value = clip(&value, 40);
                        (
                            format!("{cell} không có công thức {name} (giá trị {value})"),
                            format!("{cell} holds no {name} formula (value {value})"),
                        )
                    }
                }
            };
            if bad > 1 {
                let more = bad - 1;
                vi.push_str(&format!("; {more} ô khác trong {range} cũng không đạt"));
                en.push_str(&format!(
                    "; {more} more {} in {range} fail too",
                    if more == 1 { "cell" } else { "cells" }
                ));
            }
            vi.push_str(&format!(" (trang tính \"{sheet_name}\")"));
            en.push_str(&format!(" (sheet \"{sheet_name}\")"));
            fail(vi, en)
        }
    }
}

/// The chart type a `c:plotArea` child stands for.
fn chart_kind(local: &str) -> Option<&'static str> {
    Some(match local {
        "barChart" | "bar3DChart" => "bar",
        "lineChart" | "line3DChart" => "line",
        "pieChart" | "pie3DChart" | "ofPieChart" => "pie",
        "areaChart" | "area3DChart" => "area",
        "scatterChart" => "scatter",
        "doughnutChart" => "doughnut",
        "radarChart" => "radar",
        "bubbleChart" => "bubble",
        "stockChart" => "stock",
        "surfaceChart" | "surface3DChart" => "surface",
        _ => return None,
    })
}

fn chart_label(kind: &str, vi: bool) -> String {
    let (v, e) = match kind {
        "bar" => ("cột/thanh (bar)", "bar/column"),
        "line" => ("đường (line)", "line"),
        "pie" => ("tròn (pie)", "pie"),
        "area" => ("vùng (area)", "area"),
        "scatter" => ("phân tán (scatter)", "scatter"),
        "doughnut" => ("vành khuyên (doughnut)", "doughnut"),
        "radar" => ("radar", "radar"),
        "bubble" => ("bong bóng (bubble)", "bubble"),
        "stock" => ("chứng khoán (stock)", "stock"),
        "surface" => ("bề mặt (surface)", "surface"),
        other => (other, other),
    };
    if vi { v.to_string() } else { e.to_string() }
}

/// The chart types drawn on a sheet: sheet → drawing → chart, through the
/// relationships.
fn sheet_chart_kinds(pkg: &mut Package, part: &str) -> Res<Vec<&'static str>> {
    let mut kinds = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for drawing in pkg.rels(part)?.into_iter().filter(|r| r.kind == "drawing") {
        for chart in pkg
            .rels(&drawing.target)?
            .into_iter()
            .filter(|r| r.kind == "chart")
        {
            if seen.contains(&chart.target) {
                continue;
            }
            seen.push(chart.target.clone());
            pkg.walk(&chart.target, |node, stack| {
                if let Node::Open(e) = node
                    && parent(stack) == "plotArea"
                    && let Some(kind) = chart_kind(e.local())
                    && !kinds.contains(&kind)
                {
                    kinds.push(kind);
                }
                Flow::Go
            })?;
        }
    }
    Ok(kinds)
}

fn xlsx_chart(pkg: &mut Package, chart_type: &str, sheet: Option<&str>) -> Res<Outcome> {
    let wb = workbook(pkg)?;
    let (targets, picked): (Vec<&SheetRef>, Option<String>) = match sheet {
        Some(_) => match pick_sheet(&wb, sheet) {
            Ok(s) => (vec![s], Some(s.name.clone())),
            Err(outcome) => return Ok(outcome),
        },
        None => (wb.sheets.iter().collect(), None),
    };
    let mut found: Vec<(String, Vec<&'static str>)> = Vec::new();
    for target in targets {
        let Some(part) = target.part.as_deref().filter(|p| pkg.has(p)) else {
            continue;
        };
        let kinds = sheet_chart_kinds(pkg, part)?;
        if !kinds.is_empty() {
            found.push((target.name.clone(), kinds));
        }
    }
    let label_vi = chart_label(chart_type, true);
    let label_en = chart_label(chart_type, false);
    let (place_vi, place_en) = match &picked {
        Some(name) => (
            format!("trên trang tính \"{name}\""),
            format!("on sheet \"{name}\""),
        ),
        None => ("trong tệp".to_string(), "in the workbook".to_string()),
    };
    if let Some((name, _)) = found.iter().find(|(_, k)| k.contains(&chart_type)) {
        return pass(
            format!("Có biểu đồ {label_vi} trên trang tính \"{name}\""),
            format!("A {label_en} chart is on sheet \"{name}\""),
        );
    }
    if found.is_empty() {
        return fail(
            format!("Không có biểu đồ nào {place_vi}"),
            format!("No chart {place_en}"),
        );
    }
    let mut all: Vec<&str> = Vec::new();
    for kind in found.iter().flat_map(|(_, k)| k.iter().copied()) {
        if !all.contains(&kind) {
            all.push(kind);
        }
    }
    let list_vi: Vec<String> = all.iter().map(|k| chart_label(k, true)).collect();
    let list_en: Vec<String> = all.iter().map(|k| chart_label(k, false)).collect();
    fail(
        format!(
            "Không có biểu đồ {label_vi} {place_vi}; biểu đồ tìm thấy: {}",
            list_vi.join(", ")
        ),
        format!(
            "No {label_en} chart {place_en}; charts found: {}",
            list_en.join(", ")
        ),
    )
}

/// Number formats of the workbook.
#[derive(Default)]
struct Styles {
    custom: HashMap<u32, String>,
    /// `cellXfs`: the number format id of each cell style.
    xfs: Vec<u32>,
}

impl Styles {
    /// The number format (id, code) of a cell style.
    fn format(&self, style: u32) -> (u32, Option<String>) {
        let id = usize::try_from(style)
            .ok()
            .and_then(|i| self.xfs.get(i))
            .copied()
            .unwrap_or(0);
        let code = self
            .custom
            .get(&id)
            .cloned()
            .or_else(|| builtin_format(id).map(str::to_string));
        (id, code)
    }
}

fn styles(pkg: &mut Package, wb: &Workbook) -> Res<Styles> {
    let part = wb.related("styles", "xl/styles.xml");
    let mut styles = Styles::default();
    pkg.walk(&part, |node, stack| {
        if let Node::Open(e) = node {
            match e.local() {
                "numFmt" if parent(stack) == "numFmts" => {
                    if let (Some(id), Some(code)) =
                        (parse_u32(e.attr("numFmtId")), e.attr("formatCode"))
                    {
                        styles.custom.insert(id, code);
                    }
                }
                "xf" if parent(stack) == "cellXfs" => {
                    styles.xfs.push(parse_u32(e.attr("numFmtId")).unwrap_or(0));
                }
                _ => {}
            }
        }
        Flow::Go
    })?;
    Ok(styles)
}

/// Excel's built-in number formats (ECMA-376 part 1, 18.8.30; en-US).
fn builtin_format(id: u32) -> Option<&'static str> {
    Some(match id {
        0 => "General",
        1 => "0",
        2 => "0.00",
        3 => "#,##0",
        4 => "#,##0.00",
        5 => "$#,##0_);($#,##0)",
        6 => "$#,##0_);[Red]($#,##0)",
        7 => "$#,##0.00_);($#,##0.00)",
        8 => "$#,##0.00_);[Red]($#,##0.00)",
        9 => "0%",
        10 => "0.00%",
        11 => "0.00E+00",
        12 => "# ?/?",
        13 => "# ??/??",
        14 => "mm-dd-yy",
        15 => "d-mmm-yy",
        16 => "d-mmm",
        17 => "mmm-yy",
        18 => "h:mm AM/PM",
        19 => "h:mm:ss AM/PM",
        20 => "h:mm",
        21 => "h:mm:ss",
        22 => "m/d/yy h:mm",
        37 => "#,##0 ;(#,##0)",
        38 => "#,##0 ;[Red](#,##0)",
        39 => "#,##0.00;(#,##0.00)",
        40 => "#,##0.00;[Red](#,##0.00)",
        41 => "_(* #,##0_);_(* (#,##0);_(* \"-\"_);_(@_)",
        42 => "_(\"$\"* #,##0_);_(\"$\"* (#,##0);_(\"$\"* \"-\"_);_(@_)",
        43 => "_(* #,##0.00_);_(* (#,##0.00);_(* \"-\"??_);_(@_)",
        44 => "_(\"$\"* #,##0.00_);_(\"$\"* (#,##0.00);_(\"$\"* \"-\"??_);_(@_)",
        45 => "mm:ss",
        46 => "[h]:mm:ss",
        47 => "mmss.0",
        48 => "##0.0E+0",
        49 => "@",
        _ => return None,
    })
}

/// A format code for matching: `[$-409]` locale prefixes dropped,
/// `[$€-407]` reduced to its symbol, quotes and backslashes removed,
/// lower case (LibreOffice writes `DD/MM/YYYY`).
fn norm_format(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(start) = rest.find("[$") {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 2..).unwrap_or_default();
        match after.find(']') {
            Some(end) => {
                let inner = after.get(..end).unwrap_or_default();
                out.push_str(inner.split('-').next().unwrap_or_default());
                rest = after.get(end + 1..).unwrap_or_default();
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.chars()
        .filter(|c| *c != '"' && *c != '\\')
        .collect::<String>()
        .to_lowercase()
}

fn shown_format(id: u32, code: Option<&str>) -> String {
    match code {
        Some(code) => format!("\"{}\"", clip(code, 60)),
        None => format!("#{id}"),
    }
}

fn xlsx_number_format(
    pkg: &mut Package,
    range: &str,
    format: &str,
    sheet: Option<&str>,
) -> Res<Outcome> {
    let Some((from, to)) = parse_range(range) else {
        return bad_range(range);
    };
    let want = norm_format(format);
    let wb = workbook(pkg)?;
    let target = match pick_sheet(&wb, sheet) {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let part = sheet_part(pkg, target)?;
    let scan = scan_sheet(pkg, &part, (from, to))?;
    let styles = styles(pkg, &wb)?;
    let range = range_name(from, to);
    let sheet_name = &target.name;
    let mut total = 0u32;
    let mut bad = 0u32;
    let mut first_good: Option<(Cell, u32, Option<String>)> = None;
    let mut first_bad: Option<(Cell, u32, Option<String>)> = None;
    for r in from.1..=to.1 {
        for c in from.0..=to.0 {
            total += 1;
            let (id, code) = styles.format(scan.style((c, r)));
            let ok = !want.is_empty()
                && code
                    .as_deref()
                    .is_some_and(|k| norm_format(k).contains(&want));
            let slot = if ok { &mut first_good } else { &mut first_bad };
            if !ok {
                bad += 1;
            }
            if slot.is_none() {
                *slot = Some(((c, r), id, code));
            }
        }
    }
    match first_bad {
        None => {
            let example = first_good
                .map(|(at, id, code)| {
                    format!("{}: {}", cell_name(at), shown_format(id, code.as_deref()))
                })
                .unwrap_or_default();
            pass(
                format!(
                    "Cả {total} ô {range} trên trang tính \"{sheet_name}\" có định dạng số chứa \"{format}\" ({example})"
                ),
                format!(
                    "All {total} cells of {range} on sheet \"{sheet_name}\" have a number format containing \"{format}\" ({example})"
                ),
            )
        }
        Some((at, id, code)) => {
            let cell = cell_name(at);
            let shown = shown_format(id, code.as_deref());
            let mut vi = if code.is_some() {
                format!("{cell} có định dạng số {shown}, không chứa \"{format}\"")
            } else {
                format!("{cell} có mã định dạng số {shown} không xác định, không chứa \"{format}\"")
            };
            let mut en = if code.is_some() {
                format!("{cell} has the number format {shown}, which does not contain \"{format}\"")
            } else {
                format!(
                    "{cell} has the unknown number format {shown}, not one containing \"{format}\""
                )
            };
            if bad > 1 {
                let more = bad - 1;
                vi.push_str(&format!("; {more} ô khác trong {range} cũng không đạt"));
                en.push_str(&format!(
                    "; {more} more {} in {range} fail too",
                    if more == 1 { "cell" } else { "cells" }
                ));
            }
            vi.push_str(&format!(" (trang tính \"{sheet_name}\")"));
            en.push_str(&format!(" (sheet \"{sheet_name}\")"));
            fail(vi, en)
        }
    }
}

fn xlsx_column_width(
    pkg: &mut Package,
    column: &str,
    min_width: f64,
    sheet: Option<&str>,
) -> Res<Outcome> {
    let Some(index) = column_index(column) else {
        return fail(
            format!("Cột không hợp lệ: {column}"),
            format!("Invalid column: {column}"),
        );
    };
    let letters = col_letters(index);
    let wb = workbook(pkg)?;
    let target = match pick_sheet(&wb, sheet) {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let part = sheet_part(pkg, target)?;
    // The range is irrelevant here: scan a single cell.
    let scan = scan_sheet(pkg, &part, ((index, 1), (index, 1)))?;
    let sheet_name = &target.name;
    let need_vi = format!("yêu cầu ≥ {}", num(min_width, true));
    let need_en = format!("at least {} required", num(min_width, false));
    let col = scan.col(index);
    if col.is_some_and(|c| c.hidden) {
        return fail(
            format!("Cột {letters} bị ẩn ({need_vi}; trang tính \"{sheet_name}\")"),
            format!("Column {letters} is hidden ({need_en}; sheet \"{sheet_name}\")"),
        );
    }
    let (width, default) = match col.and_then(|c| c.width) {
        Some(w) => (w, false),
        None => (scan.default_width(), true),
    };
    let ok = width + 1e-9 >= min_width;
    let (vi, en) = if default {
        (
            format!(
                "Cột {letters} có độ rộng mặc định {} ({need_vi}; trang tính \"{sheet_name}\")",
                num(width, true)
            ),
            format!(
                "Column {letters} has the default width {} ({need_en}; sheet \"{sheet_name}\")",
                num(width, false)
            ),
        )
    } else {
        (
            format!(
                "Cột {letters} rộng {} ({need_vi}; trang tính \"{sheet_name}\")",
                num(width, true)
            ),
            format!(
                "Column {letters} is {} wide ({need_en}; sheet \"{sheet_name}\")",
                num(width, false)
            ),
        )
    };
    Ok(Outcome::new(ok, vi, en))
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

struct Docx {
    part: String,
    rels: Vec<Rel>,
}

fn docx(pkg: &mut Package) -> Res<Docx> {
    let part = pkg.main_part("word/document.xml")?;
    if !pkg.has(&part) {
        return Err(Unreadable::missing(&part));
    }
    let rels = pkg.rels(&part)?;
    Ok(Docx { part, rels })
}

/// One paragraph: its style id and its text.
struct Para {
    style: Option<String>,
    text: String,
}

/// Every paragraph of a part (in tables and text boxes too), in order of
/// their end.
fn paragraphs(pkg: &mut Package, part: &str, main: bool) -> Res<Vec<Para>> {
    let mut open: Vec<Para> = Vec::new();
    let mut done: Vec<Para> = Vec::new();
    let walk = |node: Node<'_>, stack: &[String]| {
        match node {
            Node::Open(e) => match e.local() {
                "p" => open.push(Para {
                    style: None,
                    text: String::new(),
                }),
                "pStyle" if parent(stack) == "pPr" && grandparent(stack) == "p" => {
                    if let Some(p) = open.last_mut() {
                        p.style = e.attr("val");
                    }
                }
                "tab" | "br" | "cr" if parent(stack) == "r" => {
                    if let Some(p) = open.last_mut() {
                        p.text.push(' ');
                    }
                }
                _ => {}
            },
            Node::Text(t) => {
                if parent(stack) == "t"
                    && let Some(p) = open.last_mut()
                {
                    p.text.push_str(t);
                }
            }
            Node::Close("p") => {
                if let Some(p) = open.pop() {
                    done.push(p);
                }
            }
            Node::Close(_) => {}
        }
        Flow::Go
    };
    if main {
        pkg.walk_main(part, "document", ".docx", walk)?;
    } else {
        pkg.walk_required(part, walk)?;
    }
    done.extend(open);
    Ok(done)
}

#[derive(Default)]
struct StyleDef {
    id: String,
    paragraph: bool,
    default: bool,
    name: Option<String>,
    based_on: Option<String>,
    outline: Option<u32>,
}

/// The heading level a style name says: `heading 1` (any case) → 1.
fn heading_name_level(name: &str) -> Option<u8> {
    let n = norm(name);
    let rest = n.strip_prefix("heading")?.trim();
    let level: u8 = rest.parse().ok()?;
    (1..=9).contains(&level).then_some(level)
}

/// Paragraph style ids → heading level, and the default paragraph style.
struct HeadingStyles {
    defs: HashMap<String, StyleDef>,
    default: Option<String>,
}

impl HeadingStyles {
    fn level(&self, id: Option<&str>) -> Option<u8> {
        let id = id.or(self.default.as_deref())?;
        if !self.defs.contains_key(id) {
            // An undefined style: trust an id like `Heading1`.
            return heading_name_level(id);
        }
        let mut current = id;
        for _ in 0..32 {
            let def = self.defs.get(current)?;
            if let Some(level) = def.name.as_deref().and_then(heading_name_level) {
                return Some(level);
            }
            if let Some(outline) = def.outline {
                // 0..=8 are outline levels 1..=9; 9 is body text.
                return u8::try_from(outline).ok().filter(|o| *o < 9).map(|o| o + 1);
            }
            current = def.based_on.as_deref()?;
        }
        None
    }

    fn name(&self, id: Option<&str>) -> String {
        let id = id.or(self.default.as_deref());
        match id {
            Some(id) => self
                .defs
                .get(id)
                .and_then(|d| d.name.clone())
                .unwrap_or_else(|| id.to_string()),
            None => "Normal".to_string(),
        }
    }
}

fn heading_styles(pkg: &mut Package, doc: &Docx) -> Res<HeadingStyles> {
    let part = doc
        .rels
        .iter()
        .find(|r| r.kind == "styles")
        .map_or_else(|| "word/styles.xml".to_string(), |r| r.target.clone());
    let mut defs: HashMap<String, StyleDef> = HashMap::new();
    let mut default = None;
    let mut cur: Option<StyleDef> = None;
    pkg.walk(&part, |node, stack| {
        match node {
            Node::Open(e) => match e.local() {
                "style" if parent(stack) == "styles" => {
                    cur = Some(StyleDef {
                        id: e.attr("styleId").unwrap_or_default(),
                        paragraph: e.attr("type").is_none_or(|t| t == "paragraph"),
                        default: truthy(e.attr("default")),
                        ..StyleDef::default()
                    });
                }
                "name" if parent(stack) == "style" => {
                    if let Some(s) = cur.as_mut() {
                        s.name = e.attr("val");
                    }
                }
                "basedOn" if parent(stack) == "style" => {
                    if let Some(s) = cur.as_mut() {
                        s.based_on = e.attr("val");
                    }
                }
                "outlineLvl" if parent(stack) == "pPr" && grandparent(stack) == "style" => {
                    if let Some(s) = cur.as_mut() {
                        s.outline = parse_u32(e.attr("val"));
                    }
                }
                _ => {}
            },
            Node::Close("style") if parent(stack) == "styles" => {
                if let Some(s) = cur.take()
                    && s.paragraph
                    && !s.id.is_empty()
                {
                    if s.default && default.is_none() {
                        default = Some(s.id.clone());
                    }
                    defs.entry(s.id.clone()).or_insert(s);
                }
            }
            _ => {}
        }
        Flow::Go
    })?;
    Ok(HeadingStyles { defs, default })
}

fn docx_heading(pkg: &mut Package, level: u8, text: Option<&str>) -> Res<Outcome> {
    let doc = docx(pkg)?;
    let styles = heading_styles(pkg, &doc)?;
    let paras = paragraphs(pkg, &doc.part, true)?;
    let at_level: Vec<&Para> = paras
        .iter()
        .filter(|p| styles.level(p.style.as_deref()) == Some(level))
        .collect();
    let texts: Vec<String> = at_level
        .iter()
        .map(|p| p.text.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    let Some(wanted) = text else {
        return match at_level.first() {
            Some(p) => pass(
                format!(
                    "Có {} đoạn tiêu đề cấp {level} (Heading {level}), ví dụ \"{}\"",
                    at_level.len(),
                    clip(&p.text, 60)
                ),
                format!(
                    "{} paragraph(s) styled Heading {level}, e.g. \"{}\"",
                    at_level.len(),
                    clip(&p.text, 60)
                ),
            ),
            None => fail(
                format!("Không có đoạn nào dùng kiểu tiêu đề cấp {level} (Heading {level})"),
                format!("No paragraph is styled Heading {level}"),
            ),
        };
    };
    let key = norm(wanted);
    if let Some(p) = at_level.iter().find(|p| norm(&p.text).contains(&key)) {
        return pass(
            format!("Có tiêu đề cấp {level}: \"{}\"", clip(&p.text, 80)),
            format!("Heading {level} found: \"{}\"", clip(&p.text, 80)),
        );
    }
    let (mut vi, mut en) = if at_level.is_empty() {
        (
            format!("Không có đoạn nào dùng kiểu tiêu đề cấp {level} (Heading {level})"),
            format!("No paragraph is styled Heading {level}"),
        )
    } else {
        let list = quoted_list(&texts, 3);
        (
            format!("Không có tiêu đề cấp {level} chứa \"{wanted}\" (tiêu đề cấp {level}: {list})"),
            format!("No heading {level} contains \"{wanted}\" (heading {level} text: {list})"),
        )
    };
    if let Some(p) = paras.iter().find(|p| norm(&p.text).contains(&key)) {
        let style = styles.name(p.style.as_deref());
        vi.push_str(&format!("; đoạn có \"{wanted}\" dùng kiểu \"{style}\""));
        en.push_str(&format!(
            "; the paragraph with \"{wanted}\" is styled \"{style}\""
        ));
    }
    fail(vi, en)
}

/// Page size and margins of a section, in twips.
#[derive(Clone, Default)]
struct Section {
    width: Option<f64>,
    height: Option<f64>,
    orient: Option<String>,
    /// top, bottom, left, right
    margins: Option<[f64; 4]>,
}

/// A twips measure, or a universal measure (`2.54cm`, `1in`, `72pt`).
fn twips(value: Option<String>) -> Option<f64> {
    let v = value?;
    let v = v.trim();
    let (number, factor) = [
        ("mm", TWIPS_PER_MM),
        ("cm", TWIPS_PER_MM * 10.0),
        ("in", 1440.0),
        ("pt", 20.0),
        ("pc", 240.0),
        ("pi", 240.0),
    ]
    .iter()
    .find_map(|(unit, factor)| v.strip_suffix(unit).map(|n| (n, *factor)))
    .unwrap_or((v, 1.0));
    number
        .trim()
        .parse::<f64>()
        .ok()
        .map(|n| n * factor)
        .filter(|n| n.is_finite())
}

/// The last section: the `w:sectPr` of the body (else the last one seen).
fn last_section(pkg: &mut Package, part: &str) -> Res<Option<Section>> {
    let mut cur: Option<Section> = None;
    let mut body: Option<Section> = None;
    let mut last: Option<Section> = None;
    pkg.walk_main(part, "document", ".docx", |node, stack| {
        match node {
            Node::Open(e) => {
                if within(stack, "sectPrChange") {
                    return Flow::Go;
                }
                match e.local() {
                    "sectPr" => cur = Some(Section::default()),
                    "pgSz" if parent(stack) == "sectPr" => {
                        if let Some(s) = cur.as_mut() {
                            s.width = twips(e.attr("w"));
                            s.height = twips(e.attr("h"));
                            s.orient = e.attr("orient");
                        }
                    }
                    "pgMar" if parent(stack) == "sectPr" => {
                        if let Some(s) = cur.as_mut() {
                            let side = |name: &str| twips(e.attr(name)).unwrap_or(0.0).abs();
                            s.margins =
                                Some([side("top"), side("bottom"), side("left"), side("right")]);
                        }
                    }
                    _ => {}
                }
            }
            Node::Close("sectPr") if !within(stack, "sectPrChange") => {
                if parent(stack) == "body" {
                    body = cur.take();
                } else if let Some(s) = cur.take() {
                    last = Some(s);
                }
            }
            _ => {}
        }
        Flow::Go
    })?;
    Ok(body.or(last))
}

fn docx_landscape(pkg: &mut Package) -> Res<Outcome> {
    let doc = docx(pkg)?;
    let section = last_section(pkg, &doc.part)?.unwrap_or_default();
    let (Some(w), Some(h)) = (section.width, section.height) else {
        return fail(
            "Không có thông tin khổ giấy (mặc định là trang dọc)",
            "No page size is set (portrait by default)",
        );
    };
    let landscape = section.orient.as_deref() == Some("landscape") || w > h;
    let size_vi = format!(
        "{} × {} mm",
        num(w / TWIPS_PER_MM, true),
        num(h / TWIPS_PER_MM, true)
    );
    let size_en = format!(
        "{} × {} mm",
        num(w / TWIPS_PER_MM, false),
        num(h / TWIPS_PER_MM, false)
    );
    if landscape {
        pass(
            format!("Trang nằm ngang ({size_vi})"),
            format!("The page is landscape ({size_en})"),
        )
    } else {
        fail(
            format!("Trang dọc, không nằm ngang ({size_vi})"),
            format!("The page is portrait, not landscape ({size_en})"),
        )
    }
}

fn docx_margins(
    pkg: &mut Package,
    wanted: [Option<f64>; 4],
    tolerance: Option<f64>,
) -> Res<Outcome> {
    let doc = docx(pkg)?;
    let tolerance = tolerance
        .filter(|t| t.is_finite() && *t >= 0.0)
        .unwrap_or(1.0);
    let section = last_section(pkg, &doc.part)?;
    let Some(margins) = section.and_then(|s| s.margins) else {
        return fail(
            "Không tìm thấy lề trang trong văn bản",
            "No page margins found in the document",
        );
    };
    let names_vi = ["trên", "dưới", "trái", "phải"];
    let names_en = ["top", "bottom", "left", "right"];
    let tol_vi = num(tolerance, true);
    let tol_en = num(tolerance, false);
    let mut good_vi = Vec::new();
    let mut good_en = Vec::new();
    let mut bad_vi = Vec::new();
    let mut bad_en = Vec::new();
    for i in 0..4 {
        let (Some(want), Some(have), Some(nv), Some(ne)) = (
            wanted.get(i).copied().flatten(),
            margins.get(i).map(|t| t / TWIPS_PER_MM),
            names_vi.get(i),
            names_en.get(i),
        ) else {
            continue;
        };
        if (have - want).abs() <= tolerance + 1e-9 {
            good_vi.push(format!("{nv} {} mm", num(have, true)));
            good_en.push(format!("{ne} {} mm", num(have, false)));
        } else {
            bad_vi.push(format!(
                "{nv} {} mm (yêu cầu {} ± {tol_vi} mm)",
                num(have, true),
                num(want, true)
            ));
            bad_en.push(format!(
                "{ne} {} mm ({} ± {tol_en} mm required)",
                num(have, false),
                num(want, false)
            ));
        }
    }
    if good_vi.is_empty() && bad_vi.is_empty() {
        return fail("Không có lề nào được yêu cầu", "No margin was asked for");
    }
    if bad_vi.is_empty() {
        pass(
            format!("Lề đúng: {} (sai số ± {tol_vi} mm)", good_vi.join(", ")),
            format!(
                "Margins match: {} (tolerance ± {tol_en} mm)",
                good_en.join(", ")
            ),
        )
    } else {
        let mut vi = format!("Lề chưa đúng: {}", bad_vi.join(", "));
        let mut en = format!("Margins off: {}", bad_en.join(", "));
        if !good_vi.is_empty() {
            vi.push_str(&format!("; đúng: {}", good_vi.join(", ")));
            en.push_str(&format!("; matching: {}", good_en.join(", ")));
        }
        fail(vi, en)
    }
}

/// Every table of a part (nested ones too): (rows, columns of the widest
/// row, horizontally merged cells counted by their span).
fn tables(pkg: &mut Package, part: &str) -> Res<Vec<(u32, u32)>> {
    struct Open {
        rows: u32,
        cols: u32,
        row_cells: u32,
    }
    let mut open: Vec<Open> = Vec::new();
    let mut done = Vec::new();
    pkg.walk_main(part, "document", ".docx", |node, stack| {
        match node {
            Node::Open(e) => match e.local() {
                "tbl" => open.push(Open {
                    rows: 0,
                    cols: 0,
                    row_cells: 0,
                }),
                "tr" => {
                    if let Some(t) = open.last_mut() {
                        t.rows = t.rows.saturating_add(1);
                        t.row_cells = 0;
                    }
                }
                "tc" => {
                    if let Some(t) = open.last_mut() {
                        t.row_cells = t.row_cells.saturating_add(1);
                    }
                }
                "gridSpan" if parent(stack) == "tcPr" => {
                    if let Some(t) = open.last_mut()
                        && let Some(span) = parse_u32(e.attr("val"))
                    {
                        t.row_cells = t.row_cells.saturating_add(span.clamp(1, 1000) - 1);
                    }
                }
                _ => {}
            },
            Node::Close("tr") => {
                if let Some(t) = open.last_mut() {
                    t.cols = t.cols.max(t.row_cells);
                }
            }
            Node::Close("tbl") => {
                if let Some(t) = open.pop() {
                    done.push((t.rows, t.cols));
                }
            }
            _ => {}
        }
        Flow::Go
    })?;
    done.extend(open.iter().map(|t| (t.rows, t.cols.max(t.row_cells))));
    Ok(done)
}

fn docx_table(pkg: &mut Package, min_rows: u32, min_columns: Option<u32>) -> Res<Outcome> {
    let doc = docx(pkg)?;
    let found = tables(pkg, &doc.part)?;
    let need_vi = match min_columns {
        Some(c) => format!("yêu cầu ít nhất {min_rows} hàng × {c} cột"),
        None => format!("yêu cầu ít nhất {min_rows} hàng"),
    };
    let need_en = match min_columns {
        Some(c) => format!("at least {min_rows} rows × {c} columns required"),
        None => format!("at least {min_rows} rows required"),
    };
    if let Some((rows, cols)) = found
        .iter()
        .find(|(r, c)| *r >= min_rows && min_columns.is_none_or(|m| *c >= m))
    {
        return pass(
            format!("Có bảng {rows} hàng × {cols} cột ({need_vi})"),
            format!("A table of {rows} rows × {cols} columns ({need_en})"),
        );
    }
    match found.iter().max_by_key(|(r, c)| (*r, *c)) {
        None => fail(
            format!("Văn bản không có bảng nào ({need_vi})"),
            format!("The document has no table ({need_en})"),
        ),
        Some((rows, cols)) => {
            let count = found.len();
            fail(
                format!("Có {count} bảng, lớn nhất {rows} hàng × {cols} cột ({need_vi})"),
                format!("{count} table(s), the largest {rows} rows × {cols} columns ({need_en})"),
            )
        }
    }
}

fn docx_header_footer(pkg: &mut Package, text: &str, footer: bool) -> Res<Outcome> {
    let doc = docx(pkg)?;
    let kind = if footer { "footer" } else { "header" };
    let (what_vi, what_en) = if footer {
        ("chân trang", "page footer")
    } else {
        ("đầu trang", "page header")
    };
    let parts: Vec<String> = doc
        .rels
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.target.clone())
        .collect();
    let mut texts: Vec<String> = Vec::new();
    for part in parts {
        if !pkg.has(&part) {
            continue;
        }
        let paras = paragraphs(pkg, &part, false)?;
        let joined = paras
            .iter()
            .map(|p| p.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        texts.push(joined);
    }
    if texts.is_empty() {
        return fail(
            format!("Văn bản không có {what_vi}"),
            format!("The document has no {what_en}"),
        );
    }
    let key = norm(text);
    if let Some(t) = texts.iter().find(|t| norm(t).contains(&key)) {
        return pass(
            format!("{} có \"{text}\": \"{}\"", capitalize(what_vi), clip(t, 80)),
            format!("The {what_en} contains \"{text}\": \"{}\"", clip(t, 80)),
        );
    }
    let nonempty: Vec<String> = texts.into_iter().filter(|t| !t.is_empty()).collect();
    if nonempty.is_empty() {
        fail(
            format!("{} trống, không có \"{text}\"", capitalize(what_vi)),
            format!("The {what_en} is empty: no \"{text}\""),
        )
    } else {
        let list = quoted_list(&nonempty, 3);
        fail(
            format!(
                "{} không chứa \"{text}\" ({what_vi}: {list})",
                capitalize(what_vi)
            ),
            format!("No {what_en} contains \"{text}\" ({what_en} text: {list})"),
        )
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------
// Presentations
// ---------------------------------------------------------------------------

/// The slide parts in presentation order (`p:sldIdLst`).
fn slides(pkg: &mut Package) -> Res<Vec<String>> {
    let part = pkg.main_part("ppt/presentation.xml")?;
    let mut ids = Vec::new();
    pkg.walk_main(&part, "presentation", ".pptx", |node, stack| {
        if let Node::Open(e) = node
            && e.local() == "sldId"
            && parent(stack) == "sldIdLst"
            && let Some(id) = e.ns_attr("id")
        {
            ids.push(id);
        }
        Flow::Go
    })?;
    let rels = pkg.rels(&part)?;
    Ok(ids
        .into_iter()
        .filter_map(|id| rels.iter().find(|r| r.id == id && r.kind == "slide"))
        .map(|r| r.target.clone())
        .filter(|t| pkg.has(t))
        .collect())
}

fn no_slide(n: u32, count: usize) -> Res<Outcome> {
    fail(
        format!("Không có trang chiếu {n} (tệp có {count} trang chiếu)"),
        format!("There is no slide {n} (the file has {count} slide(s))"),
    )
}

fn slide_at(all: &[String], n: u32) -> Option<&String> {
    usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| all.get(i))
}

fn pptx_slide_count(pkg: &mut Package, min: Option<u32>, max: Option<u32>) -> Res<Outcome> {
    let count = slides(pkg)?.len();
    let n = u32::try_from(count).unwrap_or(u32::MAX);
    let ok = min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m);
    let need = match (min, max) {
        (Some(a), Some(b)) => format!("{a}–{b}"),
        (Some(a), None) => format!("≥ {a}"),
        (None, Some(b)) => format!("≤ {b}"),
        (None, None) => "—".to_string(),
    };
    Ok(Outcome::new(
        ok,
        format!("Có {n} trang chiếu (yêu cầu {need})"),
        format!(
            "{n} slide{} ({need} required)",
            if n == 1 { "" } else { "s" }
        ),
    ))
}

struct Layout {
    kind: String,
    name: String,
    placeholders: Vec<String>,
}

impl Layout {
    /// A title slide: PowerPoint's `title`, or LibreOffice's `tx` layout
    /// named "Title Slide", or any layout with a centred title or a title
    /// and a subtitle placeholder.
    fn is_title(&self) -> bool {
        let has = |t: &str| self.placeholders.iter().any(|p| p == t);
        self.kind == "title"
            || self.name.trim().eq_ignore_ascii_case("title slide")
            || has("ctrTitle")
            || (has("title") && has("subTitle"))
    }

    /// Blank: typed `blank` and holding only date, footer, number and header
    /// placeholders (LibreOffice types its "Title, 6 Content" as blank too).
    fn is_blank(&self) -> bool {
        self.kind == "blank"
            && self
                .placeholders
                .iter()
                .all(|p| matches!(p.as_str(), "dt" | "ftr" | "sldNum" | "hdr"))
    }

    fn matches(&self, asked: &str) -> bool {
        match asked {
            "title" => self.is_title(),
            "blank" => self.is_blank(),
            other => self.kind == other && !self.is_title(),
        }
    }
}

fn layout_of(pkg: &mut Package, slide: &str) -> Res<Option<Layout>> {
    let Some(part) = pkg
        .rels(slide)?
        .into_iter()
        .find(|r| r.kind == "slideLayout")
        .map(|r| r.target)
    else {
        return Ok(None);
    };
    let mut layout = Layout {
        kind: "cust".to_string(),
        name: String::new(),
        placeholders: Vec::new(),
    };
    let found = pkg.walk(&part, |node, stack| {
        if let Node::Open(e) = node {
            match e.local() {
                "sldLayout" if stack.is_empty() => {
                    if let Some(kind) = e.attr("type") {
                        layout.kind = kind;
                    }
                }
                "cSld" if parent(stack) == "sldLayout" => {
                    layout.name = e.attr("name").unwrap_or_default();
                }
                "ph" => layout
                    .placeholders
                    .push(e.attr("type").unwrap_or_else(|| "obj".to_string())),
                _ => {}
            }
        }
        Flow::Go
    })?;
    Ok(found.then_some(layout))
}

fn pptx_layout(pkg: &mut Package, slide: u32, asked: &str) -> Res<Outcome> {
    let all = slides(pkg)?;
    let Some(part) = slide_at(&all, slide) else {
        return no_slide(slide, all.len());
    };
    let Some(layout) = layout_of(pkg, part)? else {
        return fail(
            format!("Trang chiếu {slide} không có bố cục"),
            format!("Slide {slide} has no layout"),
        );
    };
    let (name, kind) = (&layout.name, &layout.kind);
    if layout.matches(asked) {
        pass(
            format!("Trang chiếu {slide} dùng bố cục {asked} (\"{name}\", type=\"{kind}\")"),
            format!("Slide {slide} uses a {asked} layout (\"{name}\", type=\"{kind}\")"),
        )
    } else {
        let seen = if layout.is_title() {
            "title"
        } else {
            kind.as_str()
        };
        fail(
            format!(
                "Trang chiếu {slide} dùng bố cục {seen} (\"{name}\", type=\"{kind}\"), không phải {asked}"
            ),
            format!(
                "Slide {slide} uses a {seen} layout (\"{name}\", type=\"{kind}\"), not {asked}"
            ),
        )
    }
}

/// What a slide holds: pictures, and the first transition effect.
struct SlideScan {
    pictures: usize,
    transition: Option<String>,
}

fn scan_slide(pkg: &mut Package, part: &str) -> Res<SlideScan> {
    let mut scan = SlideScan {
        pictures: 0,
        transition: None,
    };
    pkg.walk_required(part, |node, stack| {
        if let Node::Open(e) = node {
            let local = e.local();
            if local == "pic" && !within(stack, "Fallback") {
                scan.pictures += 1;
            }
            // An effect is any child of a p:transition other than sound
            // and extensions; LibreOffice writes empty transitions.
            if parent(stack) == "transition"
                && !matches!(local, "sndAc" | "extLst")
                && scan.transition.is_none()
            {
                scan.transition = Some(local.to_string());
            }
        }
        Flow::Go
    })?;
    Ok(scan)
}

fn slide_list(numbers: &[usize]) -> String {
    numbers
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn pptx_picture(pkg: &mut Package, slide: Option<u32>) -> Res<Outcome> {
    let all = slides(pkg)?;
    if let Some(n) = slide {
        let Some(part) = slide_at(&all, n) else {
            return no_slide(n, all.len());
        };
        let count = scan_slide(pkg, part)?.pictures;
        return if count > 0 {
            pass(
                format!("Trang chiếu {n} có {count} hình ảnh"),
                format!("Slide {n} holds {count} picture(s)"),
            )
        } else {
            fail(
                format!("Trang chiếu {n} không có hình ảnh"),
                format!("Slide {n} holds no picture"),
            )
        };
    }
    let mut with = Vec::new();
    for (i, part) in all.iter().enumerate() {
        if scan_slide(pkg, part)?.pictures > 0 {
            with.push(i + 1);
        }
    }
    if with.is_empty() {
        fail(
            format!(
                "Không trang chiếu nào có hình ảnh ({} trang chiếu)",
                all.len()
            ),
            format!("No slide holds a picture ({} slide(s))", all.len()),
        )
    } else {
        let list = slide_list(&with);
        pass(
            format!("Trang chiếu có hình ảnh: {list}"),
            format!("Slides with a picture: {list}"),
        )
    }
}

fn pptx_transition(pkg: &mut Package, slide: Option<u32>) -> Res<Outcome> {
    let all = slides(pkg)?;
    if let Some(n) = slide {
        let Some(part) = slide_at(&all, n) else {
            return no_slide(n, all.len());
        };
        return match scan_slide(pkg, part)?.transition {
            Some(effect) => pass(
                format!("Trang chiếu {n} có hiệu ứng chuyển trang ({effect})"),
                format!("Slide {n} has a transition ({effect})"),
            ),
            None => fail(
                format!("Trang chiếu {n} không có hiệu ứng chuyển trang"),
                format!("Slide {n} has no transition"),
            ),
        };
    }
    let mut with = Vec::new();
    for (i, part) in all.iter().enumerate() {
        if scan_slide(pkg, part)?.transition.is_some() {
            with.push(i + 1);
        }
    }
    if with.is_empty() {
        fail(
            format!(
                "Không trang chiếu nào có hiệu ứng chuyển trang ({} trang chiếu)",
                all.len()
            ),
            format!("No slide has a transition ({} slide(s))", all.len()),
        )
    } else {
        let list = slide_list(&with);
        pass(
            format!("Trang chiếu có hiệu ứng chuyển trang: {list}"),
            format!("Slides with a transition: {list}"),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::io::Write as _;

    const SHEET_GOOD: &[u8] = include_bytes!("../../tests/fixtures/practical/sheet_good.xlsx");
    const SHEET_VALUES: &[u8] = include_bytes!("../../tests/fixtures/practical/sheet_values.xlsx");
    const SHEET_LINE: &[u8] = include_bytes!("../../tests/fixtures/practical/sheet_line.xlsx");
    const LETTER_GOOD: &[u8] = include_bytes!("../../tests/fixtures/practical/letter_good.docx");
    const LETTER_PLAIN: &[u8] = include_bytes!("../../tests/fixtures/practical/letter_plain.docx");
    const SLIDES_GOOD: &[u8] = include_bytes!("../../tests/fixtures/practical/slides_good.pptx");
    const SLIDES_PLAIN: &[u8] = include_bytes!("../../tests/fixtures/practical/slides_plain.pptx");
    const LETTER_ODT: &[u8] = include_bytes!("../../tests/fixtures/practical/letter.odt");

    fn check(value: serde_json::Value) -> Check {
        let c: Check = serde_json::from_value(value.clone()).unwrap();
        assert!(c.validate().is_ok(), "{value}");
        c
    }

    #[track_caller]
    fn passes(value: serde_json::Value, bytes: &[u8]) -> Outcome {
        let out = run_check(&check(value.clone()), bytes);
        assert!(out.passed, "{value} should pass: {out:?}");
        assert!(!out.detail_vi.is_empty() && !out.detail_en.is_empty());
        out
    }

    #[track_caller]
    fn fails(value: serde_json::Value, bytes: &[u8]) -> Outcome {
        let out = run_check(&check(value.clone()), bytes);
        assert!(!out.passed, "{value} should fail: {out:?}");
        assert!(!out.detail_vi.is_empty() && !out.detail_en.is_empty());
        out
    }

    fn zip(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, options).unwrap();
            w.write_all(data.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// A relationship part: (id, type's last segment, target).
    fn rels(items: &[(&str, &str, &str)]) -> String {
        let mut s = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        );
        for (id, kind, target) in items {
            s.push_str(&format!(
                r#"<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" Target="{target}"/>"#
            ));
        }
        s.push_str("</Relationships>");
        s
    }

    // -- helpers ----------------------------------------------------------

    #[test]
    fn helpers() {
        assert_eq!(
            resolve("xl/worksheets/sheet1.xml", "../drawings/d.xml"),
            "xl/drawings/d.xml"
        );
        assert_eq!(
            resolve("xl/workbook.xml", "/xl/worksheets/s.xml"),
            "xl/worksheets/s.xml"
        );
        assert_eq!(resolve("", "ppt/presentation.xml"), "ppt/presentation.xml");
        assert_eq!(
            resolve("ppt/slides/slide1.xml", "../media/a%20b.png"),
            "ppt/media/a b.png"
        );
        assert_eq!(resolve("a/b.xml", "../../../x.xml"), "x.xml");
        assert_eq!(rels_name(""), "_rels/.rels");
        assert_eq!(
            rels_name("word/document.xml"),
            "word/_rels/document.xml.rels"
        );
        assert_eq!(col_letters(0), "A");
        assert_eq!(col_letters(26), "AA");
        assert_eq!(col_letters(16_383), "XFD");
        assert_eq!(norm_format("[$-409]#,##0"), "#,##0");
        assert_eq!(norm_format("#,##0\\ [$₫-42A]"), "#,##0 ₫");
        assert_eq!(norm_format("#,##0\" đồng\""), "#,##0 đồng");
        assert_eq!(norm_format("DD/MM/YYYY"), "dd/mm/yyyy");
        assert_eq!(norm_format("[$-"), "-");
        assert!(calls("SUM(C2:D2)", "sum"));
        assert!(calls("=ROUND(SUM(A1:A3),0)", "SUM"));
        assert!(calls("_xlfn.STDEV.S(A1:A3)", "STDEV.S"));
        assert!(calls("_xlfn.STDEV.S(A1:A3)", "_xlfn.stdev.s"));
        assert!(!calls("DSUM(A1:C9,2,E1:E2)", "SUM"));
        assert!(!calls("SUMIF(A1:A3,\">0\")", "SUM"));
        assert!(!calls("\"SUM(\"&A1", "SUM"));
        assert!(!calls("SUM(A1)", ""));
        assert_eq!(num(19.9812, true), "19,98");
        assert_eq!(num(30.0, false), "30");
        assert_eq!(num(-0.001, false), "0");
        assert_eq!(
            twips(Some("1134".into())).map(|t| (t / TWIPS_PER_MM).round()),
            Some(20.0)
        );
        assert_eq!(twips(Some("2.54cm".into())).map(f64::round), Some(1440.0));
        assert_eq!(twips(Some("1in".into())), Some(1440.0));
        assert_eq!(twips(Some("x".into())), None);
        assert_eq!(norm("  GIẤY\u{a0}MỜI \n HỌP "), "giấy mời họp");
        // NFD input compares equal to NFC.
        assert_eq!(norm("Ho\u{300}a Bi\u{300}nh"), norm("HÒA BÌNH"));
        assert_eq!(heading_name_level("Heading 1"), Some(1));
        assert_eq!(heading_name_level("heading 6"), Some(6));
        assert_eq!(heading_name_level("Heading"), None);
        assert_eq!(heading_name_level("Heading 10"), None);
    }

    // -- unreadable files ---------------------------------------------------

    #[test]
    fn unreadable_files_fail_with_a_reason() {
        for bytes in [
            &b""[..],
            b"not a zip",
            b"PK\x03\x04garbage",
            &SHEET_GOOD[..100],
        ] {
            let out = fails(
                json!({"kind": "xlsx_formula", "range": "E2", "function": "SUM"}),
                bytes,
            );
            assert!(out.detail_vi.starts_with("Không đọc được tệp: "), "{out:?}");
            assert!(
                out.detail_en.starts_with("The file cannot be read: "),
                "{out:?}"
            );
        }
        // A zip that is not the kind asked for: its main part is missing.
        let out = fails(json!({"kind": "docx_landscape"}), LETTER_ODT);
        assert!(out.detail_en.contains("word/document.xml"), "{out:?}");
        let out = fails(json!({"kind": "pptx_slide_count", "min": 1}), SHEET_GOOD);
        assert_eq!(
            out.detail_en,
            "The file cannot be read: this is not a .pptx file"
        );
        assert_eq!(
            out.detail_vi,
            "Không đọc được tệp: đây không phải tệp .pptx"
        );
        let out = fails(json!({"kind": "docx_heading", "level": 1}), SLIDES_GOOD);
        assert_eq!(
            out.detail_en,
            "The file cannot be read: this is not a .docx file"
        );
        let out = fails(json!({"kind": "docx_table", "min_rows": 1}), SHEET_GOOD);
        assert_eq!(
            out.detail_en,
            "The file cannot be read: this is not a .docx file"
        );
        let out = fails(
            json!({"kind": "xlsx_chart", "chart_type": "bar"}),
            LETTER_GOOD,
        );
        assert_eq!(
            out.detail_en,
            "The file cannot be read: this is not a .xlsx file"
        );
        // Broken XML in the part a check reads.
        let broken = zip(&[
            (
                "_rels/.rels",
                &rels(&[("rId1", "officeDocument", "word/document.xml")]),
            ),
            ("word/document.xml", "<w:document><w:body></w:document>"),
        ]);
        let out = fails(json!({"kind": "docx_table", "min_rows": 1}), &broken);
        assert!(
            out.detail_en.contains("XML error in word/document.xml"),
            "{out:?}"
        );
        assert!(
            out.detail_vi.contains("lỗi XML trong word/document.xml"),
            "{out:?}"
        );
    }

    #[test]
    fn too_many_entries_are_refused() {
        let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("f{i}.xml")).collect();
        let entries: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
        let out = fails(json!({"kind": "docx_landscape"}), &zip(&entries));
        assert!(out.detail_en.contains("more than 5000 entries"), "{out:?}");
        assert!(out.detail_vi.starts_with("Không đọc được tệp: "), "{out:?}");
    }

    #[test]
    fn parts_over_the_cap_are_not_read() {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(false);
        w.start_file("ppt/presentation.xml", options).unwrap();
        w.write_all(b"<p:presentation>").unwrap();
        let block = vec![b' '; 1024 * 1024];
        for _ in 0..21 {
            w.write_all(&block).unwrap();
        }
        w.write_all(b"</p:presentation>").unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let out = fails(json!({"kind": "pptx_slide_count", "min": 1}), &bytes);
        assert!(out.detail_en.contains("over 20 MB"), "{out:?}");
        assert!(out.detail_vi.contains("quá lớn"), "{out:?}");
    }

    // -- spreadsheets: LibreOffice fixtures --------------------------------

    #[test]
    fn xlsx_formula_on_fixtures() {
        let out = passes(
            json!({"kind": "xlsx_formula", "range": "E2:E11", "function": "SUM", "sheet": "Lương"}),
            SHEET_GOOD,
        );
        assert_eq!(
            out.detail_en,
            "All 10 cells of E2:E11 on sheet \"Lương\" hold a SUM formula"
        );
        let out = passes(
            json!({"kind": "xlsx_formula", "range": "E12", "function": "sum"}),
            SHEET_GOOD,
        );
        assert!(out.detail_vi.contains("=SUM(E2:E11)"), "{out:?}");
        // Sheet names: case-insensitive second try, then "not found".
        passes(
            json!({"kind": "xlsx_formula", "range": "E12", "function": "SUM", "sheet": "LƯƠNG"}),
            SHEET_GOOD,
        );
        let out = fails(
            json!({"kind": "xlsx_formula", "range": "E2:E11", "function": "SUM", "sheet": "Khác"}),
            SHEET_GOOD,
        );
        assert_eq!(
            out.detail_vi,
            "Không tìm thấy trang tính \"Khác\" (tệp có: \"Lương\")"
        );
        assert_eq!(
            out.detail_en,
            "Sheet \"Khác\" not found (the workbook has: \"Lương\")"
        );
        // Another function; an empty cell.
        let out = fails(
            json!({"kind": "xlsx_formula", "range": "E2", "function": "AVERAGE"}),
            SHEET_GOOD,
        );
        assert!(
            out.detail_en
                .starts_with("E2 holds =SUM(C2:D2), which does not call AVERAGE"),
            "{out:?}"
        );
        let out = fails(
            json!({"kind": "xlsx_formula", "range": "F2", "function": "SUM"}),
            SHEET_GOOD,
        );
        assert!(out.detail_vi.starts_with("F2 trống"), "{out:?}");
        // Plain values.
        let out = fails(
            json!({"kind": "xlsx_formula", "range": "E2:E11", "function": "SUM", "sheet": "Lương"}),
            SHEET_VALUES,
        );
        assert_eq!(
            out.detail_vi,
            "E2 không có công thức SUM (giá trị 6000000); 9 ô khác trong E2:E11 cũng không đạt (trang tính \"Lương\")"
        );
        assert!(
            out.detail_en
                .starts_with("E2 holds no SUM formula (value 6000000); 9 more cells"),
            "{out:?}"
        );
        let out = fails(
            json!({"kind": "xlsx_formula", "range": "E12", "function": "SUM"}),
            SHEET_VALUES,
        );
        assert!(
            out.detail_en
                .starts_with("E12 holds no SUM formula (value 61100000)"),
            "{out:?}"
        );
        // A text cell shows its shared string.
        let out = fails(
            json!({"kind": "xlsx_formula", "range": "B12", "function": "SUM"}),
            SHEET_GOOD,
        );
        assert!(
            out.detail_vi
                .starts_with("B12 không có công thức SUM (giá trị Cộng)"),
            "{out:?}"
        );
    }

    #[test]
    fn xlsx_number_format_on_fixtures() {
        let out = passes(
            json!({"kind": "xlsx_number_format", "range": "C2:E12", "format": "#,##0", "sheet": "Lương"}),
            SHEET_GOOD,
        );
        assert!(out.detail_en.contains("All 33 cells of C2:E12"), "{out:?}");
        assert!(out.detail_en.contains("[$-409]#,##0"), "{out:?}");
        fails(
            json!({"kind": "xlsx_number_format", "range": "C2:E12", "format": "0.00"}),
            SHEET_GOOD,
        );
        // Column B is General.
        fails(
            json!({"kind": "xlsx_number_format", "range": "B2", "format": "#,##0"}),
            SHEET_GOOD,
        );
        let out = fails(
            json!({"kind": "xlsx_number_format", "range": "C2:E12", "format": "#,##0", "sheet": "Lương"}),
            SHEET_VALUES,
        );
        assert!(
            out.detail_en.starts_with("C2 has the number format \"General\", which does not contain \"#,##0\"; 32 more cells"),
            "{out:?}"
        );
        fails(
            json!({"kind": "xlsx_number_format", "range": "C2", "format": "#,##0", "sheet": "Khác"}),
            SHEET_GOOD,
        );
    }

    #[test]
    fn xlsx_column_width_on_fixtures() {
        let out = passes(
            json!({"kind": "xlsx_column_width", "column": "B", "min_width": 25, "sheet": "Lương"}),
            SHEET_GOOD,
        );
        assert_eq!(
            out.detail_vi,
            "Cột B rộng 26,79 (yêu cầu ≥ 25; trang tính \"Lương\")"
        );
        assert_eq!(
            out.detail_en,
            "Column B is 26.79 wide (at least 25 required; sheet \"Lương\")"
        );
        fails(
            json!({"kind": "xlsx_column_width", "column": "C", "min_width": 20}),
            SHEET_GOOD,
        );
        let out = fails(
            json!({"kind": "xlsx_column_width", "column": "B", "min_width": 25}),
            SHEET_VALUES,
        );
        assert!(out.detail_en.contains("default width 10.08"), "{out:?}");
        fails(
            json!({"kind": "xlsx_column_width", "column": "B", "min_width": 25, "sheet": "Khác"}),
            SHEET_GOOD,
        );
    }

    #[test]
    fn xlsx_chart_on_fixtures() {
        let out = passes(
            json!({"kind": "xlsx_chart", "chart_type": "bar", "sheet": "Lương"}),
            SHEET_GOOD,
        );
        assert_eq!(out.detail_en, "A bar/column chart is on sheet \"Lương\"");
        passes(
            json!({"kind": "xlsx_chart", "chart_type": "bar"}),
            SHEET_GOOD,
        );
        let out = fails(
            json!({"kind": "xlsx_chart", "chart_type": "pie", "sheet": "Lương"}),
            SHEET_GOOD,
        );
        assert_eq!(
            out.detail_en,
            "No pie chart on sheet \"Lương\"; charts found: bar/column"
        );
        fails(
            json!({"kind": "xlsx_chart", "chart_type": "bar", "sheet": "Khác"}),
            SHEET_GOOD,
        );
        let out = fails(
            json!({"kind": "xlsx_chart", "chart_type": "bar"}),
            SHEET_VALUES,
        );
        assert_eq!(out.detail_vi, "Không có biểu đồ nào trong tệp");
        // The line chart lives in chart2.xml: found through the rels.
        passes(
            json!({"kind": "xlsx_chart", "chart_type": "line", "sheet": "Doanh thu"}),
            SHEET_LINE,
        );
        passes(
            json!({"kind": "xlsx_chart", "chart_type": "line"}),
            SHEET_LINE,
        );
        fails(
            json!({"kind": "xlsx_chart", "chart_type": "bar"}),
            SHEET_LINE,
        );
        fails(
            json!({"kind": "xlsx_chart", "chart_type": "pie", "sheet": "doanh thu"}),
            SHEET_LINE,
        );
    }

    // -- spreadsheets: Excel-style ----------------------------------------

    fn excel_workbook() -> Vec<u8> {
        let sheet1 = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheetFormatPr defaultRowHeight="15"/>
<cols><col min="2" max="3" width="30.7109375" customWidth="1"/><col min="6" max="6" width="12" style="2" customWidth="1"/><col min="7" max="7" width="40" hidden="1"/></cols>
<sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c></row>
<row r="2"><c r="A2"><v>1</v></c><c r="B2" s="1"><v>1200</v></c><c r="C2" s="1"><f t="shared" ref="C2:C4" si="0">SUM(A2:B2)</f><v>1201</v></c><c r="D2"><f>_xlfn.STDEV.S(A2:B2)</f><v>5</v></c><c r="E2"><f t="array" ref="E2:E3">SUM(A2:A3*B2:B3)</f><v>1</v></c><c r="H2" s="4"><v>5000</v></c></row>
<row r="3"><c r="A3"><v>2</v></c><c r="B3" s="1"><v>1300</v></c><c r="C3" s="1"><f t="shared" si="0"/><v>1302</v></c><c r="D3"><f>DSUM(A1:B3,"x",A1:A2)</f><v>0</v></c><c r="E3"><v>2</v></c></row>
<row r="4"><c r="A4"><v>3</v></c><c r="B4" s="1"><v>1400</v></c><c r="C4" s="1"><f t="shared" si="0"/><v>1403</v></c><c r="D4" t="str"><f>"SUM("&amp;A4</f><v>SUM(3</v></c></row>
<row r="5"><c r="B5" s="2"><v>0.5</v></c><c r="C5" t="s"><v>1</v></c><c r="D5" s="3"><v>45000</v></c></row>
<row r="6" s="1" customFormat="1"><c><v>9</v></c><c><f>SUM(A6)</f><v>9</v></c></row>
</sheetData></worksheet>"#;
        let sheet2 = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetFormatPr baseColWidth="10" defaultRowHeight="15"/><sheetData/><drawing r:id="rId1"/></worksheet>"#;
        let styles = r##"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0\ [$₫-42A]"/></numFmts><cellXfs count="5"><xf numFmtId="0" fontId="0"/><xf numFmtId="3" fontId="0" applyNumberFormat="1"/><xf numFmtId="10" applyNumberFormat="1"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>"##;
        let strings = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>Tổng</t></si><si><r><t>Cộ</t></r><r><t>ng</t></r><rPh sb="0" eb="1"><t>x</t></rPh></si></sst>"#;
        let workbook = r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Bảng 1" sheetId="1" r:id="rId1"/><sheet name="Data" sheetId="2" r:id="rId2"/></sheets></workbook>"#;
        let chart = r#"<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart><c:plotArea><c:layout/><c:pie3DChart><c:varyColors val="1"/></c:pie3DChart></c:plotArea></c:chart></c:chartSpace>"#;
        zip(&[
            ("[Content_Types].xml", "<Types/>"),
            (
                "_rels/.rels",
                &rels(&[("rId1", "officeDocument", "xl/workbook.xml")]),
            ),
            ("xl/workbook.xml", workbook),
            (
                "xl/_rels/workbook.xml.rels",
                &rels(&[
                    ("rId1", "worksheet", "worksheets/sheet1.xml"),
                    ("rId2", "worksheet", "/xl/worksheets/sheet2.xml"),
                    ("rId3", "styles", "styles.xml"),
                    ("rId4", "sharedStrings", "sharedStrings.xml"),
                ]),
            ),
            ("xl/styles.xml", styles),
            ("xl/sharedStrings.xml", strings),
            ("xl/worksheets/sheet1.xml", sheet1),
            ("xl/worksheets/sheet2.xml", sheet2),
            (
                "xl/worksheets/_rels/sheet2.xml.rels",
                &rels(&[("rId1", "drawing", "../drawings/drawing7.xml")]),
            ),
            ("xl/drawings/drawing7.xml", "<xdr:wsDr xmlns:xdr=\"x\"/>"),
            (
                "xl/drawings/_rels/drawing7.xml.rels",
                &rels(&[("rId1", "chart", "../charts/chart9.xml")]),
            ),
            ("xl/charts/chart9.xml", chart),
            // An orphan chart part (no relationship): never counted.
            (
                "xl/charts/chart1.xml",
                "<c:chartSpace xmlns:c=\"c\"><c:chart><c:plotArea><c:barChart/></c:plotArea></c:chart></c:chartSpace>",
            ),
        ])
    }

    #[test]
    fn excel_formulas_shared_array_and_prefixed() {
        let book = excel_workbook();
        // Shared formulas: C3 and C4 reuse C2's master.
        let out = passes(
            json!({"kind": "xlsx_formula", "range": "C2:C4", "function": "SUM", "sheet": "bảng 1"}),
            &book,
        );
        assert!(out.detail_en.contains("sheet \"Bảng 1\""), "{out:?}");
        passes(
            json!({"kind": "xlsx_formula", "range": "D2", "function": "STDEV.S"}),
            &book,
        );
        passes(
            json!({"kind": "xlsx_formula", "range": "D2", "function": "_xlfn.STDEV.S"}),
            &book,
        );
        // An array formula covers E2:E3.
        passes(
            json!({"kind": "xlsx_formula", "range": "E2:E3", "function": "SUM"}),
            &book,
        );
        let out = fails(
            json!({"kind": "xlsx_formula", "range": "D3", "function": "SUM"}),
            &book,
        );
        assert!(out.detail_en.contains("DSUM"), "{out:?}");
        fails(
            json!({"kind": "xlsx_formula", "range": "D4", "function": "SUM"}),
            &book,
        );
        // Shared string with runs and a phonetic run.
        let out = fails(
            json!({"kind": "xlsx_formula", "range": "C5", "function": "SUM"}),
            &book,
        );
        assert!(
            out.detail_vi
                .starts_with("C5 không có công thức SUM (giá trị Cộng)"),
            "{out:?}"
        );
        // Cells without `r` follow on: A6 then B6.
        passes(
            json!({"kind": "xlsx_formula", "range": "B6", "function": "SUM"}),
            &book,
        );
        fails(
            json!({"kind": "xlsx_formula", "range": "A6", "function": "SUM"}),
            &book,
        );
        fails(
            json!({"kind": "xlsx_formula", "range": "A1", "function": "SUM", "sheet": "Nope"}),
            &book,
        );
    }

    #[test]
    fn excel_builtin_number_formats() {
        let book = excel_workbook();
        // numFmtId 3 with no <numFmt> element is #,##0.
        let out = passes(
            json!({"kind": "xlsx_number_format", "range": "B2:B4", "format": "#,##0"}),
            &book,
        );
        assert!(out.detail_en.contains("B2: \"#,##0\""), "{out:?}");
        passes(
            json!({"kind": "xlsx_number_format", "range": "B5", "format": "%"}),
            &book,
        );
        let out = fails(
            json!({"kind": "xlsx_number_format", "range": "B5", "format": "#,##0"}),
            &book,
        );
        assert!(out.detail_en.contains("\"0.00%\""), "{out:?}");
        passes(
            json!({"kind": "xlsx_number_format", "range": "D5", "format": "mm-dd-yy"}),
            &book,
        );
        // A custom code with a currency block and a backslash.
        passes(
            json!({"kind": "xlsx_number_format", "range": "H2", "format": "#,##0 ₫"}),
            &book,
        );
        // Missing cells take the row style, else the column style.
        passes(
            json!({"kind": "xlsx_number_format", "range": "H6", "format": "#,##0"}),
            &book,
        );
        passes(
            json!({"kind": "xlsx_number_format", "range": "F8", "format": "%"}),
            &book,
        );
        let out = fails(
            json!({"kind": "xlsx_number_format", "range": "A2", "format": "#,##0"}),
            &book,
        );
        assert!(out.detail_en.contains("\"General\""), "{out:?}");
    }

    #[test]
    fn excel_column_widths_and_charts() {
        let book = excel_workbook();
        passes(
            json!({"kind": "xlsx_column_width", "column": "C", "min_width": 30}),
            &book,
        );
        let out = fails(
            json!({"kind": "xlsx_column_width", "column": "F", "min_width": 20}),
            &book,
        );
        assert!(out.detail_en.starts_with("Column F is 12 wide"), "{out:?}");
        let out = fails(
            json!({"kind": "xlsx_column_width", "column": "G", "min_width": 20}),
            &book,
        );
        assert!(out.detail_en.starts_with("Column G is hidden"), "{out:?}");
        // No <col>: baseColWidth 10 + padding.
        passes(
            json!({"kind": "xlsx_column_width", "column": "A", "min_width": 10, "sheet": "Data"}),
            &book,
        );
        let out = fails(
            json!({"kind": "xlsx_column_width", "column": "A", "min_width": 11, "sheet": "Data"}),
            &book,
        );
        assert!(out.detail_vi.contains("độ rộng mặc định 10,43"), "{out:?}");
        passes(
            json!({"kind": "xlsx_chart", "chart_type": "pie", "sheet": "Data"}),
            &book,
        );
        passes(json!({"kind": "xlsx_chart", "chart_type": "pie"}), &book);
        let out = fails(
            json!({"kind": "xlsx_chart", "chart_type": "pie", "sheet": "Bảng 1"}),
            &book,
        );
        assert_eq!(out.detail_en, "No chart on sheet \"Bảng 1\"");
        // The orphan chart1.xml (a bar chart) is not on any sheet.
        fails(json!({"kind": "xlsx_chart", "chart_type": "bar"}), &book);
    }

    // -- documents -----------------------------------------------------------

    #[test]
    fn docx_heading_on_fixtures() {
        let out = passes(
            json!({"kind": "docx_heading", "level": 1, "text": "GIẤY MỜI HỌP"}),
            LETTER_GOOD,
        );
        assert_eq!(out.detail_vi, "Có tiêu đề cấp 1: \"GIẤY MỜI HỌP\"");
        assert_eq!(out.detail_en, "Heading 1 found: \"GIẤY MỜI HỌP\"");
        // Lower case, extra spaces, decomposed (NFD) input.
        passes(
            json!({"kind": "docx_heading", "level": 1, "text": "giấy  mời"}),
            LETTER_GOOD,
        );
        let nfd: String = "Giấy mời họp".nfd().collect();
        passes(
            json!({"kind": "docx_heading", "level": 1, "text": nfd}),
            LETTER_GOOD,
        );
        passes(json!({"kind": "docx_heading", "level": 1}), LETTER_GOOD);
        passes(
            json!({"kind": "docx_heading", "level": 2, "text": "Nội dung cuộc họp"}),
            LETTER_GOOD,
        );
        let out = fails(
            json!({"kind": "docx_heading", "level": 2, "text": "GIẤY MỜI HỌP"}),
            LETTER_GOOD,
        );
        assert!(
            out.detail_en
                .contains("heading 2 text: \"Nội dung cuộc họp\""),
            "{out:?}"
        );
        assert!(out.detail_en.contains("styled \"Heading 1\""), "{out:?}");
        // LibreOffice's parent "Heading" style is no heading level.
        fails(json!({"kind": "docx_heading", "level": 3}), LETTER_GOOD);
        let out = fails(
            json!({"kind": "docx_heading", "level": 1, "text": "GIẤY MỜI HỌP"}),
            LETTER_PLAIN,
        );
        assert_eq!(
            out.detail_vi,
            "Không có đoạn nào dùng kiểu tiêu đề cấp 1 (Heading 1); đoạn có \"GIẤY MỜI HỌP\" dùng kiểu \"Normal\""
        );
        fails(json!({"kind": "docx_heading", "level": 1}), LETTER_PLAIN);
    }

    #[test]
    fn docx_page_on_fixtures() {
        let out = passes(json!({"kind": "docx_landscape"}), LETTER_GOOD);
        assert_eq!(out.detail_vi, "Trang nằm ngang (297 × 210,01 mm)");
        let out = fails(json!({"kind": "docx_landscape"}), LETTER_PLAIN);
        assert_eq!(
            out.detail_en,
            "The page is portrait, not landscape (210.01 × 297 mm)"
        );
        let out = passes(
            json!({"kind": "docx_margins", "top_mm": 20, "bottom_mm": 20, "left_mm": 30, "right_mm": 15}),
            LETTER_GOOD,
        );
        assert_eq!(
            out.detail_en,
            "Margins match: top 19.98 mm, bottom 19.98 mm, left 30 mm, right 14.99 mm (tolerance ± 1 mm)"
        );
        let out = fails(
            json!({"kind": "docx_margins", "left_mm": 30, "right_mm": 15}),
            LETTER_PLAIN,
        );
        assert_eq!(
            out.detail_vi,
            "Lề chưa đúng: trái 20 mm (yêu cầu 30 ± 1 mm), phải 20 mm (yêu cầu 15 ± 1 mm)"
        );
        passes(
            json!({"kind": "docx_margins", "top_mm": 20, "bottom_mm": 20}),
            LETTER_PLAIN,
        );
        // A tight tolerance catches LibreOffice's 1133 twips.
        fails(
            json!({"kind": "docx_margins", "top_mm": 20, "tolerance_mm": 0.01}),
            LETTER_GOOD,
        );
    }

    #[test]
    fn docx_table_header_footer_on_fixtures() {
        let out = passes(
            json!({"kind": "docx_table", "min_rows": 4, "min_columns": 3}),
            LETTER_GOOD,
        );
        assert!(
            out.detail_en.starts_with("A table of 4 rows × 3 columns"),
            "{out:?}"
        );
        passes(json!({"kind": "docx_table", "min_rows": 2}), LETTER_GOOD);
        let out = fails(json!({"kind": "docx_table", "min_rows": 5}), LETTER_GOOD);
        assert!(
            out.detail_en.contains("the largest 4 rows × 3 columns"),
            "{out:?}"
        );
        fails(
            json!({"kind": "docx_table", "min_rows": 4, "min_columns": 4}),
            LETTER_GOOD,
        );
        let out = fails(json!({"kind": "docx_table", "min_rows": 1}), LETTER_PLAIN);
        assert!(
            out.detail_vi.starts_with("Văn bản không có bảng nào"),
            "{out:?}"
        );

        let out = passes(
            json!({"kind": "docx_header_text", "text": "UBND XÃ HÒA BÌNH"}),
            LETTER_GOOD,
        );
        assert_eq!(
            out.detail_vi,
            "Đầu trang có \"UBND XÃ HÒA BÌNH\": \"UBND XÃ HÒA BÌNH\""
        );
        passes(
            json!({"kind": "docx_header_text", "text": "ubnd xã hòa bình"}),
            LETTER_GOOD,
        );
        let out = fails(
            json!({"kind": "docx_header_text", "text": "Trang"}),
            LETTER_GOOD,
        );
        assert!(
            out.detail_en.contains("header text: \"UBND XÃ HÒA BÌNH\""),
            "{out:?}"
        );
        let out = passes(
            json!({"kind": "docx_footer_text", "text": "Trang"}),
            LETTER_GOOD,
        );
        assert!(out.detail_en.ends_with("\"Trang 1\""), "{out:?}");
        fails(
            json!({"kind": "docx_footer_text", "text": "UBND"}),
            LETTER_GOOD,
        );
        let out = fails(
            json!({"kind": "docx_header_text", "text": "UBND XÃ HÒA BÌNH"}),
            LETTER_PLAIN,
        );
        assert_eq!(out.detail_vi, "Văn bản không có đầu trang");
        let out = fails(
            json!({"kind": "docx_footer_text", "text": "Trang"}),
            LETTER_PLAIN,
        );
        assert_eq!(out.detail_en, "The document has no page footer");
    }

    fn word_document() -> Vec<u8> {
        let w = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
        let styles = format!(
            r#"<w:styles {w}>
<w:style w:type="paragraph" w:default="1" w:styleId="a"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="u1"><w:name w:val="heading 1"/><w:basedOn w:val="a"/></w:style>
<w:style w:type="paragraph" w:styleId="u2"><w:name w:val="Tiêu đề phụ"/><w:basedOn w:val="a"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="u3"><w:name w:val="Kiểu riêng"/><w:basedOn w:val="u2"/></w:style>
<w:style w:type="paragraph" w:styleId="u9"><w:name w:val="Thân"/><w:basedOn w:val="u1"/><w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>
<w:style w:type="character" w:styleId="c1"><w:name w:val="heading 3"/></w:style>
<w:style w:type="paragraph" w:styleId="loop"><w:name w:val="Vòng"/><w:basedOn w:val="loop"/></w:style>
</w:styles>"#
        );
        // The heading text is stored decomposed (NFD).
        let title: String = "Giấy mời họp".nfd().collect();
        let cell = |text: &str| format!("<w:tc><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>");
        let inner_rows: String = (0..5)
            .map(|i| format!("<w:tr>{}</w:tr>", cell(&i.to_string())))
            .collect();
        let document = format!(
            r#"<w:document {w}><w:body>
<w:p><w:pPr><w:pStyle w:val="u1"/></w:pPr><w:r><w:t>{title}</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="u3"/></w:pPr><w:r><w:t xml:space="preserve">Mục </w:t></w:r><w:r><w:tab/><w:t>hai</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="u9"/></w:pPr><w:r><w:t>Thân bài</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="loop"/></w:pPr><w:r><w:t>Vòng lặp</w:t></w:r></w:p>
<w:p><w:pPr><w:pPrChange w:id="1" w:author="x"><w:pPr><w:pStyle w:val="u1"/></w:pPr></w:pPrChange></w:pPr><w:r><w:t>Đoạn thường</w:t></w:r></w:p>
<w:p><w:pPr><w:sectPr><w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/><w:pgMar w:top="0" w:bottom="0" w:left="0" w:right="0"/></w:sectPr></w:pPr></w:p>
<w:tbl><w:tr>{c1}{c2}</w:tr><w:tr><w:tc><w:tbl>{inner_rows}</w:tbl><w:p/></w:tc>{c3}</w:tr>
<w:tr><w:tc><w:tcPr><w:gridSpan w:val="3"/></w:tcPr><w:p/></w:tc></w:tr></w:tbl>
<w:sectPr><w:headerReference w:type="default" r:id="rId7"/><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1800" w:bottom="-1440" w:left="1800" w:header="720" w:footer="720" w:gutter="0"/>
<w:sectPrChange w:id="2" w:author="x"><w:sectPr><w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/></w:sectPr></w:sectPrChange></w:sectPr>
</w:body></w:document>"#,
            c1 = cell("a"),
            c2 = cell("b"),
            c3 = cell("c"),
        );
        let header = format!(
            r#"<w:hdr {w}><w:p><w:r><w:t>Ủy ban</w:t></w:r><w:r><w:delText>XÓA</w:delText></w:r></w:p><w:p><w:r><w:t>nhân dân</w:t></w:r></w:p></w:hdr>"#
        );
        let footer = format!(
            r#"<w:ftr {w}><w:p><w:r><w:t xml:space="preserve">Trang </w:t></w:r><w:fldSimple w:instr=" PAGE "><w:r><w:t>3</w:t></w:r></w:fldSimple></w:p></w:ftr>"#
        );
        zip(&[
            ("[Content_Types].xml", "<Types/>"),
            (
                "_rels/.rels",
                &rels(&[("rId1", "officeDocument", "word/document.xml")]),
            ),
            ("word/document.xml", &document),
            (
                "word/_rels/document.xml.rels",
                &rels(&[
                    ("rId1", "styles", "styles.xml"),
                    ("rId7", "header", "header2.xml"),
                    ("rId8", "footer", "footer1.xml"),
                ]),
            ),
            ("word/styles.xml", &styles),
            ("word/header2.xml", &header),
            ("word/footer1.xml", &footer),
        ])
    }

    #[test]
    fn word_localized_heading_styles() {
        let doc = word_document();
        // styleId "u1" named "heading 1"; the text is NFD in the file.
        let out = passes(
            json!({"kind": "docx_heading", "level": 1, "text": "GIẤY MỜI HỌP"}),
            &doc,
        );
        assert!(out.detail_en.starts_with("Heading 1 found"), "{out:?}");
        // "u3" inherits outline level 1 (heading 2) from "u2"; a tab is a space.
        passes(
            json!({"kind": "docx_heading", "level": 2, "text": "mục hai"}),
            &doc,
        );
        // Outline level 9 is body text; a character style is not a heading;
        // a tracked former style does not count; a basedOn loop ends.
        fails(
            json!({"kind": "docx_heading", "level": 1, "text": "Thân bài"}),
            &doc,
        );
        fails(json!({"kind": "docx_heading", "level": 3}), &doc);
        let out = fails(
            json!({"kind": "docx_heading", "level": 1, "text": "Đoạn thường"}),
            &doc,
        );
        assert!(out.detail_en.contains("styled \"Normal\""), "{out:?}");
        fails(
            json!({"kind": "docx_heading", "level": 1, "text": "Vòng lặp"}),
            &doc,
        );
    }

    #[test]
    fn word_sections_tables_headers() {
        let doc = word_document();
        // The first section is landscape; the last (body) one is not, and
        // the tracked former landscape size does not count.
        fails(json!({"kind": "docx_landscape"}), &doc);
        // 1440 twips = 25.4 mm; a negative top/bottom counts by its size.
        passes(
            json!({"kind": "docx_margins", "top_mm": 25.4, "bottom_mm": 25.4, "left_mm": 31.75, "right_mm": 31.75, "tolerance_mm": 0.1}),
            &doc,
        );
        // A nested table of 5 rows × 1; a merged cell spans 3 columns.
        passes(json!({"kind": "docx_table", "min_rows": 5}), &doc);
        fails(
            json!({"kind": "docx_table", "min_rows": 5, "min_columns": 2}),
            &doc,
        );
        passes(
            json!({"kind": "docx_table", "min_rows": 3, "min_columns": 3}),
            &doc,
        );
        fails(json!({"kind": "docx_table", "min_rows": 6}), &doc);
        // Header text across paragraphs, deleted text ignored.
        passes(
            json!({"kind": "docx_header_text", "text": "ủy ban nhân dân"}),
            &doc,
        );
        fails(json!({"kind": "docx_header_text", "text": "XÓA"}), &doc);
        passes(json!({"kind": "docx_footer_text", "text": "Trang 3"}), &doc);
    }

    // -- presentations ----------------------------------------------------------

    #[test]
    fn pptx_on_fixtures() {
        let out = passes(
            json!({"kind": "pptx_slide_count", "min": 4, "max": 4}),
            SLIDES_GOOD,
        );
        assert_eq!(out.detail_vi, "Có 4 trang chiếu (yêu cầu 4–4)");
        let out = fails(
            json!({"kind": "pptx_slide_count", "min": 5, "max": 5}),
            SLIDES_GOOD,
        );
        assert_eq!(out.detail_vi, "Có 4 trang chiếu (yêu cầu 5–5)");
        assert_eq!(out.detail_en, "4 slides (5–5 required)");
        fails(json!({"kind": "pptx_slide_count", "min": 5}), SLIDES_GOOD);
        passes(json!({"kind": "pptx_slide_count", "max": 4}), SLIDES_GOOD);
        fails(json!({"kind": "pptx_slide_count", "max": 3}), SLIDES_GOOD);
        let out = fails(json!({"kind": "pptx_slide_count", "min": 2}), SLIDES_PLAIN);
        assert_eq!(out.detail_en, "1 slide (≥ 2 required)");

        let out = passes(
            json!({"kind": "pptx_layout", "slide": 1, "layout": "title"}),
            SLIDES_GOOD,
        );
        assert_eq!(
            out.detail_en,
            "Slide 1 uses a title layout (\"Title Slide\", type=\"tx\")"
        );
        passes(
            json!({"kind": "pptx_layout", "slide": 2, "layout": "obj"}),
            SLIDES_GOOD,
        );
        passes(
            json!({"kind": "pptx_layout", "slide": 4, "layout": "obj"}),
            SLIDES_GOOD,
        );
        let out = fails(
            json!({"kind": "pptx_layout", "slide": 2, "layout": "title"}),
            SLIDES_GOOD,
        );
        assert_eq!(
            out.detail_vi,
            "Trang chiếu 2 dùng bố cục obj (\"Title, Content\", type=\"obj\"), không phải title"
        );
        fails(
            json!({"kind": "pptx_layout", "slide": 1, "layout": "obj"}),
            SLIDES_GOOD,
        );
        let out = fails(
            json!({"kind": "pptx_layout", "slide": 5, "layout": "obj"}),
            SLIDES_GOOD,
        );
        assert_eq!(
            out.detail_en,
            "There is no slide 5 (the file has 4 slide(s))"
        );
        passes(
            json!({"kind": "pptx_layout", "slide": 1, "layout": "title"}),
            SLIDES_PLAIN,
        );

        let out = passes(json!({"kind": "pptx_picture", "slide": 2}), SLIDES_GOOD);
        assert_eq!(out.detail_en, "Slide 2 holds 1 picture(s)");
        fails(json!({"kind": "pptx_picture", "slide": 1}), SLIDES_GOOD);
        let out = passes(json!({"kind": "pptx_picture"}), SLIDES_GOOD);
        assert_eq!(out.detail_vi, "Trang chiếu có hình ảnh: 2");
        let out = fails(json!({"kind": "pptx_picture"}), SLIDES_PLAIN);
        assert_eq!(out.detail_en, "No slide holds a picture (1 slide(s))");

        let out = passes(json!({"kind": "pptx_transition", "slide": 1}), SLIDES_GOOD);
        assert_eq!(out.detail_en, "Slide 1 has a transition (fade)");
        // Slide 3's fade is inside mc:AlternateContent.
        passes(json!({"kind": "pptx_transition", "slide": 3}), SLIDES_GOOD);
        // Slides 2 and 4 carry empty p:transition elements.
        let out = fails(json!({"kind": "pptx_transition", "slide": 2}), SLIDES_GOOD);
        assert_eq!(
            out.detail_vi,
            "Trang chiếu 2 không có hiệu ứng chuyển trang"
        );
        fails(json!({"kind": "pptx_transition", "slide": 4}), SLIDES_GOOD);
        let out = passes(json!({"kind": "pptx_transition"}), SLIDES_GOOD);
        assert_eq!(out.detail_en, "Slides with a transition: 1, 3");
        fails(json!({"kind": "pptx_transition"}), SLIDES_PLAIN);
        fails(json!({"kind": "pptx_transition", "slide": 1}), SLIDES_PLAIN);
    }

    fn powerpoint_deck() -> Vec<u8> {
        let ns = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:p14="http://schemas.microsoft.com/office/powerpoint/2010/main""#;
        let presentation = format!(
            r#"<p:presentation {ns}><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst><p:sldIdLst><p:sldId id="256" r:id="rId12"/><p:sldId id="257" r:id="rId11"/><p:sldId id="258" r:id="rId13"/></p:sldIdLst></p:presentation>"#
        );
        let layout = |kind: &str, name: &str, ph: &[&str]| {
            let shapes: String = ph
                .iter()
                .map(|t| {
                    let ph = if t.is_empty() { "<p:ph idx=\"1\"/>".to_string() } else { format!("<p:ph type=\"{t}\"/>") };
                    format!("<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"x\"/><p:cNvSpPr/><p:nvPr>{ph}</p:nvPr></p:nvSpPr></p:sp>")
                })
                .collect();
            format!(
                r#"<p:sldLayout {ns} type="{kind}" preserve="1"><p:cSld name="{name}"><p:spTree>{shapes}</p:spTree></p:cSld></p:sldLayout>"#
            )
        };
        let slide = |body: &str, after: &str| {
            format!(r#"<p:sld {ns}><p:cSld><p:spTree>{body}</p:spTree></p:cSld>{after}</p:sld>"#)
        };
        let pic = r#"<p:pic><p:nvPicPr><p:cNvPr id="4" name="Picture 3"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="rId2"/></p:blipFill><p:spPr/></p:pic>"#;
        // Slide 1 (slide2.xml): PowerPoint 2010+ transition, p14 effect in
        // the Choice and a fade in the Fallback.
        let s1 = slide(
            "",
            r#"<mc:AlternateContent><mc:Choice Requires="p14"><p:transition spd="slow" p14:dur="1250"><p14:vortex dir="r"/></p:transition></mc:Choice><mc:Fallback><p:transition spd="slow"><p:fade/></p:transition></mc:Fallback></mc:AlternateContent>"#,
        );
        // Slide 2 (slide1.xml): a sound only, and a picture only in a Fallback.
        let s2 = slide(
            &format!(
                r#"<mc:AlternateContent><mc:Choice Requires="p14"><p:sp/></mc:Choice><mc:Fallback>{pic}</mc:Fallback></mc:AlternateContent>"#
            ),
            r#"<p:transition><p:sndAc><p:stSnd><p:snd r:embed="rId3" name="chime.wav"/></p:stSnd></p:sndAc></p:transition>"#,
        );
        // Slide 3: a picture inside a group; a p14-only effect.
        let s3 = slide(
            &format!("<p:grpSp><p:nvGrpSpPr/>{pic}</p:grpSp>"),
            r#"<mc:AlternateContent><mc:Choice Requires="p14"><p:transition p14:dur="2000"><p14:prism/></p:transition></mc:Choice><mc:Fallback><p:transition/></mc:Fallback></mc:AlternateContent>"#,
        );
        zip(&[
            ("[Content_Types].xml", "<Types/>"),
            (
                "_rels/.rels",
                &rels(&[("rId1", "officeDocument", "ppt/presentation.xml")]),
            ),
            ("ppt/presentation.xml", &presentation),
            (
                "ppt/_rels/presentation.xml.rels",
                &rels(&[
                    ("rId1", "slideMaster", "slideMasters/slideMaster1.xml"),
                    ("rId11", "slide", "slides/slide1.xml"),
                    ("rId12", "slide", "/ppt/slides/slide2.xml"),
                    ("rId13", "slide", "slides/slide3.xml"),
                ]),
            ),
            ("ppt/slides/slide2.xml", &s1),
            ("ppt/slides/slide1.xml", &s2),
            ("ppt/slides/slide3.xml", &s3),
            (
                "ppt/slides/_rels/slide2.xml.rels",
                &rels(&[("rId1", "slideLayout", "../slideLayouts/slideLayout1.xml")]),
            ),
            (
                "ppt/slides/_rels/slide1.xml.rels",
                &rels(&[
                    ("rId1", "slideLayout", "../slideLayouts/slideLayout7.xml"),
                    ("rId2", "image", "../media/image1.png"),
                ]),
            ),
            (
                "ppt/slides/_rels/slide3.xml.rels",
                &rels(&[
                    ("rId1", "slideLayout", "../slideLayouts/slideLayout12.xml"),
                    ("rId2", "image", "../media/image1.png"),
                ]),
            ),
            (
                "ppt/slideLayouts/slideLayout1.xml",
                &layout("title", "Trang tiêu đề", &["ctrTitle", "subTitle", "dt"]),
            ),
            (
                "ppt/slideLayouts/slideLayout7.xml",
                &layout("blank", "Trống", &["dt", "ftr", "sldNum"]),
            ),
            (
                "ppt/slideLayouts/slideLayout12.xml",
                &layout("blank", "Title, 6 Content", &["title", "", "", "dt"]),
            ),
            ("ppt/media/image1.png", "png"),
        ])
    }

    #[test]
    fn powerpoint_order_layouts_transitions_pictures() {
        let deck = powerpoint_deck();
        passes(
            json!({"kind": "pptx_slide_count", "min": 3, "max": 3}),
            &deck,
        );
        // Order comes from sldIdLst: slide 1 is slide2.xml.
        passes(
            json!({"kind": "pptx_layout", "slide": 1, "layout": "title"}),
            &deck,
        );
        passes(
            json!({"kind": "pptx_layout", "slide": 2, "layout": "blank"}),
            &deck,
        );
        let out = fails(
            json!({"kind": "pptx_layout", "slide": 3, "layout": "blank"}),
            &deck,
        );
        assert!(out.detail_en.contains("\"Title, 6 Content\""), "{out:?}");
        fails(
            json!({"kind": "pptx_layout", "slide": 1, "layout": "blank"}),
            &deck,
        );
        let out = passes(json!({"kind": "pptx_transition", "slide": 1}), &deck);
        assert_eq!(out.detail_en, "Slide 1 has a transition (vortex)");
        fails(json!({"kind": "pptx_transition", "slide": 2}), &deck);
        passes(json!({"kind": "pptx_transition", "slide": 3}), &deck);
        let out = passes(json!({"kind": "pptx_transition"}), &deck);
        assert_eq!(out.detail_en, "Slides with a transition: 1, 3");
        fails(json!({"kind": "pptx_picture", "slide": 1}), &deck);
        fails(json!({"kind": "pptx_picture", "slide": 2}), &deck);
        passes(json!({"kind": "pptx_picture", "slide": 3}), &deck);
        let out = passes(json!({"kind": "pptx_picture"}), &deck);
        assert_eq!(out.detail_en, "Slides with a picture: 3");
    }

    #[test]
    fn office_checks_run_dispatches_here() {
        let c = check(json!({"kind": "pptx_slide_count", "min": 4}));
        let out = crate::domain::office_checks::run(
            &c,
            crate::domain::office::OfficeKind::Pptx,
            SLIDES_GOOD,
        )
        .unwrap();
        assert!(out.passed);
    }

    // -- robustness -------------------------------------------------------------

    fn every_kind() -> Vec<Check> {
        [
            json!({"kind": "xlsx_formula", "range": "E2:E12", "function": "SUM"}),
            json!({"kind": "xlsx_formula", "range": "A1", "function": "SUM", "sheet": "Lương"}),
            json!({"kind": "xlsx_chart", "chart_type": "bar"}),
            json!({"kind": "xlsx_chart", "chart_type": "line", "sheet": "Doanh thu"}),
            json!({"kind": "xlsx_number_format", "range": "C2:E12", "format": "#,##0"}),
            json!({"kind": "xlsx_column_width", "column": "B", "min_width": 20}),
            json!({"kind": "docx_heading", "level": 1, "text": "GIẤY"}),
            json!({"kind": "docx_landscape"}),
            json!({"kind": "docx_margins", "top_mm": 20, "left_mm": 30}),
            json!({"kind": "docx_table", "min_rows": 4, "min_columns": 3}),
            json!({"kind": "docx_header_text", "text": "UBND"}),
            json!({"kind": "docx_footer_text", "text": "Trang"}),
            json!({"kind": "pptx_slide_count", "min": 1, "max": 9}),
            json!({"kind": "pptx_layout", "slide": 1, "layout": "title"}),
            json!({"kind": "pptx_picture"}),
            json!({"kind": "pptx_picture", "slide": 2}),
            json!({"kind": "pptx_transition"}),
            json!({"kind": "pptx_transition", "slide": 3}),
        ]
        .into_iter()
        .map(check)
        .collect()
    }

    const ALL_FIXTURES: &[&[u8]] = &[
        SHEET_GOOD,
        SHEET_VALUES,
        SHEET_LINE,
        LETTER_GOOD,
        LETTER_PLAIN,
        SLIDES_GOOD,
        SLIDES_PLAIN,
    ];

    #[test]
    fn every_kind_on_every_fixture() {
        let checks = every_kind();
        for bytes in ALL_FIXTURES {
            for c in &checks {
                let out = checked(c, bytes);
                assert!(!out.detail_vi.is_empty() && !out.detail_en.is_empty());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn no_panic_on_arbitrary_bytes(
            bytes in prop::collection::vec(any::<u8>(), 0..700),
            zip_magic in any::<bool>(),
        ) {
            let mut bytes = bytes;
            if zip_magic {
                bytes.splice(0..0, b"PK\x03\x04".iter().copied());
            }
            for c in every_kind() {
                let out = checked(&c, &bytes);
                prop_assert!(!out.passed);
            }
        }

        #[test]
        fn no_panic_on_damaged_fixtures(
            which in any::<prop::sample::Index>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let mut bytes = ALL_FIXTURES[which.index(ALL_FIXTURES.len())].to_vec();
            for (at, x) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= x;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            for c in every_kind() {
                let out = checked(&c, &bytes);
                prop_assert!(!out.detail_vi.is_empty() && !out.detail_en.is_empty());
            }
        }

        #[test]
        fn no_panic_on_damaged_xml(
            which in any::<prop::sample::Index>(),
            part in any::<prop::sample::Index>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            // Damage the XML inside a well-formed zip, so that the parsers
            // (not the zip checksum) meet it.
            let bytes = ALL_FIXTURES[which.index(ALL_FIXTURES.len())];
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            let mut entries = Vec::new();
            for i in 0..archive.len() {
                let mut f = archive.by_index(i).unwrap();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut data).unwrap();
                entries.push((String::from_utf8_lossy(f.name_raw()).into_owned(), data));
            }
            let victim = part.index(entries.len());
            if let Some((_, data)) = entries.get_mut(victim) && !data.is_empty() {
                for (at, x) in flips {
                    let i = at.index(data.len());
                    data[i] ^= x;
                }
                if let Some(cut) = cut {
                    data.truncate(cut.index(data.len() + 1));
                }
            }
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in &entries {
                w.start_file(name.as_str(), options).unwrap();
                w.write_all(data).unwrap();
            }
            let damaged = w.finish().unwrap().into_inner();
            for c in every_kind() {
                let out = checked(&c, &damaged);
                prop_assert!(!out.detail_vi.is_empty() && !out.detail_en.is_empty());
            }
        }
    }
}
