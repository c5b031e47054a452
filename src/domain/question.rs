//! Questions as the importers, the bank and the exam engine see them:
//! module and topic codes, difficulty, type, status, and a validated draft.
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// `single`, `multiple` or `true_false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    Single,
    Multiple,
    TrueFalse,
}

impl QuestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Single => "single",
            QuestionType::Multiple => "multiple",
            QuestionType::TrueFalse => "true_false",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "single" => Some(QuestionType::Single),
            "multiple" => Some(QuestionType::Multiple),
            "true_false" => Some(QuestionType::TrueFalse),
            _ => None,
        }
    }
}

/// `easy`, `medium` or `hard` (dễ / trung bình / khó).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

impl Difficulty {
    pub const ALL: [Difficulty; 3] = [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard];

    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }

    /// Accepts the API names and the Vietnamese labels (any case, with or without diacritics).
    pub fn parse(s: &str) -> Option<Self> {
        let t =
            crate::domain::unit_path::fold_diacritics(&crate::domain::unit_path::normalize_text(s));
        match t.as_str() {
            "easy" | "de" | "1" => Some(Difficulty::Easy),
            "medium" | "trung binh" | "tb" | "2" => Some(Difficulty::Medium),
            "hard" | "kho" | "3" => Some(Difficulty::Hard),
            _ => None,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Difficulty::Easy => lang.pick("Dễ", "Easy"),
            Difficulty::Medium => lang.pick("Trung bình", "Medium"),
            Difficulty::Hard => lang.pick("Khó", "Hard"),
        }
    }
}

/// `draft`, `ready` or `retired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Ready,
    Retired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Ready => "ready",
            Status::Retired => "retired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "draft" => Some(Status::Draft),
            "ready" => Some(Status::Ready),
            "retired" => Some(Status::Retired),
            _ => None,
        }
    }
}

/// How a stem, option or feedback text is written.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    #[default]
    Markdown,
    Html,
    Plain,
}

impl TextFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            TextFormat::Markdown => "markdown",
            TextFormat::Html => "html",
            TextFormat::Plain => "plain",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "markdown" | "md" => Some(TextFormat::Markdown),
            "html" => Some(TextFormat::Html),
            "plain" | "moodle_auto_format" | "plain_text" => Some(TextFormat::Plain),
            _ => None,
        }
    }
}

/// A module code: `IU01` … `IU15`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModuleCode(String);

impl ModuleCode {
    /// `IU01`–`IU15`, case-insensitive.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim().to_ascii_uppercase();
        let digits = t.strip_prefix("IU")?;
        if digits.len() != 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = digits.parse().ok()?;
        (1..=15).contains(&n).then_some(ModuleCode(t))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A topic code under a module: `IU04.3`, `IU04.3.2`, …
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TopicCode(String);

impl TopicCode {
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim().to_ascii_uppercase();
        let (module, rest) = t.split_once('.')?;
        ModuleCode::parse(module)?;
        if rest.is_empty()
            || !rest
                .split('.')
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        Some(TopicCode(t))
    }
    pub fn module(&self) -> ModuleCode {
        ModuleCode(self.0.split('.').next().unwrap_or_default().to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads module and topic from a category path such as
/// `$course$/top/IU04/IU04.3` or `IU04.3`: a segment like `IU04` names the
/// module, one like `IU04.3` the topic; other segments are ignored.
pub fn module_and_topic_from_path(path: &str) -> (Option<ModuleCode>, Option<TopicCode>) {
    let mut module = None;
    let mut topic = None;
    for seg in path.split('/') {
        let seg = seg.trim();
        // "IU04.3 Formulas" or "IU04 - Spreadsheets": the code is the first word.
        let word = seg
            .split(|c: char| c.is_whitespace() || c == '-' || c == ':')
            .next()
            .unwrap_or("");
        if let Some(t) = TopicCode::parse(word) {
            module = Some(t.module());
            topic = Some(t);
        } else if let Some(m) = ModuleCode::parse(word) {
            module = Some(m);
        }
    }
    if let (Some(m), Some(t)) = (&module, &topic)
        && &t.module() != m
    {
        topic = None;
    }
    (module, topic)
}

/// One answer option of a draft.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptionDraft {
    pub text: String,
    pub correct: bool,
    pub feedback: String,
}

/// A question as read from a file or a form, before it is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuestionDraft {
    /// A stable id from the source: GIFT `// [id:…]`, Moodle `idnumber`, a column.
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub module: Option<ModuleCode>,
    pub topic: Option<TopicCode>,
    pub difficulty: Option<Difficulty>,
    pub qtype: QuestionType,
    pub format: TextFormat,
    pub stem: String,
    pub options: Vec<OptionDraft>,
    pub general_feedback: String,
    pub tags: Vec<String>,
    /// Files the texts refer to as `@@PLUGINFILE@@/<name>` (Moodle XML).
    pub images: Vec<EmbeddedImage>,
}

/// An image carried inside a question file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedImage {
    pub name: String,
    pub data: Vec<u8>,
}

