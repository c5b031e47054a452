//! Moodle's GIFT text format: reading the multiple-choice subset the platform
//! runs, and writing questions back in a form Moodle (and [`parse`]) imports.
//!
//! Reading follows Moodle's own importer (`question/format/gift/format.php`):
//!
//! - questions are separated by blank lines; `//` lines are comments, and
//!   Moodle 4's `// [id:…]` and `// [tag:…]` comments touching a question
//!   (no blank line between) give its external id and tags (`\]` escapes a
//!   `]` inside them). A tag naming a difficulty (`easy`, `medium`, `hard`,
//!   `dễ`, `trung bình`, `khó`, … as [`Difficulty::parse`] reads them) sets
//!   the difficulty instead of becoming a tag;
//! - a `$CATEGORY:` line sets the module and topic of the questions after it
//!   (see [`module_and_topic_from_path`]); `ImportDefaults` fill what the
//!   category does not say;
//! - `::title::`, then an optional `[html]`, `[markdown]`, `[plain]` or
//!   `[moodle]` marker (no marker, like `[moodle]`, means plain text), then
//!   the stem and one answer block `{…}`; text after the block is Moodle's
//!   "missing word" form and joins the stem with `_____` in the block's place;
//! - in the block, `=` starts a right answer, `~` a wrong one, `~%50%` a
//!   weighted one (a positive weight means right), `#` the answer's feedback
//!   and `####` the general feedback; `{T}`, `{F}`, `{TRUE}`, `{FALSE}` (with
//!   `#wrong-answer feedback#right-answer feedback`) make a true/false
//!   question with the options "Đúng" and "Sai";
//! - `\~ \= \# \{ \} \: \\` stand for the character itself, `\n` for a new
//!   line; every text is trimmed and put in Unicode NFC.
//!
//! Types the platform does not run (essay, matching, numerical, short
//! answer, description) are reported in `skipped`; malformed questions in
//! `errors`, with the line of the question's first line (an unclosed `{` is
//! reported where it opened, a stray `}` or second `{` where it stands).
//! Where Moodle would guess (an unclosed `::title`, a second answer block
//! because a blank line is missing, text before the first `=`/`~`, a block
//! like `{abc}`, more than 26 options) this reader reports an error instead.
//! Nothing here panics, whatever the input.
use unicode_normalization::UnicodeNormalization;

use crate::domain::question::{
    Difficulty, ImportDefaults, ModuleCode, OptionDraft, ParsedFile, QuestionDraft, QuestionType,
    TextFormat, TopicCode, module_and_topic_from_path,
};
use crate::i18n::Lang;

/// The text of a true/false question's first option.
pub const TRUE_TEXT: &str = "Đúng";
/// The text of a true/false question's second option.
pub const FALSE_TEXT: &str = "Sai";

const NOT_UTF8: &str = "Tệp không phải UTF-8; hãy lưu lại với bảng mã UTF-8.";
const TITLE_UNCLOSED: &str = "Tên câu hỏi mở bằng “::” nhưng không có “::” đóng.";
const UNCLOSED: &str = "Dấu “{” mở khối đáp án nhưng không có dấu “}” đóng.";
const STRAY_CLOSE: &str = "Dấu “}” không có dấu “{” mở tương ứng.";
const TWO_BLOCKS: &str =
    "Câu hỏi có hơn một khối đáp án {…}; các câu hỏi phải cách nhau một dòng trống.";
const TEXT_BEFORE_ANSWERS: &str =
    "Có nội dung trước phương án đầu tiên; mỗi phương án phải bắt đầu bằng “=” hoặc “~”.";
const TWO_RIGHT: &str =
    "Có hai phương án đúng “=” trở lên; câu nhiều đáp án đúng hãy đánh dấu bằng “~%50%”.";
const TOO_MANY_OPTIONS: &str = "Câu hỏi có hơn 26 phương án.";
const BAD_BLOCK: &str =
    "Khối đáp án không hợp lệ: cần các phương án bắt đầu bằng “=” hoặc “~”, hoặc {T}/{F}.";
const SKIP_ESSAY: &str = "Bỏ qua: câu hỏi tự luận (essay)";
const SKIP_NUMERICAL: &str = "Bỏ qua: câu hỏi dạng số (numerical)";
const SKIP_MATCHING: &str = "Bỏ qua: câu hỏi ghép cặp (matching)";
const SKIP_SHORT_ANSWER: &str = "Bỏ qua: câu hỏi trả lời ngắn (short answer)";
const SKIP_DESCRIPTION: &str = "Bỏ qua: đoạn mô tả (description), không có phương án trả lời";

/// More options than this is an error (it also keeps the duplicate check of
/// [`QuestionDraft::validate`], quadratic in the options, cheap).
const MAX_OPTIONS: usize = 26;

/// The format markers the reader strips and the writer must protect.
const MARKERS: [&str; 4] = ["[html]", "[markdown]", "[plain]", "[moodle]"];

/// Reads a GIFT file. Questions come with the line they start on.
pub fn parse(bytes: &[u8], defaults: &ImportDefaults) -> ParsedFile {
    let mut reader = Reader {
        defaults,
        category: (None, None),
        out: ParsedFile::default(),
    };
    let Some(text) = super::decode_text(bytes) else {
        reader.out.errors.push((1, NOT_UTF8.to_string()));
        return reader.out;
    };
    let mut comments: Vec<&str> = Vec::new();
    let mut lines: Vec<(usize, &str)> = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            // A blank line ends the question; comments that touched no
            // question are dropped, as Moodle does.
            reader.question(&lines, &comments);
            lines.clear();
            comments.clear();
        } else if trimmed.starts_with("//") {
            comments.push(trimmed);
        } else if let Some(path) = trimmed.strip_prefix("$CATEGORY:") {
            reader.question(&lines, &comments);
            lines.clear();
            comments.clear();
            reader.category = module_and_topic_from_path(path);
        } else {
            lines.push((i + 1, line));
        }
    }
    reader.question(&lines, &comments);
    reader.out
}

