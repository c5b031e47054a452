//! Turning stored question and lesson text into safe HTML: Markdown via
//! pulldown-cmark, every result through ammonia.
use pulldown_cmark::{Options, Parser, html};

use crate::domain::question::TextFormat;

fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .add_generic_attributes(["class"])
        // Lesson videos are served by the application itself.
        .add_tags(["video", "source"])
        .add_tag_attributes("video", ["src", "controls", "width", "preload"])
        .add_tag_attributes("source", ["src", "type"])
        .url_relative(ammonia::UrlRelative::PassThrough)
        .clean(html)
        .to_string()
}

/// Deepest element nesting handed to the sanitiser. The HTML parser looks
/// through the open elements at every tag, so its time grows with depth ×
/// tags: 64 KiB of `1. 1. 1. …` (nested lists) took 17 s to render.
/// Written text nests a few levels.
const MAX_NESTING: usize = 128;

/// Whether `html` nests elements deeper than [`MAX_NESTING`], counted as
/// an HTML parser opens them: void elements never open, a block closes an
/// open `p`, a `li`, `dd`, `td`, `tr`… closes the one of its family just
/// before it, an end tag closes up to its element. (An estimate, erring
/// towards deeper.)
fn too_deep(html: &str) -> bool {
    const VOID: [&str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    ];
    const CLOSES_P: [&str; 32] = [
        "address",
        "article",
        "aside",
        "blockquote",
        "details",
        "dialog",
        "div",
        "dl",
        "dd",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
    ];
    /// The open elements a start tag closes when they are the last opened.
    fn family(name: &str) -> &'static [&'static str] {
        match name.to_ascii_lowercase().as_str() {
            "li" => &["li"],
            "dt" | "dd" => &["dt", "dd"],
            "td" | "th" => &["td", "th"],
            "tr" => &["tr", "td", "th"],
            "option" => &["option"],
            "optgroup" => &["optgroup", "option"],
            _ => &[],
        }
    }
    let in_set = |set: &[&str], name: &str| set.iter().any(|s| s.eq_ignore_ascii_case(name));
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = rest.get(at + 1..).unwrap_or("");
        if let Some(comment) = rest.strip_prefix("!--") {
            rest = comment
                .find("-->")
                .map_or("", |end| comment.get(end + 3..).unwrap_or(""));
            continue;
        }
        let (closing, body) = match rest.strip_prefix('/') {
            Some(body) => (true, body),
            None => (false, rest),
        };
        if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let end = body
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(body.len());
        let (name, after) = body.split_at(end);
        rest = after;
        if closing {
            if let Some(i) = open.iter().rposition(|o| o.eq_ignore_ascii_case(name)) {
                open.truncate(i);
            }
            continue;
        }
        if in_set(&VOID, name) {
            continue;
        }
        if in_set(&CLOSES_P, name) && open.last().is_some_and(|o| o.eq_ignore_ascii_case("p")) {
            open.pop();
        }
        let family = family(name);
        while open.last().is_some_and(|o| in_set(family, o)) {
            open.pop();
        }
        open.push(name);
        if open.len() > MAX_NESTING {
            return true;
        }
    }
    false
}

/// Safe HTML for `text` written in `format`. Text nesting deeper than
/// [`MAX_NESTING`] is shown as plain text.
pub fn to_html(text: &str, format: TextFormat) -> String {
    match format {
        TextFormat::Markdown => {
            let mut opts = Options::empty();
            opts.insert(Options::ENABLE_TABLES);
            opts.insert(Options::ENABLE_STRIKETHROUGH);
            let mut out = String::new();
            html::push_html(&mut out, Parser::new_ext(text, opts));
            if too_deep(&out) {
                return to_html(text, TextFormat::Plain);
            }
            sanitize(&out)
        }
        TextFormat::Html if too_deep(text) => to_html(text, TextFormat::Plain),
        TextFormat::Html => sanitize(text),
        TextFormat::Plain => {
            let escaped = ammonia::clean_text(text);
            escaped.replace("&#10;", "<br>")
        }
    }
}

