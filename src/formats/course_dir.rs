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
}
