//! The Vietnamese question spreadsheet that training centres keep their
//! banks in: one question a row, options in columns A–E, the right
//! letter(s) in "Đáp án". Read from XLSX/XLS/ODS/CSV through
//! [`crate::formats::table`], written as XLSX with the same headers.
use crate::domain::question::{
    Difficulty, ImportDefaults, ModuleCode, OptionDraft, ParsedFile, QuestionDraft, QuestionType,
    TextFormat, TopicCode,
};
use crate::domain::unit_path::{fold_diacritics, normalize_text};
use crate::formats::table::{self, Table, TableError, TableRow};
use crate::i18n::Lang;

/// The template's columns, in the order [`write_xlsx`] writes them.
pub const HEADERS: [&str; 12] = [
    "Mã",
    "Câu hỏi",
    "A",
    "B",
    "C",
    "D",
    "E",
    "Đáp án",
    "Mô-đun",
    "Chủ đề",
    "Mức độ",
    "Giải thích",
];

/// Option letters, in column order.
const LETTERS: [char; 5] = ['A', 'B', 'C', 'D', 'E'];

/// The two options of a true/false question, in this order.
const TRUE_LABEL: &str = "Đúng";
const FALSE_LABEL: &str = "Sai";

/// Header problems are reported at this line: the table reader does not
/// say where the header row was, and it is the first row in practice.
const HEADER_LINE: usize = 1;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Id,
    Stem,
    Option(usize),
    Answer,
    Module,
    Topic,
    Difficulty,
    Feedback,
    Kind,
}

impl Column {
    /// Recognises a header: case, diacritics, punctuation and spacing do
    /// not matter ("Mô-đun", "mo dun", "MODULE").
    fn from_header(header: &str) -> Option<Column> {
        let spaced: String = header
            .chars()
            .map(|c| if "-_.:*()[]".contains(c) { ' ' } else { c })
            .collect();
        let key = fold_diacritics(&normalize_text(&spaced));
        let column = match key.as_str() {
            "ma" | "ma cau hoi" | "ma so" | "id" => Column::Id,
            "cau hoi" | "noi dung" | "noi dung cau hoi" | "question" => Column::Stem,
            "dap an" | "dap an dung" | "answer" | "correct" | "correct answer" => Column::Answer,
            "mo dun" | "modun" | "module" | "ma mo dun" => Column::Module,
            "chu de" | "ma chu de" | "topic" => Column::Topic,
            "muc do" | "muc do kho" | "do kho" | "difficulty" => Column::Difficulty,
            "giai thich" | "loi giai" | "phan hoi" | "feedback" => Column::Feedback,
            "loai" | "loai cau hoi" | "kieu" | "type" => Column::Kind,
            other => {
                let letter = other
                    .strip_prefix("phuong an ")
                    .or_else(|| other.strip_prefix("lua chon "))
                    .unwrap_or(other);
                let index = LETTERS.iter().position(|l| {
                    letter.len() == 1 && letter.eq_ignore_ascii_case(&l.to_string())
                })?;
                Column::Option(index)
            }
        };
        Some(column)
    }

    fn label(self) -> &'static str {
        match self {
            Column::Id => HEADERS[0],
            Column::Stem => HEADERS[1],
            Column::Option(i) => HEADERS.get(2 + i).copied().unwrap_or("?"),
            Column::Answer => HEADERS[7],
            Column::Module => HEADERS[8],
            Column::Topic => HEADERS[9],
            Column::Difficulty => HEADERS[10],
            Column::Feedback => HEADERS[11],
            Column::Kind => "Loại",
        }
    }
}

/// Where each known column is.
#[derive(Debug, Default)]
struct Layout {
    id: Option<usize>,
    stem: Option<usize>,
    options: [Option<usize>; 5],
    answer: Option<usize>,
    module: Option<usize>,
    topic: Option<usize>,
    difficulty: Option<usize>,
    feedback: Option<usize>,
    kind: Option<usize>,
}

impl Layout {
    fn slot(&mut self, column: Column) -> Option<&mut Option<usize>> {
        Some(match column {
            Column::Id => &mut self.id,
            Column::Stem => &mut self.stem,
            Column::Option(i) => self.options.get_mut(i)?,
            Column::Answer => &mut self.answer,
            Column::Module => &mut self.module,
            Column::Topic => &mut self.topic,
            Column::Difficulty => &mut self.difficulty,
            Column::Feedback => &mut self.feedback,
            Column::Kind => &mut self.kind,
        })
    }

    /// Finds the columns; the errors name missing or repeated ones.
    fn from_headers(headers: &[String]) -> Result<Layout, Vec<String>> {
        let mut layout = Layout::default();
        let mut errors = Vec::new();
        for (i, header) in headers.iter().enumerate() {
            let Some(column) = Column::from_header(header) else {
                continue;
            };
            let Some(slot) = layout.slot(column) else {
                continue;
            };
            if slot.is_some() {
                errors.push(format!("Cột “{}” xuất hiện hai lần.", column.label()));
            } else {
                *slot = Some(i);
            }
        }
        if layout.stem.is_none() {
            errors.push("Thiếu cột “Câu hỏi”.".into());
        }
        if layout.answer.is_none() {
            errors.push("Thiếu cột “Đáp án”.".into());
        }
        if layout.options.iter().flatten().count() < 2 {
            errors.push("Cần ít nhất hai cột phương án (A, B, C, D, E).".into());
        }
        if errors.is_empty() {
            Ok(layout)
        } else {
            Err(errors)
        }
    }
}