/// Writes questions as GIFT, each category under its `$CATEGORY:` line.
///
/// The order is kept (a new `$CATEGORY:` line starts whenever the category
/// changes, so callers wanting one block per category sort first). Texts are
/// escaped and new lines written as `\n`, so every question stays on lines
/// Moodle reads back. For any drafts `d` that pass
/// [`QuestionDraft::validate`], `parse(write(d))` gives `d` back in this
/// normal form:
///
/// - every text (stem, options, feedback, general feedback, title) has
///   `\r\n` and `\r` turned into `\n` and NUL characters removed, is put in
///   NFC and trimmed; an empty title becomes `None`;
/// - the external id and the tags have control characters (new lines, tabs)
///   turned into spaces, are put in NFC and trimmed; an empty id becomes
///   `None` and empty tags are dropped; a missing id becomes the title (GIFT
///   import uses the title as id, in this same one-line form); tags that
///   read as a difficulty ("easy", "khó", "2", …) are dropped, since GIFT
///   cannot tell them from one;
/// - a topic from another module than the question's is dropped;
/// - a `multiple` question with only one right option reads back as
///   `single` (the reader decides by the number of right options);
/// - a true/false question's options become "Đúng" and "Sai", in that
///   order, keeping their `correct` flags and feedback by position;
/// - `images` are dropped (GIFT cannot carry files).
///
/// (The reader refuses more than 26 options, so drafts with more do not
/// come back.)
pub fn write(questions: &[QuestionDraft]) -> String {
    let mut out = String::new();
    let mut current: Option<String> = None;
    for q in questions {
        let category = category_path(q);
        if current.as_deref() != Some(category.as_str()) {
            out.push_str("$CATEGORY: ");
            out.push_str(&category);
            out.push_str("\n\n");
            current = Some(category);
        }
        write_question(&mut out, q);
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------- reading

/// One character of a question after escapes are resolved; `esc` marks
/// characters that came from an escape (they are never syntax).
#[derive(Clone, Copy, Debug)]
struct Ch {
    c: char,
    esc: bool,
    line: usize,
}

/// What one question's lines turned out to be.
enum Outcome {
    Body(Body),
    Skip(&'static str),
    Error(usize, String),
}

/// The parts of a question read from its lines (metadata comes apart).
struct Body {
    title: Option<String>,
    format: TextFormat,
    stem: String,
    qtype: QuestionType,
    options: Vec<OptionDraft>,
    general_feedback: String,
}

struct Reader<'a> {
    defaults: &'a ImportDefaults,
    category: (Option<ModuleCode>, Option<TopicCode>),
    out: ParsedFile,
}

impl Reader<'_> {
    /// Reads one question (its non-comment lines and its comments).
    fn question(&mut self, lines: &[(usize, &str)], comments: &[&str]) {
        let Some(&(first, _)) = lines.first() else {
            return;
        };
        let body = match read_question(lines, first) {
            Outcome::Body(body) => body,
            Outcome::Skip(reason) => {
                self.out.skipped.push((first, reason.to_string()));
                return;
            }
            Outcome::Error(line, message) => {
                self.out.errors.push((line, message));
                return;
            }
        };
        let (id, raw_tags) = read_comments(comments);
        let mut difficulty = None;
        let mut tags = Vec::new();
        for tag in raw_tags {
            let tag = norm_meta(&tag);
            if tag.is_empty() {
                continue;
            }
            match Difficulty::parse(&tag) {
                Some(d) => {
                    difficulty.get_or_insert(d);
                }
                None => tags.push(tag),
            }
        }
        let id = id.map(|s| norm_meta(&s)).filter(|s| !s.is_empty());

        let defaults = self.defaults;
        let (cat_module, cat_topic) = &self.category;
        let module = cat_module
            .clone()
            .or_else(|| defaults.module.clone())
            .or_else(|| defaults.topic.as_ref().map(|t| t.module()));
        let topic = cat_module.as_ref().and(cat_topic.clone()).or_else(|| {
            defaults
                .topic
                .clone()
                .filter(|t| module.as_ref() == Some(&t.module()))
        });

        let draft = QuestionDraft {
            external_id: id.or_else(|| {
                body.title
                    .as_deref()
                    .map(norm_meta)
                    .filter(|s| !s.is_empty())
            }),
            title: body.title,
            module,
            topic,
            difficulty: difficulty.or(defaults.difficulty),
            qtype: body.qtype,
            format: body.format,
            stem: body.stem,
            options: body.options,
            general_feedback: body.general_feedback,
            tags,
            images: Vec::new(),
        };
        match draft.validate() {
            Ok(()) => self.out.questions.push((first, draft)),
            Err(e) => self.out.errors.push((first, e.message(Lang::Vi))),
        }
    }
}

/// Resolves escapes; lines are joined with (unescaped) new lines.
fn scan(lines: &[(usize, &str)]) -> Vec<Ch> {
    let mut out = Vec::new();
    for (k, &(line, text)) in lines.iter().enumerate() {
        if k > 0 {
            out.push(Ch {
                c: '\n',
                esc: false,
                line,
            });
        }
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let (c, esc) = if c == '\\' {
                match chars.peek().copied() {
                    Some(d @ ('\\' | '~' | '=' | '#' | '{' | '}' | ':')) => {
                        chars.next();
                        (d, true)
                    }
                    Some('n') => {
                        chars.next();
                        ('\n', true)
                    }
                    // Any other backslash is just a backslash.
                    _ => ('\\', true),
                }
            } else {
                (c, false)
            };
            out.push(Ch { c, esc, line });
        }
    }
    out
}

fn read_question(lines: &[(usize, &str)], first: usize) -> Outcome {
    let chars = scan(lines);
    let mut rest = trim(&chars);

    let mut title = None;
    if is_op(rest, 0, ':') && is_op(rest, 1, ':') {
        let after = tail(rest, 2);
        let Some(end) = find_pair(after, ':') else {
            return Outcome::Error(first, TITLE_UNCLOSED.to_string());
        };
        title = Some(text(head(after, end))).filter(|t| !t.is_empty());
        rest = trim(tail(after, end + 2));
    }

    let (format, rest) = strip_format(rest);
    // No marker means Moodle's auto-format, which is plain text.
    let format = format.unwrap_or(TextFormat::Plain);

    let (before, block, after) = match (find(rest, '{'), find(rest, '}')) {
        (None, None) => return Outcome::Skip(SKIP_DESCRIPTION),
        (None, Some(c)) => return Outcome::Error(line_at(rest, c, first), STRAY_CLOSE.into()),
        (Some(o), Some(c)) if c < o => {
            return Outcome::Error(line_at(rest, c, first), STRAY_CLOSE.into());
        }
        (Some(o), _) => {
            let inner = tail(rest, o + 1);
            let Some(c) = find(inner, '}') else {
                return Outcome::Error(line_at(rest, o, first), UNCLOSED.into());
            };
            (head(rest, o), head(inner, c), tail(inner, c + 1))
        }
    };
    if let Some(ch) = after
        .iter()
        .find(|ch| !ch.esc && (ch.c == '{' || ch.c == '}'))
    {
        let message = if ch.c == '{' { TWO_BLOCKS } else { STRAY_CLOSE };
        return Outcome::Error(ch.line, message.into());
    }
    let stem = if after.iter().all(|ch| ch.c.is_whitespace()) {
        text(before)
    } else {
        let mut s: String = before.iter().map(|ch| ch.c).collect();
        s.push_str("_____");
        s.extend(after.iter().map(|ch| ch.c));
        norm_text(&s)
    };

    let block = trim(block);
    let (answers, general) = match rfind_general(block) {
        Some(i) => (trim(head(block, i)), tail(block, i + 4)),
        None => (block, &[][..]),
    };
    let general_feedback = format_text(general);

    let (qtype, options) = if answers.is_empty() {
        return Outcome::Skip(SKIP_ESSAY);
    } else if is_op(answers, 0, '#') {
        return Outcome::Skip(SKIP_NUMERICAL);
    } else if find(answers, '~').is_some() {
        match multichoice(answers, first) {
            Ok(parts) => parts,
            Err((line, message)) => return Outcome::Error(line, message.into()),
        }
    } else if find(answers, '=').is_some() && has_arrow(answers) {
        return Outcome::Skip(SKIP_MATCHING);
    } else if let Some(options) = truefalse(answers) {
        (QuestionType::TrueFalse, options)
    } else if find(answers, '=').is_some() {
        return Outcome::Skip(SKIP_SHORT_ANSWER);
    } else {
        return Outcome::Error(first, BAD_BLOCK.into());
    };

    Outcome::Body(Body {
        title,
        format,
        stem,
        qtype,
        options,
        general_feedback,
    })
}

/// `=right`, `~wrong`, `~%50%weighted`, each with an optional `#feedback`.
fn multichoice(
    answers: &[Ch],
    first: usize,
) -> Result<(QuestionType, Vec<OptionDraft>), (usize, &'static str)> {
    let marks: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, ch)| !ch.esc && (ch.c == '~' || ch.c == '='))
        .map(|(i, _)| i)
        .collect();
    if marks.len() > MAX_OPTIONS {
        return Err((first, TOO_MANY_OPTIONS));
    }
    let start = marks.first().copied().unwrap_or(answers.len());
    if let Some(ch) = head(answers, start).iter().find(|ch| !ch.c.is_whitespace()) {
        return Err((ch.line, TEXT_BEFORE_ANSWERS));
    }
    let mut options = Vec::with_capacity(marks.len());
    let mut equals = 0usize;
    for (k, &at) in marks.iter().enumerate() {
        let end = marks.get(k + 1).copied().unwrap_or(answers.len());
        let body = trim(answers.get(at + 1..end).unwrap_or(&[]));
        let (correct, body) = if is_op(answers, at, '=') {
            equals += 1;
            (true, body)
        } else {
            weight(body).unwrap_or((false, body))
        };
        let (text_part, feedback) = match find(body, '#') {
            Some(h) => (head(body, h), tail(body, h + 1)),
            None => (body, &[][..]),
        };
        options.push(OptionDraft {
            text: format_text(text_part),
            correct,
            feedback: format_text(feedback),
        });
    }
    if equals >= 2 {
        return Err((first, TWO_RIGHT));
    }
    let right = options.iter().filter(|o| o.correct).count();
    let qtype = if right > 1 {
        QuestionType::Multiple
    } else {
        QuestionType::Single
    };
    Ok((qtype, options))
}

/// `%n%` at the start of an answer: whether the weight is positive, and the
/// rest. Accepts what Moodle does: `%50%`, `%-100%`, `%33.33333%`.
fn weight(s: &[Ch]) -> Option<(bool, &[Ch])> {
    let at = |i: usize, f: fn(char) -> bool| s.get(i).is_some_and(|ch| f(ch.c));
    if !at(0, |c| c == '%') {
        return None;
    }
    let mut i = 1;
    let mut negative = false;
    while at(i, |c| c == '-') {
        negative = true;
        i += 1;
    }
    let digits_from = i;
    let mut nonzero = false;
    while at(i, |c| c.is_ascii_digit()) {
        nonzero |= !at(i, |c| c == '0');
        i += 1;
    }
    if i == digits_from {
        return None;
    }
    if at(i, |c| c == '.') {
        i += 1;
        while at(i, |c| c.is_ascii_digit()) {
            nonzero |= !at(i, |c| c == '0');
            i += 1;
        }
    }
    if !at(i, |c| c == '%') {
        return None;
    }
    Some((nonzero && !negative, trim(tail(s, i + 1))))
}

