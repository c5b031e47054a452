//! Moodle XML question files (`<quiz><question type="…">`): a reader that
//! turns multiple-choice and true/false questions into drafts, and a writer
//! whose output Moodle 4 imports.
//!
//! The reader never expands entities. A document type declaration (DTD) is
//! refused outright, so entity bombs ("billion laughs") and external
//! entities cannot happen; only the five predefined entities and character
//! references are understood. Nesting depth is capped and the input must be
//! UTF-8. Whatever the input, the reader returns a report and never panics.
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::reader::Reader;

use crate::domain::question::{
    Difficulty, EmbeddedImage, ImportDefaults, ModuleCode, OptionDraft, ParsedFile, QuestionDraft,
    QuestionType, TextFormat, TopicCode, module_and_topic_from_path,
};
use crate::domain::unit_path::{fold_diacritics, normalize_text};
use crate::i18n::Lang;

/// Elements nest at most this deep (a Moodle question needs about five levels).
const MAX_DEPTH: usize = 64;

/// The message for a file that carries a document type declaration.
const DTD_MESSAGE: &str = "Tệp XML không được chứa DTD.";

/// The two options of a true/false question, in this order.
const TRUE_LABEL: &str = "Đúng";
const FALSE_LABEL: &str = "Sai";

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Reads a Moodle XML file. `category` questions set the module and topic of
/// the questions after them (through [`module_and_topic_from_path`]);
/// `defaults` apply while the current category names no module.
/// `multichoice` and `truefalse` questions become drafts (each checked with
/// [`QuestionDraft::validate`]); every other type is skipped with a reason.
/// Lines are those of the `<question` start tags. A file that is not
/// well-formed, not UTF-8, or carries a DTD yields an error at its line and
/// the questions read before that point.
///
/// Notes: texts are trimmed (as Moodle does); a missing `format` means
/// HTML and an unknown one is read as HTML too (as Moodle does, `wiki_like`
/// excepted, which is plain text); the draft's format is the question
/// text's. The title is `<name>`; the external id is `<idnumber>`, else
/// the name. A tag that [`Difficulty::parse`] accepts sets the difficulty
/// instead of being a tag. Images are the `<file>` elements of the question
/// text, general feedback, answers and answer feedback, named by their
/// path below `/` (`x.png`, or `dir/x.png` for `path="/dir/"`).
pub fn parse(bytes: &[u8], defaults: &ImportDefaults) -> ParsedFile {
    let mut out = ParsedFile::default();
    let text = match decode(bytes) {
        Ok(text) => text,
        Err((line, message)) => {
            out.errors.push((line, message));
            return out;
        }
    };
    let lines = LineIndex::new(text);
    let mut reader = Reader::from_str(text);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut state = ReadState::new(defaults);
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(before);
                out.errors.push((lines.line_at(at), xml_error_message(&e)));
                return out;
            }
        };
        let line = lines.line_at(before);
        let step = match event {
            Event::Eof => {
                if let Some(open) = state.names.last() {
                    let message =
                        format!("Tệp XML bị cắt cụt: thiếu thẻ đóng </{}>.", shorten(open));
                    // The last line with content, not an empty line after it.
                    let end = text.trim_end().len().saturating_sub(1);
                    out.errors.push((lines.line_at(end), message));
                } else if !state.seen_root {
                    out.errors.push((
                        1,
                        "Tệp không phải Moodle XML: không có phần tử gốc <quiz>.".into(),
                    ));
                }
                return out;
            }
            Event::DocType(_) => Err(DTD_MESSAGE.to_string()),
            Event::Decl(decl) => check_declaration(&decl),
            Event::PI(_) | Event::Comment(_) => Ok(()),
            Event::Start(e) => state.open(&e, line),
            Event::Empty(e) => state.open(&e, line).and_then(|()| state.close(&mut out)),
            Event::End(_) => state.close(&mut out),
            Event::Text(t) => state.text(&t.xml10_content()),
            Event::CData(c) => state.text(&c.xml10_content()),
            Event::GeneralRef(r) => match resolve_reference(&r) {
                Ok(c) => state.text(c.encode_utf8(&mut [0; 4])),
                Err(message) => Err(message),
            },
        };
        if let Err(message) = step {
            out.errors.push((line, message));
            return out;
        }
    }
}

/// Checks the bytes are UTF-8 text and returns them without a BOM.
fn decode(bytes: &[u8]) -> Result<&str, (usize, String)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err((
            1,
            "Tệp XML phải được mã hoá UTF-8 (tệp này là UTF-16).".into(),
        ));
    }
    let line_of = |at: usize| {
        1 + bytes[..at.min(bytes.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        (
            line_of(e.valid_up_to()),
            "Tệp XML phải được mã hoá UTF-8: có byte không hợp lệ ở dòng này.".to_string(),
        )
    })?;
    if let Some(at) = text.find('\0') {
        return Err((
            line_of(at),
            "Tệp XML phải được mã hoá UTF-8: có ký tự NUL.".into(),
        ));
    }
    if text.trim().is_empty() {
        return Err((1, "Tệp trống.".into()));
    }
    Ok(text)
}

/// Accepts an `<?xml …?>` declaration that names UTF-8 or no encoding.
fn check_declaration(decl: &quick_xml::events::BytesDecl<'_>) -> Result<(), String> {
    match decl.encoding() {
        None => Ok(()),
        Some(Ok(name)) => {
            let name = name.trim();
            if name.eq_ignore_ascii_case("utf-8") || name.eq_ignore_ascii_case("utf8") {
                Ok(())
            } else {
                Err(format!(
                    "Tệp XML khai báo bảng mã “{}”; chỉ chấp nhận UTF-8.",
                    shorten(name)
                ))
            }
        }
        Some(Err(_)) => Err("Khai báo <?xml …?> không hợp lệ.".into()),
    }
}

/// The character an entity or character reference stands for.
fn resolve_reference(r: &BytesRef<'_>) -> Result<char, String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c),
        Err(_) => Err(format!(
            "Mã ký tự “&{};” không hợp lệ.",
            shorten(r.as_ref())
        )),
        Ok(None) => match r.as_ref() {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            other => Err(unknown_entity(other)),
        },
    }
}

fn unknown_entity(name: &str) -> String {
    format!(
        "Thực thể “&{};” không được hỗ trợ: chỉ dùng &lt; &gt; &amp; &quot; &apos; và mã ký tự (&#…;).",
        shorten(name)
    )
}

/// A Vietnamese sentence for a syntax error from the XML reader.
fn xml_error_message(e: &quick_xml::Error) -> String {
    use quick_xml::errors::{IllFormedError, SyntaxError};
    use quick_xml::escape::EscapeError;
    match e {
        quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup) => {
            "Cú pháp XML không hợp lệ sau “<!”.".into()
        }
        quick_xml::Error::Syntax(_) => {
            "Tệp XML bị cắt cụt hoặc có thẻ, chú thích hay CDATA không được đóng.".into()
        }
        quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            format!(
                "Thẻ đóng </{}> không khớp với thẻ mở <{}>.",
                shorten(found),
                shorten(expected)
            )
        }
        quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            format!("Thẻ đóng </{}> không có thẻ mở tương ứng.", shorten(name))
        }
        quick_xml::Error::IllFormed(IllFormedError::MissingEndTag(name)) => {
            format!("Tệp XML bị cắt cụt: thiếu thẻ đóng </{}>.", shorten(name))
        }
        quick_xml::Error::IllFormed(_) => "Tệp XML không đúng cú pháp.".into(),
        quick_xml::Error::Escape(EscapeError::UnrecognizedEntity(_, name)) => unknown_entity(name),
        quick_xml::Error::Escape(EscapeError::UnterminatedEntity(_)) => {
            "Ký tự “&” phải được viết là “&amp;”.".into()
        }
        quick_xml::Error::Escape(_) => "Mã ký tự (&#…;) không hợp lệ.".into(),
        quick_xml::Error::InvalidAttr(_) => "Thuộc tính XML không hợp lệ.".into(),
        quick_xml::Error::Encoding(_) => "Tệp XML phải được mã hoá UTF-8.".into(),
        _ => "Tệp XML không đúng cú pháp.".into(),
    }
}

/// Cuts text echoed from the file to a readable length.
fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