/// Reads the template from XLSX, XLS, ODS or CSV. Headers are matched
/// without regard to case or diacritics; "Câu hỏi", "Đáp án" and at least
/// two of A–E are required; "Mã", "Mô-đun", "Chủ đề", "Mức độ",
/// "Giải thích" and "Loại" are optional, other columns are ignored.
///
/// "Đáp án" holds one or more letters ("B", "A,C", "A C", "AC", "a; c", "B)"):
/// one letter makes a single-choice question, several a multiple-answer
/// one, and options that are exactly "Đúng" and "Sai" with one letter a
/// true/false question (options put in the order Đúng, Sai). A "Loại"
/// column, when filled, decides the type instead (`single`/`multiple`/
/// `true_false` or "một lựa chọn"/"nhiều lựa chọn"/"đúng sai"). The module
/// comes from "Mô-đun" (`IU04`, `IU04 Bảng tính`, or `4`), else from the
/// "Chủ đề" topic, else from `defaults`; the difficulty from "Mức độ"
/// (Dễ/Trung bình/Khó, easy/medium/hard), else from `defaults`. Texts are
/// Markdown. Every row is checked and every problem reported at its line.
pub fn parse(bytes: &[u8], defaults: &ImportDefaults) -> ParsedFile {
    let mut out = ParsedFile::default();
    let table: Table = match table::read_table(bytes) {
        Ok(table) => table,
        Err(e) => {
            out.errors
                .push((e.line().unwrap_or(HEADER_LINE), e.message(Lang::Vi)));
            return out;
        }
    };
    let layout = match Layout::from_headers(&table.headers) {
        Ok(layout) => layout,
        Err(errors) => {
            out.errors
                .extend(errors.into_iter().map(|m| (HEADER_LINE, m)));
            return out;
        }
    };
    for row in &table.rows {
        match read_row(row, &layout, defaults) {
            Ok(draft) => out.questions.push((row.line, draft)),
            Err(errors) => out.errors.extend(errors.into_iter().map(|m| (row.line, m))),
        }
    }
    out
}

/// The kind named in a "Loại" cell.
fn parse_kind(cell: &str) -> Option<QuestionType> {
    if let Some(kind) = QuestionType::parse(cell) {
        return Some(kind);
    }
    let spaced: String = cell
        .chars()
        .map(|c| if "/_-".contains(c) { ' ' } else { c })
        .collect();
    match fold_diacritics(&normalize_text(&spaced)).as_str() {
        "single" | "mot lua chon" | "mot dap an" | "chon mot" | "chon 1" | "1 dap an" => {
            Some(QuestionType::Single)
        }
        "multiple" | "nhieu lua chon" | "nhieu dap an" | "chon nhieu" => {
            Some(QuestionType::Multiple)
        }
        "true false" | "dung sai" => Some(QuestionType::TrueFalse),
        _ => None,
    }
}

/// The module in a "Mô-đun" cell: `IU04`, `IU04 - Bảng tính`, or `4`.
fn parse_module(cell: &str) -> Option<ModuleCode> {
    let word = first_word(cell);
    ModuleCode::parse(word).or_else(|| {
        let n: u32 = word.parse().ok()?;
        ModuleCode::parse(&format!("IU{n:02}"))
    })
}

/// The code at the start of a cell such as "IU04.3 Công thức".
fn first_word(cell: &str) -> &str {
    cell.trim()
        .split(|c: char| c.is_whitespace() || c == '-' || c == ':')
        .next()
        .unwrap_or("")
}

