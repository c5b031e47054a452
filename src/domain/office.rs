//! Uploaded office files: is the file what its name claims?
//!
//! [`inspect`] looks at an upload (name and bytes) and either names its
//! [`OfficeKind`] or refuses it with a [`Rejection`] that can be shown to the
//! candidate. The name's extension decides the claimed kind; the bytes must be
//! a zip package of that kind (Office Open XML: `[Content_Types].xml` and its
//! main part; OpenDocument: the `mimetype` entry), without macros, without
//! encrypted entries, and small enough once uncompressed.
//!
//! Zip bombs are refused without inflating them: the entry count, the declared
//! sizes and the compression ratios are checked first, then every entry is
//! inflated through a bounded reader that stops as soon as it produces more
//! than the entry declared (so a header that lies is caught after at most one
//! buffer of output), and the checksum is verified.
//!
//! The module also holds the small zip and XML helpers that
//! [`super::office_checks`] reads packages with.
use std::borrow::Cow;
use std::io::{Cursor, Read};

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::reader::Reader;
use serde::{Deserialize, Serialize};
use zip::{CompressionMethod, ZipArchive};

const MIB: u64 = 1024 * 1024;

/// Entries (and whole packages) smaller than this are never refused for
/// their compression ratio: small, repetitive XML legitimately compresses
/// well and cannot amplify much.
pub(crate) const RATIO_FLOOR: u64 = MIB;

/// `[Content_Types].xml` and `mimetype` are read into memory up to this size.
const CONTROL_CAP: u64 = 8 * MIB;

/// Extensions of macro-enabled Office formats: always refused.
const MACRO_EXTENSIONS: &[&str] = &[
    "docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm", "ppam", "sldm",
];

/// The office file types a candidate may upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OfficeKind {
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Odp,
}

impl OfficeKind {
    /// Every kind, Office Open XML first.
    pub const ALL: [OfficeKind; 6] = [
        OfficeKind::Docx,
        OfficeKind::Xlsx,
        OfficeKind::Pptx,
        OfficeKind::Odt,
        OfficeKind::Ods,
        OfficeKind::Odp,
    ];

    /// The kind for an extension without the dot (`"docx"`, `"XLSX"`);
    /// case-insensitive. `None` for anything else, macro-enabled formats included.
    pub fn from_extension(ext: &str) -> Option<Self> {
        let ext = ext.trim();
        let ext = ext.strip_prefix('.').unwrap_or(ext);
        Self::ALL
            .into_iter()
            .find(|k| k.extension().eq_ignore_ascii_case(ext))
    }

    /// The kind a file name claims through its extension (`"Bai lam.DOCX"`).
    pub fn from_file_name(name: &str) -> Option<Self> {
        extension_of(name).and_then(Self::from_extension)
    }

    /// The extension, lower case, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            OfficeKind::Docx => "docx",
            OfficeKind::Xlsx => "xlsx",
            OfficeKind::Pptx => "pptx",
            OfficeKind::Odt => "odt",
            OfficeKind::Ods => "ods",
            OfficeKind::Odp => "odp",
        }
    }

    /// Office Open XML (Word, Excel, PowerPoint) rather than OpenDocument.
    pub fn is_ooxml(self) -> bool {
        matches!(self, OfficeKind::Docx | OfficeKind::Xlsx | OfficeKind::Pptx)
    }

    /// The MIME type to serve the file with.
    pub fn mime(self) -> &'static str {
        match self {
            OfficeKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            OfficeKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            OfficeKind::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            OfficeKind::Odt => "application/vnd.oasis.opendocument.text",
            OfficeKind::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            OfficeKind::Odp => "application/vnd.oasis.opendocument.presentation",
        }
    }
}

/// The extension of the last path component of `name`, without the dot.
fn extension_of(name: &str) -> Option<&str> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    base.rsplit_once('.').map(|(_, ext)| ext)
}

/// Size limits for an upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file, in bytes.
    pub max_bytes: u64,
    /// Most entries the zip may hold.
    pub max_entries: usize,
    /// Largest total of the uncompressed entries, in bytes.
    pub max_uncompressed: u64,
    /// Largest uncompressed-to-compressed ratio, per entry and for the whole
    /// file (ignored below [`RATIO_FLOOR`] uncompressed bytes).
    pub max_ratio: u64,
}

impl Default for Limits {
    /// 20 MiB, 2,000 entries, 200 MiB uncompressed, ratio 100.
    fn default() -> Self {
        Limits {
            max_bytes: 20 * MIB,
            max_entries: 2_000,
            max_uncompressed: 200 * MIB,
            max_ratio: 100,
        }
    }
}

/// Why an upload is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The file is larger than `max_bytes`.
    TooLarge { max_bytes: u64 },
    /// The extension is not one of the accepted office types.
    UnknownType,
    /// The bytes are not an office package at all (not a zip: a PDF, text,
    /// an old binary `.doc`, or a password-protected OOXML file, which is
    /// an OLE compound file).
    NotOffice,
    /// An office package, but not of the kind its extension claims
    /// (`found` is the real kind when it is one of ours).
    WrongType { found: Option<OfficeKind> },
    /// Macro-enabled format or macro parts inside.
    Macros,
    /// Too many entries, too large uncompressed, too high a compression
    /// ratio, or an entry that inflates to more than it declares.
    ZipBomb,
    /// An entry of the zip is encrypted.
    Encrypted,
    /// A damaged package; the text is a technical detail for logs.
    Malformed(String),
}