/// What applies when a file does not say: `?module=` for Aiken files, say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportDefaults {
    pub module: Option<ModuleCode>,
    pub topic: Option<TopicCode>,
    pub difficulty: Option<Difficulty>,
}

/// Why a draft cannot become a question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftError {
    EmptyStem,
    TooFewOptions,
    EmptyOption(usize),
    NoCorrectOption,
    SingleNeedsOneCorrect(usize),
    MultipleNeedsAWrongOption,
    TrueFalseNeedsTwoOptions,
    NoModule,
    DuplicateOption(String),
}

impl DraftError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            DraftError::EmptyStem => lang
                .pick("Câu hỏi không có nội dung.", "The question has no text.")
                .into(),
            DraftError::TooFewOptions => lang
                .pick(
                    "Câu hỏi cần ít nhất hai phương án.",
                    "A question needs at least two options.",
                )
                .into(),
            DraftError::EmptyOption(n) => match lang {
                Lang::Vi => format!("Phương án thứ {n} để trống."),
                Lang::En => format!("Option {n} is empty."),
            },
            DraftError::NoCorrectOption => lang
                .pick("Không có phương án đúng.", "No option is marked correct.")
                .into(),
            DraftError::SingleNeedsOneCorrect(n) => match lang {
                Lang::Vi => {
                    format!("Câu hỏi một lựa chọn phải có đúng một phương án đúng (đang có {n}).")
                }
                Lang::En => format!(
                    "A single-choice question needs exactly one correct option (it has {n})."
                ),
            },
            DraftError::MultipleNeedsAWrongOption => lang
                .pick(
                    "Câu hỏi nhiều lựa chọn cần ít nhất một phương án sai.",
                    "A multiple-answer question needs at least one wrong option.",
                )
                .into(),
            DraftError::TrueFalseNeedsTwoOptions => lang
                .pick(
                    "Câu hỏi đúng/sai phải có đúng hai phương án.",
                    "A true/false question has exactly two options.",
                )
                .into(),
            DraftError::NoModule => lang
                .pick(
                    "Không xác định được mô-đun (IU01–IU15).",
                    "No module (IU01–IU15) could be determined.",
                )
                .into(),
            DraftError::DuplicateOption(t) => match lang {
                Lang::Vi => format!("Phương án “{t}” bị lặp."),
                Lang::En => format!("Option “{t}” is repeated."),
            },
        }
    }
}

impl QuestionDraft {
    /// Checks the structure; the first problem found is returned.
    pub fn validate(&self) -> Result<(), DraftError> {
        if self.stem.trim().is_empty() {
            return Err(DraftError::EmptyStem);
        }
        if self.module.is_none() {
            return Err(DraftError::NoModule);
        }
        if self.qtype == QuestionType::TrueFalse {
            if self.options.len() != 2 {
                return Err(DraftError::TrueFalseNeedsTwoOptions);
            }
        } else if self.options.len() < 2 {
            return Err(DraftError::TooFewOptions);
        }
        for (i, o) in self.options.iter().enumerate() {
            if o.text.trim().is_empty() {
                return Err(DraftError::EmptyOption(i + 1));
            }
        }
        for (i, o) in self.options.iter().enumerate() {
            if self.options[..i]
                .iter()
                .any(|p| p.text.trim() == o.text.trim())
            {
                return Err(DraftError::DuplicateOption(o.text.trim().to_string()));
            }
        }
        let right = self.options.iter().filter(|o| o.correct).count();
        if right == 0 {
            return Err(DraftError::NoCorrectOption);
        }
        match self.qtype {
            QuestionType::Single | QuestionType::TrueFalse if right != 1 => {
                Err(DraftError::SingleNeedsOneCorrect(right))
            }
            QuestionType::Multiple if right == self.options.len() => {
                Err(DraftError::MultipleNeedsAWrongOption)
            }
            _ => Ok(()),
        }
    }