/// The option indexes named in an "Đáp án" cell, in letter order.
fn parse_letters(cell: &str) -> Result<Vec<usize>, String> {
    let mut picked = Vec::new();
    for c in cell.chars() {
        if c.is_whitespace() || ",;/+&.()".contains(c) {
            continue;
        }
        let Some(i) = LETTERS.iter().position(|l| l.eq_ignore_ascii_case(&c)) else {
            return Err(format!(
                "Đáp án “{}” không hợp lệ: chỉ dùng các chữ cái A–E (ví dụ “B” hoặc “A, C”).",
                shorten(cell)
            ));
        };
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.sort_unstable();
    Ok(picked)
}

fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    let s = s.trim();
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

/// Whether two option texts are "Đúng" and "Sai" in either order.
fn true_false_texts(texts: &[&str]) -> Option<bool> {
    let [a, b] = texts else {
        return None;
    };
    let is = |s: &str, w: &str| normalize_text(s) == normalize_text(w);
    if is(a, TRUE_LABEL) && is(b, FALSE_LABEL) {
        Some(true)
    } else if is(a, FALSE_LABEL) && is(b, TRUE_LABEL) {
        Some(false)
    } else {
        None
    }
}

fn read_row(
    row: &TableRow,
    layout: &Layout,
    defaults: &ImportDefaults,
) -> Result<QuestionDraft, Vec<String>> {
    let cell = |c: Option<usize>| {
        c.and_then(|i| row.cells.get(i))
            .map_or("", |s| s.as_str())
            .trim()
    };
    let mut errors = Vec::new();

    let stem = cell(layout.stem);
    if stem.is_empty() {
        errors.push(crate::domain::question::DraftError::EmptyStem.message(Lang::Vi));
    }

    // Options in letter order; a blank one followed by a filled one is a mistake.
    let texts: Vec<Option<&str>> = layout
        .options
        .iter()
        .map(|c| c.map(|i| cell(Some(i))))
        .collect();
    for (i, text) in texts.iter().enumerate() {
        if *text == Some("")
            && let Some(later) = texts[i + 1..]
                .iter()
                .position(|t| t.is_some_and(|t| !t.is_empty()))
        {
            errors.push(format!(
                "Phương án {} để trống nhưng phương án {} có nội dung.",
                LETTERS[i],
                LETTERS[i + 1 + later]
            ));
        }
    }
    // (letter index, text) of the filled options.
    let filled: Vec<(usize, &str)> = texts
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.filter(|t| !t.is_empty()).map(|t| (i, t)))
        .collect();

    let answer = cell(layout.answer);
    let letters = if answer.is_empty() {
        errors.push("Chưa có đáp án (cột “Đáp án”).".into());
        Vec::new()
    } else {
        match parse_letters(answer) {
            Ok(letters) if letters.is_empty() => {
                errors.push("Chưa có đáp án (cột “Đáp án”).".into());
                letters
            }
            Ok(letters) => letters,
            Err(message) => {
                errors.push(message);
                Vec::new()
            }
        }
    };
    for &l in &letters {
        match texts.get(l).copied().flatten() {
            None => errors.push(format!(
                "Đáp án {} không có cột phương án tương ứng.",
                LETTERS[l]
            )),
            Some("") => errors.push(format!("Đáp án {} chỉ vào phương án để trống.", LETTERS[l])),
            Some(_) => {}
        }
    }

    let kind_cell = cell(layout.kind);
    let kind = if kind_cell.is_empty() {
        None
    } else {
        let kind = parse_kind(kind_cell);
        if kind.is_none() {
            errors.push(format!(
                "Loại câu hỏi “{}” không hợp lệ: dùng “một lựa chọn”, “nhiều lựa chọn” hoặc “đúng/sai”.",
                shorten(kind_cell)
            ));
        }
        kind
    };
    let filled_texts: Vec<&str> = filled.iter().map(|(_, t)| *t).collect();
    let true_false = true_false_texts(&filled_texts);
    let qtype = match kind {
        Some(QuestionType::TrueFalse) => {
            if true_false.is_none() {
                errors.push(format!(
                    "Câu hỏi đúng/sai phải có đúng hai phương án “{TRUE_LABEL}” và “{FALSE_LABEL}”."
                ));
            }
            QuestionType::TrueFalse
        }
        Some(kind) => kind,
        None if letters.len() > 1 => QuestionType::Multiple,
        None if true_false.is_some() => QuestionType::TrueFalse,
        None => QuestionType::Single,
    };

    let mut options: Vec<OptionDraft> = filled
        .iter()
        .map(|(i, text)| OptionDraft {
            text: (*text).to_string(),
            correct: letters.contains(i),
            feedback: String::new(),
        })
        .collect();
    if qtype == QuestionType::TrueFalse
        && let Some(in_order) = true_false
    {
        if !in_order {
            options.reverse();
        }
        for (option, label) in options.iter_mut().zip([TRUE_LABEL, FALSE_LABEL]) {
            option.text = label.to_string();
        }
    }

    // Module and topic.
    let module_cell = cell(layout.module);
    let module = if module_cell.is_empty() {
        None
    } else {
        let module = parse_module(module_cell);
        if module.is_none() {
            errors.push(format!(
                "Mô-đun “{}” không hợp lệ: dùng mã IU01–IU15.",
                shorten(module_cell)
            ));
        }
        module
    };
    let topic_cell = cell(layout.topic);
    let topic = if topic_cell.is_empty() {
        None
    } else {
        let topic = TopicCode::parse(first_word(topic_cell));
        if topic.is_none() {
            errors.push(format!(
                "Chủ đề “{}” không hợp lệ: dùng mã như IU04.3.",
                shorten(topic_cell)
            ));
        }
        topic
    };
    if let (Some(m), Some(t)) = (&module, &topic)
        && &t.module() != m
    {
        errors.push(format!(
            "Chủ đề {} không thuộc mô-đun {}.",
            t.as_str(),
            m.as_str()
        ));
    }
    let (module, topic) = match (module, topic) {
        (None, None) if module_cell.is_empty() && topic_cell.is_empty() => {
            (defaults.module.clone(), defaults.topic.clone())
        }
        (module, topic) => {
            let module = module.or_else(|| topic.as_ref().map(TopicCode::module));
            let topic = topic.or_else(|| {
                defaults
                    .topic
                    .clone()
                    .filter(|t| module.as_ref() == Some(&t.module()))
            });
            (module, topic)
        }
    };

    let difficulty_cell = cell(layout.difficulty);
    let difficulty = if difficulty_cell.is_empty() {
        defaults.difficulty
    } else {
        let difficulty = Difficulty::parse(difficulty_cell);
        if difficulty.is_none() {
            errors.push(format!(
                "Mức độ “{}” không hợp lệ: dùng Dễ, Trung bình hoặc Khó.",
                shorten(difficulty_cell)
            ));
        }
        difficulty
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    let id = cell(layout.id);
    let draft = QuestionDraft {
        external_id: (!id.is_empty()).then(|| id.to_string()),
        title: None,
        module,
        topic,
        difficulty,
        qtype,
        format: TextFormat::Markdown,
        stem: stem.to_string(),
        options,
        general_feedback: cell(layout.feedback).to_string(),
        tags: Vec::new(),
        images: Vec::new(),
    };
    match draft.validate() {
        Ok(()) => Ok(draft),
        Err(e) => Err(vec![e.message(Lang::Vi)]),
    }
}

/// Writes the drafts as the XLSX template ([`HEADERS`]), every cell as
/// text (so `=HYPERLINK(…)` stays text, never a formula).
///
/// A draft with more than five options cannot be written:
/// [`TableError::Write`] names it (its external id, else its position).
/// Other drafts are written with what the template can hold: title,
/// per-option feedback, tags, images and the text format are not written,
/// and a multiple-answer question with one right option reads back as
/// single-choice (the template tells the two apart only by the number of
/// letters).
pub fn write_xlsx(questions: &[QuestionDraft]) -> Result<Vec<u8>, TableError> {
    let mut rows = Vec::with_capacity(questions.len());
    for (n, q) in questions.iter().enumerate() {
        if q.options.len() > LETTERS.len() {
            let name = q
                .external_id
                .as_deref()
                .map_or_else(|| format!("#{}", n + 1), |id| format!("“{id}”"));
            return Err(TableError::Write(format!(
                "question {name} has {} options; the template holds at most 5 (A–E)",
                q.options.len()
            )));
        }
        let mut row = Vec::with_capacity(HEADERS.len());
        row.push(q.external_id.clone().unwrap_or_default());
        row.push(q.stem.clone());
        for i in 0..LETTERS.len() {
            row.push(q.options.get(i).map(|o| o.text.clone()).unwrap_or_default());
        }
        let letters: Vec<String> = q
            .options
            .iter()
            .zip(LETTERS)
            .filter(|(o, _)| o.correct)
            .map(|(_, l)| l.to_string())
            .collect();
        row.push(letters.join(", "));
        row.push(
            q.module
                .as_ref()
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        );
        row.push(
            q.topic
                .as_ref()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
        );
        row.push(
            q.difficulty
                .map(|d| d.label(Lang::Vi).to_string())
                .unwrap_or_default(),
        );
        row.push(q.general_feedback.clone());
        rows.push(row);
    }
    table::write_xlsx("Câu hỏi", &HEADERS, &rows)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn csv(lines: &[&str]) -> Vec<u8> {
        lines.join("\n").into_bytes()
    }

    fn defaults() -> ImportDefaults {
        ImportDefaults::default()
    }

    #[test]
    fn reads_the_template_from_csv() {
        let file = csv(&[
            "Mã,Câu hỏi,A,B,C,D,E,Đáp án,Mô-đun,Chủ đề,Mức độ,Giải thích",
            "Q1,Phím tắt sao chép?,Ctrl+C,Ctrl+V,Ctrl+X,,,A,IU03,IU03.2,Dễ,Ctrl+C sao chép",
            "Q2,Hàm thống kê?,MIN,MAX,IF,VLOOKUP,,\"B), a.\",IU04 Bảng tính,,Trung bình,",
            "Q3,Excel là bảng tính.,Sai,Đúng,,,,B,,IU04.3,khó,",
            "Q4,Nhiều dạng đáp án,w,x,y,z,v,a; c e,4,,,",
            "Q5,Liền nhau,a,b,c,,,AC,IU01,,hard,",
        ]);
        let parsed = parse(&file, &defaults());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let lines: Vec<usize> = parsed.questions.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6]);

        let q = &parsed.questions[0].1;
        assert_eq!(q.external_id.as_deref(), Some("Q1"));
        assert_eq!(q.qtype, QuestionType::Single);
        assert_eq!(q.format, TextFormat::Markdown);
        assert_eq!(q.options.len(), 3);
        assert_eq!(q.module.as_ref().unwrap().as_str(), "IU03");
        assert_eq!(q.topic.as_ref().unwrap().as_str(), "IU03.2");
        assert_eq!(q.difficulty, Some(Difficulty::Easy));
        assert_eq!(q.general_feedback, "Ctrl+C sao chép");

        let q = &parsed.questions[1].1;
        assert_eq!(q.qtype, QuestionType::Multiple);
        assert_eq!(
            q.options.iter().map(|o| o.correct).collect::<Vec<_>>(),
            [true, true, false, false]
        );
        assert_eq!(q.module.as_ref().unwrap().as_str(), "IU04");
        assert_eq!(q.topic, None);

        let q = &parsed.questions[2].1;
        assert_eq!(q.qtype, QuestionType::TrueFalse);
        let options: Vec<(&str, bool)> = q
            .options
            .iter()
            .map(|o| (o.text.as_str(), o.correct))
            .collect();
        assert_eq!(options, [("Đúng", true), ("Sai", false)]);
        assert_eq!(q.module.as_ref().unwrap().as_str(), "IU04");
        assert_eq!(q.difficulty, Some(Difficulty::Hard));

        let q = &parsed.questions[3].1;
        assert_eq!(q.qtype, QuestionType::Multiple);
        assert_eq!(
            q.options.iter().map(|o| o.correct).collect::<Vec<_>>(),
            [true, false, true, false, true]
        );
        assert_eq!(q.module.as_ref().unwrap().as_str(), "IU04");
        assert_eq!(q.external_id.as_deref(), Some("Q4"));
        let q = &parsed.questions[4].1;
        assert_eq!(q.qtype, QuestionType::Multiple);
        assert_eq!(
            q.options.iter().map(|o| o.correct).collect::<Vec<_>>(),
            [true, false, true]
        );
        assert_eq!(q.difficulty, Some(Difficulty::Hard));
    }

    #[test]
    fn headers_ignore_case_diacritics_and_order() {
        let file = csv(&[
            "dap an;CAU HOI;a;b;mo dun;Loại;Ghi chú",
            "b;Câu?;x;y;iu02;nhiều lựa chọn;bỏ qua",
        ]);
        let parsed = parse(&file, &defaults());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let q = &parsed.questions[0].1;
        assert_eq!(q.qtype, QuestionType::Multiple);
        assert_eq!(q.stem, "Câu?");
        assert_eq!(q.module.as_ref().unwrap().as_str(), "IU02");
        assert_eq!(q.external_id, None);
    }

    #[test]
    fn defaults_fill_what_the_row_does_not_say() {
        let d = ImportDefaults {
            module: ModuleCode::parse("IU05"),
            topic: TopicCode::parse("IU05.2"),
            difficulty: Some(Difficulty::Medium),
        };
        let file = csv(&[
            "Câu hỏi,A,B,Đáp án,Mô-đun",
            "Q?,x,y,A,",
            "Q2?,x,y,A,IU05",
            "Q3?,x,y,A,IU06",
        ]);
        let parsed = parse(&file, &d);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let places: Vec<(&str, Option<&str>, Option<Difficulty>)> = parsed
            .questions
            .iter()
            .map(|(_, q)| {
                (
                    q.module.as_ref().unwrap().as_str(),
                    q.topic.as_ref().map(TopicCode::as_str),
                    q.difficulty,
                )
            })
            .collect();
        assert_eq!(
            places,
            [
                ("IU05", Some("IU05.2"), Some(Difficulty::Medium)),
                ("IU05", Some("IU05.2"), Some(Difficulty::Medium)),
                ("IU06", None, Some(Difficulty::Medium)),
            ]
        );
    }

    #[test]
    fn bad_rows_are_all_reported_with_their_lines() {
        let file = csv(&[
            "Mã,Câu hỏi,A,B,C,D,E,Đáp án,Mô-đun,Chủ đề,Mức độ,Giải thích",
            "1,Mô-đun lạ,x,y,,,,A,IU99,,,",
            "2,Hai chữ là nhiều lựa chọn,x,y,z,,,\"A,C\",IU01,,,",
            "3,Chữ F,x,y,z,,,F,IU01,,,",
            "4,,x,y,,,,A,IU01,,,",
            "5,Một phương án,x,,,,,A,IU01,,,",
            "6,Đáp án vào ô trống,x,y,,,,C,IU01,,,",
            "7,Lỗ hổng,x,,z,,,A,IU01,,,",
            "8,Chủ đề khác mô-đun,x,y,,,,A,IU01,IU02.1,,",
            "9,Mức độ lạ,x,y,,,,A,IU01,,rất khó,",
            "10,Không có đáp án,x,y,,,,,IU01,,,",
            "11,Không mô-đun,x,y,,,,A,,,,",
            "12,Hai đáp án đúng cho single?,x,y,z,,,A B,IU01,,,",
            "13,Trùng,x,x,,,,A,IU01,,,",
        ]);
        let parsed = parse(&file, &defaults());
        assert_eq!(parsed.questions.len(), 2, "{:?}", parsed.errors);
        assert_eq!(parsed.questions[0].0, 3);
        assert_eq!(parsed.questions[0].1.qtype, QuestionType::Multiple);
        assert_eq!(parsed.questions[1].0, 13);
        let lines: Vec<usize> = parsed.errors.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            lines,
            [2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14],
            "{:?}",
            parsed.errors
        );
        let at =
            |line: usize| -> &str { &parsed.errors.iter().find(|(l, _)| *l == line).unwrap().1 };
        assert!(at(2).contains("IU99"));
        assert!(at(4).contains("“F”"));
        assert_eq!(at(5), "Câu hỏi không có nội dung.");
        assert_eq!(at(6), "Câu hỏi cần ít nhất hai phương án.");
        assert!(at(7).contains("trống"));
        assert!(at(8).contains("Phương án B"));
        assert!(at(9).contains("IU02.1"));
        assert!(at(10).contains("rất khó"));
        assert!(at(11).contains("đáp án"));
        assert!(at(12).contains("mô-đun"));
        assert!(at(14).contains("lặp"));
    }

    #[test]
    fn files_that_are_not_the_template() {
        let parsed = parse(b"", &defaults());
        assert_eq!(parsed.errors, [(1, TableError::Empty.message(Lang::Vi))]);
        let parsed = parse(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", &defaults());
        assert_eq!(
            parsed.errors,
            [(1, TableError::NotASpreadsheet.message(Lang::Vi))]
        );
        let parsed = parse(b"PK\x03\x04garbage", &defaults());
        assert_eq!(parsed.errors.len(), 1);
        let parsed = parse("Họ tên,Email\nAn,a@b.c".as_bytes(), &defaults());
        assert_eq!(parsed.errors.len(), 3);
        assert!(parsed.errors.iter().all(|(l, _)| *l == 1));
        let parsed = parse("Câu hỏi,A,A,B,Đáp án\nx,1,2,3,A".as_bytes(), &defaults());
        assert_eq!(
            parsed.errors,
            [(1, "Cột “A” xuất hiện hai lần.".to_string())]
        );
        let parsed = parse("Câu hỏi,A,B,Đáp án\n\"x,1,2,A".as_bytes(), &defaults());
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].0, 2);
    }

    fn draft(stem: &str, options: &[(&str, bool)], qtype: QuestionType) -> QuestionDraft {
        QuestionDraft {
            external_id: Some("Q-1".into()),
            title: None,
            module: ModuleCode::parse("IU06"),
            topic: TopicCode::parse("IU06.1"),
            difficulty: Some(Difficulty::Hard),
            qtype,
            format: TextFormat::Markdown,
            stem: stem.into(),
            options: options
                .iter()
                .map(|(t, c)| OptionDraft {
                    text: (*t).into(),
                    correct: *c,
                    feedback: String::new(),
                })
                .collect(),
            general_feedback: "=1+1".into(),
            tags: vec![],
            images: vec![],
        }
    }

    #[test]
    fn cells_are_written_as_text_never_as_formulas() {
        use calamine::{Reader, Xlsx, open_workbook_from_rs};
        let d = draft(
            "=HYPERLINK(\"http://x\")",
            &[
                ("=1+1", true),
                ("+A1", false),
                ("@SUM(A1)", false),
                ("-2", false),
            ],
            QuestionType::Single,
        );
        let bytes = write_xlsx(std::slice::from_ref(&d)).unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        let formulas = book.worksheet_formula("Câu hỏi").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
        let values = book.worksheet_range("Câu hỏi").unwrap();
        assert_eq!(
            values.get_value((1, 1)).unwrap().to_string(),
            "=HYPERLINK(\"http://x\")"
        );
        let parsed = parse(&bytes, &defaults());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions[0].1, d);
    }

    #[test]
    fn more_than_five_options_cannot_be_written() {
        let six: Vec<(String, bool)> = (0..6).map(|i| (format!("o{i}"), i == 0)).collect();
        let six: Vec<(&str, bool)> = six.iter().map(|(t, c)| (t.as_str(), *c)).collect();
        let ok = draft("Q", &six[..5], QuestionType::Single);
        let mut bad = draft("Q", &six, QuestionType::Single);
        bad.external_id = Some("IU06-017".into());
        match write_xlsx(&[ok.clone(), bad]) {
            Err(TableError::Write(message)) => assert!(message.contains("IU06-017"), "{message}"),
            other => panic!("{other:?}"),
        }
        let mut bad = draft("Q", &six, QuestionType::Single);
        bad.external_id = None;
        match write_xlsx(&[ok, bad]) {
            Err(TableError::Write(message)) => assert!(message.contains("#2"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn true_false_is_written_and_read_back_in_order() {
        let d = draft(
            "Trời xanh?",
            &[("Đúng", false), ("Sai", true)],
            QuestionType::TrueFalse,
        );
        let parsed = parse(&write_xlsx(std::slice::from_ref(&d)).unwrap(), &defaults());
        assert_eq!(parsed.questions[0].1, d);
        // A sheet with Sai first comes back as Đúng, Sai.
        let mut reversed = d.clone();
        reversed.options.reverse();
        let parsed = parse(&write_xlsx(&[reversed]).unwrap(), &defaults());
        assert_eq!(parsed.questions[0].1, d);
    }

    // ----- property test -----

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 <>&\"',;=+@-]{1,20}",
            "[^\\p{C}]{1,30}",
            "[^\\p{C}]{1,8}\n[^\\p{C}]{1,8}",
        ]
        .prop_map(|s| s.trim().to_string())
        .prop_filter("non-empty", |s| !s.is_empty())
    }

    prop_compose! {
        fn sheet_draft()(
            kind in 0..3usize,
            n in 2..=5usize,
            texts in proptest::collection::vec(text(), 5),
            bits in any::<u8>(),
            id in proptest::option::of(text()),
            module in 1..=15u32,
            topic in proptest::option::of(1..=9u32),
            difficulty in proptest::option::of(0..3usize),
            stem in text(),
            general_feedback in prop_oneof![Just(String::new()), text()],
        ) -> QuestionDraft {
            let qtype = [QuestionType::Single, QuestionType::Multiple, QuestionType::TrueFalse][kind];
            let options: Vec<OptionDraft> = match qtype {
                QuestionType::TrueFalse => [TRUE_LABEL, FALSE_LABEL]
                    .iter()
                    .enumerate()
                    .map(|(i, t)| OptionDraft { text: (*t).into(), correct: (bits.is_multiple_of(2)) == (i == 0), feedback: String::new() })
                    .collect(),
                QuestionType::Single => (0..n)
                    .map(|i| OptionDraft { text: texts[i].clone(), correct: i == usize::from(bits) % n, feedback: String::new() })
                    .collect(),
                QuestionType::Multiple => {
                    // The template tells multiple from single by two letters or more.
                    let n = n.max(3);
                    let mut correct: Vec<bool> = (0..n).map(|i| bits & (1 << i) != 0).collect();
                    correct[0] = true;
                    correct[1] = true;
                    correct[n - 1] = false;
                    (0..n)
                        .map(|i| OptionDraft { text: texts[i].clone(), correct: correct[i], feedback: String::new() })
                        .collect()
                }
            };
            let module_code = ModuleCode::parse(&format!("IU{module:02}")).unwrap();
            QuestionDraft {
                external_id: id,
                title: None,
                topic: topic.map(|t| TopicCode::parse(&format!("{}.{t}", module_code.as_str())).unwrap()),
                module: Some(module_code),
                difficulty: difficulty.map(|d| Difficulty::ALL[d]),
                qtype,
                format: TextFormat::Markdown,
                stem,
                options,
                general_feedback,
                tags: vec![],
                images: vec![],
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn write_then_parse_gives_the_drafts_back(drafts in proptest::collection::vec(sheet_draft(), 1..6)) {
            // Two options reading "Đúng"/"Sai" make a true/false question: not a single one.
            let drafts: Vec<QuestionDraft> = drafts
                .into_iter()
                .filter(|d| d.validate().is_ok())
                .filter(|d| {
                    d.qtype == QuestionType::TrueFalse
                        || !d.options.iter().any(|o| true_false_texts(&[o.text.as_str(), TRUE_LABEL]).is_some()
                            || true_false_texts(&[o.text.as_str(), FALSE_LABEL]).is_some())
                })
                .collect();
            let bytes = write_xlsx(&drafts).unwrap();
            let parsed = parse(&bytes, &ImportDefaults::default());
            prop_assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            let back: Vec<QuestionDraft> = parsed.questions.into_iter().map(|(_, d)| d).collect();
            prop_assert_eq!(back, drafts);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&bytes, &ImportDefaults::default());
        }

        #[test]
        fn arbitrary_csv_rows_never_panic(cells in proptest::collection::vec("[A-Fa-f,; \"IU0-9.=Đđúng]{0,12}", 12)) {
            let row = cells.join(",");
            let file = format!("{}\n{row}\n", HEADERS.join(","));
            let _ = parse(file.as_bytes(), &ImportDefaults::default());
        }
    }

    /// Property tests on arbitrary and damaged question sheets.
    mod fuzz {
        use std::sync::OnceLock;

        use proptest::prelude::*;
        use proptest::sample::Index;

        use super::super::*;
        use crate::formats::table::fuzz_support::{
            XML_TOKENS, byte_mutations, check_parsed, config, damage_bytes, damage_part,
            line_count, mutated, mutation, soup,
        };

        const TOKENS: &[&str] = &[
            ",",
            ";",
            "\"",
            "\"\"",
            "\t",
            "A",
            "B",
            "A, C",
            "a; c e",
            "F",
            "Đúng",
            "Sai",
            "IU04",
            "IU04.3",
            "IU16",
            "4",
            "Dễ",
            "khó",
            "Trung bình",
            "một lựa chọn",
            "đúng/sai",
            "=",
            "'=",
            "Mã,Câu hỏi,A,B,C,D,E,Đáp án,Mô-đun,Chủ đề,Mức độ,Giải thích\n",
        ];

        const SAMPLES: &[&str] = &[
            "Mã,Câu hỏi,A,B,C,D,E,Đáp án,Mô-đun,Chủ đề,Mức độ,Giải thích\n\
             Q1,Phím tắt sao chép?,Ctrl+C,Ctrl+V,Ctrl+X,,,A,IU03,IU03.2,Dễ,Ctrl+C sao chép\n\
             Q2,Hàm thống kê?,MIN,MAX,IF,VLOOKUP,,\"B), a.\",IU04 Bảng tính,,Trung bình,\n\
             Q3,Excel là bảng tính.,Sai,Đúng,,,,B,,IU04.3,khó,\n\
             Q4,Nhiều dạng đáp án,w,x,y,z,v,a; c e,4,,,\n\
             Q5,Liền nhau,a,b,c,,,AC,IU01,,hard,\n",
            "\u{feff}STT;Nội dung câu hỏi;Phương án A;Phương án B;Phương án C;Đáp án đúng;Loại;Mô-đun\r\n\
             1;Trình duyệt nào do Google phát triển?;Firefox;Chrome;Edge;B;một lựa chọn;IU06\r\n\
             2;\"Chọn các dịch vụ thư điện tử; web\";Gmail;Outlook;Word;A,B;nhiều lựa chọn;IU06\r\n\
             3;Virus có thể lây qua USB.;Đúng;Sai;;A;đúng/sai;IU01\r\n",
        ];

        fn tokens() -> &'static [&'static str] {
            static ALL: OnceLock<Vec<&'static str>> = OnceLock::new();
            ALL.get_or_init(|| TOKENS.iter().chain(XML_TOKENS).copied().collect())
        }

        fn defaults() -> ImportDefaults {
            ImportDefaults {
                module: ModuleCode::parse("IU02"),
                topic: None,
                difficulty: None,
            }
        }

        /// The template written from the first sample's questions.
        fn template() -> &'static [u8] {
            static BOOK: OnceLock<Vec<u8>> = OnceLock::new();
            BOOK.get_or_init(|| {
                let parsed = parse(SAMPLES[0].as_bytes(), &defaults());
                let drafts: Vec<QuestionDraft> =
                    parsed.questions.into_iter().map(|(_, q)| q).collect();
                write_xlsx(&drafts).unwrap()
            })
        }

        /// The reader's promises, and what it read reads back the same
        /// from the template (but for what the template cannot tell).
        fn check(bytes: &[u8], max_line: usize) -> Result<(), TestCaseError> {
            let parsed = parse(bytes, &defaults());
            check_parsed(&parsed, max_line)?;
            prop_assert!(parsed.questions.windows(2).all(|w| w[0].0 < w[1].0));
            for (_, q) in &parsed.questions {
                prop_assert!(q.options.len() <= LETTERS.len());
                prop_assert_eq!(q.format, TextFormat::Markdown);
                prop_assert!(
                    q.options
                        .iter()
                        .all(|o| o.feedback.is_empty() && o.text.trim() == o.text)
                );
                if q.qtype == QuestionType::TrueFalse {
                    let texts: Vec<&str> = q.options.iter().map(|o| o.text.as_str()).collect();
                    prop_assert_eq!(texts, [TRUE_LABEL, FALSE_LABEL]);
                }
            }
            let drafts: Vec<QuestionDraft> = parsed
                .questions
                .into_iter()
                .map(|(_, q)| q)
                // The template tells the type by the number of letters and
                // by options reading "Đúng" and "Sai".
                .filter(|q| {
                    q.qtype != QuestionType::Multiple
                        || q.options.iter().filter(|o| o.correct).count() > 1
                })
                .filter(|q| {
                    let texts: Vec<&str> = q.options.iter().map(|o| o.text.as_str()).collect();
                    q.qtype == QuestionType::TrueFalse || true_false_texts(&texts).is_none()
                })
                .collect();
            if !drafts.is_empty() {
                let again = parse(&write_xlsx(&drafts).unwrap(), &ImportDefaults::default());
                prop_assert!(again.errors.is_empty(), "{:?}", again.errors);
                let again: Vec<QuestionDraft> =
                    again.questions.into_iter().map(|(_, q)| q).collect();
                prop_assert_eq!(again, drafts);
            }
            Ok(())
        }

        fn cell() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => prop::sample::select(TOKENS).prop_map(str::to_string),
                2 => "[A-Ea-e,; ]{0,6}",
                2 => "[^\0]{0,12}",
                1 => Just(String::new()),
            ]
        }

        /// A header row: the template's columns, renamed, repeated or left out.
        fn headers() -> impl Strategy<Value = Vec<String>> {
            let column = prop_oneof![
                6 => prop::sample::select(HEADERS.to_vec()).prop_map(str::to_string),
                1 => prop::sample::select(vec!["Loại", "Phương án A", "ma cau hoi", "QUESTION", "Correct answer", "Ghi chú", "", "Mô-đun"])
                    .prop_map(str::to_string),
            ];
            prop_oneof![
                3 => Just(HEADERS.iter().map(|h| h.to_string()).collect()),
                2 => prop::collection::vec(column, 0..14),
            ]
        }

        proptest! {
            #![proptest_config(config(128))]

            #[test]
            fn fuzz_question_sheet_arbitrary_bytes(bytes in soup(TOKENS)) {
                check(&bytes, line_count(&bytes))?;
            }

            #[test]
            fn fuzz_question_sheet_mutated_csv(bytes in mutated(SAMPLES, TOKENS)) {
                check(&bytes, line_count(&bytes))?;
            }
        }

        proptest! {
            #![proptest_config(config(48))]

            #[test]
            fn fuzz_question_sheet_xlsx_cells(
                headers in headers(),
                rows in prop::collection::vec(prop::collection::vec(cell(), 0..14), 0..8),
            ) {
                let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
                let bytes = table::write_xlsx("Câu hỏi", &header_refs, &rows).unwrap();
                check(&bytes, rows.len() + 1)?;
            }

            #[test]
            fn fuzz_question_sheet_damaged_xlsx(
                part in any::<Index>(),
                in_part in prop::collection::vec(mutation(tokens()), 1..6),
                in_bytes in byte_mutations(),
                whole in any::<bool>(),
            ) {
                let bytes = if whole {
                    damage_bytes(template(), &in_bytes)
                } else {
                    damage_part(template(), &part, &in_part)
                };
                check(&bytes, usize::MAX)?;
            }
        }

        #[test]
        fn fuzz_question_sheet_samples_are_valid() {
            for sample in SAMPLES {
                let parsed = parse(sample.as_bytes(), &defaults());
                assert!(
                    parsed.errors.is_empty() && parsed.questions.len() >= 3,
                    "{parsed:?}"
                );
            }
            assert_eq!(parse(template(), &defaults()).questions.len(), 5);
        }
    }
}
