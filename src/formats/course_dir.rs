//! A course folder: `course.toml` (code, title, description, modules) and
//! one folder per module with lessons `NN-slug.md`, each starting with TOML
//! front matter between `+++` lines.
use serde::Deserialize;

use crate::domain::question::{ModuleCode, TopicCode};

#[derive(Clone, Debug, PartialEq)]
pub struct CourseDef {
    pub code: String,
    pub title: String,
    pub description: String,
    pub modules: Vec<ModuleDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ModuleDef {
    pub code: String,
    pub title: String,
    pub lessons: Vec<LessonDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LessonDef {
    pub slug: String,
    pub title: String,
    pub min_seconds: u32,
    pub topics: Vec<String>,
    pub quiz_questions: u32,
    pub quiz_pass_percent: u32,
    pub body: String,
}

/// A problem in a file, at a line (1 when the whole file is at fault).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
struct CourseToml {
    code: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    modules: Vec<ModuleToml>,
}

#[derive(Deserialize)]
struct ModuleToml {
    code: String,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    min_seconds: u32,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    quiz_questions: u32,
    #[serde(default = "default_pass")]
    quiz_pass_percent: u32,
}

fn default_pass() -> u32 {
    80
}

fn err(file: &str, line: usize, message: impl Into<String>) -> CourseError {
    CourseError {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// The line of a byte offset, 1-based.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map(|t| t.matches('\n').count() + 1)
        .unwrap_or(1)
}

fn parse_lesson(file: &str, text: &str, module: &ModuleCode) -> Result<LessonDef, CourseError> {
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let rest = text.strip_prefix("+++\n").ok_or_else(|| {
        err(
            file,
            1,
            "the lesson must start with a `+++` front matter line",
        )
    })?;
    let end = rest
        .find("\n+++")
        .ok_or_else(|| err(file, 1, "the front matter has no closing `+++` line"))?;
    let (front, body) = rest.split_at(end);
    let body = body.trim_start_matches("\n+++").trim().to_string();
    let fm: FrontMatter = toml::from_str(front).map_err(|e| {
        let line = e.span().map(|s| line_of(front, s.start) + 1).unwrap_or(2);
        err(file, line, format!("front matter: {}", e.message()))
    })?;
    if fm.title.trim().is_empty() {
        return Err(err(file, 2, "the title is empty"));
    }
    if fm.min_seconds == 0 || fm.min_seconds > 4 * 3600 {
        return Err(err(file, 2, "min_seconds must be between 1 and 14400"));
    }
    if fm.quiz_pass_percent > 100 {
        return Err(err(file, 2, "quiz_pass_percent must be at most 100"));
    }
    for t in &fm.topics {
        match TopicCode::parse(t) {
            Some(code) if &code.module() == module => {}
            _ => {
                return Err(err(
                    file,
                    2,
                    format!("topic {t} is not a topic of {}", module.as_str()),
                ));
            }
        }
    }
    if body.is_empty() {
        return Err(err(file, 1, "the lesson has no text"));
    }
    let slug = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".md")
        .to_string();
    Ok(LessonDef {
        slug,
        title: fm.title.trim().to_string(),
        min_seconds: fm.min_seconds,
        topics: fm
            .topics
            .iter()
            .map(|t| t.trim().to_ascii_uppercase())
            .collect(),
        quiz_questions: fm.quiz_questions,
        quiz_pass_percent: fm.quiz_pass_percent,
        body,
    })
}

/// Reads a course from `(path relative to the course folder, text)` pairs.
pub fn parse(files: &[(String, String)]) -> Result<CourseDef, Vec<CourseError>> {
    let mut errors = Vec::new();
    let Some((_, course_text)) = files.iter().find(|(p, _)| p == "course.toml") else {
        return Err(vec![err("course.toml", 1, "course.toml is missing")]);
    };
    let course: CourseToml = match toml::from_str(course_text) {
        Ok(c) => c,
        Err(e) => {
            let line = e.span().map(|s| line_of(course_text, s.start)).unwrap_or(1);
            return Err(vec![err("course.toml", line, e.message().to_string())]);
        }
    };
    let mut modules = Vec::new();
    for m in &course.modules {
        match ModuleCode::parse(&m.code) {
            Some(code) => modules.push((code, m.title.clone())),
            None => errors.push(err(
                "course.toml",
                1,
                format!("unknown module code {}", m.code),
            )),
        }
    }
    let mut out = Vec::new();
    for (code, title) in &modules {
        let prefix = format!("{}/", code.as_str());
        let mut lesson_files: Vec<&(String, String)> = files
            .iter()
            .filter(|(p, _)| p.starts_with(&prefix) && p.ends_with(".md"))
            .collect();
        lesson_files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut lessons = Vec::new();
        for (path, text) in lesson_files {
            match parse_lesson(path, text, code) {
                Ok(l) => lessons.push(l),
                Err(e) => errors.push(e),
            }
        }
        if lessons.is_empty() {
            errors.push(err(
                &prefix,
                1,
                format!("module {} has no lesson", code.as_str()),
            ));
        }
        out.push(ModuleDef {
            code: code.as_str().to_string(),
            title: title.clone(),
            lessons,
        });
    }
    for (path, _) in files {
        if path.ends_with(".md")
            && !modules
                .iter()
                .any(|(c, _)| path.starts_with(&format!("{}/", c.as_str())))
        {
            errors.push(err(
                path,
                1,
                "this folder is not a module listed in course.toml",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CourseDef {
        code: course.code.trim().to_string(),
        title: course.title.trim().to_string(),
        description: course.description.trim().to_string(),
        modules: out,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn course(lesson: &str) -> Vec<(String, String)> {
        vec![
            (
                "course.toml".into(),
                "code = \"C\"\ntitle = \"Khóa\"\n[[modules]]\ncode = \"IU01\"\ntitle = \"M1\"\n"
                    .into(),
            ),
            ("IU01/01-a.md".into(), lesson.into()),
        ]
    }

    #[test]
    fn a_lesson_with_front_matter_parses() {
        let c = parse(&course(
            "+++\ntitle = \"Bài 1\"\nmin_seconds = 300\ntopics = [\"IU01.1\"]\n+++\n\n# Nội dung\n",
        ))
        .unwrap();
        let l = &c.modules[0].lessons[0];
        assert_eq!(
            (l.slug.as_str(), l.min_seconds, l.quiz_pass_percent),
            ("01-a", 300, 80)
        );
        assert_eq!(l.body, "# Nội dung");
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        let e = parse(&course(
            "+++\ntitle = \"Bài 1\"\nmin_seconds = \"x\"\n+++\nText",
        ))
        .unwrap_err();
        assert_eq!((e[0].file.as_str(), e[0].line), ("IU01/01-a.md", 3));
        let e = parse(&course(
            "+++\ntitle = \"Bài\"\nmin_seconds = 10\ntopics = [\"IU02.1\"]\n+++\nText",
        ))
        .unwrap_err();
        assert!(e[0].message.contains("IU02.1"));
        let e = parse(&course("no front matter")).unwrap_err();
        assert_eq!(e[0].line, 1);
    }

    #[test]
    fn the_shipped_course_parses() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/courses/basic");
        let mut files = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    files.push((rel, std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        let c = parse(&files).unwrap();
        assert_eq!(c.modules.len(), 6);
        assert!(c.modules.iter().all(|m| m.lessons.len() >= 4));
        let topics: std::collections::HashSet<&str> = c
            .modules
            .iter()
            .flat_map(|m| {
                m.lessons
                    .iter()
                    .flat_map(|l| l.topics.iter().map(String::as_str))
            })
            .collect();
        for (code, _, _) in crate::domain::taxonomy::TOPICS {
            assert!(topics.contains(code), "no lesson covers {code}");
        }
    }

    /// Property tests on arbitrary and damaged course folders.
    mod fuzz {
        use proptest::prelude::*;

        use super::super::*;
        use crate::formats::table::fuzz_support::{config, line_count, mutated_text, soup_text};

        const COURSE: &str = "code = \"CNTT-CB\"\ntitle = \"Chuẩn kỹ năng sử dụng CNTT cơ bản\"\n\
            description = \"Khóa học theo Thông tư 03/2014/TT-BTTTT.\"\n\n\
            [[modules]]\ncode = \"IU01\"\ntitle = \"Hiểu biết về CNTT cơ bản\"\n\n\
            [[modules]]\ncode = \"IU04\"\ntitle = \"Sử dụng bảng tính cơ bản\"\n";

        const LESSON_IU01: &str = "+++\ntitle = \"Máy tính, phần cứng và phần mềm\"\nmin_seconds = 480\ntopics = [\"IU01.1\"]\nquiz_questions = 5\nquiz_pass_percent = 80\n+++\n\n\
            ## Máy tính là gì\n\nMáy tính gồm **phần cứng** và *phần mềm*. Xem [bài sau](../IU04/01-bang-tinh) hoặc <https://example.com>.\n\n\
            | Thiết bị | Loại |\n|---|---|\n| Bàn phím | nhập |\n| Máy in | xuất |\n\n> Ghi nhớ: tắt máy đúng cách.\n\n![Sơ đồ](/media/so-do.png)\n";

        const LESSON_IU04: &str = "\u{feff}+++\r\ntitle = 'Bảng tính và công thức'\r\nmin_seconds = 600\r\ntopics = [\"IU04.1\", \"iu04.3\"]\r\n+++\r\n\r\n\
            Công thức bắt đầu bằng dấu `=`, ví dụ `=SUM(A1:A10)`.\r\n\r\n1. Chọn ô\r\n2. Gõ công thức\r\n\r\n\
            <video src=\"/media/abc/v.mp4\" controls></video>\r\n";

        const LESSONS: [(&str, &str); 2] = [
            ("IU01/01-may-tinh.md", LESSON_IU01),
            ("IU04/01-bang-tinh.md", LESSON_IU04),
        ];

        const TOKENS: &[&str] = &[
            "+++",
            "\n+++\n",
            "=",
            "\"",
            "'",
            "'''",
            "\"\"\"",
            "[",
            "]",
            "[[",
            "]]",
            "{",
            "}",
            ".",
            "title = ",
            "min_seconds = ",
            "0",
            "14401",
            "-1",
            "99999999999999999999",
            "1e3",
            "inf",
            "topics = [\"IU01.1\"]",
            "\"IU02.1\"",
            "quiz_pass_percent = 101",
            "quiz_questions = -5",
            "extra = 1",
            "#",
            "\\",
            "\\u0000",
            "\\uD800",
            "1979-05-27T07:32:00Z",
            "a.b.c = 1",
            "[[modules]]\ncode = \"IU16\"\ntitle = \"x\"\n",
            "code = \"IU02\"",
            "\n\n",
            "<script>",
        ];

        fn course(lessons: Vec<(String, String)>, course_toml: String) -> Vec<(String, String)> {
            std::iter::once(("course.toml".to_string(), course_toml))
                .chain(lessons)
                .collect()
        }

        fn good_lessons() -> Vec<(String, String)> {
            LESSONS
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect()
        }

        /// What [`parse`] promises for `files`.
        fn check(files: &[(String, String)]) -> Result<(), TestCaseError> {
            match parse(files) {
                Ok(c) => {
                    prop_assert_eq!(c.code.trim(), c.code.as_str());
                    for m in &c.modules {
                        let code = ModuleCode::parse(&m.code);
                        prop_assert!(code.is_some());
                        prop_assert!(!m.lessons.is_empty());
                        for l in &m.lessons {
                            prop_assert!(!l.title.is_empty() && l.title.trim() == l.title);
                            prop_assert!((1..=4 * 3600).contains(&l.min_seconds));
                            prop_assert!(l.quiz_pass_percent <= 100);
                            prop_assert!(!l.body.is_empty() && l.body.trim() == l.body);
                            for t in &l.topics {
                                prop_assert_eq!(
                                    TopicCode::parse(t).map(|t| t.module()),
                                    code.clone()
                                );
                            }
                            let path = format!("{}/{}.md", m.code, l.slug);
                            prop_assert!(files.iter().any(|(p, _)| *p == path));
                        }
                    }
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for e in &errors {
                        prop_assert!(e.line >= 1 && !e.message.is_empty());
                        if let Some((_, text)) = files.iter().find(|(p, _)| *p == e.file) {
                            prop_assert!(e.line <= line_count(text.as_bytes()), "{:?}", e);
                        }
                    }
                }
            }
            Ok(())
        }

        /// A valid lesson of IU04 and the [`LessonDef`] it should give.
        fn any_lesson() -> impl Strategy<Value = (String, LessonDef)> {
            let topics: Vec<&str> = crate::domain::taxonomy::TOPICS
                .iter()
                .map(|(t, _, _)| *t)
                .filter(|t| t.starts_with("IU04."))
                .collect();
            (
                "[^\\p{C}]{0,3}[^\\p{C}\\s][^\\p{C}]{0,20}",
                1..=14_400u32,
                prop::sample::subsequence(topics, 0..3),
                prop::option::of(0..40u32),
                prop::option::of(0..=100u32),
                "\\PC{0,5}[^\\s+]\\PC{0,200}",
                "[a-z0-9-]{1,12}",
            )
                .prop_map(
                    |(title, min_seconds, topics, questions, pass, body, slug)| {
                        let mut front = format!(
                            "title = {}\nmin_seconds = {min_seconds}\ntopics = {topics:?}\n",
                            toml::Value::String(title.clone()),
                        );
                        if let Some(q) = questions {
                            front.push_str(&format!("quiz_questions = {q}\n"));
                        }
                        if let Some(p) = pass {
                            front.push_str(&format!("quiz_pass_percent = {p}\n"));
                        }
                        let text = format!("+++\n{front}+++\n\n{body}\n");
                        let lesson = LessonDef {
                            slug,
                            title: title.trim().to_string(),
                            min_seconds,
                            topics: topics.iter().map(|t| t.to_string()).collect(),
                            quiz_questions: questions.unwrap_or(0),
                            quiz_pass_percent: pass.unwrap_or(80),
                            body: body.trim().to_string(),
                        };
                        (text, lesson)
                    },
                )
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn fuzz_course_mutated_lesson(
                which in 0..LESSONS.len(),
                text in mutated_text(&[LESSON_IU01, LESSON_IU04], TOKENS),
            ) {
                let mut lessons = good_lessons();
                lessons[which].1 = text;
                check(&course(lessons, COURSE.to_string()))?;
            }

            #[test]
            fn fuzz_course_mutated_course_toml(text in mutated_text(&[COURSE], TOKENS)) {
                check(&course(good_lessons(), text))?;
            }

            #[test]
            fn fuzz_course_lesson_round_trip((text, lesson) in any_lesson()) {
                let mut files = course(good_lessons(), COURSE.to_string());
                files.retain(|(p, _)| !p.starts_with("IU04/"));
                files.push((format!("IU04/{}.md", lesson.slug), text.clone()));
                let c = parse(&files).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
                prop_assert_eq!(&c.modules[1].lessons, &vec![lesson]);
            }
        }

        proptest! {
            // Five files a case: fewer cases.
            #![proptest_config(config(128))]

            #[test]
            fn fuzz_course_arbitrary_files(
                files in prop::collection::vec(
                    (
                        prop::sample::select(vec!["course.toml", "IU01/01-a.md", "IU04/02-b.md", "IU02/x.md", "IU01/anh.png", "ghi-chu.md"]),
                        soup_text(TOKENS),
                    ),
                    0..5,
                ),
            ) {
                let files: Vec<(String, String)> = files.into_iter().map(|(p, t)| (p.to_string(), t)).collect();
                check(&files)?;
            }
        }

        #[test]
        fn fuzz_course_samples_are_valid() {
            let c = parse(&course(good_lessons(), COURSE.to_string())).unwrap();
            assert_eq!(c.modules.len(), 2);
            assert_eq!(c.modules[1].lessons[0].topics, ["IU04.1", "IU04.3"]);
        }

        /// Deeply nested TOML must not overflow the stack.
        #[test]
        fn fuzz_course_deep_toml() {
            for n in [100, 1_000, 20_000] {
                let deep = format!("+++\ntitle = {}\nmin_seconds = 1\n+++\nx", "[".repeat(n));
                let mut lessons = good_lessons();
                lessons[0].1 = deep;
                assert!(parse(&course(lessons, COURSE.to_string())).is_err());
                let deep = format!("code = {}\n", "{a=".repeat(n));
                assert!(parse(&course(good_lessons(), deep)).is_err());
            }
        }
    }
}