impl Rejection {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::TooLarge { .. } => "too_large",
            Rejection::UnknownType => "unknown_type",
            Rejection::NotOffice => "not_office",
            Rejection::WrongType { .. } => "wrong_type",
            Rejection::Macros => "macros",
            Rejection::ZipBomb => "zip_bomb",
            Rejection::Encrypted => "encrypted",
            Rejection::Malformed(_) => "malformed",
        }
    }

    /// A sentence for the candidate, in Vietnamese (`vi`) or English.
    pub fn message(&self, vi: bool) -> String {
        let pick = |v: &str, e: &str| if vi { v.to_string() } else { e.to_string() };
        match self {
            Rejection::TooLarge { max_bytes } => {
                let size = megabytes(*max_bytes, vi);
                pick(
                    &format!("Tệp quá lớn: dung lượng tối đa cho phép là {size} MB."),
                    &format!("The file is too large: the maximum allowed size is {size} MB."),
                )
            }
            Rejection::UnknownType => pick(
                "Loại tệp này không được chấp nhận. Hãy nộp tệp .docx, .xlsx, .pptx, .odt, .ods hoặc .odp.",
                "This file type is not accepted. Please submit a .docx, .xlsx, .pptx, .odt, .ods or .odp file.",
            ),
            Rejection::NotOffice => pick(
                "Tệp không phải là tài liệu văn phòng hợp lệ (có thể là tệp định dạng cũ .doc/.xls/.ppt, tệp đã đặt mật khẩu, hoặc một tệp khác bị đổi tên). Hãy mở tệp, lưu lại đúng định dạng bài yêu cầu rồi nộp lại.",
                "The file is not a valid office document (it may be an old .doc/.xls/.ppt file, a password-protected file, or another file that was renamed). Open it, save it in the format the task asks for and submit it again.",
            ),
            Rejection::WrongType { found: Some(kind) } => {
                let ext = kind.extension();
                pick(
                    &format!(
                        "Nội dung tệp không khớp với phần mở rộng của tên tệp: đây thực ra là tệp .{ext}. Hãy lưu lại đúng định dạng bài yêu cầu rồi nộp lại."
                    ),
                    &format!(
                        "The file's content does not match its extension: it is actually a .{ext} file. Save it in the format the task asks for and submit it again."
                    ),
                )
            }
            Rejection::WrongType { found: None } => pick(
                "Nội dung tệp không khớp với phần mở rộng của tên tệp. Hãy lưu lại đúng định dạng bài yêu cầu rồi nộp lại.",
                "The file's content does not match its extension. Save it in the format the task asks for and submit it again.",
            ),
            Rejection::Macros => pick(
                "Tệp có chứa macro hoặc ở định dạng cho phép macro; không được nộp tệp có macro. Hãy xoá macro hoặc lưu lại ở định dạng thường (.docx, .xlsx, .pptx, .odt, .ods, .odp) rồi nộp lại.",
                "The file contains macros or is in a macro-enabled format; files with macros are not accepted. Remove the macros or save it in a normal format (.docx, .xlsx, .pptx, .odt, .ods, .odp) and submit it again.",
            ),
            Rejection::ZipBomb => pick(
                "Tệp có cấu trúc nén bất thường (quá nhiều thành phần hoặc quá lớn khi giải nén) nên không được chấp nhận.",
                "The file has an abnormal compressed structure (too many parts or too large once uncompressed) and cannot be accepted.",
            ),
            Rejection::Encrypted => pick(
                "Tệp đã được đặt mật khẩu hoặc mã hoá. Hãy gỡ mật khẩu, lưu lại rồi nộp lại.",
                "The file is password-protected or encrypted. Remove the password, save it and submit it again.",
            ),
            Rejection::Malformed(_) => pick(
                "Tệp bị hỏng hoặc không đọc được. Hãy mở tệp bằng phần mềm văn phòng, lưu lại rồi nộp lại.",
                "The file is damaged or cannot be read. Open it in your office program, save it again and submit it again.",
            ),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(false))
    }
}

impl std::error::Error for Rejection {}

/// `bytes` in MiB: a whole number, or one decimal (comma in Vietnamese).
fn megabytes(bytes: u64, vi: bool) -> String {
    if bytes.is_multiple_of(MIB) {
        return (bytes / MIB).to_string();
    }
    let text = format!("{:.1}", bytes as f64 / MIB as f64);
    if vi { text.replace('.', ",") } else { text }
}

/// Checks an upload named `name` with content `bytes`; returns its kind.
///
/// Order: extension (macro-enabled extensions → [`Rejection::Macros`], any
/// other unknown one → [`Rejection::UnknownType`]), size, zip structure,
/// encryption, declared sizes, macro parts, actual sizes (every entry is
/// inflated through a bounded reader), then the package type against the
/// claim.
pub fn inspect(name: &str, bytes: &[u8], limits: &Limits) -> Result<OfficeKind, Rejection> {
    let ext = extension_of(name).unwrap_or("");
    if MACRO_EXTENSIONS
        .iter()
        .any(|m| m.eq_ignore_ascii_case(ext.trim()))
    {
        return Err(Rejection::Macros);
    }
    let claimed = OfficeKind::from_extension(ext).ok_or(Rejection::UnknownType)?;
    let file_len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if file_len > limits.max_bytes {
        return Err(Rejection::TooLarge {
            max_bytes: limits.max_bytes,
        });
    }
    let mut archive = match Archive::open(bytes, limits.max_entries) {
        Ok(archive) => archive,
        Err(OpenError::NotZip) => return Err(Rejection::NotOffice),
        Err(OpenError::TooManyEntries) => return Err(Rejection::ZipBomb),
        Err(OpenError::Broken(detail)) => return Err(Rejection::Malformed(detail)),
    };
    let entries = archive.entries().to_vec();
    if entries.iter().any(|e| e.encrypted) {
        return Err(Rejection::Encrypted);
    }

    // Declared sizes, before inflating anything.
    let mut declared_total: u64 = 0;
    for entry in &entries {
        declared_total = declared_total.saturating_add(entry.size);
        if entry.size > RATIO_FLOOR && entry.size / entry.compressed.max(1) > limits.max_ratio {
            return Err(Rejection::ZipBomb);
        }
    }
    if declared_total > limits.max_uncompressed
        || (declared_total > RATIO_FLOOR && declared_total / file_len.max(1) > limits.max_ratio)
    {
        return Err(Rejection::ZipBomb);
    }

    if entries.iter().any(|e| is_macro_part(&e.name)) {
        return Err(Rejection::Macros);
    }

    // Actual sizes: inflate every entry, keeping nothing, never past what it
    // declared nor past what is left of the total budget.
    let mut remaining = limits.max_uncompressed;
    for index in 0..entries.len() {
        let (size, _) = archive
            .read(index, remaining, false)
            .map_err(EntryError::into_rejection)?;
        remaining = remaining.saturating_sub(size);
    }

    let content_types = match archive.index_of("[Content_Types].xml") {
        Some(index) => {
            let (_, xml) = archive
                .read(index, CONTROL_CAP, true)
                .map_err(EntryError::into_rejection)?;
            Some(ContentTypes::parse(&xml).map_err(Rejection::Malformed)?)
        }
        None => None,
    };
    if let Some(types) = &content_types
        && types.declares_macros(&entries)
    {
        return Err(Rejection::Macros);
    }
    let mimetype = match archive.index_of_exact("mimetype") {
        Some(index) => {
            let (_, text) = archive
                .read(index, CONTROL_CAP, true)
                .map_err(EntryError::into_rejection)?;
            Some(String::from_utf8_lossy(&text).trim().to_string())
        }
        None => None,
    };

    let found = detect(
        claimed,
        content_types.as_ref(),
        mimetype.as_deref(),
        &entries,
    )?;
    let (kind, main_part) = match found {
        Found::Kind(kind, main_part) => (kind, main_part),
        Found::OtherOffice => return Err(Rejection::WrongType { found: None }),
        Found::Nothing => return Err(Rejection::NotOffice),
    };
    if kind != claimed {
        return Err(Rejection::WrongType { found: Some(kind) });
    }
    if archive.index_of(&main_part).is_none() {
        return Err(Rejection::Malformed(format!(
            "missing main part {main_part}"
        )));
    }
    Ok(kind)
}

/// What the package says it is.
enum Found {
    /// One of our kinds, with the path of its main part.
    Kind(OfficeKind, String),
    /// An office-like package of another kind (a template of another
    /// application, an ODF drawing, …).
    OtherOffice,
    /// No office package markers at all.
    Nothing,
}