/// Like [`to_html`], without the paragraph wrapper for one-line texts (options).
pub fn to_inline_html(text: &str, format: TextFormat) -> String {
    let html = to_html(text, format);
    let trimmed = html.trim();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_scripts_are_removed() {
        let html = to_html(
            "**Đậm** <script>alert(1)</script> [x](javascript:alert(1))",
            TextFormat::Markdown,
        );
        assert!(html.contains("<strong>Đậm</strong>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"));
        assert_eq!(to_inline_html("Ctrl+C", TextFormat::Markdown), "Ctrl+C");
        let plain = to_html("<b>a</b>", TextFormat::Plain);
        assert!(!plain.contains("<b>"));
        let video = to_html(
            "<video src=\"/media/abc/v.mp4\" controls onplay=\"x()\"></video>",
            TextFormat::Markdown,
        );
        assert!(
            video.contains("<video") && video.contains("controls") && !video.contains("onplay")
        );
    }

    /// Property tests: whatever the text, the HTML is safe.
    #[allow(clippy::unwrap_used, clippy::expect_used)]
    mod fuzz {
        use proptest::prelude::*;

        use super::*;
        use crate::formats::table::fuzz_support::{config, mutated_text, soup_text};

        const TOKENS: &[&str] = &[
            "<",
            ">",
            "</",
            "/>",
            "&",
            "&lt;",
            "&#x3C;",
            "&#0;",
            "\"",
            "'",
            "`",
            "```",
            "*",
            "**",
            "_",
            "#",
            "> ",
            ">>>>",
            "- ",
            "1. ",
            "|",
            "|---|",
            "[",
            "]",
            "(",
            ")",
            "![",
            "](",
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "javascript:alert(1)",
            "jav&#x09;ascript:alert(1)",
            " JaVaScRiPt:",
            "vbscript:x",
            "data:text/html,<b>",
            "<a href=\"",
            "<svg><script>x</script></svg>",
            "<math><mi><mglyph><style>",
            "<video src=\"",
            "<source src=\"",
            "onplay=\"x()\"",
            "<style>",
            "</style>",
            "<!--",
            "-->",
            "<![CDATA[",
            "<iframe src=//x>",
            "<form action=",
            "<noscript><p title=\"</noscript><img src=x onerror=y>\">",
            "<table><tr><td>",
            "<p>",
            "</p>",
            "\\",
            "~~",
            "<br>",
            "&#10;",
            "<div class=\"x\">",
        ];

        const SAMPLES: &[&str] = &[
            "## Bảng tính\n\nCông thức `=SUM(A1:A10)` **cộng** các ô. Xem [hướng dẫn](/bai-hoc/iu04) và <https://example.com>.\n\n\
             | Hàm | Ý nghĩa |\n|---|---|\n| SUM | tổng |\n| AVERAGE | trung bình |\n\n> Ghi nhớ: ~~sai~~ đúng.\n\n![Hình](/media/a.png \"tiêu đề\")\n\n\
             <video src=\"/media/abc/v.mp4\" controls width=\"640\"></video>\n",
            "<p>Hàm nào tính tổng? <img src=\"@@PLUGINFILE@@/sum.png\" alt=\"tổng\"></p><ul><li>SUM</li><li class=\"dung\">AVERAGE</li></ul>",
            "Nhấn <kbd>Ctrl</kbd>+<kbd>C</kbd> để sao chép.\nDòng hai & <b>đậm</b>.",
        ];

        /// Elements and attributes that could run script or load a page.
        const BAD_TAGS: &[&str] = &[
            "script",
            "style",
            "iframe",
            "frame",
            "frameset",
            "object",
            "embed",
            "applet",
            "form",
            "input",
            "button",
            "textarea",
            "select",
            "svg",
            "math",
            "link",
            "meta",
            "base",
            "noscript",
            "template",
            "xmp",
            "plaintext",
        ];

        /// A tag's name and its attributes.
        type Tag = (String, Vec<(String, String)>);

        /// The tags of serialised HTML (values are always double-quoted
        /// with `"` escaped in what html5ever writes).
        fn tags(html: &str) -> Result<Vec<Tag>, String> {
            let mut out = Vec::new();
            let mut rest = html;
            while let Some(at) = rest.find('<') {
                rest = &rest[at + 1..];
                if let Some(after) = rest.strip_prefix('/') {
                    let end = after.find('>').ok_or("unclosed end tag")?;
                    rest = &after[end + 1..];
                    continue;
                }
                let name_end = rest
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .ok_or("unclosed tag")?;
                if name_end == 0 {
                    return Err(format!(
                        "raw '<' before {:?}",
                        rest.chars().take(20).collect::<String>()
                    ));
                }
                let name = rest[..name_end].to_ascii_lowercase();
                rest = &rest[name_end..];
                let mut attrs = Vec::new();
                loop {
                    rest = rest.trim_start();
                    if let Some(r) = rest.strip_prefix('>') {
                        rest = r;
                        break;
                    }
                    if let Some(r) = rest.strip_prefix("/>") {
                        rest = r;
                        break;
                    }
                    let end = rest
                        .find(|c: char| c == '=' || c == '>' || c.is_whitespace())
                        .ok_or("unclosed attribute")?;
                    let key = rest[..end].to_ascii_lowercase();
                    rest = &rest[end..];
                    let value = if let Some(r) = rest.strip_prefix("=\"") {
                        let close = r.find('"').ok_or("unclosed value")?;
                        let v = r[..close].to_string();
                        rest = &r[close + 1..];
                        v
                    } else {
                        String::new()
                    };
                    attrs.push((key, value));
                }
                out.push((name, attrs));
            }
            Ok(out)
        }

        /// Whether a URL could run script, as a browser reads it.
        fn scripted(url: &str) -> bool {
            let squeezed: String = decode_once(url)
                .chars()
                .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            ["javascript:", "vbscript:", "data:"]
                .iter()
                .any(|s| squeezed.starts_with(s))
        }

        /// An attribute value as a browser reads it: character references
        /// decoded once (`&amp;#x3C;` is the text `&#x3C;`).
        fn decode_once(value: &str) -> String {
            let mut out = String::new();
            let mut rest = value;
            while let Some(at) = rest.find('&') {
                out.push_str(&rest[..at]);
                rest = &rest[at..];
                let end = rest.find(';').filter(|&e| e <= 12);
                let reference = end.and_then(|e| {
                    let body = &rest[1..e];
                    let c = match body {
                        "amp" => Some('&'),
                        "quot" => Some('"'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "apos" => Some('\''),
                        "colon" => Some(':'),
                        "Tab" => Some('\t'),
                        "NewLine" => Some('\n'),
                        _ => body
                            .strip_prefix("#x")
                            .or_else(|| body.strip_prefix("#X"))
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .or_else(|| body.strip_prefix('#').and_then(|d| d.parse().ok()))
                            .and_then(char::from_u32),
                    };
                    c.map(|c| (c, e))
                });
                match reference {
                    Some((c, e)) => {
                        out.push(c);
                        rest = &rest[e + 1..];
                    }
                    None => {
                        out.push('&');
                        rest = &rest[1..];
                    }
                }
            }
            out.push_str(rest);
            out
        }

        fn check_safe(html: &str) -> Result<(), TestCaseError> {
            let tags = tags(html).map_err(|e| TestCaseError::fail(format!("{e}: {html}")))?;
            for (name, attrs) in tags {
                prop_assert!(!BAD_TAGS.contains(&name.as_str()), "<{}> in {}", name, html);
                for (key, value) in attrs {
                    prop_assert!(
                        !key.starts_with("on")
                            && key != "style"
                            && key != "srcdoc"
                            && key != "formaction",
                        "{}= in {}",
                        key,
                        html
                    );
                    if matches!(
                        key.as_str(),
                        "href" | "src" | "cite" | "poster" | "action" | "srcset" | "xlink:href"
                    ) {
                        prop_assert!(!scripted(&value), "{}={:?} in {}", key, value, html);
                    }
                }
            }
            Ok(())
        }

        /// Safe for every format, and still safe once the HTML is read
        /// again (a browser parses what ammonia serialised).
        fn check(text: &str) -> Result<(), TestCaseError> {
            for format in [TextFormat::Markdown, TextFormat::Html] {
                let html = to_html(text, format);
                check_safe(&html)?;
                check_safe(&to_html(&html, TextFormat::Html))?;
                check_safe(&to_inline_html(text, format))?;
            }
            let plain = to_html(text, TextFormat::Plain);
            prop_assert!(!plain.replace("<br>", "").contains('<'), "{}", plain);
            Ok(())
        }

        proptest! {
            #![proptest_config(config(128))]

            #[test]
            fn fuzz_render_arbitrary_text(text in soup_text(TOKENS)) {
                check(&text)?;
            }

            #[test]
            fn fuzz_render_mutated_samples(text in mutated_text(SAMPLES, TOKENS)) {
                check(&text)?;
            }
        }

        #[test]
        fn fuzz_render_samples_keep_their_markup() {
            let html = to_html(SAMPLES[0], TextFormat::Markdown);
            for part in [
                "<h2>",
                "<table>",
                "<code>=SUM(A1:A10)</code>",
                "<video",
                "<img",
                "<del>",
            ] {
                assert!(html.contains(part), "{part} in {html}");
            }
            assert!(tags(&html).is_ok());
        }

        /// Deep nesting of every kind: no stack overflow, bounded output,
        /// and past [`MAX_NESTING`] plain text (64 KiB of `1. ` took 17 s
        /// in a release build before; the parser is quadratic in depth).
        #[test]
        fn fuzz_render_deep_nesting() {
            for piece in [
                "> ",
                "1. ",
                "> - ",
                "- ",
                "*",
                "[",
                "<div>",
                "<div>a",
                "<b><i>",
                "<table><tr><td>",
                "<ul><li>",
                "<li><ul>",
                "<dl><dd>",
                "<i><div>",
                "`",
            ] {
                let text = piece.repeat(64 * 1024 / piece.len());
                for format in [TextFormat::Markdown, TextFormat::Html] {
                    let html = to_html(&text, format);
                    assert!(html.len() < 64 * text.len(), "{piece}: {}", html.len());
                }
            }
            for (piece, format) in [
                ("> ", TextFormat::Markdown),
                ("1. ", TextFormat::Markdown),
                ("<div>a", TextFormat::Html),
                ("<li><ul>", TextFormat::Markdown),
            ] {
                let deep = piece.repeat(MAX_NESTING + 2);
                assert_eq!(
                    to_html(&deep, format),
                    to_html(&deep, TextFormat::Plain),
                    "{piece}"
                );
                let shallow = piece.repeat(20);
                assert_ne!(
                    to_html(&shallow, format),
                    to_html(&shallow, TextFormat::Plain),
                    "{piece}"
                );
            }
            // Siblings, void elements and comments do not nest.
            let wide =
                "<p>a<li>b<br><img src=\"/a.png\"><!-- <div><div> --><td>c</td>".repeat(2_000);
            assert!(!too_deep(&wide));
            let sloppy = "<table><tr><td>a<td>b<tr><th>c<dl><dt>d<dd>e<dt>f</dl>".to_string()
                + &"<tr><td>x<td>y".repeat(2_000);
            assert!(!too_deep(&sloppy));
            assert!(!too_deep(
                &"<ul><li>a<li>b<ol><li>c</ol><p>d<p>e</ul>".repeat(2_000)
            ));
            // Real nesting counts.
            assert!(too_deep(&"<ul><li>".repeat(MAX_NESTING)));
            assert!(!too_deep(&"<div>x</div>".repeat(10_000)));
            assert!(too_deep(&"<DIV>".repeat(MAX_NESTING + 1)));
        }
    }
}