/// Byte offsets to 1-based line numbers.
struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        LineIndex {
            newlines: text.match_indices('\n').map(|(i, _)| i).collect(),
        }
    }
    fn line_at(&self, offset: usize) -> usize {
        1 + self.newlines.partition_point(|&n| n < offset)
    }
}

/// An element of one `<question>`, read into memory.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    /// The element's own text pieces, joined.
    text: String,
    line: usize,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// The streaming state: open element names, the question being collected,
/// and the current category.
struct ReadState<'d> {
    defaults: &'d ImportDefaults,
    names: Vec<String>,
    seen_root: bool,
    /// The `<question>` being read and its open descendants.
    stack: Vec<Element>,
    category: (Option<ModuleCode>, Option<TopicCode>),
}

impl<'d> ReadState<'d> {
    fn new(defaults: &'d ImportDefaults) -> Self {
        ReadState {
            defaults,
            names: Vec::new(),
            seen_root: false,
            stack: Vec::new(),
            category: (None, None),
        }
    }

    fn open(&mut self, e: &BytesStart<'_>, line: usize) -> Result<(), String> {
        let name = e.local_name().as_ref().to_string();
        if self.names.len() >= MAX_DEPTH {
            return Err(format!(
                "Các thẻ XML lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp)."
            ));
        }
        if self.names.is_empty() {
            if self.seen_root {
                return Err("Có nội dung XML sau thẻ đóng </quiz>.".into());
            }
            if name != "quiz" {
                return Err(format!(
                    "Tệp không phải Moodle XML: phần tử gốc là <{}>, không phải <quiz>.",
                    shorten(&name)
                ));
            }
            self.seen_root = true;
        }
        let collecting = !self.stack.is_empty() || (self.names.len() == 1 && name == "question");
        if collecting {
            let attrs = read_attributes(e)?;
            self.stack.push(Element {
                name: name.clone(),
                attrs,
                children: Vec::new(),
                text: String::new(),
                line,
            });
        }
        self.names.push(name);
        Ok(())
    }

    fn close(&mut self, out: &mut ParsedFile) -> Result<(), String> {
        self.names.pop();
        let Some(done) = self.stack.pop() else {
            return Ok(());
        };
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(done),
            None => self.question(&done, out),
        }
        Ok(())
    }

    fn text(&mut self, piece: &str) -> Result<(), String> {
        if let Some(top) = self.stack.last_mut() {
            top.text.push_str(piece);
        } else if self.names.is_empty() && !piece.trim().is_empty() {
            return Err(if self.seen_root {
                "Có nội dung sau thẻ đóng </quiz>.".into()
            } else {
                "Tệp không phải Moodle XML: có văn bản ngoài phần tử <quiz>.".into()
            });
        }
        Ok(())
    }

    /// Handles one complete `<question>` element.
    fn question(&mut self, q: &Element, out: &mut ParsedFile) {
        let line = q.line;
        let Some(kind) = q.attr("type").map(str::trim) else {
            out.errors
                .push((line, "Thẻ <question> thiếu thuộc tính type.".into()));
            return;
        };
        match kind {
            "category" => {
                let path = q
                    .child("category")
                    .and_then(|c| c.child("text"))
                    .map_or("", |t| t.text.as_str());
                self.category = module_and_topic_from_path(path);
            }
            "multichoice" | "truefalse" => {
                let place = self.place();
                match read_choice(q, kind == "truefalse", place, self.defaults) {
                    Ok(draft) => out.questions.push((line, draft)),
                    Err(errors) => out.errors.extend(errors.into_iter().map(|m| (line, m))),
                }
            }
            other => out.skipped.push((line, skip_reason(other))),
        }
    }

    /// Module and topic for the next question: the category's, else the defaults.
    fn place(&self) -> (Option<ModuleCode>, Option<TopicCode>) {
        match &self.category {
            (Some(m), topic) => {
                let topic = topic
                    .clone()
                    .or_else(|| self.defaults.topic.clone().filter(|t| &t.module() == m));
                (Some(m.clone()), topic)
            }
            (None, _) => (self.defaults.module.clone(), self.defaults.topic.clone()),
        }
    }
}

fn read_attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|_| "Thuộc tính XML không hợp lệ.".to_string())?;
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| xml_error_message(&e))?;
        attrs.push((a.key.local_name().as_ref().to_string(), value.into_owned()));
    }
    Ok(attrs)
}

/// Why a question of an unsupported type is skipped.
fn skip_reason(kind: &str) -> String {
    let what = match kind {
        "essay" => Some("tự luận"),
        "match" | "matching" => Some("ghép đôi"),
        "randomsamatch" => Some("ghép đôi ngẫu nhiên"),
        "numerical" => Some("trả lời bằng số"),
        "shortanswer" => Some("trả lời ngắn"),
        "description" => Some("đoạn mô tả, không phải câu hỏi"),
        "cloze" | "multianswer" => Some("điền khuyết nhúng (Cloze)"),
        "calculated" | "calculatedsimple" | "calculatedmulti" => Some("tính toán"),
        "ddwtos" => Some("kéo thả vào văn bản"),
        "gapselect" => Some("chọn từ điền vào chỗ trống"),
        "ddimageortext" => Some("kéo thả vào ảnh"),
        "ddmarker" => Some("kéo thả điểm đánh dấu"),
        "ordering" => Some("sắp xếp thứ tự"),
        "random" => Some("câu hỏi ngẫu nhiên"),
        _ => None,
    };
    let kind = shorten(kind);
    let named = match what {
        Some(what) => format!("“{kind}” ({what})"),
        None => format!("“{kind}”"),
    };
    format!(
        "Bỏ qua câu hỏi loại {named}: chỉ hỗ trợ câu hỏi nhiều lựa chọn (multichoice) và đúng/sai (truefalse)."
    )
}

/// Images met in one question, each name once.
#[derive(Default)]
struct Images(Vec<EmbeddedImage>);

impl Images {
    /// Reads the `<file>` children of `el`.
    fn collect(&mut self, el: &Element, errors: &mut Vec<String>) {
        for file in el.children_named("file") {
            match read_file(file) {
                Ok(image) => self.add(image, errors),
                Err(message) => errors.push(message),
            }
        }
    }

    fn add(&mut self, image: EmbeddedImage, errors: &mut Vec<String>) {
        match self.0.iter().find(|i| i.name == image.name) {
            None => self.0.push(image),
            Some(seen) if seen.data == image.data => {}
            Some(_) => errors.push(format!(
                "Hai tệp ảnh khác nhau cùng tên “{}”.",
                shorten(&image.name)
            )),
        }
    }
}

/// Decodes one `<file name="…" path="/" encoding="base64">…</file>`.
fn read_file(file: &Element) -> Result<EmbeddedImage, String> {
    let name = file.attr("name").map(str::trim).unwrap_or("");
    let path = file.attr("path").map(str::trim).unwrap_or("/");
    let full = format!("{}{}", path.trim_start_matches('/'), name);
    let bad_segment = |s: &str| {
        s.is_empty()
            || s == "."
            || s == ".."
            || s.contains(['\\', '\0'])
            || s.chars().any(char::is_control)
    };
    if name.is_empty()
        || name.contains('/')
        || full.split('/').any(bad_segment)
        || !path.starts_with('/')
        || !path.ends_with('/')
    {
        return Err(format!("Tên tệp ảnh “{}” không hợp lệ.", shorten(&full)));
    }
    let encoding = file.attr("encoding").map(str::trim).unwrap_or("base64");
    if !encoding.eq_ignore_ascii_case("base64") {
        return Err(format!(
            "Tệp ảnh “{}” dùng mã hoá “{}”; chỉ hỗ trợ base64.",
            shorten(&full),
            shorten(encoding)
        ));
    }
    let compact: Vec<u8> = file
        .text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let data = engine.decode(&compact).map_err(|_| {
        format!(
            "Dữ liệu base64 của tệp ảnh “{}” không hợp lệ.",
            shorten(&full)
        )
    })?;
    Ok(EmbeddedImage { name: full, data })
}

/// The trimmed `<text>` of `el`, collecting the files beside it.
fn text_with_files(el: Option<&Element>, images: &mut Images, errors: &mut Vec<String>) -> String {
    let Some(el) = el else {
        return String::new();
    };
    images.collect(el, errors);
    text_of(el, errors)
}