/// Reads the kind from `[Content_Types].xml` and/or `mimetype`, preferring
/// the family of the claim when a package carries both.
fn detect(
    claimed: OfficeKind,
    content_types: Option<&ContentTypes>,
    mimetype: Option<&str>,
    entries: &[EntryMeta],
) -> Result<Found, Rejection> {
    let from_ooxml = content_types.and_then(ContentTypes::main);
    let from_odf = match mimetype {
        Some(mime) => {
            let kind = odf_kind(mime);
            if kind.is_some() && entries.first().is_none_or(|e| e.name != "mimetype") {
                return Err(Rejection::Malformed(
                    "mimetype is not the first entry".to_string(),
                ));
            }
            kind.map(|k| (k, "content.xml".to_string()))
        }
        None => None,
    };
    let pick = if claimed.is_ooxml() {
        from_ooxml.or(from_odf)
    } else {
        from_odf.or(from_ooxml)
    };
    if let Some((kind, part)) = pick {
        return Ok(Found::Kind(kind, part));
    }
    let office_like = content_types.is_some_and(ContentTypes::has_main_part)
        || mimetype.is_some_and(|m| m.starts_with("application/vnd.oasis.opendocument."));
    Ok(if office_like {
        Found::OtherOffice
    } else {
        Found::Nothing
    })
}

/// The kind an ODF `mimetype` names (templates count as their documents).
fn odf_kind(mime: &str) -> Option<OfficeKind> {
    let rest = mime
        .trim()
        .strip_prefix("application/vnd.oasis.opendocument.")?;
    let rest = rest.strip_suffix("-template").unwrap_or(rest);
    match rest {
        "text" => Some(OfficeKind::Odt),
        "spreadsheet" => Some(OfficeKind::Ods),
        "presentation" => Some(OfficeKind::Odp),
        _ => None,
    }
}

/// Entry names that mean macros: VBA projects and Excel 4 macro sheets in
/// OOXML, Basic libraries and scripts in ODF.
fn is_macro_part(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let file = lower.rsplit('/').next().unwrap_or(&lower);
    file.starts_with("vbaproject")
        || lower.starts_with("xl/macrosheets/")
        || lower.starts_with("basic/")
        || lower.starts_with("scripts/")
}

/// The parsed `[Content_Types].xml` of an OOXML package.
#[derive(Clone, Debug, Default)]
pub(crate) struct ContentTypes {
    /// (extension, content type)
    pub defaults: Vec<(String, String)>,
    /// (part name without the leading `/`, content type)
    pub overrides: Vec<(String, String)>,
}

/// Main-part content types of the kinds we accept (documents, templates
/// and slide shows of Word, Excel and PowerPoint).
const MAIN_TYPES: &[(&str, OfficeKind)] = &[
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        OfficeKind::Docx,
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        OfficeKind::Docx,
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        OfficeKind::Xlsx,
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        OfficeKind::Xlsx,
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        OfficeKind::Pptx,
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
        OfficeKind::Pptx,
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
        OfficeKind::Pptx,
    ),
];

/// A content type in lower case, without parameters.
fn bare_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or(content_type)
        .trim()
        .to_ascii_lowercase()
}

fn is_macro_type(content_type: &str) -> bool {
    let t = bare_type(content_type);
    t.contains("macroenabled") || t.contains("vbaproject") || t.contains("macrosheet")
}

impl ContentTypes {
    pub(crate) fn parse(xml: &[u8]) -> Result<Self, String> {
        let mut types = ContentTypes::default();
        walk_xml(xml, |node, _| {
            if let Node::Open(e) = node {
                match e.local() {
                    "Default" => {
                        if let (Some(ext), Some(ct)) = (e.attr("Extension"), e.attr("ContentType"))
                        {
                            types.defaults.push((ext, ct));
                        }
                    }
                    "Override" => {
                        if let (Some(part), Some(ct)) = (e.attr("PartName"), e.attr("ContentType"))
                        {
                            let part = percent_decode(part.trim().trim_start_matches('/'));
                            types.overrides.push((part, ct));
                        }
                    }
                    _ => {}
                }
            }
            Flow::Go
        })
        .map_err(|e| format!("[Content_Types].xml: {e}"))?;
        Ok(types)
    }

    /// The kind and main part named by an override, if one of ours.
    fn main(&self) -> Option<(OfficeKind, String)> {
        self.overrides.iter().find_map(|(part, ct)| {
            let t = bare_type(ct);
            MAIN_TYPES
                .iter()
                .find(|(main, _)| *main == t)
                .map(|(_, kind)| (*kind, part.clone()))
        })
    }

    /// Some override is a main document part (`….main+xml`), of any kind.
    fn has_main_part(&self) -> bool {
        self.overrides
            .iter()
            .any(|(_, ct)| bare_type(ct).ends_with(".main+xml") || bare_type(ct).ends_with(".main"))
    }

    /// A macro-enabled main part, a VBA project or a macro sheet is
    /// declared (a `Default` only counts when some entry has its extension).
    fn declares_macros(&self, entries: &[EntryMeta]) -> bool {
        self.overrides.iter().any(|(_, ct)| is_macro_type(ct))
            || self.defaults.iter().any(|(ext, ct)| {
                is_macro_type(ct) && {
                    let suffix = format!(".{}", ext.to_ascii_lowercase());
                    entries
                        .iter()
                        .any(|e| e.name.to_ascii_lowercase().ends_with(&suffix))
                }
            })
    }
}

/// Decodes `%XX` escapes (OPC part names and relationship targets).
pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16)),
                bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// Zip reading
// ---------------------------------------------------------------------------

/// What the central directory says about one entry.
#[derive(Clone, Debug)]
pub(crate) struct EntryMeta {
    pub name: String,
    /// Declared uncompressed size.
    pub size: u64,
    /// Compressed size.
    pub compressed: u64,
    pub encrypted: bool,
}

#[derive(Debug)]
pub(crate) enum OpenError {
    /// Does not start like a zip file.
    NotZip,
    /// Looks like a zip but cannot be read.
    Broken(String),
    /// More entries than allowed.
    TooManyEntries,
}

#[derive(Debug)]
pub(crate) enum EntryError {
    Encrypted,
    /// Neither stored nor deflated.
    Unsupported(String),
    /// Inflates to more than its declared size.
    OverDeclared(String),
    /// Inflates to more than the caller's cap.
    OverCap(String),
    /// Corrupt data, wrong size or checksum.
    Broken(String),
}

impl EntryError {
    fn into_rejection(self) -> Rejection {
        match self {
            EntryError::Encrypted => Rejection::Encrypted,
            EntryError::OverDeclared(_) | EntryError::OverCap(_) => Rejection::ZipBomb,
            EntryError::Unsupported(detail) | EntryError::Broken(detail) => {
                Rejection::Malformed(detail)
            }
        }
    }
}

/// A zip package held in memory, with its entry list.
pub(crate) struct Archive<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    entries: Vec<EntryMeta>,
}

