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

/// Safe HTML for `text` written in `format`.
pub fn to_html(text: &str, format: TextFormat) -> String {
    match format {
        TextFormat::Markdown => {
            let mut opts = Options::empty();
            opts.insert(Options::ENABLE_TABLES);
            opts.insert(Options::ENABLE_STRIKETHROUGH);
            let mut out = String::new();
            html::push_html(&mut out, Parser::new_ext(text, opts));
            sanitize(&out)
        }
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
}