/// The trimmed text of the `<text>` child of `el`.
fn text_of(el: &Element, errors: &mut Vec<String>) -> String {
    let Some(text) = el.child("text") else {
        return String::new();
    };
    if !text.children.is_empty() {
        errors.push(format!(
            "Thẻ <text> trong <{}> chứa thẻ con: hãy viết HTML trong <![CDATA[ … ]]> hoặc thay “<” bằng “&lt;”.",
            shorten(&el.name)
        ));
    }
    // A character reference to a character XML forbids (`&#xFFFF;`) is
    // dropped, as the writer drops it: what is read can be written back.
    text.text
        .chars()
        .filter(|c| xml_char(*c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// Reads a `multichoice` or `truefalse` question.
fn read_choice(
    q: &Element,
    true_false: bool,
    (module, topic): (Option<ModuleCode>, Option<TopicCode>),
    defaults: &ImportDefaults,
) -> Result<QuestionDraft, Vec<String>> {
    let mut errors = Vec::new();
    let mut images = Images::default();
    let title = q
        .child("name")
        .map(|n| text_of(n, &mut errors))
        .filter(|t| !t.is_empty());
    let question_text = q.child("questiontext");
    let format = match question_text.and_then(|e| e.attr("format")).map(str::trim) {
        None => TextFormat::Html,
        Some("wiki_like") => TextFormat::Plain,
        Some(f) => TextFormat::parse(f).unwrap_or(TextFormat::Html),
    };
    let stem = text_with_files(question_text, &mut images, &mut errors);
    let general_feedback = text_with_files(q.child("generalfeedback"), &mut images, &mut errors);
    let external_id = q
        .child("idnumber")
        .map(|e| e.text.trim().to_string())
        .filter(|t| !t.is_empty())
        .or_else(|| title.clone());

    let mut tags = Vec::new();
    let mut difficulty: Option<Difficulty> = None;
    for tag in q
        .child("tags")
        .into_iter()
        .flat_map(|t| t.children_named("tag"))
    {
        let text = text_of(tag, &mut errors);
        if text.is_empty() {
            continue;
        }
        match (Difficulty::parse(&text), difficulty) {
            (Some(d), None) => difficulty = Some(d),
            (Some(d), Some(seen)) if d != seen => errors.push(format!(
                "Câu hỏi có hai mức độ khác nhau: {} và {}.",
                seen.label(Lang::Vi),
                d.label(Lang::Vi)
            )),
            (Some(_), Some(_)) => {}
            (None, _) => tags.push(text),
        }
    }

    // Each answer: text, fraction, feedback.
    let mut answers = Vec::new();
    for (i, answer) in q.children_named("answer").enumerate() {
        images.collect(answer, &mut errors);
        let text = text_of(answer, &mut errors);
        let feedback = text_with_files(answer.child("feedback"), &mut images, &mut errors);
        let fraction = match answer.attr("fraction").map(str::trim) {
            None => 0.0,
            Some(raw) => match raw.parse::<f64>() {
                Ok(f) if f.is_finite() => f,
                _ => {
                    errors.push(format!(
                        "Điểm (fraction) “{}” của phương án {} không hợp lệ.",
                        shorten(raw),
                        i + 1
                    ));
                    0.0
                }
            },
        };
        answers.push((text, fraction, feedback));
    }

    let (qtype, options) = if true_false {
        (
            QuestionType::TrueFalse,
            true_false_options(answers, &mut errors),
        )
    } else {
        let single = match q
            .child("single")
            .map(|e| e.text.trim().to_ascii_lowercase())
        {
            None => true,
            Some(s) if s == "true" || s == "1" => true,
            Some(s) if s == "false" || s == "0" || s.is_empty() => false,
            Some(s) => {
                errors.push(format!(
                    "Giá trị <single> “{}” không hợp lệ: dùng true hoặc false.",
                    shorten(&s)
                ));
                true
            }
        };
        let options = answers
            .into_iter()
            .map(|(text, fraction, feedback)| OptionDraft {
                text,
                correct: fraction > 0.0,
                feedback,
            })
            .collect();
        let qtype = if single {
            QuestionType::Single
        } else {
            QuestionType::Multiple
        };
        (qtype, options)
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    let draft = QuestionDraft {
        external_id,
        title,
        module,
        topic,
        difficulty: difficulty.or(defaults.difficulty),
        qtype,
        format,
        stem,
        options,
        general_feedback,
        tags,
        images: images.0,
    };
    match draft.validate() {
        Ok(()) => Ok(draft),
        Err(e) => Err(vec![e.message(Lang::Vi)]),
    }
}

/// The "Đúng" and "Sai" options of a `truefalse` question. Moodle writes
/// the answers `true` and `false`; older files wrote localised texts
/// ("Đúng"/"Sai" are recognised), and true first is assumed otherwise.
fn true_false_options(
    answers: Vec<(String, f64, String)>,
    errors: &mut Vec<String>,
) -> Vec<OptionDraft> {
    let [a, b]: [(String, f64, String); 2] = match answers.try_into() {
        Ok(pair) => pair,
        Err(_) => {
            errors.push("Câu hỏi đúng/sai phải có đúng hai đáp án (true và false).".into());
            return Vec::new();
        }
    };
    let truth = |t: &str| match fold_diacritics(&normalize_text(t)).as_str() {
        "true" | "dung" => Some(true),
        "false" | "sai" => Some(false),
        _ => None,
    };
    let swapped = matches!(
        (truth(&a.0), truth(&b.0)),
        (Some(false), Some(true) | None) | (None, Some(true))
    );
    let (yes, no) = if swapped { (b, a) } else { (a, b) };
    vec![
        OptionDraft {
            text: TRUE_LABEL.into(),
            correct: yes.1 > 0.0,
            feedback: yes.2,
        },
        OptionDraft {
            text: FALSE_LABEL.into(),
            correct: no.1 > 0.0,
            feedback: no.2,
        },
    ]
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Writes Moodle XML that Moodle 4 imports: before each run of questions
/// with the same module and topic, a `category` question
/// `$course$/top/IU04/IU04.3`; then `multichoice` and `truefalse`
/// questions. The difficulty is written as a tag (its Vietnamese label).
/// Every image is attached to the question text, and again to each other
/// text that refers to it as `@@PLUGINFILE@@/<name>`.
///
/// [`parse`] gives the drafts back for valid drafts that have a title and
/// an external id, trimmed texts, no tag that reads as a difficulty, true
/// and false options "Đúng", "Sai" in that order, a topic under the module,
/// and images with distinct names. Otherwise: a missing title is replaced
/// by the external id or the start of the stem (Moodle needs a name);
/// characters XML 1.0 forbids (control characters other than tab and line
/// breaks) are dropped.
pub fn write(questions: &[QuestionDraft]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n");
    let mut current: Option<(Option<ModuleCode>, Option<TopicCode>)> = None;
    for q in questions {
        let place = (q.module.clone(), q.topic.clone());
        if current.as_ref() != Some(&place) {
            write_category(&mut out, &place);
            current = Some(place);
        }
        write_question(&mut out, q);
    }
    out.push_str("</quiz>\n");
    out
}

fn write_category(out: &mut String, (module, topic): &(Option<ModuleCode>, Option<TopicCode>)) {
    let mut path = String::from("$course$/top");
    let module = module
        .clone()
        .or_else(|| topic.as_ref().map(TopicCode::module));
    if let Some(m) = &module {
        path.push('/');
        path.push_str(m.as_str());
        if let Some(t) = topic {
            path.push('/');
            path.push_str(t.as_str());
        }
    }
    out.push_str("  <question type=\"category\">\n    <category>\n      <text>");
    out.push_str(&text_node(&path));
    out.push_str(
        "</text>\n    </category>\n    <info format=\"moodle_auto_format\">\n      <text></text>\n    </info>\n    <idnumber></idnumber>\n  </question>\n\n",
    );
}

fn write_question(out: &mut String, q: &QuestionDraft) {
    let format = match q.format {
        TextFormat::Markdown => "markdown",
        TextFormat::Html => "html",
        TextFormat::Plain => "plain_text",
    };
    let kind = match q.qtype {
        QuestionType::TrueFalse => "truefalse",
        QuestionType::Single | QuestionType::Multiple => "multichoice",
    };
    out.push_str(&format!("  <question type=\"{kind}\">\n"));
    out.push_str(&format!(
        "    <name>\n      <text>{}</text>\n    </name>\n",
        text_node(&question_name(q))
    ));
    out.push_str(&format!(
        "    <questiontext format=\"{format}\">\n      <text>{}</text>\n",
        text_node(&q.stem)
    ));
    for image in &q.images {
        write_file(out, image, "      ");
    }
    out.push_str("    </questiontext>\n");
    write_text_block(
        out,
        "generalfeedback",
        format,
        &q.general_feedback,
        &q.images,
        "    ",
    );
    out.push_str(
        "    <defaultgrade>1</defaultgrade>\n    <penalty>0</penalty>\n    <hidden>0</hidden>\n",
    );
    out.push_str(&format!(
        "    <idnumber>{}</idnumber>\n",
        text_node(q.external_id.as_deref().unwrap_or(""))
    ));
    match q.qtype {
        QuestionType::TrueFalse => write_true_false_answers(out, q, format),
        QuestionType::Single | QuestionType::Multiple => write_choice_answers(out, q, format),
    }
    let difficulty = q.difficulty.map(|d| d.label(Lang::Vi).to_string());
    let tags: Vec<&str> = q
        .tags
        .iter()
        .map(String::as_str)
        .chain(difficulty.as_deref())
        .collect();
    if !tags.is_empty() {
        out.push_str("    <tags>\n");
        for tag in tags {
            out.push_str(&format!(
                "      <tag><text>{}</text></tag>\n",
                text_node(tag)
            ));
        }
        out.push_str("    </tags>\n");
    }
    out.push_str("  </question>\n\n");
}

/// The question's name in Moodle: its title, else its external id, else the
/// start of its stem.
fn question_name(q: &QuestionDraft) -> String {
    let pick = |s: &Option<String>| {
        s.as_ref()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    pick(&q.title)
        .or_else(|| pick(&q.external_id))
        .unwrap_or_else(|| {
            let words = q.stem.split_whitespace().collect::<Vec<_>>().join(" ");
            let start: String = words.chars().take(80).collect();
            if start.is_empty() {
                "Câu hỏi".to_string()
            } else {
                start
            }
        })
}

fn write_choice_answers(out: &mut String, q: &QuestionDraft, format: &str) {
    let single = q.qtype == QuestionType::Single;
    out.push_str(&format!(
        "    <single>{single}</single>\n    <shuffleanswers>true</shuffleanswers>\n    <answernumbering>abc</answernumbering>\n"
    ));
    for name in [
        "correctfeedback",
        "partiallycorrectfeedback",
        "incorrectfeedback",
    ] {
        out.push_str(&format!(
            "    <{name} format=\"{format}\">\n      <text></text>\n    </{name}>\n"
        ));
    }
    let fractions = if single {
        q.options
            .iter()
            .map(|o| if o.correct { "100" } else { "0" }.to_string())
            .collect()
    } else {
        multiple_fractions(&q.options)
    };
    for (option, fraction) in q.options.iter().zip(fractions) {
        out.push_str(&format!(
            "    <answer fraction=\"{fraction}\" format=\"{format}\">\n      <text>{}</text>\n",
            text_node(&option.text)
        ));
        for image in q.images.iter().filter(|i| refers_to(&option.text, &i.name)) {
            write_file(out, image, "      ");
        }
        write_text_block(
            out,
            "feedback",
            format,
            &option.feedback,
            &q.images,
            "      ",
        );
        out.push_str("    </answer>\n");
    }
}

/// Right options share 100 (up to five decimals, the last one absorbing the
/// rounding, so the sum is exactly 100); wrong options get -100.
fn multiple_fractions(options: &[OptionDraft]) -> Vec<String> {
    // In units of 0.00001.
    const WHOLE: u64 = 10_000_000;
    let right = options.iter().filter(|o| o.correct).count() as u64;
    let each = (WHOLE + right / 2).checked_div(right).unwrap_or(0);
    let mut seen = 0;
    options
        .iter()
        .map(|o| {
            if !o.correct {
                return "-100".to_string();
            }
            seen += 1;
            let units = if seen == right {
                WHOLE.saturating_sub(each * (right - 1))
            } else {
                each
            };
            decimal(units)
        })
        .collect()
}

/// `units` hundred-thousandths as a decimal without trailing zeros.
fn decimal(units: u64) -> String {
    let whole = units / 100_000;
    let frac = units % 100_000;
    if frac == 0 {
        whole.to_string()
    } else {
        let digits = format!("{frac:05}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

fn write_true_false_answers(out: &mut String, q: &QuestionDraft, format: &str) {
    let is_true = |o: &OptionDraft| {
        let t = fold_diacritics(&normalize_text(&o.text));
        t == "dung" || t == "true"
    };
    let yes = q.options.iter().position(is_true).unwrap_or(0);
    let no = q.options.iter().enumerate().position(|(i, _)| i != yes);
    for (label, index) in [("true", Some(yes)), ("false", no)] {
        let option = index.and_then(|i| q.options.get(i));
        let fraction = if option.is_some_and(|o| o.correct) {
            "100"
        } else {
            "0"
        };
        out.push_str(&format!(
            "    <answer fraction=\"{fraction}\" format=\"moodle_auto_format\">\n      <text>{label}</text>\n"
        ));
        let feedback = option.map_or("", |o| o.feedback.as_str());
        write_text_block(out, "feedback", format, feedback, &q.images, "      ");
        out.push_str("    </answer>\n");
    }
}

/// `<tag format="…"><text>…</text> files… </tag>`, with the images the text refers to.
fn write_text_block(
    out: &mut String,
    tag: &str,
    format: &str,
    text: &str,
    images: &[EmbeddedImage],
    indent: &str,
) {
    out.push_str(&format!(
        "{indent}<{tag} format=\"{format}\">\n{indent}  <text>{}</text>\n",
        text_node(text)
    ));
    let inner = format!("{indent}  ");
    for image in images.iter().filter(|i| refers_to(text, &i.name)) {
        write_file(out, image, &inner);
    }
    out.push_str(&format!("{indent}</{tag}>\n"));
}

fn write_file(out: &mut String, image: &EmbeddedImage, indent: &str) {
    let (path, name) = match image.name.rsplit_once('/') {
        Some((dir, name)) => (format!("/{}/", dir.trim_matches('/')), name),
        None => ("/".to_string(), image.name.as_str()),
    };
    let data = base64::engine::general_purpose::STANDARD.encode(&image.data);
    out.push_str(&format!(
        "{indent}<file name=\"{}\" path=\"{}\" encoding=\"base64\">{data}</file>\n",
        attribute(name),
        attribute(&path)
    ));
}

/// Whether `text` refers to the file `name`: raw, or percent-encoded with
/// or without its `/` encoded.
fn refers_to(text: &str, name: &str) -> bool {
    [
        name.to_string(),
        percent_encode(name, true),
        percent_encode(name, false),
    ]
    .iter()
    .any(|n| text.contains(&format!("@@PLUGINFILE@@/{n}")))
}

/// Percent-encodes a file path as URLs carry it: RFC 3986 unreserved
/// characters stay, and `/` too when `keep_slash`.
fn percent_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether XML 1.0 allows the character in a document.
fn xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Element content: CDATA when the text has markup characters (with `]]>`
/// split across sections), escaped text otherwise. A carriage return is
/// written as `&#13;` so that it survives line-end normalisation.
fn text_node(s: &str) -> String {
    let clean: String = s.chars().filter(|c| xml_char(*c)).collect();
    let markup = clean.contains(['<', '&']);
    if markup && !clean.contains('\r') {
        return format!("<![CDATA[{}]]>", clean.replace("]]>", "]]]]><![CDATA[>"));
    }
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value between double quotes.
fn attribute(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| xml_char(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn no_defaults() -> ImportDefaults {
        ImportDefaults::default()
    }

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<!-- question: 0  -->
  <question type="category">
    <category>
      <text>$course$/top/IU04 Bảng tính/IU04.3 Công thức</text>
    </category>
    <info format="moodle_auto_format"><text></text></info>
  </question>
  <question type="multichoice">
    <name>
      <text>Hàm tổng</text>
    </name>
    <questiontext format="html">
      <text><![CDATA[<p>Hàm nào tính tổng? <img src="@@PLUGINFILE@@/sum.png"></p>]]></text>
      <file name="sum.png" path="/" encoding="base64">iVBO
Rw0K
Ggo=</file>
    </questiontext>
    <generalfeedback format="html">
      <text>SUM cộng các ô &amp; trả về tổng.</text>
    </generalfeedback>
    <defaultgrade>1.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber>Q-SUM</idnumber>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <answernumbering>abc</answernumbering>
    <answer fraction="100" format="html">
      <text>SUM</text>
      <feedback format="html"><text>Đúng rồi</text></feedback>
    </answer>
    <answer fraction="0" format="html">
      <text>AVERAGE</text>
      <feedback format="html"><text></text></feedback>
    </answer>
    <answer fraction="0" format="html">
      <text>&lt;COUNT&gt;</text>
    </answer>
    <tags>
      <tag><text>Khó</text></tag>
      <tag><text>excel</text></tag>
    </tags>
  </question>
  <question type="essay">
    <name><text>Bài luận</text></name>
    <questiontext format="html"><text>Viết...</text></questiontext>
  </question>
  <question type="multichoice">
    <name><text>Nhiều đáp án</text></name>
    <questiontext format="markdown"><text>Chọn **hai** hàm thống kê</text></questiontext>
    <single>false</single>
    <answer fraction="50"><text>MIN</text></answer>
    <answer fraction="50"><text>MAX</text></answer>
    <answer fraction="-100"><text>IF</text></answer>
  </question>
  <question type="category">
    <category><text>$course$/top/Mặc định</text></category>
  </question>
  <question type="truefalse">
    <name><text>TF</text></name>
    <questiontext format="moodle_auto_format"><text>Excel là bảng tính.</text></questiontext>
    <answer fraction="0"><text>false</text><feedback><text>Sai rồi</text></feedback></answer>
    <answer fraction="100"><text>true</text><feedback><text>Chính xác</text></feedback></answer>
  </question>
  <question type="shortanswer">
    <name><text>SA</text></name>
  </question>
</quiz>
"#;

    fn line_of(text: &str, needle: &str, nth: usize) -> usize {
        let at = text.match_indices(needle).nth(nth).unwrap().0;
        1 + text[..at].matches('\n').count()
    }

    #[test]
    fn reads_a_moodle_export() {
        let defaults = ImportDefaults {
            module: ModuleCode::parse("IU01"),
            topic: None,
            difficulty: Some(Difficulty::Easy),
        };
        let parsed = parse(SAMPLE.as_bytes(), &defaults);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions.len(), 3);
        let lines: Vec<usize> = parsed.questions.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            lines,
            [
                line_of(SAMPLE, "<question type=\"multichoice\"", 0),
                line_of(SAMPLE, "<question type=\"multichoice\"", 1),
                line_of(SAMPLE, "<question type=\"truefalse\"", 0)
            ]
        );

        let q = &parsed.questions[0].1;
        assert_eq!(q.title.as_deref(), Some("Hàm tổng"));
        assert_eq!(q.external_id.as_deref(), Some("Q-SUM"));
        assert_eq!(q.module.as_ref().unwrap().as_str(), "IU04");
        assert_eq!(q.topic.as_ref().unwrap().as_str(), "IU04.3");
        assert_eq!(q.difficulty, Some(Difficulty::Hard));
        assert_eq!(q.tags, ["excel"]);
        assert_eq!(q.qtype, QuestionType::Single);
        assert_eq!(q.format, TextFormat::Html);
        assert_eq!(
            q.stem,
            "<p>Hàm nào tính tổng? <img src=\"@@PLUGINFILE@@/sum.png\"></p>"
        );
        assert_eq!(q.general_feedback, "SUM cộng các ô & trả về tổng.");
        let texts: Vec<&str> = q.options.iter().map(|o| o.text.as_str()).collect();
        assert_eq!(texts, ["SUM", "AVERAGE", "<COUNT>"]);
        assert_eq!(
            q.options.iter().map(|o| o.correct).collect::<Vec<_>>(),
            [true, false, false]
        );
        assert_eq!(q.options[0].feedback, "Đúng rồi");
        assert_eq!(
            q.images,
            [EmbeddedImage {
                name: "sum.png".into(),
                data: b"\x89PNG\r\n\x1a\n".to_vec()
            }]
        );

        let q = &parsed.questions[1].1;
        assert_eq!(q.qtype, QuestionType::Multiple);
        assert_eq!(q.format, TextFormat::Markdown);
        assert_eq!(q.external_id.as_deref(), Some("Nhiều đáp án"));
        assert_eq!(q.difficulty, Some(Difficulty::Easy));
        assert_eq!(
            q.options.iter().map(|o| o.correct).collect::<Vec<_>>(),
            [true, true, false]
        );

        // After "$course$/top/Mặc định" the defaults apply again.
        let q = &parsed.questions[2].1;
        assert_eq!(q.module.as_ref().unwrap().as_str(), "IU01");
        assert_eq!(q.topic, None);
        assert_eq!(q.qtype, QuestionType::TrueFalse);
        assert_eq!(q.format, TextFormat::Plain);
        let options: Vec<(&str, bool, &str)> = q
            .options
            .iter()
            .map(|o| (o.text.as_str(), o.correct, o.feedback.as_str()))
            .collect();
        assert_eq!(
            options,
            [("Đúng", true, "Chính xác"), ("Sai", false, "Sai rồi")]
        );

        assert_eq!(parsed.skipped.len(), 2);
        assert_eq!(
            parsed.skipped[0].0,
            line_of(SAMPLE, "<question type=\"essay\"", 0)
        );
        assert!(
            parsed.skipped[0].1.contains("essay"),
            "{}",
            parsed.skipped[0].1
        );
        assert!(parsed.skipped[1].1.contains("shortanswer"));
    }

    #[test]
    fn every_unsupported_type_is_skipped_by_name() {
        for kind in [
            "essay",
            "matching",
            "match",
            "numerical",
            "shortanswer",
            "description",
            "cloze",
            "multianswer",
            "calculated",
            "ddwtos",
            "gapselect",
            "ordering",
            "something_new",
        ] {
            let xml = format!(
                "<quiz>\n<question type=\"{kind}\"><name><text>x</text></name></question></quiz>"
            );
            let parsed = parse(xml.as_bytes(), &no_defaults());
            assert!(parsed.errors.is_empty() && parsed.questions.is_empty());
            assert_eq!(parsed.skipped.len(), 1);
            assert_eq!(parsed.skipped[0].0, 2);
            assert!(parsed.skipped[0].1.contains(&format!("“{kind}”")));
        }
    }

    #[test]
    fn a_dtd_is_refused_before_any_entity_is_expanded() {
        let mut bomb = String::from(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n",
        );
        for i in 2..10 {
            let prev = format!("&lol{};", i - 1).repeat(10);
            bomb.push_str(&format!(" <!ENTITY lol{i} \"{prev}\">\n"));
        }
        bomb.push_str("]>\n<quiz><question type=\"multichoice\"><questiontext><text>&lol9;</text></questiontext></question></quiz>\n");
        let start = std::time::Instant::now();
        let parsed = parse(bomb.as_bytes(), &no_defaults());
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(parsed.errors, [(2, DTD_MESSAGE.to_string())]);
        assert!(parsed.questions.is_empty());

        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE quiz [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><quiz>&xxe;</quiz>";
        let parsed = parse(xxe.as_bytes(), &no_defaults());
        assert_eq!(parsed.errors, [(1, DTD_MESSAGE.to_string())]);
    }

    #[test]
    fn unknown_entities_are_errors() {
        let xml = "<quiz>\n<question type=\"multichoice\">\n<questiontext><text>a&nbsp;b</text></questiontext></question></quiz>";
        let parsed = parse(xml.as_bytes(), &no_defaults());
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].0, 3);
        assert!(parsed.errors[0].1.contains("&nbsp;"), "{:?}", parsed.errors);
        // In an attribute too.
        let xml = "<quiz>\n<question type=\"multi&foo;\"></question></quiz>";
        let parsed = parse(xml.as_bytes(), &no_defaults());
        assert_eq!(parsed.errors.len(), 1, "{parsed:?}");
        assert_eq!(parsed.errors[0].0, 2);
        // Character references and the predefined entities are fine.
        let xml = "<quiz><question type=\"truefalse\"><questiontext><text>&#272;&#x1EE9;ng &lt;&amp;&gt; &quot;&apos;</text></questiontext>\
            <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question></quiz>";
        let d = ImportDefaults {
            module: ModuleCode::parse("IU02"),
            ..ImportDefaults::default()
        };
        let parsed = parse(xml.as_bytes(), &d);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions[0].1.stem, "Đứng <&> \"'");
        // A reference to a character XML forbids is dropped, as on writing.
        let xml = xml.replace("&#272;", "&#xFFFF;&#272;&#x1;");
        let parsed = parse(xml.as_bytes(), &d);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions[0].1.stem, "Đứng <&> \"'");
    }

    #[test]
    fn broken_files_give_an_error_with_a_line() {
        let full = SAMPLE.as_bytes();
        // Cut at many places: never a panic, always an error or a clean prefix.
        for cut in (0..full.len()).step_by(7) {
            let parsed = parse(&full[..cut], &no_defaults());
            assert!(!parsed.errors.is_empty(), "cut at {cut}");
            for (line, _) in &parsed.errors {
                assert!(*line >= 1 && *line <= SAMPLE.lines().count() + 1);
            }
        }
        // A cut after the first question keeps it and says where the file stops.
        let at = SAMPLE.find("  <question type=\"essay\"").unwrap();
        let parsed = parse(&full[..at], &ImportDefaults::default());
        assert_eq!(parsed.questions.len(), 1);
        assert_eq!(parsed.errors.len(), 1);
        assert!(
            parsed.errors[0].1.contains("cắt cụt"),
            "{:?}",
            parsed.errors
        );
        // The line of the last `</question>`, not the empty line after it.
        assert_eq!(parsed.errors[0].0, SAMPLE[..at].matches('\n').count());

        let mismatched =
            "<quiz>\n<question type=\"multichoice\">\n<name><text>x</name></question></quiz>";
        let parsed = parse(mismatched.as_bytes(), &no_defaults());
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].0, 3);
        assert!(
            parsed.errors[0].1.contains("</name>"),
            "{:?}",
            parsed.errors
        );

        for (input, line) in [
            (&b""[..], 1),
            (b"   \n ", 1),
            (b"not xml at all", 1),
            (b"<html><body/></html>", 1),
            (b"<quiz></quiz><quiz></quiz>", 1),
            (b"<quiz>\n<a b=\"1></quiz>", 2),
            (b"<quiz>\n&</quiz>", 2),
            (b"\x89PNG\r\n\x1a\n\0\0\0", 1),
        ] {
            let parsed = parse(input, &no_defaults());
            assert_eq!(
                parsed.errors.len(),
                1,
                "{:?}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(parsed.errors[0].0, line, "{:?}", parsed.errors);
        }
        let parsed = parse(b"<quiz/>", &no_defaults());
        assert!(parsed.errors.is_empty() && parsed.questions.is_empty());
    }

    #[test]
    fn only_utf8_is_accepted() {
        let latin1 = b"<quiz>\n<question type=\"multichoice\">\n<name><text>C\xe2u h\xf4i</text></name></question></quiz>";
        let parsed = parse(latin1, &no_defaults());
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].0, 3);
        assert!(parsed.errors[0].1.contains("UTF-8"));

        let declared = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<quiz></quiz>";
        let parsed = parse(declared.as_bytes(), &no_defaults());
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].1.contains("ISO-8859-1"));

        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<quiz></quiz>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let parsed = parse(&utf16, &no_defaults());
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].1.contains("UTF-16"));
        let parsed = parse(&utf16[2..], &no_defaults());
        assert_eq!(parsed.errors.len(), 1);

        let bom = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><quiz></quiz>";
        assert!(parse(bom.as_bytes(), &no_defaults()).errors.is_empty());
    }

    #[test]
    fn nesting_is_capped() {
        let deep = format!(
            "<quiz>{}{}</quiz>",
            "<a>".repeat(100_000),
            "</a>".repeat(100_000)
        );
        let parsed = parse(deep.as_bytes(), &no_defaults());
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].1.contains("sâu"));
        let deep = format!(
            "<quiz><question type=\"multichoice\">{}</question></quiz>",
            "<x>".repeat(MAX_DEPTH)
        );
        let parsed = parse(deep.as_bytes(), &no_defaults());
        assert!(parsed.errors[0].1.contains("sâu"));
    }

    fn one(body: &str) -> ParsedFile {
        let xml = format!(
            "<quiz>\n<question type=\"category\"><category><text>$course$/top/IU03</text></category></question>\n{body}\n</quiz>"
        );
        parse(xml.as_bytes(), &no_defaults())
    }

    #[test]
    fn files_bad_base64_and_bad_names_are_errors() {
        let q = |file: &str| {
            format!(
                "<question type=\"multichoice\"><questiontext format=\"html\"><text>Q</text>{file}</questiontext>\
                 <answer fraction=\"100\"><text>a</text></answer><answer fraction=\"0\"><text>b</text></answer></question>"
            )
        };
        let parsed = one(&q(
            "<file name=\"x.png\" path=\"/\" encoding=\"base64\">!!!notbase64</file>",
        ));
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].0, 3);
        assert!(parsed.errors[0].1.contains("base64"));
        for bad in [
            "<file name=\"../x.png\" path=\"/\" encoding=\"base64\">AA==</file>",
            "<file name=\"\" path=\"/\" encoding=\"base64\">AA==</file>",
            "<file name=\"x.png\" path=\"/../\" encoding=\"base64\">AA==</file>",
            "<file name=\"x.png\" path=\"/\" encoding=\"hex\">00</file>",
        ] {
            let parsed = one(&q(bad));
            assert_eq!(parsed.errors.len(), 1, "{bad}");
        }
        // Padding may be missing; a sub-folder becomes part of the name.
        let parsed = one(&q(
            "<file name=\"x.png\" path=\"/img/\" encoding=\"base64\"> AAE </file>",
        ));
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions[0].1.images[0].name, "img/x.png");
        assert_eq!(parsed.questions[0].1.images[0].data, [0, 1]);
        // The same name twice with different data cannot be told apart.
        let two = "<file name=\"x.png\" path=\"/\" encoding=\"base64\">AA==</file><file name=\"x.png\" path=\"/\" encoding=\"base64\">AQ==</file>";
        assert_eq!(one(&q(two)).errors.len(), 1);
    }

    #[test]
    fn structural_problems_are_reported_per_question() {
        let parsed = one(
            "<question type=\"multichoice\"><questiontext><text>Q</text></questiontext>\
             <answer fraction=\"100\"><text>a</text></answer><answer fraction=\"50\"><text>b</text></answer></question>\n\
             <question type=\"multichoice\"><questiontext><text>Q</text></questiontext>\
             <answer fraction=\"abc\"><text>a</text></answer><answer><text>b</text></answer></question>\n\
             <question type=\"truefalse\"><questiontext><text>Q</text></questiontext><answer fraction=\"100\"><text>true</text></answer></question>\n\
             <question><questiontext><text>Q</text></questiontext></question>\n\
             <question type=\"multichoice\"><questiontext><text><p>x</p></text></questiontext>\
             <answer fraction=\"100\"><text>a</text></answer><answer><text>b</text></answer></question>",
        );
        let lines: Vec<usize> = parsed.errors.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7], "{:?}", parsed.errors);
        assert!(parsed.errors[0].1.contains("đúng một phương án đúng"));
        assert!(parsed.errors[1].1.contains("abc"));
        assert!(parsed.errors[4].1.contains("CDATA"));
        assert!(parsed.questions.is_empty());
    }

    #[test]
    fn true_false_answers_are_matched_by_text_then_by_order() {
        let tf = |a: &str, fa: u32, b: &str, fb: u32| {
            one(&format!(
                "<question type=\"truefalse\"><questiontext><text>Q</text></questiontext>\
                 <answer fraction=\"{fa}\"><text>{a}</text></answer><answer fraction=\"{fb}\"><text>{b}</text></answer></question>"
            ))
            .questions[0]
                .1
                .options
                .iter()
                .map(|o| (o.text.clone(), o.correct))
                .collect::<Vec<_>>()
        };
        let right_is_true = vec![("Đúng".to_string(), true), ("Sai".to_string(), false)];
        let right_is_false = vec![("Đúng".to_string(), false), ("Sai".to_string(), true)];
        assert_eq!(tf("true", 100, "false", 0), right_is_true);
        assert_eq!(tf("false", 0, "true", 100), right_is_true);
        assert_eq!(tf("Sai", 100, "Đúng", 0), right_is_false);
        assert_eq!(tf("Vrai", 0, "Faux", 100), right_is_false);
    }

    #[test]
    fn write_produces_moodle_xml_with_categories_and_fractions() {
        let draft = |module: &str, topic: Option<&str>, qtype: QuestionType, correct: &[bool]| {
            QuestionDraft {
                external_id: Some("id-1".into()),
                title: Some("Tiêu đề".into()),
                module: ModuleCode::parse(module),
                topic: topic.and_then(TopicCode::parse),
                difficulty: Some(Difficulty::Medium),
                qtype,
                format: TextFormat::Html,
                stem: "<p>a]]>b</p>".into(),
                options: correct
                    .iter()
                    .enumerate()
                    .map(|(i, c)| OptionDraft {
                        text: if qtype == QuestionType::TrueFalse {
                            [TRUE_LABEL, FALSE_LABEL][i].into()
                        } else {
                            format!("PA {i}")
                        },
                        correct: *c,
                        feedback: String::new(),
                    })
                    .collect(),
                general_feedback: String::new(),
                tags: vec!["tin học".into()],
                images: vec![],
            }
        };
        let drafts = vec![
            draft(
                "IU04",
                Some("IU04.3"),
                QuestionType::Multiple,
                &[true, true, true, false],
            ),
            draft("IU04", Some("IU04.3"), QuestionType::Single, &[false, true]),
            draft("IU05", None, QuestionType::TrueFalse, &[false, true]),
        ];
        let xml = write(&drafts);
        assert_eq!(xml.matches("<question type=\"category\">").count(), 2);
        assert!(xml.contains("<text>$course$/top/IU04/IU04.3</text>"));
        assert!(xml.contains("<text>$course$/top/IU05</text>"));
        for f in ["\"33.33333\"", "\"33.33334\"", "\"-100\""] {
            assert!(xml.contains(&format!("<answer fraction={f}")), "{f}");
        }
        assert!(xml.contains("<![CDATA[<p>a]]]]><![CDATA[>b</p>]]>"));
        assert!(xml.contains("<single>false</single>"));
        assert!(xml.contains("<text>Trung bình</text>"));
        assert!(xml.contains(
            "<answer fraction=\"0\" format=\"moodle_auto_format\">\n      <text>true</text>"
        ));
        assert!(xml.contains(
            "<answer fraction=\"100\" format=\"moodle_auto_format\">\n      <text>false</text>"
        ));
        for tag in [
            "<defaultgrade>1</defaultgrade>",
            "<penalty>0</penalty>",
            "<hidden>0</hidden>",
            "<idnumber>id-1</idnumber>",
            "<shuffleanswers>true</shuffleanswers>",
            "<answernumbering>abc</answernumbering>",
        ] {
            assert!(xml.contains(tag), "{tag}");
        }
        let parsed = parse(xml.as_bytes(), &no_defaults());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let back: Vec<QuestionDraft> = parsed.questions.into_iter().map(|(_, d)| d).collect();
        assert_eq!(back, drafts);

        assert_eq!(
            multiple_fractions(&drafts[0].options),
            ["33.33333", "33.33333", "33.33334", "-100"]
        );
        let seven: Vec<OptionDraft> = (0..7)
            .map(|i| OptionDraft {
                text: i.to_string(),
                correct: i < 6,
                feedback: String::new(),
            })
            .collect();
        let f = multiple_fractions(&seven);
        assert_eq!(
            f[..6],
            [
                "16.66667", "16.66667", "16.66667", "16.66667", "16.66667", "16.66665"
            ]
        );
    }

    #[test]
    fn a_draft_without_title_or_id_gets_a_name_from_its_stem() {
        let d = QuestionDraft {
            external_id: None,
            title: None,
            module: ModuleCode::parse("IU01"),
            topic: None,
            difficulty: None,
            qtype: QuestionType::Single,
            format: TextFormat::Markdown,
            stem: "Máy tính   là gì?\nGiải thích.".into(),
            options: vec![
                OptionDraft {
                    text: "a".into(),
                    correct: true,
                    feedback: String::new(),
                },
                OptionDraft {
                    text: "b".into(),
                    correct: false,
                    feedback: String::new(),
                },
            ],
            general_feedback: String::new(),
            tags: vec![],
            images: vec![],
        };
        let parsed = parse(write(std::slice::from_ref(&d)).as_bytes(), &no_defaults());
        let back = &parsed.questions[0].1;
        assert_eq!(back.title.as_deref(), Some("Máy tính là gì? Giải thích."));
        assert_eq!(back.external_id, back.title);
        assert_eq!(back.stem, d.stem);
    }

    // ----- property tests -----

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 <>&\"'\\]\\[]{1,20}",
            "\\PC{1,30}",
            "[^\\p{C}]{1,8}[\r\n\t]{1,3}[<&>\\]]{0,3}[^\\p{C}]{1,8}",
            Just("x ]]> y".to_string()),
            Just("<![CDATA[ z ]]>".to_string()),
        ]
        .prop_map(|s| s.trim().to_string())
        .prop_filter("non-empty", |s| !s.is_empty())
    }

    fn maybe_text() -> impl Strategy<Value = String> {
        prop_oneof![Just(String::new()), text()]
    }

    prop_compose! {
        fn draft()(
            kind in 0..3usize,
            n in 2..=6usize,
            texts in proptest::collection::vec(text(), 6),
            bits in any::<u8>(),
            title in text(),
            id in text(),
            module in 1..=15u32,
            topic in proptest::option::of(1..=9u32),
            difficulty in proptest::option::of(0..3usize),
            format in 0..3usize,
            stem in text(),
            general_feedback in maybe_text(),
            feedbacks in proptest::collection::vec(maybe_text(), 6),
            tags in proptest::collection::vec(text().prop_filter("not a difficulty", |t| Difficulty::parse(t).is_none()), 0..3),
            images in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..3),
            refer in any::<u8>(),
        ) -> QuestionDraft {
            let qtype = [QuestionType::Single, QuestionType::Multiple, QuestionType::TrueFalse][kind];
            let images: Vec<EmbeddedImage> = images
                .into_iter()
                .enumerate()
                .map(|(i, (dir, data))| EmbeddedImage {
                    name: if dir { format!("hình/ảnh {i}.png") } else { format!("img{i}.png") },
                    data,
                })
                .collect();
            let mention = |s: String, k: u8| -> String {
                match images.get(usize::from(k % 4)) {
                    Some(img) if k.is_multiple_of(3) => format!("{s} <img src=\"@@PLUGINFILE@@/{}\">", percent_encode(&img.name, !k.is_multiple_of(2))).trim().to_string(),
                    _ => s,
                }
            };
            let options: Vec<OptionDraft> = match qtype {
                QuestionType::TrueFalse => [TRUE_LABEL, FALSE_LABEL]
                    .iter()
                    .enumerate()
                    .map(|(i, t)| OptionDraft {
                        text: (*t).into(),
                        correct: (bits.is_multiple_of(2)) == (i == 0),
                        feedback: mention(feedbacks[i].clone(), refer.wrapping_add(i as u8)),
                    })
                    .collect(),
                _ => {
                    let mut correct: Vec<bool> = (0..n).map(|i| bits & (1 << i) != 0).collect();
                    if qtype == QuestionType::Single {
                        correct = (0..n).map(|i| i == usize::from(bits) % n).collect();
                    } else {
                        if !correct.contains(&true) { correct[0] = true; }
                        if !correct.contains(&false) { correct[n - 1] = false; }
                    }
                    (0..n)
                        .map(|i| OptionDraft {
                            text: mention(texts[i].clone(), refer.wrapping_add(i as u8)),
                            correct: correct[i],
                            feedback: feedbacks[i].clone(),
                        })
                        .collect()
                }
            };
            let module_code = ModuleCode::parse(&format!("IU{module:02}")).unwrap();
            QuestionDraft {
                external_id: Some(id),
                title: Some(title),
                topic: topic.map(|t| TopicCode::parse(&format!("{}.{t}", module_code.as_str())).unwrap()),
                module: Some(module_code),
                difficulty: difficulty.map(|d| Difficulty::ALL[d]),
                qtype,
                format: [TextFormat::Markdown, TextFormat::Html, TextFormat::Plain][format],
                stem,
                options,
                general_feedback: mention(general_feedback, refer / 7),
                tags,
                images,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn write_then_parse_gives_the_drafts_back(drafts in proptest::collection::vec(draft(), 1..6)) {
            let drafts: Vec<QuestionDraft> = drafts.into_iter().filter(|d| d.validate().is_ok()).collect();
            let xml = write(&drafts);
            let parsed = parse(xml.as_bytes(), &ImportDefaults::default());
            prop_assert!(parsed.errors.is_empty(), "{:?}\n{}", parsed.errors, xml);
            prop_assert!(parsed.skipped.is_empty());
            let back: Vec<QuestionDraft> = parsed.questions.into_iter().map(|(_, d)| d).collect();
            prop_assert_eq!(back, drafts);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes, &ImportDefaults::default());
        }

        #[test]
        fn damaged_documents_never_panic(cut in 0..2000usize, at in 0..2000usize, byte in any::<u8>()) {
            let mut bytes = SAMPLE.as_bytes().to_vec();
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes.truncate(cut.min(bytes.len()));
            let parsed = parse(&bytes, &ImportDefaults::default());
            for (line, _) in parsed.errors.iter().chain(&parsed.skipped) {
                prop_assert!(*line >= 1);
            }
        }
    }

    /// Property tests on arbitrary and damaged Moodle XML files.
    mod fuzz {
        use proptest::prelude::*;

        use super::super::*;
        use super::SAMPLE;
        use crate::formats::table::fuzz_support::{
            XML_TOKENS, check_parsed, config, line_count, mutated, soup,
        };

        const TOKENS: &[&str] = &[
            "<quiz>",
            "</quiz>",
            "<question type=\"multichoice\">",
            "<question type=\"truefalse\">",
            "<question type=\"category\">",
            "</question>",
            "<question>",
            "<text>",
            "</text>",
            "<answer fraction=\"100\">",
            "<answer fraction=\"-50\">",
            "<answer fraction=\"NaN\">",
            "</answer>",
            "<single>false</single>",
            "<name><text>",
            "<idnumber>",
            "</idnumber>",
            "<tags><tag><text>khó</text></tag></tags>",
            "<![CDATA[",
            "]]>",
            "&lt;",
            "&amp;",
            "&#x1F600;",
            "&#0;",
            "&#xD800;",
            "&nbsp;",
            "<!DOCTYPE quiz>",
            "<!-- ghi chú -->",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
            "<?xml version=\"1.0\"?>",
            "<file name=\"a.png\" path=\"/\" encoding=\"base64\">iVBORw0K</file>",
            "<file name=\"../x\" path=\"/\">",
            "<x>",
            "</x>",
            "@@PLUGINFILE@@/a.png",
            "format=\"markdown\"",
            "$course$/top/IU04/IU04.3",
        ];

        const SAMPLES: &[&str] = &[
            SAMPLE,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n<question type=\"category\"><category><text>$course$/top/IU06 Internet/IU06.2 Thư điện tử</text></category></question>\n\
             <question type=\"multichoice\">\n  <name><text>Thư rác</text></name>\n  <questiontext format=\"markdown\"><text>Dấu hiệu nào cho thấy một thư điện tử là **thư lừa đảo**?</text></questiontext>\n\
             <generalfeedback format=\"html\"><text><![CDATA[<p>Luôn kiểm tra <b>địa chỉ người gửi</b>.</p>]]></text></generalfeedback>\n\
             <idnumber>IU06-031</idnumber>\n  <single>true</single>\n\
             <answer fraction=\"100\"><text>Yêu cầu cung cấp mật khẩu qua đường liên kết</text><feedback><text>Đúng &amp; đủ.</text></feedback></answer>\n\
             <answer fraction=\"0\"><text>Có chữ ký của cơ quan</text></answer>\n\
             <answer fraction=\"0\"><text>Gửi trong giờ hành chính</text></answer>\n\
             <tags><tag><text>dễ</text></tag><tag><text>an toàn</text></tag></tags>\n</question>\n\
             <question type=\"truefalse\"><name><text>Mật khẩu</text></name><questiontext><text>Nên dùng chung một mật khẩu cho mọi tài khoản.</text></questiontext>\
             <answer fraction=\"100\"><text>Sai</text></answer><answer fraction=\"0\"><text>Đúng</text></answer></question>\n</quiz>\n",
        ];

        fn tokens() -> &'static [&'static str] {
            static ALL: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
            ALL.get_or_init(|| TOKENS.iter().chain(XML_TOKENS).copied().collect())
        }

        fn defaults() -> ImportDefaults {
            ImportDefaults {
                module: ModuleCode::parse("IU05"),
                topic: None,
                difficulty: Some(Difficulty::Hard),
            }
        }

        /// The reader's promises for `bytes`, and what it read (with a
        /// title and an id, as [`write`] requires) reads back the same.
        fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
            let parsed = parse(bytes, &defaults());
            check_parsed(&parsed, line_count(bytes))?;
            if std::str::from_utf8(bytes).is_err() {
                prop_assert!(parsed.questions.is_empty());
                prop_assert_eq!(parsed.errors.len(), 1);
            }
            for (_, q) in &parsed.questions {
                let names: std::collections::HashSet<&str> =
                    q.images.iter().map(|i| i.name.as_str()).collect();
                prop_assert_eq!(names.len(), q.images.len());
                prop_assert!(
                    q.images
                        .iter()
                        .all(|i| !i.name.split('/').any(|s| s.is_empty() || s == ".."))
                );
            }
            let drafts: Vec<QuestionDraft> = parsed
                .questions
                .into_iter()
                .map(|(_, q)| q)
                .filter(|q| q.title.is_some() && q.external_id.is_some())
                // The writer drops characters XML 1.0 forbids, which the
                // reader takes from references such as `&#xFFFF;`.
                .filter(|q| {
                    let texts = [&q.stem, &q.general_feedback]
                        .into_iter()
                        .chain(q.title.as_ref())
                        .chain(q.external_id.as_ref())
                        .chain(q.options.iter().flat_map(|o| [&o.text, &o.feedback]))
                        .chain(&q.tags)
                        .chain(q.images.iter().map(|i| &i.name));
                    texts.flat_map(|t| t.chars()).all(xml_char)
                })
                .collect();
            let written = write(&drafts);
            let again = parse(written.as_bytes(), &ImportDefaults::default());
            prop_assert!(again.errors.is_empty(), "{:?}\n{}", again.errors, written);
            let again: Vec<QuestionDraft> = again.questions.into_iter().map(|(_, q)| q).collect();
            prop_assert_eq!(again, drafts, "{}", written);
            Ok(())
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn fuzz_moodle_xml_arbitrary_bytes(bytes in soup(TOKENS)) {
                check(&bytes)?;
            }

            #[test]
            fn fuzz_moodle_xml_mutated_samples(bytes in mutated(SAMPLES, tokens())) {
                check(&bytes)?;
            }
        }

        #[test]
        fn fuzz_moodle_xml_samples_are_valid() {
            for sample in SAMPLES {
                let parsed = parse(sample.as_bytes(), &defaults());
                assert!(
                    parsed.errors.is_empty() && parsed.questions.len() >= 2,
                    "{parsed:?}"
                );
            }
        }

        /// Deep nesting, long runs and entity tricks stay bounded.
        #[test]
        fn fuzz_moodle_xml_pathological_documents() {
            let deep = format!("<quiz>{}", "<question type=\"multichoice\">".repeat(10_000));
            let huge_attr = format!(
                "<quiz><question type=\"{}\"></question></quiz>",
                "x".repeat(60_000)
            );
            let bomb = "<?xml version=\"1.0\"?><!DOCTYPE quiz [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><quiz>&b;</quiz>";
            let refs = format!(
                "<quiz><question type=\"x\"><text>{}</text></question></quiz>",
                "&#x10FFFF;".repeat(6000)
            );
            for doc in [deep.as_str(), huge_attr.as_str(), bomb, refs.as_str()] {
                let parsed = parse(doc.as_bytes(), &defaults());
                assert!(parsed.questions.is_empty());
                assert!(
                    parsed.errors.len() + parsed.skipped.len() >= 1,
                    "{parsed:?}"
                );
            }
        }
    }
}