impl<'a> Archive<'a> {
    /// Opens `bytes` as a zip that starts with a local file header (no
    /// prefixed data, so polyglot files are not zips here) and has at most
    /// `max_entries` entries with distinct names.
    pub(crate) fn open(bytes: &'a [u8], max_entries: usize) -> Result<Self, OpenError> {
        if !(bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")) {
            return Err(OpenError::NotZip);
        }
        // Refuse a huge declared entry count before the zip reader builds
        // its index of the central directory.
        if declared_entry_count(bytes)
            .is_some_and(|n| n > u64::try_from(max_entries).unwrap_or(u64::MAX))
        {
            return Err(OpenError::TooManyEntries);
        }
        let zip = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| OpenError::Broken(format!("zip: {e}")))?;
        if zip.len() > max_entries {
            return Err(OpenError::TooManyEntries);
        }
        if zip.has_duplicate_names() {
            return Err(OpenError::Broken("zip: duplicate entry names".to_string()));
        }
        let mut entries = Vec::with_capacity(zip.len());
        for index in 0..zip.len() {
            let entry = zip
                .by_index_data(index)
                .map_err(|e| OpenError::Broken(format!("zip entry {index}: {e}")))?;
            entries.push(EntryMeta {
                name: String::from_utf8_lossy(entry.name_raw()).into_owned(),
                size: entry.size(),
                compressed: entry.compressed_size(),
                encrypted: entry.encrypted(),
            });
        }
        Ok(Archive { zip, entries })
    }

    pub(crate) fn entries(&self) -> &[EntryMeta] {
        &self.entries
    }

    /// The index of the entry named exactly `name`.
    pub(crate) fn index_of_exact(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.name == name)
    }

    /// The index of the entry `name`: exact match first, then ASCII
    /// case-insensitive (OPC part names are case-insensitive).
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.index_of_exact(name).or_else(|| {
            self.entries
                .iter()
                .position(|e| e.name.eq_ignore_ascii_case(name))
        })
    }

    /// Inflates entry `index` through a bounded reader: fails as soon as the
    /// output exceeds the declared size or `cap`, checks the final size and
    /// the CRC. Returns the size and, when `keep`, the content.
    pub(crate) fn read(
        &mut self,
        index: usize,
        cap: u64,
        keep: bool,
    ) -> Result<(u64, Vec<u8>), EntryError> {
        let name = self
            .entries
            .get(index)
            .map(|e| e.name.clone())
            .unwrap_or_default();
        let mut file = self
            .zip
            .by_index_raw(index)
            .map_err(|e| EntryError::Broken(format!("{name}: {e}")))?;
        if file.encrypted() {
            return Err(EntryError::Encrypted);
        }
        let declared = file.size();
        let expected_crc = file.crc32();
        let method = file.compression();
        let stored = method == CompressionMethod::Stored;
        let mut reader: Box<dyn Read + '_> = if stored {
            Box::new(&mut file)
        } else if method == CompressionMethod::Deflated {
            Box::new(flate2::read::DeflateDecoder::new(&mut file))
        } else {
            return Err(EntryError::Unsupported(format!(
                "{name}: compression method {method:?}"
            )));
        };
        let mut buf = vec![0u8; 64 * 1024];
        let mut out = Vec::new();
        let mut total: u64 = 0;
        let mut crc = flate2::Crc::new();
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(EntryError::Broken(format!("{name}: {e}"))),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            total = total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
            if total > declared {
                return Err(if stored {
                    EntryError::Broken(format!("{name}: longer than declared"))
                } else {
                    EntryError::OverDeclared(name)
                });
            }
            if total > cap {
                return Err(EntryError::OverCap(name));
            }
            crc.update(chunk);
            if keep {
                out.extend_from_slice(chunk);
            }
        }
        if total != declared {
            return Err(EntryError::Broken(format!("{name}: shorter than declared")));
        }
        if crc.sum() != expected_crc {
            return Err(EntryError::Broken(format!("{name}: checksum mismatch")));
        }
        Ok((total, out))
    }
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(b.try_into().ok()?))
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

/// The entry count the end-of-central-directory record declares (the ZIP64
/// one when present), if such a record can be found.
fn declared_entry_count(bytes: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let last = bytes.len().checked_sub(22)?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    let pos = (first..=last)
        .rev()
        .find(|&p| bytes.get(p..p + 4) == Some(EOCD))?;
    let total = le_u16(bytes, pos + 10)?;
    if total == u16::MAX
        && let Some(locator) = pos.checked_sub(20)
        && bytes.get(locator..locator + 4) == Some(b"PK\x06\x07".as_slice())
        && let Some(record) = le_u64(bytes, locator + 8).and_then(|r| usize::try_from(r).ok())
        && bytes.get(record..record.saturating_add(4)) == Some(b"PK\x06\x06".as_slice())
    {
        return le_u64(bytes, record.saturating_add(32));
    }
    Some(u64::from(total))
}

// ---------------------------------------------------------------------------
// XML walking
// ---------------------------------------------------------------------------

/// Whether [`walk_xml`] goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Go,
    Stop,
}

/// A start tag seen by [`walk_xml`].
pub(crate) struct El<'a>(&'a BytesStart<'a>);

impl<'a> El<'a> {
    /// The local name (`"pStyle"` for `<w:pStyle>`).
    pub(crate) fn local(&self) -> &'a str {
        self.0.local_name().into_inner()
    }

    /// The value of the attribute with this local name, preferring an
    /// unprefixed attribute (`type` on `<p:sldLayout>`) and else a prefixed
    /// one (`w:val`).
    pub(crate) fn attr(&self, local: &str) -> Option<String> {
        self.find_attr(local, false)
    }

    /// The value of a prefixed attribute with this local name (`r:id`, never
    /// a plain `id`).
    pub(crate) fn ns_attr(&self, local: &str) -> Option<String> {
        self.find_attr(local, true)
    }

    fn find_attr(&self, local: &str, prefixed_only: bool) -> Option<String> {
        let mut fallback = None;
        let mut attributes = self.0.attributes();
        attributes.with_checks(false);
        for a in attributes.map_while(Result::ok) {
            let (name, prefix) = a.key.decompose();
            let prefix = prefix.map(|p| p.into_inner());
            if prefix == Some("xmlns") || a.key.into_inner() == "xmlns" {
                continue;
            }
            if name.into_inner() != local {
                continue;
            }
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map(Cow::into_owned)
                .unwrap_or_else(|_| a.value.clone().into_owned());
            match (prefix.is_some(), prefixed_only) {
                (true, true) | (false, false) => return Some(value),
                (true, false) => {
                    if fallback.is_none() {
                        fallback = Some(value);
                    }
                }
                (false, true) => {}
            }
        }
        fallback
    }
}

/// One step of [`walk_xml`].
pub(crate) enum Node<'a> {
    /// A start tag (also for an empty element, followed by its `Close`).
    Open(El<'a>),
    /// An end tag: the local name.
    Close(&'a str),
    /// Character data (entities resolved, CDATA included), glued into one
    /// string between tags.
    Text(&'a str),
}

/// The text of an XML part: UTF-8 (BOM stripped, invalid bytes replaced)
/// or UTF-16 with a BOM.
fn decode_xml(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest);
    }
    let utf16 = |rest: &[u8], little: bool| {
        let units = rest.chunks_exact(2).filter_map(|pair| {
            let pair: [u8; 2] = pair.try_into().ok()?;
            Some(if little {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            })
        });
        Cow::Owned(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        )
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    String::from_utf8_lossy(bytes)
}

/// The character a reference stands for (the five predefined entities and
/// character references; anything else is dropped: no DTD is ever read).
fn resolve_reference(r: &BytesRef<'_>) -> Option<char> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Some(c),
        Ok(None) => match &**r {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => None,
        },
        Err(_) => None,
    }
}