/// `T`, `TRUE`, `F` or `FALSE`, then `#feedback if wrong#feedback if right`.
fn truefalse(answers: &[Ch]) -> Option<Vec<OptionDraft>> {
    let hash = find(answers, '#');
    let word: String = trim(head(answers, hash.unwrap_or(answers.len())))
        .iter()
        .map(|ch| ch.c)
        .collect();
    let value = if word.eq_ignore_ascii_case("t") || word.eq_ignore_ascii_case("true") {
        true
    } else if word.eq_ignore_ascii_case("f") || word.eq_ignore_ascii_case("false") {
        false
    } else {
        return None;
    };
    let (wrong, right) = match hash {
        None => (&[][..], &[][..]),
        Some(h) => {
            let rest = tail(answers, h + 1);
            match find(rest, '#') {
                Some(h2) => (head(rest, h2), tail(rest, h2 + 1)),
                None => (rest, &[][..]),
            }
        }
    };
    let (wrong, right) = (format_text(wrong), format_text(right));
    let (true_feedback, false_feedback) = if value {
        (right, wrong)
    } else {
        (wrong, right)
    };
    Some(vec![
        OptionDraft {
            text: TRUE_TEXT.to_string(),
            correct: value,
            feedback: true_feedback,
        },
        OptionDraft {
            text: FALSE_TEXT.to_string(),
            correct: !value,
            feedback: false_feedback,
        },
    ])
}

/// The first `[id:…]` and every `[tag:…]` of the comment lines.
fn read_comments(comments: &[&str]) -> (Option<String>, Vec<String>) {
    let mut id = None;
    let mut tags = Vec::new();
    for comment in comments {
        let cs: Vec<char> = comment.chars().collect();
        let mut i = 0;
        while i < cs.len() {
            let start = if starts_token(&cs, i, "[id:") {
                Some((true, i + 4))
            } else if starts_token(&cs, i, "[tag:") {
                Some((false, i + 5))
            } else {
                None
            };
            let Some((is_id, from)) = start else {
                i += 1;
                continue;
            };
            // No closing bracket: none for a later token either.
            let Some((value, next)) = bracket_value(&cs, from) else {
                break;
            };
            if is_id {
                id.get_or_insert(value);
            } else {
                tags.push(value);
            }
            i = next;
        }
    }
    (id, tags)
}

fn starts_token(cs: &[char], i: usize, token: &str) -> bool {
    token
        .chars()
        .enumerate()
        .all(|(k, t)| cs.get(i + k).is_some_and(|c| c.eq_ignore_ascii_case(&t)))
}

/// The value of `[id:…]` from `from` to its closing `]`, with `\]` standing
/// for `]`, and the index after the closing bracket. Like Moodle's pattern,
/// when no plain `]` closes it the last `\]` does (so a value may end in a
/// backslash).
fn bracket_value(cs: &[char], from: usize) -> Option<(String, usize)> {
    let unescape = |end: usize| {
        let part = cs.get(from..end).unwrap_or(&[]);
        let mut out = String::new();
        let mut k = 0;
        while let Some(&c) = part.get(k) {
            if c == '\\' && part.get(k + 1) == Some(&']') {
                out.push(']');
                k += 2;
            } else {
                out.push(c);
                k += 1;
            }
        }
        out
    };
    let mut j = from;
    let mut last_pair = None;
    while let Some(&c) = cs.get(j) {
        if c == ']' {
            return Some((unescape(j), j + 1));
        }
        if c == '\\' && cs.get(j + 1) == Some(&']') {
            last_pair = Some(j);
            j += 2;
        } else {
            j += 1;
        }
    }
    last_pair.map(|p| (unescape(p + 1), p + 2))
}

// ------------------------------------------------------- character slices

fn head(s: &[Ch], n: usize) -> &[Ch] {
    s.get(..n).unwrap_or(s)
}

fn tail(s: &[Ch], n: usize) -> &[Ch] {
    s.get(n..).unwrap_or(&[])
}

/// Whether `s[i]` is `c` and not escaped.
fn is_op(s: &[Ch], i: usize, c: char) -> bool {
    s.get(i).is_some_and(|ch| !ch.esc && ch.c == c)
}

fn find(s: &[Ch], c: char) -> Option<usize> {
    s.iter().position(|ch| !ch.esc && ch.c == c)
}

/// The first unescaped `cc`.
fn find_pair(s: &[Ch], c: char) -> Option<usize> {
    (0..s.len()).find(|&i| is_op(s, i, c) && is_op(s, i + 1, c))
}

/// The last unescaped `####` (as Moodle's `strrpos`).
fn rfind_general(s: &[Ch]) -> Option<usize> {
    (0..s.len())
        .rev()
        .find(|&i| (0..4).all(|k| is_op(s, i + k, '#')))
}

fn has_arrow(s: &[Ch]) -> bool {
    (0..s.len()).any(|i| is_op(s, i, '-') && is_op(s, i + 1, '>'))
}

fn line_at(s: &[Ch], i: usize, fallback: usize) -> usize {
    s.get(i).map_or(fallback, |ch| ch.line)
}

fn trim(s: &[Ch]) -> &[Ch] {
    let start = s
        .iter()
        .position(|ch| !ch.c.is_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|ch| !ch.c.is_whitespace())
        .map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or(&[])
}

/// Strips a leading `[html]`, `[markdown]`, `[plain]` or `[moodle]`.
fn strip_format(s: &[Ch]) -> (Option<TextFormat>, &[Ch]) {
    let s = trim(s);
    if !is_op(s, 0, '[') {
        return (None, s);
    }
    let Some(end) = find(s, ']') else {
        return (None, s);
    };
    let name: String = s.get(1..end).unwrap_or(&[]).iter().map(|ch| ch.c).collect();
    let format = match name.as_str() {
        "html" => TextFormat::Html,
        "markdown" => TextFormat::Markdown,
        "plain" | "moodle" => TextFormat::Plain,
        _ => return (None, s),
    };
    (Some(format), trim(tail(s, end + 1)))
}

fn text(s: &[Ch]) -> String {
    norm_text(&s.iter().map(|ch| ch.c).collect::<String>())
}

/// An answer's or feedback's text, without its own format marker (the
/// question's format applies to all its texts).
fn format_text(s: &[Ch]) -> String {
    text(strip_format(s).1)
}

/// The normal form of every text: `\n` line ends, no NUL (files with NUL
/// bytes are refused, and databases cannot store it), no byte-order mark
/// (never content), NFC, trimmed.
fn norm_text(s: &str) -> String {
    let s = s
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace(['\0', '\u{feff}'], "");
    s.nfc().collect::<String>().trim().to_string()
}

/// The normal form of ids and tags: one line, NFC, trimmed.
fn norm_meta(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(|c| *c != '\u{feff}')
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    s.nfc().collect::<String>().trim().to_string()
}

// ---------------------------------------------------------------- writing

fn category_path(q: &QuestionDraft) -> String {
    match (&q.module, &q.topic) {
        // Moodle's top category: no module, so import defaults apply.
        (None, _) => "$course$/top".to_string(),
        (Some(m), Some(t)) if &t.module() == m => format!("{}/{}", m.as_str(), t.as_str()),
        (Some(m), _) => m.as_str().to_string(),
    }
}

