//! The Aiken format: single-answer questions as plain lines.
//!
//! ```text
//! Thiết bị nào là thiết bị xuất?
//! A. Chuột
//! B) Máy in
//! C. Bàn phím
//! ANSWER: B
//! ```
//!
//! A stem of one or more lines, options `A.` or `A)` (capital letters A–Z,
//! in order, each followed by a space or the line's end), then
//! `ANSWER: <letter>` (any case) ends the question. Every line is trimmed.
//! Blank lines may separate questions (inside a stem they are kept as
//! paragraph breaks); a line that is neither an option nor ANSWER after the
//! options starts the next question (the one before lacked its ANSWER line,
//! an error). Aiken says nothing about modules, topics or difficulty: those
//! come from [`ImportDefaults`], and a question with no module fails
//! validation. Texts are plain text, trimmed and put in Unicode NFC.
//! Nothing here panics, whatever the input.
use unicode_normalization::UnicodeNormalization;

use crate::domain::question::{
    ImportDefaults, OptionDraft, ParsedFile, QuestionDraft, QuestionType, TextFormat,
};
use crate::i18n::Lang;

const NOT_UTF8: &str = "Tệp không phải UTF-8; hãy lưu lại với bảng mã UTF-8.";
const MISSING_ANSWER: &str = "Câu hỏi thiếu dòng “ANSWER: …” sau các phương án.";
const ORPHAN_ANSWER: &str = "Dòng ANSWER không thuộc câu hỏi nào.";
const ANSWER_FORMAT: &str = "Dòng ANSWER phải ghi một chữ cái, ví dụ “ANSWER: B”.";

/// Reads an Aiken file. Questions come with the line they start on; errors
/// about the ANSWER line or an option carry that line, the others the
/// question's first line.
pub fn parse(bytes: &[u8], defaults: &ImportDefaults) -> ParsedFile {
    let mut out = ParsedFile::default();
    let Some(text) = super::decode_text(bytes) else {
        out.errors.push((1, NOT_UTF8.to_string()));
        return out;
    };
    let mut current: Option<Pending> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let number = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            if let Some(p) = current.as_mut()
                && p.options.is_empty()
            {
                p.stem.push(String::new());
            }
            continue;
        }
        if let Some(answer) = answer_line(line) {
            match current.take() {
                Some(p) => finish(&mut out, p, number, answer, defaults),
                None => out.errors.push((number, ORPHAN_ANSWER.to_string())),
            }
            continue;
        }
        let option = option_line(line);
        match (current.as_mut(), option) {
            (Some(p), Some((letter, text))) if !p.options.is_empty() => {
                let expected = letter_at(p.options.len());
                if Some(letter) == expected {
                    p.options.push(text.to_string());
                } else if p.problem.is_none() {
                    let message = match expected {
                        Some(e) => format!("Phương án “{letter}” không đúng thứ tự (cần “{e}”)."),
                        None => "Câu hỏi có quá 26 phương án (A–Z).".to_string(),
                    };
                    p.problem = Some((number, message));
                }
            }
            (Some(p), Some(('A', text))) => p.options.push(text.to_string()),
            (Some(p), _) if p.options.is_empty() => p.stem.push(line.to_string()),
            (slot, option) => {
                // A new question starts; the one before (if any) never got
                // its ANSWER line.
                if let Some(p) = slot.map(std::mem::take) {
                    unfinished(&mut out, p);
                }
                let mut p = Pending {
                    first: number,
                    ..Pending::default()
                };
                match option {
                    Some(('A', text)) => p.options.push(text.to_string()),
                    _ => p.stem.push(line.to_string()),
                }
                current = Some(p);
            }
        }
    }
    if let Some(p) = current {
        unfinished(&mut out, p);
    }
    out
}

/// A question read up to (not including) its ANSWER line.
#[derive(Default)]
struct Pending {
    first: usize,
    stem: Vec<String>,
    options: Vec<String>,
    /// The first problem seen (an option out of order), with its line.
    problem: Option<(usize, String)>,
}

/// A question that ended without an ANSWER line.
fn unfinished(out: &mut ParsedFile, p: Pending) {
    let error = p
        .problem
        .unwrap_or_else(|| (p.first, MISSING_ANSWER.to_string()));
    out.errors.push(error);
}