    /// A hash of what the question says (not its id), to find the same
    /// question again in a re-import that carries no id.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        h.update(self.qtype.as_str());
        h.update([0]);
        h.update(norm(&self.stem));
        for o in &self.options {
            h.update([0, u8::from(o.correct)]);
            h.update(norm(&o.text));
        }
        hex::encode(h.finalize())
    }
}

/// The result of reading a question file: drafts with their line, what was
/// skipped (types the platform does not run) and what is wrong.
#[derive(Clone, Debug, Default)]
pub struct ParsedFile {
    pub questions: Vec<(usize, QuestionDraft)>,
    pub skipped: Vec<(usize, String)>,
    pub errors: Vec<(usize, String)>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn draft(qtype: QuestionType, correct: &[bool]) -> QuestionDraft {
        QuestionDraft {
            external_id: None,
            title: None,
            module: ModuleCode::parse("IU01"),
            topic: None,
            difficulty: None,
            qtype,
            format: TextFormat::Markdown,
            stem: "Câu hỏi?".into(),
            options: correct
                .iter()
                .enumerate()
                .map(|(i, c)| OptionDraft {
                    text: format!("PA {i}"),
                    correct: *c,
                    feedback: String::new(),
                })
                .collect(),
            general_feedback: String::new(),
            tags: vec![],
            images: vec![],
        }
    }

    #[test]
    fn codes_parse_and_category_paths_map_by_segment() {
        assert!(ModuleCode::parse("iu04").is_some());
        assert!(ModuleCode::parse("IU16").is_none());
        assert!(ModuleCode::parse("IU4").is_none());
        assert_eq!(
            TopicCode::parse("IU04.3.2").unwrap().module().as_str(),
            "IU04"
        );
        assert!(TopicCode::parse("IU04.").is_none());
        let (m, t) = module_and_topic_from_path("$course$/top/IU04 Bảng tính/IU04.5 Công thức");
        assert_eq!(m.unwrap().as_str(), "IU04");
        assert_eq!(t.unwrap().as_str(), "IU04.5");
        let (m, t) = module_and_topic_from_path("Default for X");
        assert!(m.is_none() && t.is_none());
    }

    #[test]
    fn validation_catches_the_structural_mistakes() {
        assert!(
            draft(QuestionType::Single, &[true, false, false])
                .validate()
                .is_ok()
        );
        assert_eq!(
            draft(QuestionType::Single, &[true, true]).validate(),
            Err(DraftError::SingleNeedsOneCorrect(2))
        );
        assert_eq!(
            draft(QuestionType::Single, &[false, false]).validate(),
            Err(DraftError::NoCorrectOption)
        );
        assert_eq!(
            draft(QuestionType::Single, &[true]).validate(),
            Err(DraftError::TooFewOptions)
        );
        assert_eq!(
            draft(QuestionType::Multiple, &[true, true]).validate(),
            Err(DraftError::MultipleNeedsAWrongOption)
        );
        let mut d = draft(QuestionType::Single, &[true, false]);
        d.stem = "  ".into();
        assert_eq!(d.validate(), Err(DraftError::EmptyStem));
        assert_eq!(Difficulty::parse("Trung bình"), Some(Difficulty::Medium));
        assert_eq!(Difficulty::parse("KHÓ"), Some(Difficulty::Hard));
    }

    #[test]
    fn the_content_hash_ignores_spacing_but_not_the_key() {
        let a = draft(QuestionType::Single, &[true, false]);
        let mut b = a.clone();
        b.stem = " Câu   hỏi? ".into();
        assert_eq!(a.content_hash(), b.content_hash());
        let c = draft(QuestionType::Single, &[false, true]);
        assert_ne!(a.content_hash(), c.content_hash());
    }
}