fn write_question(out: &mut String, q: &QuestionDraft) {
    if let Some(id) = q
        .external_id
        .as_deref()
        .map(norm_meta)
        .filter(|s| !s.is_empty())
    {
        push_meta(out, "id", &id);
    }
    if let Some(d) = q.difficulty {
        push_meta(out, "tag", d.as_str());
    }
    for tag in &q.tags {
        let tag = norm_meta(tag);
        if !tag.is_empty() && Difficulty::parse(&tag).is_none() {
            push_meta(out, "tag", &tag);
        }
    }
    let format = q.format.as_str();
    if let Some(title) = q.title.as_deref().map(norm_text).filter(|s| !s.is_empty()) {
        out.push_str("::");
        out.push_str(&escape(&title));
        out.push_str("::");
    }
    out.push('[');
    out.push_str(format);
    out.push(']');
    out.push_str(&escape(&norm_text(&q.stem)));
    out.push_str(" {");
    let general = norm_text(&q.general_feedback);
    match q.qtype {
        QuestionType::TrueFalse => {
            let value = q.options.first().is_some_and(|o| o.correct);
            let feedback = |i: usize| {
                q.options
                    .get(i)
                    .map_or(String::new(), |o| norm_text(&o.feedback))
            };
            let (right, wrong) = if value {
                (feedback(0), feedback(1))
            } else {
                (feedback(1), feedback(0))
            };
            out.push_str(if value { "TRUE" } else { "FALSE" });
            if !wrong.is_empty() || !right.is_empty() {
                out.push('#');
                push_text(out, &wrong, format);
            }
            if !right.is_empty() {
                out.push('#');
                push_text(out, &right, format);
            }
            if !general.is_empty() {
                out.push_str("####");
                push_text(out, &general, format);
            }
            out.push_str("}\n");
        }
        QuestionType::Single | QuestionType::Multiple => {
            out.push('\n');
            let multiple = q.qtype == QuestionType::Multiple;
            let mut weights = weights(q.options.iter().filter(|o| o.correct).count()).into_iter();
            for o in &q.options {
                let text = norm_text(&o.text);
                if multiple {
                    out.push_str("~%");
                    if o.correct {
                        out.push_str(&weights.next().unwrap_or_default());
                    } else {
                        out.push_str("-100");
                    }
                    out.push('%');
                } else if o.correct {
                    out.push('=');
                } else if text.starts_with('%') {
                    // An explicit weight so the text's own `%…%` stays text.
                    out.push_str("~%0%");
                } else {
                    out.push('~');
                }
                push_text(out, &text, format);
                let feedback = norm_text(&o.feedback);
                if !feedback.is_empty() {
                    out.push('#');
                    push_text(out, &feedback, format);
                }
                out.push('\n');
            }
            if !general.is_empty() {
                out.push_str("####");
                push_text(out, &general, format);
                out.push('\n');
            }
            out.push_str("}\n");
        }
    }
}

/// `// [id:…]` or `// [tag:…]`, with `]` escaped as Moodle reads it.
fn push_meta(out: &mut String, kind: &str, value: &str) {
    out.push_str("// [");
    out.push_str(kind);
    out.push(':');
    out.push_str(&value.replace(']', "\\]"));
    out.push_str("]\n");
}