/// Builds the question once its ANSWER line (`number`, text after the
/// colon) is read.
fn finish(
    out: &mut ParsedFile,
    p: Pending,
    number: usize,
    answer: &str,
    defaults: &ImportDefaults,
) {
    if let Some(problem) = p.problem {
        out.errors.push(problem);
        return;
    }
    let mut options: Vec<OptionDraft> = p
        .options
        .iter()
        .map(|t| OptionDraft {
            text: norm_text(t),
            correct: false,
            feedback: String::new(),
        })
        .collect();
    if options.len() >= 2 {
        let mut letters = answer.trim().chars();
        let letter = match (letters.next(), letters.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
            _ => {
                out.errors.push((number, ANSWER_FORMAT.to_string()));
                return;
            }
        };
        let index = usize::from(u8::try_from(letter).unwrap_or(b'Z').saturating_sub(b'A'));
        match options.get_mut(index) {
            Some(o) => o.correct = true,
            None => {
                let last = letter_at(options.len().saturating_sub(1)).unwrap_or('Z');
                out.errors.push((
                    number,
                    format!("Đáp án “{letter}” không ứng với phương án nào (chỉ có A–{last})."),
                ));
                return;
            }
        }
    }
    let module = defaults
        .module
        .clone()
        .or_else(|| defaults.topic.as_ref().map(|t| t.module()));
    let topic = defaults
        .topic
        .clone()
        .filter(|t| module.as_ref() == Some(&t.module()));
    let draft = QuestionDraft {
        external_id: None,
        title: None,
        module,
        topic,
        difficulty: defaults.difficulty,
        qtype: QuestionType::Single,
        format: TextFormat::Plain,
        stem: norm_text(&p.stem.join("\n")),
        options,
        general_feedback: String::new(),
        tags: Vec::new(),
        images: Vec::new(),
    };
    match draft.validate() {
        Ok(()) => out.questions.push((p.first, draft)),
        Err(e) => out.errors.push((p.first, e.message(Lang::Vi))),
    }
}

/// `ANSWER: B` (any case, spaces allowed before the colon): the text after
/// the colon.
fn answer_line(line: &str) -> Option<&str> {
    let word = line.get(..6)?;
    if !word.eq_ignore_ascii_case("answer") {
        return None;
    }
    line.get(6..)?.trim_start().strip_prefix(':')
}

/// `A. text` or `A) text`: the letter and the text.
fn option_line(line: &str) -> Option<(char, &str)> {
    let mut chars = line.char_indices();
    let (_, letter) = chars.next()?;
    let (_, mark) = chars.next()?;
    if !letter.is_ascii_uppercase() || !(mark == '.' || mark == ')') {
        return None;
    }
    match chars.next() {
        None => Some((letter, "")),
        Some((i, c)) if c.is_whitespace() => Some((letter, line.get(i..)?.trim())),
        Some(_) => None,
    }
}

/// The letter of the option at `index` (0 → `A`), up to `Z`.
fn letter_at(index: usize) -> Option<char> {
    let offset = u8::try_from(index).ok()?;
    let letter = b'A'.checked_add(offset)?;
    (letter <= b'Z').then_some(char::from(letter))
}