/// Walks an XML part, calling `f` with each node and the local names of the
/// open ancestor elements (for `Open`/`Close`, not including the element
/// itself; for `Text`, ending with the element that holds the text). Stops
/// early when `f` says so. An XML syntax error is an `Err`.
pub(crate) fn walk_xml(
    bytes: &[u8],
    mut f: impl FnMut(Node<'_>, &[String]) -> Flow,
) -> Result<(), String> {
    let text = decode_xml(bytes);
    let mut reader = Reader::from_str(&text);
    let mut stack: Vec<String> = Vec::new();
    let mut pending = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("XML error at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Text(t) => pending.push_str(&t.xml10_content()),
            Event::CData(c) => pending.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(c) = resolve_reference(&r) {
                    pending.push(c);
                }
            }
            other => {
                if !pending.is_empty() {
                    let flow = f(Node::Text(&pending), &stack);
                    pending.clear();
                    if flow == Flow::Stop {
                        return Ok(());
                    }
                }
                match other {
                    Event::Start(e) => {
                        if f(Node::Open(El(&e)), &stack) == Flow::Stop {
                            return Ok(());
                        }
                        stack.push(e.local_name().into_inner().to_string());
                    }
                    Event::Empty(e) => {
                        if f(Node::Open(El(&e)), &stack) == Flow::Stop {
                            return Ok(());
                        }
                        if f(Node::Close(e.local_name().into_inner()), &stack) == Flow::Stop {
                            return Ok(());
                        }
                    }
                    Event::End(e) => {
                        stack.pop();
                        if f(Node::Close(e.local_name().into_inner()), &stack) == Flow::Stop {
                            return Ok(());
                        }
                    }
                    Event::Eof => return Ok(()),
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write as _;
    use zip::write::SimpleFileOptions;

    const LETTER_GOOD: &[u8] = include_bytes!("../../tests/fixtures/practical/letter_good.docx");
    const LETTER_PLAIN: &[u8] = include_bytes!("../../tests/fixtures/practical/letter_plain.docx");
    const LETTER_ODT: &[u8] = include_bytes!("../../tests/fixtures/practical/letter.odt");
    const SHEET_GOOD: &[u8] = include_bytes!("../../tests/fixtures/practical/sheet_good.xlsx");
    const SHEET_VALUES: &[u8] = include_bytes!("../../tests/fixtures/practical/sheet_values.xlsx");
    const SHEET_LINE: &[u8] = include_bytes!("../../tests/fixtures/practical/sheet_line.xlsx");
    const SHEET_ODS: &[u8] = include_bytes!("../../tests/fixtures/practical/sheet.ods");
    const SLIDES_GOOD: &[u8] = include_bytes!("../../tests/fixtures/practical/slides_good.pptx");
    const SLIDES_PLAIN: &[u8] = include_bytes!("../../tests/fixtures/practical/slides_plain.pptx");
    const SLIDES_ODP: &[u8] = include_bytes!("../../tests/fixtures/practical/slides.odp");

    /// Every fixture with the name it is uploaded under and its kind.
    pub(crate) const FIXTURES: &[(&str, &[u8], OfficeKind)] = &[
        ("letter_good.docx", LETTER_GOOD, OfficeKind::Docx),
        ("letter_plain.docx", LETTER_PLAIN, OfficeKind::Docx),
        ("letter.odt", LETTER_ODT, OfficeKind::Odt),
        ("sheet_good.xlsx", SHEET_GOOD, OfficeKind::Xlsx),
        ("sheet_values.xlsx", SHEET_VALUES, OfficeKind::Xlsx),
        ("sheet_line.xlsx", SHEET_LINE, OfficeKind::Xlsx),
        ("sheet.ods", SHEET_ODS, OfficeKind::Ods),
        ("slides_good.pptx", SLIDES_GOOD, OfficeKind::Pptx),
        ("slides_plain.pptx", SLIDES_PLAIN, OfficeKind::Pptx),
        ("slides.odp", SLIDES_ODP, OfficeKind::Odp),
    ];

    fn check(name: &str, bytes: &[u8]) -> Result<OfficeKind, Rejection> {
        inspect(name, bytes, &Limits::default())
    }

    /// A zip written with the `zip` crate; names ending in `/` are folders.
    pub(crate) fn zip_of(entries: &[(&str, &[u8])], stored: bool) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = if stored {
            SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
        } else {
            SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
        };
        for (name, data) in entries {
            if name.ends_with('/') {
                w.add_directory(*name, options).unwrap();
            } else {
                w.start_file(*name, options).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    /// All entries of a zip, in order.
    pub(crate) fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut zip = ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut file = zip.by_index(i).unwrap();
                let mut data = Vec::new();
                file.read_to_end(&mut data).unwrap();
                (file.name().unwrap().to_string(), data)
            })
            .collect()
    }

    /// Rewrites a zip: `edit` may change (or drop, with `None`) each entry;
    /// `extra` entries are appended.
    pub(crate) fn rezip(
        bytes: &[u8],
        edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>,
        extra: &[(&str, &[u8])],
    ) -> Vec<u8> {
        let mut kept: Vec<(String, Vec<u8>)> = unzip(bytes)
            .into_iter()
            .filter_map(|(name, data)| edit(&name, data).map(|d| (name, d)))
            .collect();
        kept.extend(extra.iter().map(|(n, d)| (n.to_string(), d.to_vec())));
        let refs: Vec<(&str, &[u8])> = kept
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        zip_of(&refs, false)
    }

    /// One entry of a hand-made zip, with whatever header values we like.
    struct RawEntry<'a> {
        name: &'a str,
        flags: u16,
        method: u16,
        crc: u32,
        data: &'a [u8],
        declared: u32,
    }

    /// A zip written byte by byte, so headers can lie.
    fn raw_zip(entries: &[RawEntry<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for e in entries {
            let offset = u32::try_from(out.len()).unwrap();
            let name_len = u16::try_from(e.name.len()).unwrap();
            let compressed = u32::try_from(e.data.len()).unwrap();
            out.extend_from_slice(b"PK\x03\x04");
            for v in [20u16, e.flags, e.method, 0, 0x21] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for v in [e.crc, compressed, e.declared] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&name_len.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(e.name.as_bytes());
            out.extend_from_slice(e.data);

            central.extend_from_slice(b"PK\x01\x02");
            for v in [20u16, 20, e.flags, e.method, 0, 0x21] {
                central.extend_from_slice(&v.to_le_bytes());
            }
            for v in [e.crc, compressed, e.declared] {
                central.extend_from_slice(&v.to_le_bytes());
            }
            for v in [name_len, 0, 0, 0, 0] {
                central.extend_from_slice(&v.to_le_bytes());
            }
            central.extend_from_slice(&0u32.to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(e.name.as_bytes());
        }
        let cd_offset = u32::try_from(out.len()).unwrap();
        let cd_size = u32::try_from(central.len()).unwrap();
        let count = u16::try_from(entries.len()).unwrap();
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        for v in [0u16, 0, count, count] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// Bits written least significant first, as deflate wants them.
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }

    impl Bits {
        fn put(&mut self, value: u32, len: u32) {
            self.acc |= u64::from(value) << self.n;
            self.n += len;
            while self.n >= 8 {
                self.out.push((self.acc & 0xFF) as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
    }

    /// A Huffman code (written most significant bit first) as LSB-first bits.
    fn reversed(code: u32, len: u32) -> u32 {
        (0..len).fold(0, |acc, i| acc | (((code >> i) & 1) << (len - 1 - i)))
    }

    /// A raw deflate stream of `total` zero bytes (`total` ≥ 1), written
    /// directly with the fixed Huffman code: one literal 0, then copies of
    /// length 258 at distance 1 (13 bits for 258 bytes), so 300 MiB of
    /// zeros take about 2 MB and no time.
    pub(crate) fn zeros_deflate(total: u64) -> Vec<u8> {
        let mut bits = Bits {
            out: Vec::new(),
            acc: 0,
            n: 0,
        };
        bits.put(1, 1); // BFINAL
        bits.put(1, 2); // BTYPE = 01, fixed Huffman codes
        let literal_zero = reversed(0x30, 8);
        let copy_258 = reversed(0xC5, 8) | (reversed(0, 5) << 8); // symbol 285, distance code 0
        bits.put(literal_zero, 8);
        let mut left = total - 1;
        while left >= 258 {
            bits.put(copy_258, 13);
            left -= 258;
        }
        for _ in 0..left {
            bits.put(literal_zero, 8);
        }
        bits.put(reversed(0, 7), 7); // end of block
        if bits.n > 0 {
            bits.out.push((bits.acc & 0xFF) as u8);
        }
        bits.out
    }

    fn crc_of(data: &[u8]) -> u32 {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        crc.sum()
    }

    #[test]
    fn kinds_from_names() {
        assert_eq!(OfficeKind::from_extension("docx"), Some(OfficeKind::Docx));
        assert_eq!(OfficeKind::from_extension("XLSX"), Some(OfficeKind::Xlsx));
        assert_eq!(OfficeKind::from_extension("Odp"), Some(OfficeKind::Odp));
        assert_eq!(OfficeKind::from_extension("xlsm"), None);
        assert_eq!(OfficeKind::from_extension("doc"), None);
        assert_eq!(OfficeKind::from_extension(""), None);
        assert_eq!(
            OfficeKind::from_file_name("Bài làm của em.PPTX"),
            Some(OfficeKind::Pptx)
        );
        assert_eq!(
            OfficeKind::from_file_name("C:\\Users\\a\\bang.luong.xlsx"),
            Some(OfficeKind::Xlsx)
        );
        assert_eq!(OfficeKind::from_file_name("a.b/letter"), None);
        assert_eq!(OfficeKind::from_file_name("noext"), None);
        for kind in OfficeKind::ALL {
            assert_eq!(OfficeKind::from_extension(kind.extension()), Some(kind));
            assert!(kind.mime().starts_with("application/vnd."));
            assert_eq!(
                kind.is_ooxml(),
                kind.mime().contains("openxmlformats"),
                "{kind:?}"
            );
        }
        assert_eq!(
            serde_json::to_string(&OfficeKind::Docx).unwrap(),
            "\"docx\""
        );
        assert_eq!(
            serde_json::from_str::<OfficeKind>("\"ods\"").unwrap(),
            OfficeKind::Ods
        );
    }

    #[test]
    fn limits_default() {
        let l = Limits::default();
        assert_eq!(l.max_bytes, 20 * 1024 * 1024);
        assert_eq!(l.max_entries, 2_000);
        assert_eq!(l.max_uncompressed, 200 * 1024 * 1024);
        assert_eq!(l.max_ratio, 100);
    }

    #[test]
    fn every_fixture_is_accepted_as_what_it_is() {
        for (name, bytes, kind) in FIXTURES {
            assert_eq!(check(name, bytes), Ok(*kind), "{name}");
            let upper = name.to_uppercase();
            assert_eq!(check(&upper, bytes), Ok(*kind), "{upper}");
        }
    }

    #[test]
    fn fixtures_under_another_extension_are_the_wrong_type() {
        for (name, bytes, kind) in FIXTURES {
            for other in OfficeKind::ALL {
                if other == *kind {
                    continue;
                }
                let renamed = format!("bai.{}", other.extension());
                assert_eq!(
                    check(&renamed, bytes),
                    Err(Rejection::WrongType { found: Some(*kind) }),
                    "{name} as {renamed}"
                );
            }
        }
    }

    #[test]
    fn docx_claimed_as_xlsx() {
        assert_eq!(
            check("bang-luong.xlsx", LETTER_GOOD),
            Err(Rejection::WrongType {
                found: Some(OfficeKind::Docx)
            })
        );
    }

    #[test]
    fn unknown_and_macro_extensions() {
        for name in [
            "a.pdf",
            "a.doc",
            "a.xls",
            "a.xlsb",
            "noext",
            "a.",
            "a.docx.exe",
            "",
        ] {
            assert_eq!(
                check(name, SHEET_GOOD),
                Err(Rejection::UnknownType),
                "{name}"
            );
        }
        for name in ["a.xlsm", "a.DOCM", "a.pptm", "a.xltm", "a.potm", "a.ppsm"] {
            assert_eq!(check(name, SHEET_GOOD), Err(Rejection::Macros), "{name}");
        }
    }

    #[test]
    fn too_large() {
        let limits = Limits {
            max_bytes: 1000,
            ..Limits::default()
        };
        assert_eq!(
            inspect("sheet_good.xlsx", SHEET_GOOD, &limits),
            Err(Rejection::TooLarge { max_bytes: 1000 })
        );
    }

    #[test]
    fn not_a_zip_is_not_office() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";
        assert_eq!(check("bai.xlsx", pdf), Err(Rejection::NotOffice));
        assert_eq!(
            check("bai.docx", "Xin chào, đây là văn bản thường.".as_bytes()),
            Err(Rejection::NotOffice)
        );
        assert_eq!(check("bai.pptx", b""), Err(Rejection::NotOffice));
        // An OLE compound file: old .doc, or a password-protected .docx.
        let mut cfb = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
        cfb.resize(4096, 0);
        assert_eq!(check("bai.docx", &cfb), Err(Rejection::NotOffice));
        // A PDF with a zip appended (a polyglot) is not a zip here.
        let mut polyglot = pdf.to_vec();
        polyglot.extend_from_slice(SHEET_GOOD);
        assert_eq!(check("bai.xlsx", &polyglot), Err(Rejection::NotOffice));
        // A zip without any office marker.
        let plain = zip_of(&[("readme.txt", b"hello")], false);
        assert_eq!(check("bai.docx", &plain), Err(Rejection::NotOffice));
        let empty = zip_of(&[], false);
        assert_eq!(check("bai.docx", &empty), Err(Rejection::NotOffice));
    }

    #[test]
    fn macro_enabled_workbook() {
        let vba: &[u8] = b"\xD0\xCF\x11\xE0 not really a VBA project";
        let macro_types = |name: &str, data: Vec<u8>| {
            Some(if name == "[Content_Types].xml" {
                String::from_utf8(data)
                    .unwrap()
                    .replace(
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                    )
                    .replace(
                        "</Types>",
                        "<Override PartName=\"/xl/vbaProject.bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/></Types>",
                    )
                    .into_bytes()
            } else {
                data
            })
        };
        let xlsm = rezip(SHEET_GOOD, macro_types, &[("xl/vbaProject.bin", vba)]);
        assert_eq!(check("bang-luong.xlsx", &xlsm), Err(Rejection::Macros));
        assert_eq!(check("bang-luong.xlsm", &xlsm), Err(Rejection::Macros));

        // Only the content type says so.
        let only_type = rezip(SHEET_GOOD, macro_types, &[]);
        assert_eq!(check("a.xlsx", &only_type), Err(Rejection::Macros));
        // Only the part is there.
        let only_part = rezip(SHEET_GOOD, |_, d| Some(d), &[("xl/vbaProject.bin", vba)]);
        assert_eq!(check("a.xlsx", &only_part), Err(Rejection::Macros));
        // A VBA project declared by a Default for .bin, as Excel does.
        let by_default = rezip(
            SHEET_GOOD,
            |name, data| {
                Some(if name == "[Content_Types].xml" {
                    String::from_utf8(data)
                        .unwrap()
                        .replace(
                            "<Default Extension=\"xml\"",
                            "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/><Default Extension=\"xml\"",
                        )
                        .into_bytes()
                } else {
                    data
                })
            },
            &[("xl/macros.bin", vba)],
        );
        assert_eq!(check("a.xlsx", &by_default), Err(Rejection::Macros));
        // A macro-enabled Word document named .docx.
        let docm = rezip(
            LETTER_GOOD,
            |name, data| {
                Some(if name == "[Content_Types].xml" {
                    String::from_utf8(data)
                        .unwrap()
                        .replace(
                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                            "application/vnd.ms-word.document.macroEnabled.main+xml",
                        )
                        .into_bytes()
                } else {
                    data
                })
            },
            &[],
        );
        assert_eq!(check("a.docx", &docm), Err(Rejection::Macros));
    }

    #[test]
    fn odf_wrong_mimetype() {
        let odf = |mime: &str| {
            zip_of(
                &[
                    ("mimetype", mime.as_bytes()),
                    ("content.xml", b"<office:document-content/>"),
                    ("META-INF/manifest.xml", b"<manifest:manifest/>"),
                ],
                true,
            )
        };
        let ods = odf("application/vnd.oasis.opendocument.spreadsheet");
        assert_eq!(check("a.ods", &ods), Ok(OfficeKind::Ods));
        assert_eq!(
            check("a.odt", &ods),
            Err(Rejection::WrongType {
                found: Some(OfficeKind::Ods)
            })
        );
        let odg = odf("application/vnd.oasis.opendocument.graphics");
        assert_eq!(
            check("a.odp", &odg),
            Err(Rejection::WrongType { found: None })
        );
        let epub = odf("application/epub+zip");
        assert_eq!(check("a.odt", &epub), Err(Rejection::NotOffice));
        let template = odf("application/vnd.oasis.opendocument.text-template");
        assert_eq!(check("a.odt", &template), Ok(OfficeKind::Odt));
        // mimetype must be the first entry.
        let late = zip_of(
            &[
                ("content.xml", b"<office:document-content/>"),
                ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ],
            true,
        );
        assert!(matches!(
            check("a.odt", &late),
            Err(Rejection::Malformed(_))
        ));
        // No content.xml.
        let hollow = zip_of(
            &[("mimetype", b"application/vnd.oasis.opendocument.text")],
            true,
        );
        assert!(matches!(
            check("a.odt", &hollow),
            Err(Rejection::Malformed(_))
        ));
    }

    #[test]
    fn odf_with_macros() {
        let with = |extra: &[(&str, &[u8])]| rezip(LETTER_ODT, |_, d| Some(d), extra);
        let basic = with(&[
            ("Basic/script-lc.xml", b"<library:libraries/>"),
            (
                "Basic/Standard/Module1.xml",
                b"<script:module>Sub Main\nEnd Sub</script:module>",
            ),
        ]);
        assert_eq!(check("letter.odt", &basic), Err(Rejection::Macros));
        let scripts = with(&[("Scripts/python/hello.py", b"print('x')")]);
        assert_eq!(check("letter.odt", &scripts), Err(Rejection::Macros));
        // The rezipped document without macros is still fine.
        assert_eq!(check("letter.odt", &with(&[])), Ok(OfficeKind::Odt));
    }

    #[test]
    fn encrypted_entry() {
        let data = b"0123456789abcdef0123456789";
        let zip = raw_zip(&[RawEntry {
            name: "[Content_Types].xml",
            flags: 1,
            method: 0,
            crc: crc_of(data),
            data,
            declared: u32::try_from(data.len()).unwrap(),
        }]);
        assert_eq!(check("a.docx", &zip), Err(Rejection::Encrypted));
    }

    #[test]
    fn raw_zip_and_zeros_deflate_are_sound() {
        // The hand-made deflate stream inflates to exactly the zeros.
        let stream = zeros_deflate(100_000);
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(stream.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), 100_000);
        assert!(out.iter().all(|b| *b == 0));
        // An honest hand-made zip reads back (and is not office).
        let zeros = vec![0u8; 100_000];
        let zip = raw_zip(&[RawEntry {
            name: "zeros.bin",
            flags: 0,
            method: 8,
            crc: crc_of(&zeros),
            data: &stream,
            declared: 100_000,
        }]);
        let mut archive = Archive::open(&zip, 10).unwrap();
        let (size, data) = archive.read(0, u64::MAX, true).unwrap();
        assert_eq!(size, 100_000);
        assert_eq!(data, zeros);
        assert_eq!(check("a.docx", &zip), Err(Rejection::NotOffice));
    }

    #[test]
    fn zip_bomb_300_mib_of_zeros() {
        let total: u64 = 300 * 1024 * 1024;
        let stream = zeros_deflate(total);
        assert!(stream.len() < 3 * 1024 * 1024, "{}", stream.len());
        let bomb = |declared: u32| {
            raw_zip(&[
                RawEntry {
                    name: "[Content_Types].xml",
                    flags: 0,
                    method: 0,
                    crc: crc_of(b"<Types/>"),
                    data: b"<Types/>",
                    declared: 8,
                },
                RawEntry {
                    name: "xl/worksheets/sheet1.xml",
                    flags: 0,
                    method: 8,
                    crc: 0, // never read to the end
                    data: &stream,
                    declared,
                },
            ])
        };
        // Honest header: refused on the declared size alone.
        let honest = bomb(u32::try_from(total).unwrap());
        assert_eq!(check("a.xlsx", &honest), Err(Rejection::ZipBomb));
        // Lying header (1 KiB declared): refused while inflating, after at
        // most one buffer beyond the declared size.
        let liar = bomb(1024);
        let started = std::time::Instant::now();
        assert_eq!(check("a.xlsx", &liar), Err(Rejection::ZipBomb));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Even with no size or ratio limits the lie is caught.
        let unlimited = Limits {
            max_bytes: u64::MAX,
            max_entries: usize::MAX,
            max_uncompressed: u64::MAX,
            max_ratio: u64::MAX,
        };
        assert_eq!(
            inspect("a.xlsx", &liar, &unlimited),
            Err(Rejection::ZipBomb)
        );
        // A declared size over a smaller total budget is refused up front.
        let small_budget = Limits {
            max_uncompressed: 4 * 1024 * 1024,
            ..unlimited
        };
        assert_eq!(
            inspect("a.xlsx", &bomb(16 * 1024 * 1024), &small_budget),
            Err(Rejection::ZipBomb)
        );
    }

    #[test]
    fn zip_bomb_by_ratio() {
        // 5 MiB of zeros in ~32 KiB: within the total, far over ratio 100.
        let total: u64 = 5 * 1024 * 1024;
        let stream = zeros_deflate(total);
        let zip = raw_zip(&[RawEntry {
            name: "word/document.xml",
            flags: 0,
            method: 8,
            crc: 0,
            data: &stream,
            declared: u32::try_from(total).unwrap(),
        }]);
        assert_eq!(check("a.docx", &zip), Err(Rejection::ZipBomb));
    }

    #[test]
    fn zip_bomb_by_entry_count() {
        let names: Vec<String> = (0..2_001).map(|i| format!("f{i}.xml")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let zip = zip_of(&entries, true);
        assert_eq!(check("a.docx", &zip), Err(Rejection::ZipBomb));
        // 2,000 is still fine as far as the count goes.
        let zip = zip_of(&entries[..2_000], true);
        assert_eq!(check("a.docx", &zip), Err(Rejection::NotOffice));
    }

    #[test]
    fn truncated_and_damaged_fixtures_are_malformed() {
        for (name, bytes, _) in FIXTURES {
            for cut in [bytes.len() / 2, bytes.len() - 1, 100] {
                let result = check(name, &bytes[..cut]);
                assert!(
                    matches!(result, Err(Rejection::Malformed(_))),
                    "{name} cut at {cut}: {result:?}"
                );
            }
        }
        // A flipped byte inside the compressed data of the first entry.
        let mut damaged = SHEET_GOOD.to_vec();
        let first_data = 30 + "_rels/.rels".len() + 20;
        damaged[first_data] ^= 0x55;
        let result = check("sheet_good.xlsx", &damaged);
        assert!(matches!(result, Err(Rejection::Malformed(_))), "{result:?}");
    }

    #[test]
    fn ooxml_main_part_must_exist() {
        let hollow = rezip(
            LETTER_GOOD,
            |name, d| (name != "word/document.xml").then_some(d),
            &[],
        );
        assert!(matches!(
            check("a.docx", &hollow),
            Err(Rejection::Malformed(_))
        ));
    }

    #[test]
    fn duplicate_names_are_malformed() {
        let data = b"<x/>";
        let entry = |name| RawEntry {
            name,
            flags: 0,
            method: 0,
            crc: crc_of(data),
            data,
            declared: 4,
        };
        let zip = raw_zip(&[entry("[Content_Types].xml"), entry("[Content_Types].xml")]);
        assert!(matches!(
            check("a.docx", &zip),
            Err(Rejection::Malformed(_))
        ));
    }

    #[test]
    fn messages_and_codes() {
        let all = [
            Rejection::TooLarge {
                max_bytes: 20 * 1024 * 1024,
            },
            Rejection::UnknownType,
            Rejection::NotOffice,
            Rejection::WrongType {
                found: Some(OfficeKind::Docx),
            },
            Rejection::WrongType { found: None },
            Rejection::Macros,
            Rejection::ZipBomb,
            Rejection::Encrypted,
            Rejection::Malformed("x".into()),
        ];
        let mut codes = std::collections::HashSet::new();
        for r in &all {
            codes.insert(r.code());
            let vi = r.message(true);
            let en = r.message(false);
            assert!(vi.ends_with('.') && en.ends_with('.'), "{vi} / {en}");
            assert_ne!(vi, en);
            assert_eq!(r.to_string(), en);
        }
        assert_eq!(codes.len(), 8);
        assert_eq!(
            all[0].message(true),
            "Tệp quá lớn: dung lượng tối đa cho phép là 20 MB."
        );
        assert!(all[3].message(false).contains(".docx"));
        assert_eq!(
            Rejection::TooLarge {
                max_bytes: 1536 * 1024
            }
            .message(true),
            "Tệp quá lớn: dung lượng tối đa cho phép là 1,5 MB."
        );
    }

    #[test]
    fn walk_xml_text_attributes_and_errors() {
        let xml = "\u{feff}<a:root xmlns:a=\"u\" xmlns:r=\"v\" id=\"plain\" r:id=\"rel\"><a:t>x &amp; y &#x1EA0;<![CDATA[<z>]]></a:t><b a:val=\"1\"/></a:root>";
        let mut seen = Vec::new();
        walk_xml(xml.as_bytes(), |node, stack| {
            match node {
                Node::Open(e) => seen.push(format!(
                    "open {} {:?} {:?} {:?} {}",
                    e.local(),
                    e.attr("id"),
                    e.ns_attr("id"),
                    e.attr("val"),
                    stack.len()
                )),
                Node::Close(name) => seen.push(format!("close {name} {}", stack.len())),
                Node::Text(t) => seen.push(format!("text {t} {}", stack.join("/"))),
            }
            Flow::Go
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                "open root Some(\"plain\") Some(\"rel\") None 0",
                "open t None None None 1",
                "text x & y Ạ<z> root/t",
                "close t 1",
                "open b None None Some(\"1\") 1",
                "close b 1",
                "close root 0",
            ]
        );
        assert!(walk_xml(b"<a><b></a>", |_, _| Flow::Go).is_err());
        // UTF-16 with a BOM.
        let utf16: Vec<u8> = b"\xFF\xFE"
            .iter()
            .copied()
            .chain("<a>é</a>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let mut text = String::new();
        walk_xml(&utf16, |node, _| {
            if let Node::Text(t) = node {
                text.push_str(t);
            }
            Flow::Go
        })
        .unwrap();
        assert_eq!(text, "é");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%C3%A9"), "a bé");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    fn any_name() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "a.docx", "a.xlsx", "a.pptx", "a.odt", "a.ods", "a.odp", "a.xlsm", "a.txt",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn inspect_never_panics_on_bytes(
            name in any_name(),
            bytes in prop::collection::vec(any::<u8>(), 0..600),
            zip_magic in any::<bool>(),
        ) {
            let mut bytes = bytes;
            if zip_magic {
                bytes.splice(0..0, b"PK\x03\x04".iter().copied());
            }
            let _ = inspect(&name, &bytes, &Limits::default());
        }

        #[test]
        fn inspect_never_panics_on_damaged_fixtures(
            which in any::<prop::sample::Index>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let (name, bytes, _) = FIXTURES[which.index(FIXTURES.len())];
            let mut bytes = bytes.to_vec();
            for (at, x) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= x;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            let _ = inspect(name, &bytes, &Limits::default());
        }
    }
}