/// An escaped text; one that starts like a format marker gets the
/// question's marker first, so the reader strips that one and keeps it.
fn push_text(out: &mut String, text: &str, format: &str) {
    if MARKERS.iter().any(|m| text.starts_with(m)) {
        out.push('[');
        out.push_str(format);
        out.push(']');
    }
    out.push_str(&escape(text));
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '~' | '=' | '#' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

/// Weights for `n` right options of a multiple-answer question: 100 shared
/// with five decimals, the last absorbing the rounding (33.33333, 33.33333,
/// 33.33334).
fn weights(n: usize) -> Vec<String> {
    const TOTAL: u64 = 10_000_000; // 100 % in units of 0.00001 %
    let Ok(count) = u64::try_from(n) else {
        return Vec::new();
    };
    if count == 0 {
        return Vec::new();
    }
    let each = TOTAL / count;
    let last = TOTAL.saturating_sub(each.saturating_mul(count - 1));
    (1..=count)
        .map(|i| {
            let units = if i == count { last } else { each };
            let (int, frac) = (units / 100_000, units % 100_000);
            if frac == 0 {
                int.to_string()
            } else {
                let frac = format!("{frac:05}");
                format!("{int}.{}", frac.trim_end_matches('0'))
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::question::DraftError;

    fn no_defaults() -> ImportDefaults {
        ImportDefaults::default()
    }

    fn iu(code: &str) -> ImportDefaults {
        ImportDefaults {
            module: ModuleCode::parse(code),
            ..ImportDefaults::default()
        }
    }

    /// Parses with module IU01 as default and expects no errors or skips.
    fn questions(text: &str) -> Vec<(usize, QuestionDraft)> {
        let parsed = parse(text.as_bytes(), &iu("IU01"));
        assert!(parsed.errors.is_empty(), "errors: {:?}", parsed.errors);
        assert!(parsed.skipped.is_empty(), "skipped: {:?}", parsed.skipped);
        parsed.questions
    }

    fn one(text: &str) -> QuestionDraft {
        let mut qs = questions(text);
        assert_eq!(qs.len(), 1, "{qs:?}");
        qs.remove(0).1
    }

    fn texts(q: &QuestionDraft) -> Vec<(&str, bool)> {
        q.options
            .iter()
            .map(|o| (o.text.as_str(), o.correct))
            .collect()
    }

    // ------------------------------------------------------------ reading

    #[test]
    fn a_plain_question_with_feedback_and_general_feedback() {
        let q = one("::Q1::[markdown]Thủ đô? {\n=Hà Nội #Đúng.\n~Huế #Sai\n####Chung.\n}\n");
        assert_eq!(q.title.as_deref(), Some("Q1"));
        assert_eq!(q.external_id.as_deref(), Some("Q1"));
        assert_eq!(q.format, TextFormat::Markdown);
        assert_eq!(q.qtype, QuestionType::Single);
        assert_eq!(q.stem, "Thủ đô?");
        assert_eq!(texts(&q), [("Hà Nội", true), ("Huế", false)]);
        assert_eq!(q.options[0].feedback, "Đúng.");
        assert_eq!(q.options[1].feedback, "Sai");
        assert_eq!(q.general_feedback, "Chung.");
        assert_eq!(q.module.unwrap().as_str(), "IU01");
    }

    #[test]
    fn utf8_with_bom_and_crlf_is_read_with_the_right_lines() {
        let text =
            "\u{feff}// đầu tệp\r\n\r\nCâu 1 {=a ~b}\r\n\r\n\r\nCâu 2 {\r\n=c\r\n~d\r\n}\r\n";
        let qs = questions(text);
        assert_eq!(qs.len(), 2);
        assert_eq!(qs[0].0, 3);
        assert_eq!(qs[1].0, 6);
        assert_eq!(qs[1].1.stem, "Câu 2");
        assert_eq!(texts(&qs[1].1), [("c", true), ("d", false)]);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_one_error_at_line_1() {
        let latin1 = b"C\xe2u h\xf3i {=a ~b}".as_slice();
        let utf16 = [0xFF, 0xFE, b'a', 0, b'{', 0].as_slice();
        let utf16_no_bom = [b'a', 0, b'{', 0].as_slice();
        for bytes in [latin1, utf16, utf16_no_bom] {
            let parsed = parse(bytes, &iu("IU01"));
            assert!(parsed.questions.is_empty());
            assert_eq!(parsed.errors.len(), 1);
            assert_eq!(parsed.errors[0].0, 1);
            assert!(parsed.errors[0].1.contains("UTF-8"));
        }
    }

    #[test]
    fn categories_set_module_and_topic_for_the_questions_after_them() {
        let text = "Q0 {=a ~b}\n\n\
                    $CATEGORY: $course$/top/IU04 Bảng tính/IU04.5 Công thức\n\n\
                    Q1 {=a ~b}\n\n\
                    $CATEGORY: IU02\n\
                    Q2 {=a ~b}\n\n\
                    $CATEGORY: Mặc định\n\n\
                    Q3 {=a ~b}\n";
        let defaults = ImportDefaults {
            module: ModuleCode::parse("IU06"),
            topic: TopicCode::parse("IU06.2"),
            difficulty: Some(Difficulty::Hard),
        };
        let parsed = parse(text.as_bytes(), &defaults);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let got: Vec<(usize, &str, Option<&str>)> = parsed
            .questions
            .iter()
            .map(|(l, q)| {
                (
                    *l,
                    q.module.as_ref().unwrap().as_str(),
                    q.topic.as_ref().map(|t| t.as_str()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (1, "IU06", Some("IU06.2")),
                (5, "IU04", Some("IU04.5")),
                // The default topic belongs to another module: not used.
                (8, "IU02", None),
                (12, "IU06", Some("IU06.2")),
            ]
        );
        assert!(
            parsed
                .questions
                .iter()
                .all(|(_, q)| q.difficulty == Some(Difficulty::Hard))
        );
    }

    #[test]
    fn id_and_tag_comments_give_id_tags_and_difficulty() {
        let text = "// câu hỏi đầu\n// [id:A-1] [tag:mạng]\n// [tag:Khó]\n// [tag:easy]\n::T::Q {=a ~b}\n\n\
                    // [tag:dễ]\n// [tag:a\\]b]\n::Tên 2::Q {=a ~b}\n\n\
                    // [tag:Trung bình]\nQ {=a ~b}\n\n\
                    // [id:lạc]\n\n// [tag:x]\n::T4::Q {=a ~b}\n";
        let qs = questions(text);
        let q = &qs[0].1;
        assert_eq!(qs[0].0, 5);
        assert_eq!(q.external_id.as_deref(), Some("A-1"));
        assert_eq!(q.title.as_deref(), Some("T"));
        assert_eq!(q.difficulty, Some(Difficulty::Hard));
        assert_eq!(q.tags, ["mạng"]);
        let q = &qs[1].1;
        assert_eq!(q.external_id.as_deref(), Some("Tên 2"));
        assert_eq!(q.difficulty, Some(Difficulty::Easy));
        assert_eq!(q.tags, ["a]b"]);
        let q = &qs[2].1;
        assert_eq!(q.external_id, None);
        assert_eq!(q.title, None);
        assert_eq!(q.difficulty, Some(Difficulty::Medium));
        // A comment cut off by a blank line belongs to no question.
        let q = &qs[3].1;
        assert_eq!(q.external_id.as_deref(), Some("T4"));
        assert_eq!(q.tags, ["x"]);
        assert_eq!(q.difficulty, None);
    }

    #[test]
    fn format_markers() {
        let cases = [
            ("[html]<b>Q</b> {=a ~b}", TextFormat::Html, "<b>Q</b>"),
            (
                "::t::[markdown]**Q** {=a ~b}",
                TextFormat::Markdown,
                "**Q**",
            ),
            ("::t:: [plain] Q {=a ~b}", TextFormat::Plain, "Q"),
            ("[moodle]Q {=a ~b}", TextFormat::Plain, "Q"),
            ("Q {=a ~b}", TextFormat::Plain, "Q"),
            ("[xml]Q {=a ~b}", TextFormat::Plain, "[xml]Q"),
        ];
        for (text, format, stem) in cases {
            let q = one(text);
            assert_eq!((q.format, q.stem.as_str()), (format, stem), "{text}");
        }
        // Answers and feedback may carry their own marker: it is dropped.
        let q = one("[html]Q {=[html]<i>a</i> #[html]<b>ok</b> ~b ####[html]g}");
        assert_eq!(q.options[0].text, "<i>a</i>");
        assert_eq!(q.options[0].feedback, "<b>ok</b>");
        assert_eq!(q.general_feedback, "g");
    }

    #[test]
    fn weights_decide_single_or_multiple() {
        let q = one("Q {~%50%a ~%50%b ~%-100%c ~d}");
        assert_eq!(q.qtype, QuestionType::Multiple);
        assert_eq!(
            texts(&q),
            [("a", true), ("b", true), ("c", false), ("d", false)]
        );
        let q = one("Q {\n~%33.33333%a\n~%33.33333%b\n~%33.33334%c\n~%0%d\n}");
        assert_eq!(q.qtype, QuestionType::Multiple);
        assert_eq!(q.options.iter().filter(|o| o.correct).count(), 3);
        let q = one("Q {~%100%a ~b ~%-50%c}");
        assert_eq!(q.qtype, QuestionType::Single);
        assert_eq!(texts(&q), [("a", true), ("b", false), ("c", false)]);
        let q = one("Q {=a ~%50%b ~c}");
        assert_eq!(q.qtype, QuestionType::Multiple);
        // Not a weight: stays in the text.
        let q = one("Q {=a ~%x%b ~%50 %c}");
        assert_eq!(texts(&q), [("a", true), ("%x%b", false), ("%50 %c", false)]);
    }

    #[test]
    fn multi_line_questions_and_answers_on_one_line() {
        let q = one("::T::Dòng một\ndòng hai\n  {\n  =a\n  dòng tiếp của a #phản hồi\n  ~b\n}");
        assert_eq!(q.stem, "Dòng một\ndòng hai");
        assert_eq!(q.options[0].text, "a\n  dòng tiếp của a");
        assert_eq!(q.options[0].feedback, "phản hồi");
        let q = one("Q {=a#fa ~b#fb ~c}");
        assert_eq!(texts(&q), [("a", true), ("b", false), ("c", false)]);
        assert_eq!(q.options[1].feedback, "fb");
    }

    #[test]
    fn true_false_blocks() {
        let q = one("Q {T}");
        assert_eq!(q.qtype, QuestionType::TrueFalse);
        assert_eq!(texts(&q), [("Đúng", true), ("Sai", false)]);
        let q = one("Q {FALSE}");
        assert_eq!(texts(&q), [("Đúng", false), ("Sai", true)]);
        let q = one("Q {TRUE#Sai rồi#Chính xác####Chung}");
        assert_eq!(texts(&q), [("Đúng", true), ("Sai", false)]);
        assert_eq!(q.options[0].feedback, "Chính xác");
        assert_eq!(q.options[1].feedback, "Sai rồi");
        assert_eq!(q.general_feedback, "Chung");
        let q = one("Q {F#Nhầm#Đúng vậy}");
        assert_eq!(q.options[0].feedback, "Nhầm");
        assert_eq!(q.options[1].feedback, "Đúng vậy");
        let q = one("Q {\n  TRUE\n  ####Giải thích\n}");
        assert_eq!(q.general_feedback, "Giải thích");
    }

    #[test]
    fn escapes() {
        let q = one(
            "::a\\:\\:b::Dấu \\~ \\= \\# \\{ \\} \\: \\\\ và\\ndòng mới \\x {=x\\=1 #\\#1 ~y\\~ ####g\\{\\}}",
        );
        assert_eq!(q.title.as_deref(), Some("a::b"));
        assert_eq!(q.stem, "Dấu ~ = # { } : \\ và\ndòng mới \\x");
        assert_eq!(texts(&q), [("x=1", true), ("y~", false)]);
        assert_eq!(q.options[0].feedback, "#1");
        assert_eq!(q.general_feedback, "g{}");
    }

    #[test]
    fn missing_word_form() {
        let q = one("Moodle có giá {~rất đắt =miễn phí ~rẻ} khi tải về.");
        assert_eq!(q.stem, "Moodle có giá _____ khi tải về.");
        let q = one("{=Hà Nội ~Huế} là thủ đô.");
        assert_eq!(q.stem, "_____ là thủ đô.");
    }

    #[test]
    fn unsupported_types_are_skipped_with_their_line() {
        let text = "// [id:x]\nTự luận {}\n\n\
                    Ghép {=a -> 1 =b -> 2 =c -> 3}\n\n\
                    Số {#3.14:0.01}\n\n\
                    Ngắn {=Hà Nội =Hanoi}\n\n\
                    ::Mô tả:: Chỉ là lời giới thiệu.\n\n\
                    Tự luận có phản hồi {####Gợi ý}\n\n\
                    Q {=a ~b}\n";
        let parsed = parse(text.as_bytes(), &iu("IU01"));
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions.len(), 1);
        assert_eq!(parsed.questions[0].0, 14);
        let skipped: Vec<(usize, &str)> = parsed
            .skipped
            .iter()
            .map(|(l, r)| (*l, r.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (2, SKIP_ESSAY),
                (4, SKIP_MATCHING),
                (6, SKIP_NUMERICAL),
                (8, SKIP_SHORT_ANSWER),
                (10, SKIP_DESCRIPTION),
                (12, SKIP_ESSAY),
            ]
        );
        assert_eq!(SKIP_ESSAY, "Bỏ qua: câu hỏi tự luận (essay)");
        assert!(SKIP_MATCHING.contains("matching"));
        assert!(SKIP_NUMERICAL.contains("numerical"));
        assert!(SKIP_SHORT_ANSWER.contains("short answer"));
        assert!(SKIP_DESCRIPTION.contains("description"));
    }

    #[test]
    fn errors_carry_the_question_line() {
        let text = "Q1 {=a ~b}\n\n\
                    ::Mở:: Câu\nhỏi {\n=a\n~b\n\n\
                    Hai đúng {=a =b ~c}\n\n\
                    // [id:rỗng]\n::Rỗng:: {=a ~b}\n\n\
                    Một phương án {~%100%a}\n\n\
                    Không đúng {~a ~b}\n\n\
                    Tất cả đúng {~%50%a ~%50%b}\n\n\
                    Trống {=a ~}\n\n\
                    Lặp {=a ~a}\n\n\
                    Q2 {=a ~b}\n";
        let parsed = parse(text.as_bytes(), &iu("IU01"));
        let lines: Vec<usize> = parsed.questions.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 23]);
        let errors: Vec<(usize, &str)> = parsed
            .errors
            .iter()
            .map(|(l, m)| (*l, m.as_str()))
            .collect();
        let expected = [
            // The `{` opened on line 4 (the question starts on line 3).
            (4, UNCLOSED.to_string()),
            (8, TWO_RIGHT.to_string()),
            (11, DraftError::EmptyStem.message(Lang::Vi)),
            (13, DraftError::TooFewOptions.message(Lang::Vi)),
            (15, DraftError::NoCorrectOption.message(Lang::Vi)),
            (17, DraftError::MultipleNeedsAWrongOption.message(Lang::Vi)),
            (19, DraftError::EmptyOption(2).message(Lang::Vi)),
            (
                21,
                DraftError::DuplicateOption("a".into()).message(Lang::Vi),
            ),
        ];
        let expected: Vec<(usize, &str)> = expected.iter().map(|(l, m)| (*l, m.as_str())).collect();
        assert_eq!(errors, expected);
        assert!(TWO_RIGHT.contains("hai phương án đúng"));
    }

    #[test]
    fn other_malformed_questions() {
        let text = "::Không đóng tên {=a ~b}\n\n\
                    Thừa } ngoặc {=a ~b}\n\n\
                    Q1 {=a ~b}\nQ2 {=c ~d}\n\n\
                    Lạ {abc}\n\n\
                    Mở đầu lạ {x =a ~b}\n\n\
                    Không mô-đun {=a ~b}\n";
        let parsed = parse(text.as_bytes(), &no_defaults());
        let errors: Vec<(usize, &str)> = parsed
            .errors
            .iter()
            .map(|(l, m)| (*l, m.as_str()))
            .collect();
        let no_module = DraftError::NoModule.message(Lang::Vi);
        assert_eq!(
            errors,
            [
                (1, TITLE_UNCLOSED),
                (3, STRAY_CLOSE),
                (6, TWO_BLOCKS),
                (8, BAD_BLOCK),
                (10, TEXT_BEFORE_ANSWERS),
                (12, no_module.as_str()),
            ]
        );
        assert!(parsed.questions.is_empty());
    }

    #[test]
    fn more_than_26_options_is_an_error() {
        let options: String = (0..27).map(|i| format!("~o{i} ")).collect();
        let text = format!(
            "Q {{=r {options}}}\n\nQ {{=r {}}}",
            (0..25).map(|i| format!("~o{i} ")).collect::<String>()
        );
        let parsed = parse(text.as_bytes(), &iu("IU01"));
        assert_eq!(parsed.errors, [(1, TOO_MANY_OPTIONS.to_string())]);
        assert_eq!(parsed.questions[0].1.options.len(), 26);
        // A long comment line full of unclosed tokens is read quickly.
        let comment = format!("// {}\nQ {{=a ~b}}", "[tag:".repeat(200_000));
        assert_eq!(parse(comment.as_bytes(), &iu("IU01")).questions.len(), 1);
    }

    #[test]
    fn shipped_banks_parse_cleanly() {
        for n in 1..=6 {
            let path = format!("/work/main/question-bank/IU0{n}.gift");
            let Ok(bytes) = std::fs::read(&path) else {
                println!("{path} not found; skipped");
                return;
            };
            let parsed = parse(&bytes, &no_defaults());
            assert!(parsed.errors.is_empty(), "{path}: {:?}", parsed.errors);
            assert!(parsed.skipped.is_empty(), "{path}: {:?}", parsed.skipped);
            assert!(
                parsed.questions.len() >= 60,
                "{path}: {}",
                parsed.questions.len()
            );
            let module = format!("IU0{n}");
            let mut ids = std::collections::HashSet::new();
            for (line, q) in &parsed.questions {
                assert_eq!(
                    q.module.as_ref().map(|m| m.as_str()),
                    Some(module.as_str()),
                    "{path}:{line}"
                );
                assert!(q.topic.is_some(), "{path}:{line}");
                assert!(q.difficulty.is_some(), "{path}:{line}");
                assert!(
                    ids.insert(q.external_id.clone().unwrap()),
                    "{path}:{line} duplicate id"
                );
            }
            // Writing and reading again changes nothing.
            let drafts: Vec<QuestionDraft> = parsed.questions.into_iter().map(|(_, q)| q).collect();
            let again = parse(write(&drafts).as_bytes(), &no_defaults());
            assert!(again.errors.is_empty());
            let again: Vec<QuestionDraft> = again.questions.into_iter().map(|(_, q)| q).collect();
            assert_eq!(again, drafts, "{path}");
        }
    }

    // ------------------------------------------------------------ writing

    fn draft(qtype: QuestionType, correct: &[bool]) -> QuestionDraft {
        QuestionDraft {
            external_id: Some("IU01-001".into()),
            title: Some("IU01-001".into()),
            module: ModuleCode::parse("IU01"),
            topic: TopicCode::parse("IU01.2"),
            difficulty: Some(Difficulty::Medium),
            qtype,
            format: TextFormat::Markdown,
            stem: "Chọn {đúng}: a=b?".into(),
            options: correct
                .iter()
                .enumerate()
                .map(|(i, c)| OptionDraft {
                    text: format!("PA {i}"),
                    correct: *c,
                    feedback: if i == 0 { "#1".into() } else { String::new() },
                })
                .collect(),
            general_feedback: "Dòng 1\nDòng 2".into(),
            tags: vec!["mạng".into(), "khó".into()],
            images: vec![],
        }
    }

    #[test]
    fn the_writer_output_looks_like_moodle_s() {
        let mut single = draft(QuestionType::Single, &[false, true, false]);
        single.title = None;
        let multiple = draft(QuestionType::Multiple, &[true, true, false, true]);
        let mut tf = draft(QuestionType::TrueFalse, &[false, true]);
        tf.module = ModuleCode::parse("IU02");
        tf.topic = TopicCode::parse("IU01.1");
        tf.options[0].text = TRUE_TEXT.into();
        tf.options[1].text = FALSE_TEXT.into();
        tf.options[1].feedback = "Đúng vậy".into();
        let out = write(&[single, multiple, tf]);
        let expected = "$CATEGORY: IU01/IU01.2\n\n\
// [id:IU01-001]\n// [tag:medium]\n// [tag:mạng]\n\
[markdown]Chọn \\{đúng\\}\\: a\\=b? {\n~PA 0#\\#1\n=PA 1\n~PA 2\n####Dòng 1\\nDòng 2\n}\n\n\
// [id:IU01-001]\n// [tag:medium]\n// [tag:mạng]\n\
::IU01-001::[markdown]Chọn \\{đúng\\}\\: a\\=b? {\n~%33.33333%PA 0#\\#1\n~%33.33333%PA 1\n~%-100%PA 2\n~%33.33334%PA 3\n####Dòng 1\\nDòng 2\n}\n\n\
$CATEGORY: IU02\n\n\
// [id:IU01-001]\n// [tag:medium]\n// [tag:mạng]\n\
::IU01-001::[markdown]Chọn \\{đúng\\}\\: a\\=b? {FALSE#\\#1#Đúng vậy####Dòng 1\\nDòng 2}\n\n";
        assert_eq!(out, expected);
    }

    #[test]
    fn weights_share_100() {
        assert_eq!(weights(1), ["100"]);
        assert_eq!(weights(2), ["50", "50"]);
        assert_eq!(weights(3), ["33.33333", "33.33333", "33.33334"]);
        assert_eq!(
            weights(6),
            [
                "16.66666", "16.66666", "16.66666", "16.66666", "16.66666", "16.6667"
            ]
        );
        assert_eq!(weights(7).last().map(String::as_str), Some("14.28574"));
        assert!(weights(0).is_empty());
    }

    #[test]
    fn awkward_texts_survive_a_round_trip() {
        let mut q = draft(QuestionType::Single, &[true, false, false]);
        q.options[0].text = "%50%a".into();
        q.options[1].text = "%-100% [html]b".into();
        q.options[2].text = "[html]c".into();
        q.options[2].feedback = "[plain]f".into();
        q.stem = "[markdown] stem ending with \\".into();
        q.general_feedback = "[moodle]".into();
        q.external_id = Some("a]b\\".into());
        q.tags = vec!["x [tag:y]".into(), "\\".into()];
        let parsed = parse(write(std::slice::from_ref(&q)).as_bytes(), &no_defaults());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.questions[0].1, q);
    }

    // ---------------------------------------------------------- properties

    /// What `write` then `parse` gives back for a valid draft (see [`write`]).
    fn normal_form(d: &QuestionDraft) -> QuestionDraft {
        let title = d.title.as_deref().map(norm_text).filter(|s| !s.is_empty());
        let external_id = d
            .external_id
            .as_deref()
            .map(norm_meta)
            .filter(|s| !s.is_empty())
            .or_else(|| title.as_deref().map(norm_meta).filter(|s| !s.is_empty()));
        let right = d.options.iter().filter(|o| o.correct).count();
        let qtype = match d.qtype {
            QuestionType::Multiple if right == 1 => QuestionType::Single,
            t => t,
        };
        let options = d
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| OptionDraft {
                text: match (d.qtype, i) {
                    (QuestionType::TrueFalse, 0) => TRUE_TEXT.into(),
                    (QuestionType::TrueFalse, _) => FALSE_TEXT.into(),
                    _ => norm_text(&o.text),
                },
                correct: o.correct,
                feedback: norm_text(&o.feedback),
            })
            .collect();
        QuestionDraft {
            external_id,
            title,
            module: d.module.clone(),
            topic: d
                .topic
                .clone()
                .filter(|t| d.module.as_ref() == Some(&t.module())),
            difficulty: d.difficulty,
            qtype,
            format: d.format,
            stem: norm_text(&d.stem),
            options,
            general_feedback: norm_text(&d.general_feedback),
            tags: d
                .tags
                .iter()
                .map(|t| norm_meta(t))
                .filter(|t| !t.is_empty() && Difficulty::parse(t).is_none())
                .collect(),
            images: vec![],
        }
    }

    /// Text full of GIFT's special characters, spaces, new lines and
    /// arbitrary Unicode (combining marks included).
    fn any_text(max: usize) -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => any::<char>().prop_map(String::from),
            4 => prop::sample::select(vec![
                "~", "=", "#", "{", "}", ":", "\\", "\n", "\r\n", "\r", " ", "\t", "%", "[", "]",
                "->", "::", "####", "%50%", "%-100%", "[html]", "[markdown]", "[plain]", "[moodle]",
                "//", "$CATEGORY:", "\\n", "_____", "T", "TRUE", "[id:", "[tag:", "\u{301}", "\u{338}",
                "\u{2028}", "\u{a0}", "\u{feff}", "e\u{301}", "ế", "Đ", "easy", "Khó", "2", "\u{2000}",
                "\u{85}", "\0",
            ])
            .prop_map(String::from),
            3 => "[a-zA-Zàáạảãăằắặẳẵâầấậẩẫđèéẹẻẽêềếệểễ0-9 ]{1,6}",
        ];
        prop::collection::vec(piece, 0..max).prop_map(|v| v.concat())
    }

    fn non_empty_text(max: usize) -> impl Strategy<Value = String> {
        any_text(max).prop_filter("blank", |s| !norm_text(s).is_empty())
    }

    fn any_module() -> impl Strategy<Value = (ModuleCode, Option<TopicCode>)> {
        (
            1u32..=15,
            prop::option::weighted(0.7, (1u32..=20, prop::option::of(1u32..=9))),
            any::<bool>(),
        )
            .prop_map(|(m, topic, foreign)| {
                let module = ModuleCode::parse(&format!("IU{m:02}")).unwrap();
                let topic_module = if foreign { m % 15 + 1 } else { m };
                let topic = topic.map(|(t, sub)| {
                    let code = match sub {
                        Some(s) => format!("IU{topic_module:02}.{t}.{s}"),
                        None => format!("IU{topic_module:02}.{t}"),
                    };
                    TopicCode::parse(&code).unwrap()
                });
                (module, topic)
            })
    }

    fn any_draft() -> impl Strategy<Value = QuestionDraft> {
        let meta = (
            prop::option::of(any_text(6)),
            prop::option::of(any_text(6)),
            any_module(),
            prop::option::of(prop::sample::select(Difficulty::ALL.to_vec())),
            prop::sample::select(vec![
                TextFormat::Markdown,
                TextFormat::Html,
                TextFormat::Plain,
            ]),
            prop::collection::vec(any_text(4), 0..4),
        );
        let body = (
            0usize..3,
            non_empty_text(12),
            prop::collection::vec((non_empty_text(6), any_text(6)), 2..=6),
            any::<prop::sample::Index>(),
            prop::collection::vec(any::<bool>(), 6),
            any_text(8),
        );
        (meta, body)
            .prop_map(
                |((external_id, title, (module, topic), difficulty, format, tags), body)| {
                    let (kind, stem, options, index, flags, general_feedback) = body;
                    let qtype = [
                        QuestionType::Single,
                        QuestionType::Multiple,
                        QuestionType::TrueFalse,
                    ][kind];
                    let options: Vec<(String, String)> = match qtype {
                        QuestionType::TrueFalse => options.into_iter().take(2).collect(),
                        _ => options,
                    };
                    let n = options.len();
                    let right = index.index(n);
                    let options = options
                        .into_iter()
                        .enumerate()
                        .map(|(i, (text, feedback))| OptionDraft {
                            text,
                            correct: match qtype {
                                QuestionType::Multiple => i == right || (flags[i] && i + 1 != n),
                                _ => i == right,
                            },
                            feedback,
                        })
                        .collect();
                    QuestionDraft {
                        external_id,
                        title,
                        module: Some(module),
                        topic,
                        difficulty,
                        qtype,
                        format,
                        stem,
                        options,
                        general_feedback,
                        tags,
                        images: vec![],
                    }
                },
            )
            .prop_filter("invalid draft", |d| {
                // Distinct options once normalised, one wrong option for
                // multiple-answer questions.
                d.validate().is_ok() && normal_form(d).validate().is_ok()
            })
    }

    /// GIFT-looking files: question-shaped chunks made of words and of the
    /// characters and pieces GIFT is made of, between raw "soup".
    fn giftish() -> impl Strategy<Value = String> {
        let special = prop::sample::select(vec![
            "{",
            "}",
            "~",
            "=",
            "#",
            "####",
            ":",
            "::",
            "\\",
            "\\n",
            "\\:",
            "\\{",
            "\n",
            "\n\n",
            "\r\n",
            " ",
            "%",
            "%50%",
            "%-100%",
            "%33.3%",
            "->",
            "[html]",
            "[markdown]",
            "[moodle]",
            "[",
            "]",
            "T",
            "FALSE",
            "// ",
            "// [id:",
            "// [tag:",
            "easy",
            "\\]",
            "$CATEGORY: ",
            "IU01/IU01.1",
            "IU04",
            "é",
            "\u{301}",
            "\u{feff}",
            "_____",
        ])
        .prop_map(String::from);
        let word = prop::sample::select(vec![
            "Câu", "hỏi", "a", "b", "c", "Đúng", "x y", " ", "e\u{301}",
        ])
        .prop_map(String::from);
        let words = |n: usize| {
            prop::collection::vec(prop_oneof![6 => word.clone(), 1 => special.clone()], 0..n)
                .prop_map(|v| v.concat())
        };
        let pick = |v: Vec<&'static str>| prop::sample::select(v).prop_map(String::from);
        let answer = (
            pick(vec![
                "=", "~", "~%50%", "~%-100%", "~%100%", "~%0%", "=%50%", "",
            ]),
            words(3),
            pick(vec!["", "", "#", "#[html]"]),
            words(3),
            pick(vec![" ", "\n", ""]),
        )
            .prop_map(|(a, b, c, d, e)| [a, b, c, d, e].concat());
        let question = (
            pick(vec![
                "",
                "// [id:x]\n",
                "// [tag:easy]\n// [tag:t\\]]\n",
                "// c\n",
            ]),
            pick(vec!["", "::t::", "::a\\:b::", "::"]),
            pick(vec!["", "[html]", "[markdown]", "[moodle]"]),
            words(5),
            pick(vec!["{", "{\n", "", "{T", "{FALSE#", "{#"]),
            prop::collection::vec(answer, 0..5),
            pick(vec!["", "####g", "####", "#a#b"]),
            pick(vec!["}", "}", "", "}}"]),
            words(2),
        )
            .prop_map(|(a, b, c, d, e, f, g, h, i)| [a, b, c, d, e, f.concat(), g, h, i].concat());
        let chunk = prop_oneof![
            6 => question,
            1 => words(8),
            1 => prop::collection::vec(special.clone(), 0..20).prop_map(|v| v.concat()),
            1 => pick(vec!["$CATEGORY: IU01/IU01.1", "$CATEGORY: $course$/top/IU05", "$CATEGORY: x"]),
        ];
        let separator = pick(vec!["\n\n", "\n\n", "\r\n\r\n", "\n", "\n \n"]);
        prop::collection::vec((chunk, separator), 0..6)
            .prop_map(|v| v.into_iter().flat_map(|(c, s)| [c, s]).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn write_then_parse_gives_the_drafts_back(drafts in prop::collection::vec(any_draft(), 1..4)) {
            let text = write(&drafts);
            let parsed = parse(text.as_bytes(), &no_defaults());
            prop_assert!(parsed.errors.is_empty(), "{:?}\n{}", parsed.errors, text);
            prop_assert!(parsed.skipped.is_empty(), "{:?}\n{}", parsed.skipped, text);
            let got: Vec<QuestionDraft> = parsed.questions.into_iter().map(|(_, q)| q).collect();
            let want: Vec<QuestionDraft> = drafts.iter().map(normal_form).collect();
            prop_assert_eq!(got, want, "{}", text);
        }

        #[test]
        fn parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes, &iu("IU03"));
        }

        #[test]
        fn parse_never_panics_on_giftish_text_and_what_it_reads_round_trips(text in giftish()) {
            let parsed = parse(text.as_bytes(), &iu("IU03"));
            // What was read is already in normal form: writing and reading
            // it again gives the same drafts.
            let drafts: Vec<QuestionDraft> = parsed.questions.into_iter().map(|(_, q)| q).collect();
            let written = write(&drafts);
            let again = parse(written.as_bytes(), &no_defaults());
            prop_assert!(again.errors.is_empty(), "{:?}\n{}", again.errors, written);
            let again: Vec<QuestionDraft> = again.questions.into_iter().map(|(_, q)| q).collect();
            prop_assert_eq!(again, drafts);
        }

        #[test]
        fn parse_never_panics_on_any_string(text in any_text(80)) {
            let _ = parse(text.as_bytes(), &iu("IU03"));
        }
    }

    /// Property tests on arbitrary and damaged GIFT files.
    mod fuzz {
        use proptest::prelude::*;

        use super::super::*;
        use crate::formats::table::fuzz_support::{
            check_parsed, config, line_count, mutated, soup,
        };

        const TOKENS: &[&str] = &[
            "{",
            "}",
            "=",
            "~",
            "#",
            "####",
            "::",
            ":",
            "\\",
            "\\{",
            "\\}",
            "\\=",
            "\\~",
            "\\#",
            "\\:",
            "\\n",
            "\\]",
            "%",
            "%50%",
            "%-100%",
            "%33.33333%",
            "->",
            "[html]",
            "[markdown]",
            "[moodle]",
            "[plain]",
            "[",
            "]",
            "// ",
            "// [id:",
            "// [tag:",
            "$CATEGORY: ",
            "$CATEGORY: $course$/top/IU04/IU04.3",
            "{T}",
            "{FALSE#",
            "TRUE",
            "_____",
            "IU01",
            "=Đúng",
            "~Sai",
        ];

        const SAMPLES: &[&str] = &[
            "// Mô-đun IU01 — Hiểu biết về CNTT cơ bản\n$CATEGORY: $course$/top/IU01 Hiểu biết về CNTT cơ bản/IU01.1 Kiến thức cơ bản\n\n\
             // [id:IU01-001]\n// [tag:easy]\n::IU01-001::[markdown]Thiết bị nào sau đây là **thiết bị xuất**? {\n\
             =Máy in #Đúng\\: máy in đưa dữ liệu ra giấy.\n~Bàn phím #Sai\\: bàn phím là thiết bị nhập.\n~Chuột\n~Máy quét\n\
             ####Thiết bị xuất đưa thông tin từ máy tính ra ngoài.\n}\n\n\
             // [id:IU01-002] [tag:khó] [tag:phần cứng]\n::RAM::RAM là bộ nhớ chỉ đọc. {FALSE#Sai rồi\\: RAM đọc và ghi được.#Chính xác.}\n",
            "$CATEGORY: IU04/IU04.3\n\n::Hàm tổng::[html]<p>Công thức nào tính tổng các ô A1\\:A10?</p> {\n\
             =\\=SUM(A1\\:A10)\n~\\=AVERAGE(A1\\:A10) #Hàm trung bình cộng.\n~\\=COUNT(A1\\:A10)\n}\n\n\
             ::Chọn nhiều::Những thiết bị nào là thiết bị lưu trữ? {\n~%50%Ổ cứng SSD\n~%50%USB\n~%-100%Màn hình\n}\n\n\
             Phím tắt sao chép trong Windows là {=Ctrl+C ~Ctrl+V ~Ctrl+X} để chép văn bản.\n",
            "\u{feff}// [tag:trung bình]\r\n::Tự luận::Trình bày khái niệm hệ điều hành. {}\r\n\r\n\
             ::Số::1 KB bằng bao nhiêu byte? {#1024}\r\n\r\n\
             ::Ghép::Ghép phím tắt với chức năng. {=Ctrl+C -> Sao chép =Ctrl+V -> Dán}\r\n\r\n\
             ::Mô tả::Phần sau nói về mạng máy tính.\r\n\r\n\
             ::Đúng sai::Internet là mạng của các mạng. {T}\r\n",
        ];

        fn defaults() -> ImportDefaults {
            ImportDefaults {
                module: ModuleCode::parse("IU03"),
                topic: TopicCode::parse("IU03.2"),
                difficulty: Some(Difficulty::Medium),
            }
        }

        /// The reader's promises for `bytes`, and what it read round trips
        /// through the writer.
        fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
            let parsed = parse(bytes, &defaults());
            check_parsed(&parsed, line_count(bytes))?;
            if crate::formats::decode_text(bytes).is_none() {
                prop_assert!(parsed.questions.is_empty() && parsed.skipped.is_empty());
                prop_assert_eq!(parsed.errors.len(), 1);
                prop_assert_eq!(parsed.errors[0].0, 1);
            }
            // Each question starts on a line of its own.
            prop_assert!(parsed.questions.windows(2).all(|w| w[0].0 < w[1].0));
            for (_, q) in &parsed.questions {
                prop_assert!(q.options.len() <= MAX_OPTIONS);
                prop_assert!(q.images.is_empty());
                if q.qtype == QuestionType::TrueFalse {
                    let texts: Vec<&str> = q.options.iter().map(|o| o.text.as_str()).collect();
                    prop_assert_eq!(texts, [TRUE_TEXT, FALSE_TEXT]);
                }
            }
            let drafts: Vec<QuestionDraft> = parsed.questions.into_iter().map(|(_, q)| q).collect();
            let written = write(&drafts);
            let again = parse(written.as_bytes(), &ImportDefaults::default());
            prop_assert!(again.errors.is_empty(), "{:?}\n{}", again.errors, written);
            prop_assert!(again.skipped.is_empty(), "{:?}\n{}", again.skipped, written);
            let again: Vec<QuestionDraft> = again.questions.into_iter().map(|(_, q)| q).collect();
            prop_assert_eq!(again, drafts, "{}", written);
            Ok(())
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn fuzz_gift_arbitrary_bytes(bytes in soup(TOKENS)) {
                check(&bytes)?;
            }

            #[test]
            fn fuzz_gift_mutated_samples(bytes in mutated(SAMPLES, TOKENS)) {
                check(&bytes)?;
            }
        }

        #[test]
        fn fuzz_gift_samples_are_valid() {
            for sample in SAMPLES {
                let parsed = parse(sample.as_bytes(), &defaults());
                assert!(!parsed.questions.is_empty(), "{parsed:?}");
            }
            let parsed = parse(SAMPLES[0].as_bytes(), &defaults());
            assert!(
                parsed.errors.is_empty() && parsed.skipped.is_empty(),
                "{parsed:?}"
            );
        }

        /// Long runs of one character: no quadratic blow-up, no deep recursion.
        #[test]
        fn fuzz_gift_pathological_runs() {
            for piece in [
                "{",
                "}",
                "~",
                "=",
                "#",
                ":",
                "\\",
                "{=a ~b}\n",
                "// [tag:",
                "::",
                "%",
            ] {
                let text = format!("Câu hỏi {}", piece.repeat(64 * 1024 / piece.len()));
                let parsed = parse(text.as_bytes(), &defaults());
                assert!(parsed.questions.len() <= 1, "{piece}");
            }
        }
    }
}