fn norm_text(s: &str) -> String {
    s.nfc().collect::<String>().trim().to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::question::{Difficulty, DraftError, ModuleCode, TopicCode};

    fn defaults() -> ImportDefaults {
        ImportDefaults {
            module: ModuleCode::parse("IU02"),
            topic: TopicCode::parse("IU02.3"),
            difficulty: Some(Difficulty::Easy),
        }
    }

    fn texts(q: &QuestionDraft) -> Vec<(&str, bool)> {
        q.options
            .iter()
            .map(|o| (o.text.as_str(), o.correct))
            .collect()
    }

    #[test]
    fn questions_with_both_option_styles_any_case_answer_bom_and_crlf() {
        let text = "\u{feff}Thiết bị nào là thiết bị xuất?\r\n\
                    A. Chuột\r\nB) Máy in\r\nC. Bàn phím\r\nANSWER: B\r\n\r\n\
                    Dòng một của câu hỏi\r\n\r\ndòng hai\r\n  A) x\r\nB)\ty\r\nanswer : a\r\n\
                    Câu ba liền ngay sau\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer:d\n";
        let parsed = parse(text.as_bytes(), &defaults());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let qs = &parsed.questions;
        assert_eq!(qs.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [1, 7, 13]);
        let q = &qs[0].1;
        assert_eq!(q.stem, "Thiết bị nào là thiết bị xuất?");
        assert_eq!(
            texts(q),
            [("Chuột", false), ("Máy in", true), ("Bàn phím", false)]
        );
        assert_eq!(q.qtype, QuestionType::Single);
        assert_eq!(q.format, TextFormat::Plain);
        assert_eq!(q.module.as_ref().unwrap().as_str(), "IU02");
        assert_eq!(q.topic.as_ref().unwrap().as_str(), "IU02.3");
        assert_eq!(q.difficulty, Some(Difficulty::Easy));
        assert_eq!(q.external_id, None);
        let q = &qs[1].1;
        assert_eq!(q.stem, "Dòng một của câu hỏi\n\ndòng hai");
        assert_eq!(texts(q), [("x", true), ("y", false)]);
        assert_eq!(texts(&qs[2].1).last(), Some(&("4", true)));
    }

    #[test]
    fn not_utf8_is_one_error() {
        for bytes in [
            b"C\xe2u h\xf3i\nA. a\nB. b\nANSWER: A".as_slice(),
            &[0xFE, 0xFF, 0, b'Q'],
        ] {
            let parsed = parse(bytes, &defaults());
            assert_eq!(parsed.errors.len(), 1);
            assert_eq!(parsed.errors[0].0, 1);
            assert!(parsed.questions.is_empty());
        }
    }

    #[test]
    fn errors_carry_line_numbers() {
        let text = "Thiếu ANSWER\nA. a\nB. b\n\n\
                    Đáp án lạ\nA. a\nB. b\nANSWER: C\n\n\
                    Một phương án\nA. a\nANSWER: A\n\n\
                    Sai thứ tự\nA. a\nC. c\nANSWER: A\n\n\
                    ANSWER: B\n\n\
                    Đáp án không phải chữ\nA. a\nB. b\nANSWER: A, B\n\n\
                    Lặp\nA. a\nB. a\nANSWER: A\n\n\
                    Tốt\nA. a\nB. b\nANSWER: b\n\n\
                    Cuối tệp thiếu ANSWER\nA. a\nB. b\n";
        let parsed = parse(text.as_bytes(), &defaults());
        let lines: Vec<usize> = parsed.questions.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [31]);
        let errors: Vec<(usize, String)> = parsed.errors.clone();
        let expected = vec![
            (1, MISSING_ANSWER.to_string()),
            (
                8,
                "Đáp án “C” không ứng với phương án nào (chỉ có A–B).".to_string(),
            ),
            (10, DraftError::TooFewOptions.message(Lang::Vi)),
            (16, "Phương án “C” không đúng thứ tự (cần “B”).".to_string()),
            (19, ORPHAN_ANSWER.to_string()),
            (24, ANSWER_FORMAT.to_string()),
            (
                26,
                DraftError::DuplicateOption("a".into()).message(Lang::Vi),
            ),
            (36, MISSING_ANSWER.to_string()),
        ];
        assert_eq!(errors, expected);
    }

    #[test]
    fn a_new_stem_after_options_means_the_answer_line_was_missing() {
        let text = "Câu 1\nA. a\nB. b\nCâu 2\nA. c\nB. d\nANSWER: A\n";
        let parsed = parse(text.as_bytes(), &defaults());
        assert_eq!(parsed.errors, [(1, MISSING_ANSWER.to_string())]);
        assert_eq!(parsed.questions.len(), 1);
        assert_eq!(parsed.questions[0].0, 4);
        assert_eq!(parsed.questions[0].1.stem, "Câu 2");
    }

    #[test]
    fn the_module_comes_from_the_defaults() {
        let text = "Câu\nA. a\nB. b\nANSWER: A\n";
        let parsed = parse(text.as_bytes(), &ImportDefaults::default());
        assert_eq!(parsed.errors, [(1, DraftError::NoModule.message(Lang::Vi))]);
        let only_topic = ImportDefaults {
            topic: TopicCode::parse("IU05.1"),
            ..ImportDefaults::default()
        };
        let parsed = parse(text.as_bytes(), &only_topic);
        let q = &parsed.questions[0].1;
        assert_eq!(q.module.as_ref().unwrap().as_str(), "IU05");
        assert_eq!(q.topic.as_ref().unwrap().as_str(), "IU05.1");
        assert_eq!(q.difficulty, None);
    }

    #[test]
    fn option_lines_need_a_capital_letter_a_mark_and_a_space() {
        let text =
            "A.I. là gì?\nB. không phải phương án\nA. Trí tuệ nhân tạo\nB) Máy in\nANSWER: A\n";
        let parsed = parse(text.as_bytes(), &defaults());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let q = &parsed.questions[0].1;
        assert_eq!(q.stem, "A.I. là gì?\nB. không phải phương án");
        assert_eq!(texts(q), [("Trí tuệ nhân tạo", true), ("Máy in", false)]);
        assert_eq!(option_line("a. x"), None);
        assert_eq!(option_line("Ä. x"), None);
        assert_eq!(option_line("B."), Some(('B', "")));
    }

    /// Aiken-looking text.
    fn aikenish() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "A. ",
            "B) ",
            "C. ",
            "Z. ",
            "a. ",
            "ANSWER: ",
            "answer:",
            "ANSWER",
            "A",
            "b",
            "Đ",
            "é",
            "\u{301}",
            "\n",
            "\n\n",
            "\r\n",
            " ",
            ".",
            ")",
            ":",
            "Câu hỏi",
            "\u{feff}",
            "ß",
            "İ",
        ]);
        prop::collection::vec(piece, 0..80).prop_map(|v| v.concat())
    }

    /// A valid Aiken question: stem, 2–26 options, answer index.
    fn question() -> impl Strategy<Value = (String, Vec<String>, usize)> {
        let line = "[a-zA-Zàáạảãđêế0-9?,;:() ]{0,12}[a-zđ0-9?]";
        (
            prop::collection::vec(line, 1..3),
            prop::collection::btree_set(line, 2..8),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(stem, options, index)| {
                let options: Vec<String> = options.into_iter().collect();
                let answer = index.index(options.len());
                (stem.join("\n"), options, answer)
            })
            .prop_filter(
                "a stem line that reads as an option or ANSWER",
                |(stem, _, _)| {
                    stem.lines()
                        .all(|l| option_line(l.trim()).is_none() && answer_line(l.trim()).is_none())
                },
            )
            .prop_filter("options equal once trimmed", |(_, options, _)| {
                let trimmed: std::collections::BTreeSet<&str> =
                    options.iter().map(|o| o.trim()).collect();
                trimmed.len() == options.len()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes, &defaults());
        }

        #[test]
        fn parse_never_panics_on_aikenish_text(text in aikenish()) {
            let parsed = parse(text.as_bytes(), &defaults());
            for (_, q) in parsed.questions {
                prop_assert!(q.validate().is_ok());
            }
        }

        #[test]
        fn valid_questions_are_read_back(qs in prop::collection::vec(question(), 1..5), blank in any::<bool>()) {
            let mut text = String::new();
            for (stem, options, answer) in &qs {
                text.push_str(stem);
                text.push('\n');
                for (i, o) in options.iter().enumerate() {
                    let mark = if i % 2 == 0 { '.' } else { ')' };
                    text.push_str(&format!("{}{mark} {o}\n", letter_at(i).unwrap()));
                }
                text.push_str(&format!("ANSWER: {}\n", letter_at(*answer).unwrap()));
                if blank {
                    text.push('\n');
                }
            }
            let parsed = parse(text.as_bytes(), &defaults());
            prop_assert!(parsed.errors.is_empty(), "{:?}\n{}", parsed.errors, text);
            prop_assert_eq!(parsed.questions.len(), qs.len());
            for ((_, q), (stem, options, answer)) in parsed.questions.iter().zip(&qs) {
                // Each line is trimmed.
                let stem: Vec<&str> = stem.lines().map(str::trim).collect();
                prop_assert_eq!(&q.stem, &norm_text(&stem.join("\n")));
                let want: Vec<(String, bool)> = options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (norm_text(o), i == *answer))
                    .collect();
                let got: Vec<(String, bool)> = q.options.iter().map(|o| (o.text.clone(), o.correct)).collect();
                prop_assert_eq!(got, want);
            }
        }
    }

    /// Property tests on arbitrary and damaged Aiken files.
    mod fuzz {
        use proptest::prelude::*;

        use super::super::*;
        use super::defaults;
        use crate::formats::table::fuzz_support::{
            check_parsed, config, line_count, mutated, soup,
        };

        const TOKENS: &[&str] = &[
            "A. ",
            "B) ",
            "C.",
            "D)",
            "Z. ",
            "a. ",
            "A.x",
            "ANSWER: ",
            "ANSWER: B",
            "answer :",
            "ANSWER:",
            "ANSWER: AB",
            "ANSWER: Ư",
            "\n\n",
            "\nA. ",
            "\nANSWER: A\n",
            " ",
            ".",
            ")",
        ];

        const SAMPLES: &[&str] = &[
            "Thiết bị nào là thiết bị xuất?\nA. Chuột\nB) Máy in\nC. Bàn phím\nD. Máy quét\nANSWER: B\n\n\
             Phần mềm nào là hệ điều hành?\nA. Microsoft Word\nB. Windows 11\nC. Google Chrome\nANSWER: b\n",
            "\u{feff}Khi nhận thư điện tử lạ có tệp đính kèm, cán bộ nên làm gì?\r\n\r\n\
             Chọn cách xử lý an toàn nhất.\r\nA) Mở ngay tệp đính kèm\r\nB) Chuyển tiếp cho đồng nghiệp\r\n\
             C) Không mở, báo cho bộ phận CNTT\r\nANSWER: C\r\n\
             Câu thiếu dòng đáp án\r\nA. một\r\nB. hai\r\n\r\nANSWER: Z\r\n",
            "Phím tắt nào dán nội dung?\nA. Ctrl+C\nC. Ctrl+V\nANSWER: C\n\nA. Không có câu hỏi\nB. x\nANSWER: A\n",
        ];

        /// Writes questions back as Aiken (the format has no writer here).
        /// The file starts with a blank line: a stem may start with a
        /// U+FEFF (a BOM in mid-file, as when two exports are concatenated,
        /// is kept), which at the very start would be read as the BOM.
        fn aiken(questions: &[QuestionDraft]) -> String {
            let mut out = String::from("\n");
            for q in questions {
                out.push_str(&q.stem);
                out.push('\n');
                for (i, o) in q.options.iter().enumerate() {
                    out.push_str(&format!("{}. {}\n", letter_at(i).unwrap(), o.text));
                }
                let right = q.options.iter().position(|o| o.correct).unwrap();
                out.push_str(&format!("ANSWER: {}\n\n", letter_at(right).unwrap()));
            }
            out
        }

        /// The reader's promises for `bytes`, and what it read reads back
        /// the same once written again.
        fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
            let parsed = parse(bytes, &defaults());
            check_parsed(&parsed, line_count(bytes))?;
            if crate::formats::decode_text(bytes).is_none() {
                prop_assert!(parsed.questions.is_empty());
                prop_assert_eq!(&parsed.errors, &[(1, NOT_UTF8.to_string())]);
            }
            prop_assert!(parsed.questions.windows(2).all(|w| w[0].0 < w[1].0));
            for (_, q) in &parsed.questions {
                prop_assert_eq!(q.qtype, QuestionType::Single);
                prop_assert_eq!(q.format, TextFormat::Plain);
                prop_assert!(q.options.len() <= 26);
                prop_assert_eq!(q.options.iter().filter(|o| o.correct).count(), 1);
                prop_assert!(
                    q.options
                        .iter()
                        .all(|o| !o.text.contains('\n') && o.feedback.is_empty())
                );
                prop_assert_eq!(q.difficulty, defaults().difficulty);
            }
            let drafts: Vec<QuestionDraft> = parsed.questions.into_iter().map(|(_, q)| q).collect();
            let written = aiken(&drafts);
            let again = parse(written.as_bytes(), &defaults());
            prop_assert!(again.errors.is_empty(), "{:?}\n{}", again.errors, written);
            let again: Vec<QuestionDraft> = again.questions.into_iter().map(|(_, q)| q).collect();
            prop_assert_eq!(again, drafts, "{}", written);
            Ok(())
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn fuzz_aiken_arbitrary_bytes(bytes in soup(TOKENS)) {
                check(&bytes)?;
            }

            #[test]
            fn fuzz_aiken_mutated_samples(bytes in mutated(SAMPLES, TOKENS)) {
                check(&bytes)?;
            }
        }

        #[test]
        fn fuzz_aiken_samples_are_valid() {
            let parsed = parse(SAMPLES[0].as_bytes(), &defaults());
            assert_eq!((parsed.questions.len(), parsed.errors.len()), (2, 0));
            // The last sample is all mistakes.
            for sample in &SAMPLES[..2] {
                assert!(!parse(sample.as_bytes(), &defaults()).questions.is_empty());
            }
        }
    }
}
