//! Server-rendered SVG charts for the report page.
//!
//! Dependency-free: every function returns a complete inline `<svg>` string
//! that can be pasted into an HTML page as is. No JavaScript, no external
//! resources, no `id` attributes (so several charts can share one page), no
//! `style` attributes (so a strict Content-Security-Policy does not strip
//! anything). All text that ends up in the SVG goes through [`esc`], so labels
//! from user data (e.g. `"<script>"`) are safe.
//!
//! Design choices for print and accessibility:
//! * the root has `role="img"`, an `aria-label` and a first-child `<title>`;
//! * each row is a `<g>` with its own `<title>` (full, untruncated label and
//!   values) which browsers show as a tooltip;
//! * the funnel uses five shades of one hue, light to dark, each with a thin
//!   dark stroke, so the stages stay distinguishable in grayscale;
//! * values are printed as text next to the bars, never encoded by colour only.

use std::fmt::Write as _;

/// One bar per unit: the certification rate (0.0..=1.0, None = nobody assigned).
#[derive(Debug, Clone, PartialEq)]
pub struct RateBar {
    pub label: String,
    pub rate: Option<f64>,
}

/// One stacked/step bar per unit: the funnel counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel {
    pub label: String,
    pub assigned: u64,
    pub took_part: u64,
    pub eligible: u64,
    pub sat: u64,
    pub certified: u64,
}

/// Texts of the funnel chart.
///
/// `stages`: names of the 5 funnel steps, in order assigned→certified;
/// `no_data`: text shown when there is nothing to draw, e.g. "không có".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub title: String,
    pub stages: [String; 5],
    pub no_data: String,
}

// ---------------------------------------------------------------------------
// Layout constants (viewBox units).

const WIDTH: f64 = 720.0;
const ROW_H: f64 = 22.0;
const MARGIN: f64 = 8.0;
/// Right edge of the (right-aligned) unit labels.
const LABEL_RIGHT: f64 = 216.0;
/// Left edge of the bars.
const PLOT_LEFT: f64 = 224.0;
/// Width of a 100 % bar in the rate chart.
const RATE_BAR_W: f64 = 416.0;
/// Width of the largest `assigned` bar in the funnel chart.
const FUNNEL_BAR_W: f64 = 396.0;
const MAX_LABEL_CHARS: usize = 28;
const MAX_TITLE_CHARS: usize = 90;
const FONT_SIZE: f64 = 12.0;
const TITLE_SIZE: f64 = 14.0;
const LEGEND_SIZE: f64 = 11.0;
/// Rough average glyph width of a sans-serif font, in em, for legend layout.
const AVG_GLYPH_EM: f64 = 0.55;

const RATE_FILL: &str = "#3f73ad";
const STROKE: &str = "#0b1f3a";
/// Light → dark shades of one blue; luminance ≈ 93 %, 79 %, 63 %, 43 %, 20 %.
const STAGE_FILLS: [&str; 5] = ["#e3edf7", "#b3cde6", "#7aa6d2", "#3f73ad", "#15365f"];
const TEXT_FILL: &str = "#1a1a1a";
const MUTED_FILL: &str = "#555555";
const GRID_STROKE: &str = "#b0b0b0";
const NO_DATA_FALLBACK: &str = "—";

// ---------------------------------------------------------------------------
// Public API.

/// Horizontal bar chart of certification rates, one row per unit.
///
/// Rates are clamped to `0.0..=1.0`; `None` (and NaN) rows show `no_data`
/// instead of a bar. Zero rows yield a small SVG with the `no_data` text.
pub fn rate_chart(rows: &[RateBar], title: &str, no_data: &str) -> String {
    let no_data = no_data_text(no_data);
    if rows.is_empty() {
        return empty_chart(title, &no_data);
    }

    // Title, then the top axis labels, then the rows.
    let axis_top_y = 38.0;
    let plot_top = 44.0;
    let plot_h = rows.len() as f64 * ROW_H;
    let plot_bottom = plot_top + plot_h;
    let bottom_axis = rows.len() > 15;
    let height = plot_bottom + if bottom_axis { 22.0 } else { MARGIN };

    let mut out = String::with_capacity(512 + rows.len() * 400);
    open_svg(&mut out, height, title);

    // Gridlines + tick labels at 0, 25, 50, 75, 100 %.
    out.push_str("<g aria-hidden=\"true\">");
    for pct in [0u32, 25, 50, 75, 100] {
        let x = PLOT_LEFT + RATE_BAR_W * f64::from(pct) / 100.0;
        let dash = if pct == 0 {
            ""
        } else {
            " stroke-dasharray=\"3 3\""
        };
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{c}\" stroke-width=\"1\"{dash}/>",
            x = num(x),
            y1 = num(plot_top),
            y2 = num(plot_bottom),
            c = if pct == 0 { TEXT_FILL } else { GRID_STROKE },
        );
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{MUTED_FILL}\">{pct}%</text>",
            x = num(x),
            y = num(axis_top_y),
        );
        if bottom_axis {
            let _ = write!(
                out,
                "<text x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{MUTED_FILL}\">{pct}%</text>",
                x = num(x),
                y = num(plot_bottom + 15.0),
            );
        }
    }
    out.push_str("</g>");

    for (i, row) in rows.iter().enumerate() {
        let y0 = plot_top + i as f64 * ROW_H;
        let text_y = y0 + ROW_H / 2.0 + 4.0;
        let full = clean(&row.label);
        let short = truncate_chars(&full, MAX_LABEL_CHARS);
        let rate = row.rate.filter(|r| !r.is_nan()).map(|r| r.clamp(0.0, 1.0));
        let value = rate.map_or_else(|| no_data.clone(), percent_vi);

        let _ = write!(
            out,
            "<g><title>{t}: {v}</title><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" fill=\"{TEXT_FILL}\">{l}</text>",
            t = esc(&full),
            v = esc(&value),
            lx = num(LABEL_RIGHT),
            ty = num(text_y),
            l = esc(&short),
        );
        match rate {
            Some(r) => {
                let w = RATE_BAR_W * r;
                if w > 0.0 {
                    let _ = write!(
                        out,
                        "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"14\" fill=\"{RATE_FILL}\" stroke=\"{STROKE}\" stroke-width=\"0.6\"/>",
                        x = num(PLOT_LEFT),
                        y = num(y0 + 4.0),
                        w = num(w),
                    );
                }
                let _ = write!(
                    out,
                    "<text x=\"{x}\" y=\"{ty}\" fill=\"{TEXT_FILL}\">{v}</text>",
                    x = num(PLOT_LEFT + w + 4.0),
                    ty = num(text_y),
                    v = esc(&value),
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<text x=\"{x}\" y=\"{ty}\" fill=\"{MUTED_FILL}\" font-style=\"italic\">{v}</text>",
                    x = num(PLOT_LEFT + 4.0),
                    ty = num(text_y),
                    v = esc(&value),
                );
            }
        }
        out.push_str("</g>");
    }

    out.push_str("</svg>");
    out
}

/// Funnel chart: per unit, a bar proportional to `assigned` (scaled to the
/// largest `assigned`), with the later stages overlaid from the left in
/// progressively darker shades, and the certified count at the end.
///
/// Each stage is clamped to the previous one for drawing, so inconsistent data
/// never draws a later stage longer than an earlier one; the texts show the
/// raw numbers. Zero rows yield a small SVG with the `no_data` text.
pub fn funnel_chart(rows: &[Funnel], labels: &Labels) -> String {
    let no_data = no_data_text(&labels.no_data);
    if rows.is_empty() {
        return empty_chart(&labels.title, &no_data);
    }

    let stage_names: Vec<String> = labels
        .stages
        .iter()
        .map(|s| truncate_chars(&clean(s), MAX_LABEL_CHARS))
        .collect();

    // Legend layout: swatch + name, wrapping onto new lines if needed.
    let legend_top = 30.0;
    let legend_line_h = 16.0;
    let swatch = 11.0;
    let mut legend = String::new();
    let mut x = MARGIN;
    let mut line = 0usize;
    for (name, fill) in stage_names.iter().zip(STAGE_FILLS) {
        let text_w =
            name.chars().filter(|c| !is_combining(*c)).count() as f64 * LEGEND_SIZE * AVG_GLYPH_EM;
        let item_w = swatch + 5.0 + text_w + 16.0;
        if x > MARGIN && x + item_w > WIDTH - MARGIN {
            line += 1;
            x = MARGIN;
        }
        let y = legend_top + line as f64 * legend_line_h;
        let _ = write!(
            legend,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{s}\" height=\"{s}\" fill=\"{fill}\" stroke=\"{STROKE}\" stroke-width=\"0.6\"/><text x=\"{tx}\" y=\"{ty}\" font-size=\"{fs}\" fill=\"{TEXT_FILL}\">{n}</text>",
            x = num(x),
            y = num(y),
            s = num(swatch),
            tx = num(x + swatch + 5.0),
            ty = num(y + swatch - 1.5),
            fs = num(LEGEND_SIZE),
            n = esc(name),
        );
        x += item_w;
    }
    let plot_top = legend_top + (line + 1) as f64 * legend_line_h + 6.0;
    let height = plot_top + rows.len() as f64 * ROW_H + MARGIN;

    let max_assigned = rows.iter().map(|r| r.assigned).max().unwrap_or(0);
    let scale = if max_assigned == 0 {
        0.0
    } else {
        FUNNEL_BAR_W / max_assigned as f64
    };

    let full_stage_names: Vec<String> = labels.stages.iter().map(|s| clean(s)).collect();

    let mut out = String::with_capacity(1024 + rows.len() * 900);
    open_svg(&mut out, height, &labels.title);
    out.push_str("<g>");
    out.push_str(&legend);
    out.push_str("</g>");
    // Baseline on the left of the bars.
    let _ = write!(
        out,
        "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{TEXT_FILL}\" stroke-width=\"1\" aria-hidden=\"true\"/>",
        x = num(PLOT_LEFT),
        y1 = num(plot_top),
        y2 = num(plot_top + rows.len() as f64 * ROW_H),
    );

    for (i, row) in rows.iter().enumerate() {
        let y0 = plot_top + i as f64 * ROW_H;
        let text_y = y0 + ROW_H / 2.0 + 4.0;
        let full = clean(&row.label);
        let short = truncate_chars(&full, MAX_LABEL_CHARS);

        let raw = [
            row.assigned,
            row.took_part,
            row.eligible,
            row.sat,
            row.certified,
        ];
        // Clamp each stage to the previous one (for drawing only).
        let mut drawn = raw;
        let mut prev = u64::MAX;
        for v in drawn.iter_mut() {
            *v = (*v).min(prev);
            prev = *v;
        }

        let mut tip = String::new();
        for (k, (name, v)) in full_stage_names.iter().zip(raw).enumerate() {
            if k > 0 {
                tip.push_str("; ");
            }
            let _ = write!(tip, "{name}: {}", group_vi(v));
        }

        let _ = write!(
            out,
            "<g><title>{t} — {tip}</title><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" fill=\"{TEXT_FILL}\">{l}</text>",
            t = esc(&full),
            tip = esc(&tip),
            lx = num(LABEL_RIGHT),
            ty = num(text_y),
            l = esc(&short),
        );
        let mut outer_w = 0.0;
        for (k, (v, fill)) in drawn.iter().zip(STAGE_FILLS).enumerate() {
            let w = *v as f64 * scale;
            if k == 0 {
                outer_w = w;
            }
            if w > 0.0 && w.is_finite() {
                let _ = write!(
                    out,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"16\" fill=\"{fill}\" stroke=\"{STROKE}\" stroke-width=\"0.6\"/>",
                    x = num(PLOT_LEFT),
                    y = num(y0 + 3.0),
                    w = num(w),
                );
            }
        }
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{ty}\" fill=\"{TEXT_FILL}\">{c}</text></g>",
            x = num(PLOT_LEFT + outer_w + 4.0),
            ty = num(text_y),
            c = esc(&group_vi(row.certified)),
        );
    }

    out.push_str("</svg>");
    out
}

// ---------------------------------------------------------------------------
// Helpers.

/// Opens the root element and writes the accessible title and visible heading.
fn open_svg(out: &mut String, height: f64, title: &str) {
    let title = clean(title);
    let t = esc(&title);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"{fs}\"><title>{t}</title><text x=\"{m}\" y=\"20\" font-size=\"{ts}\" font-weight=\"bold\" fill=\"{TEXT_FILL}\">{vt}</text>",
        w = num(WIDTH),
        h = num(height),
        fs = num(FONT_SIZE),
        m = num(MARGIN),
        ts = num(TITLE_SIZE),
        vt = esc(&truncate_chars(&title, MAX_TITLE_CHARS)),
    );
}

/// Small SVG for zero rows: title and the no-data text.
fn empty_chart(title: &str, no_data: &str) -> String {
    let mut out = String::with_capacity(512);
    open_svg(&mut out, 56.0, title);
    let _ = write!(
        out,
        "<text x=\"{m}\" y=\"44\" fill=\"{MUTED_FILL}\" font-style=\"italic\">{v}</text></svg>",
        m = num(MARGIN),
        v = esc(no_data),
    );
    out
}

fn no_data_text(s: &str) -> String {
    let s = clean(s);
    if s.trim().is_empty() {
        NO_DATA_FALLBACK.to_string()
    } else {
        s
    }
}

/// XML-escapes `& < > " '` (safe in text and in double- or single-quoted
/// attributes, in both XML and HTML).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Makes user text safe to put in XML: control characters that are
/// whitespace become spaces, other control characters and the XML-forbidden
/// non-characters U+FFFE/U+FFFF are dropped.
fn clean(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            '\u{FFFE}' | '\u{FFFF}' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Combining marks (Vietnamese text in NFD puts tone marks here); they are
/// not counted as characters and stay attached to their base letter.
fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// Truncates to at most `max` visible characters (combining marks not
/// counted), ending with "…" when shortened. Counts chars, never bytes.
fn truncate_chars(s: &str, max: usize) -> String {
    let visible = s.chars().filter(|c| !is_combining(*c)).count();
    if visible <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let mut out = String::with_capacity(s.len());
    let mut count = 0usize;
    for c in s.chars() {
        if !is_combining(c) {
            if count == keep {
                break;
            }
            count += 1;
        }
        out.push(c);
    }
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len);
    out.push('…');
    out
}

/// A coordinate/length with at most one decimal; never NaN/inf/"-0".
fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{:.1}", v + 0.0);
    let s = match s.strip_suffix(".0") {
        Some(t) => t.to_string(),
        None => s,
    };
    if s == "-0" { "0".to_string() } else { s }
}

/// A rate (already clamped to 0..=1) as a Vietnamese percentage: "87,5%".
fn percent_vi(rate: f64) -> String {
    let r = if rate.is_finite() {
        rate.clamp(0.0, 1.0)
    } else {
        0.0
    };
    format!("{:.1}%", r * 100.0 + 0.0).replace('.', ",")
}

/// A count with Vietnamese thousands separators: 1234567 → "1.234.567".
fn group_vi(n: u64) -> String {
    let digits = n.to_string();
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use quick_xml::Reader;
    use quick_xml::XmlVersion;
    use quick_xml::events::Event;

    /// Parses the whole document with a real XML parser; panics on any error.
    /// Returns all text content (unescaped) and all attribute values.
    fn parse(svg: &str) -> (Vec<String>, Vec<(String, String)>) {
        let mut reader = Reader::from_str(svg);
        let mut texts = Vec::new();
        let mut attrs = Vec::new();
        let mut depth = 0i64;
        let mut roots = 0;
        // Text and entity references are glued into one string per run.
        let mut buf = String::new();
        let flush = |buf: &mut String, texts: &mut Vec<String>| {
            if !buf.is_empty() {
                texts.push(std::mem::take(buf));
            }
        };
        loop {
            let ev = reader.read_event();
            if !matches!(ev, Ok(Event::Text(_) | Event::GeneralRef(_))) {
                flush(&mut buf, &mut texts);
            }
            match ev {
                Ok(Event::Eof) => break,
                Ok(Event::Start(e)) => {
                    if depth == 0 {
                        roots += 1;
                    }
                    depth += 1;
                    for a in e.attributes() {
                        let a = a.unwrap();
                        attrs.push((
                            a.key.as_ref().to_string(),
                            a.normalized_value(XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned(),
                        ));
                    }
                }
                Ok(Event::Empty(e)) => {
                    assert!(depth > 0, "empty element outside root");
                    for a in e.attributes() {
                        let a = a.unwrap();
                        attrs.push((
                            a.key.as_ref().to_string(),
                            a.normalized_value(XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned(),
                        ));
                    }
                }
                Ok(Event::End(_)) => depth -= 1,
                Ok(Event::Text(t)) => {
                    assert!(depth > 0, "text outside root");
                    buf.push_str(&t.xml10_content());
                }
                Ok(Event::GeneralRef(r)) => {
                    let name = r.xml10_content().into_owned();
                    match name.as_str() {
                        "amp" => buf.push('&'),
                        "lt" => buf.push('<'),
                        "gt" => buf.push('>'),
                        "quot" => buf.push('"'),
                        "apos" => buf.push('\''),
                        _ => buf.push(r.resolve_char_ref().unwrap().expect("unknown entity")),
                    }
                }
                Ok(other) => panic!("unexpected event {other:?}"),
                Err(e) => panic!("XML error at {}: {e}\n{svg}", reader.error_position()),
            }
        }
        assert_eq!(depth, 0, "unbalanced elements");
        assert_eq!(roots, 1, "exactly one root element");
        (texts, attrs)
    }

    /// The checker itself must reject malformed markup.
    #[test]
    #[should_panic(expected = "XML error")]
    fn parser_rejects_raw_ampersand() {
        parse("<svg><text>a & b</text></svg>");
    }

    #[test]
    #[should_panic(expected = "XML error")]
    fn parser_rejects_mismatched_tags() {
        parse("<svg><text>a</g></svg>");
    }

    fn check_common(svg: &str) {
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("NaN"), "{svg}");
        assert!(!svg.contains("inf"), "{svg}");
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\""));
        assert!(svg.contains("<title>"));
        assert!(svg.contains("width=\"100%\""));
        assert!(svg.contains("viewBox=\"0 0 720 "));
        assert!(svg.contains("font-family=\"sans-serif\""));
        assert!(!svg.contains("<script"));
        let (_, attrs) = parse(svg);
        // Every numeric attribute is finite with at most one decimal.
        for (k, v) in &attrs {
            if ["x", "y", "x1", "x2", "y1", "y2", "width", "height"].contains(&k.as_str())
                && v != "100%"
            {
                let f: f64 = v.parse().unwrap();
                assert!(f.is_finite() && f >= 0.0, "{k}={v}");
                if let Some((_, dec)) = v.split_once('.') {
                    assert!(dec.len() <= 1, "{k}={v}");
                }
            }
        }
    }

    fn stages() -> Labels {
        Labels {
            title: "Phễu chứng nhận <theo đơn vị> & \"tỉ lệ\"".into(),
            stages: [
                "Được giao".into(),
                "Tham gia".into(),
                "Đủ điều kiện".into(),
                "Dự thi".into(),
                "Đạt chứng nhận".into(),
            ],
            no_data: "không có".into(),
        }
    }

    fn long_vi() -> String {
        "Phường Hoàn Kiếm ".repeat(10).chars().take(100).collect()
    }

    #[test]
    fn rate_basic_and_escaping() {
        let rows = vec![
            RateBar {
                label: "Phường Hoàn Kiếm".into(),
                rate: Some(0.875),
            },
            RateBar {
                label: "<b>&".into(),
                rate: Some(0.5),
            },
            RateBar {
                label: "<script>alert('x')</script>".into(),
                rate: None,
            },
            RateBar {
                label: "Quá".into(),
                rate: Some(1.7),
            },
            RateBar {
                label: "Âm".into(),
                rate: Some(-0.3),
            },
            RateBar {
                label: "NaN-rate".into(),
                rate: Some(f64::NAN),
            },
            RateBar {
                label: "Inf".into(),
                rate: Some(f64::INFINITY),
            },
        ];
        let svg = rate_chart(&rows, "Tỉ lệ <đạt> & 'chứng nhận'", "không có");
        check_common(&svg.replace("NaN-rate", "x").replace("Inf", "x"));
        assert!(svg.contains("87,5%"));
        assert!(svg.contains("&lt;b&gt;&amp;"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(svg.contains("100,0%")); // clamped from 1.7 / inf
        assert!(svg.contains("0,0%")); // clamped from -0.3
        assert!(!svg.contains("-0"));
        assert!(svg.contains("không có"));
        assert!(svg.contains("Tỉ lệ &lt;đạt&gt; &amp; &#39;chứng nhận&#39;"));
        for tick in ["0%", "25%", "50%", "75%", "100%"] {
            assert!(svg.contains(&format!(">{tick}</text>")), "{tick}");
        }
        let (texts, _) = parse(&svg);
        assert!(texts.iter().any(|t| t == "<b>&"), "{texts:?}");
    }

    #[test]
    fn rate_zero_rows() {
        let svg = rate_chart(&[], "Tỉ lệ", "không có");
        check_common(&svg);
        assert!(svg.contains("không có"));
        let svg = rate_chart(&[], "", "");
        check_common(&svg);
        assert!(svg.contains("—"));
    }

    #[test]
    fn rate_truncation_counts_chars() {
        let label = long_vi();
        assert_eq!(label.chars().count(), 100);
        let svg = rate_chart(
            &[RateBar {
                label: label.clone(),
                rate: Some(0.25),
            }],
            "t",
            "-",
        );
        check_common(&svg);
        let (texts, _) = parse(&svg);
        let shown = texts.iter().find(|t| t.ends_with('…')).unwrap();
        assert!(shown.chars().count() <= MAX_LABEL_CHARS, "{shown}");
        assert!(shown.starts_with("Phường Hoàn Kiếm"));
        // Full label still available in the row's <title> tooltip.
        assert!(texts.iter().any(|t| t.contains(&label)));
    }

    #[test]
    fn truncation_helper() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcd", 3), "ab…");
        let s: String = "đ".repeat(100);
        let t = truncate_chars(&s, 28);
        assert_eq!(t.chars().count(), 28);
        // NFD: base letter + combining marks count as one character.
        let nfd = "e\u{0302}\u{0301}".repeat(40); // "ế" decomposed
        let t = truncate_chars(&nfd, 28);
        assert_eq!(t.chars().filter(|c| !is_combining(*c)).count(), 28);
        assert!(t.ends_with("\u{0301}…"));
    }

    #[test]
    fn number_helpers() {
        assert_eq!(percent_vi(0.875), "87,5%");
        assert_eq!(percent_vi(0.0), "0,0%");
        assert_eq!(percent_vi(-0.0), "0,0%");
        assert_eq!(percent_vi(1.0), "100,0%");
        assert_eq!(group_vi(0), "0");
        assert_eq!(group_vi(999), "999");
        assert_eq!(group_vi(1000), "1.000");
        assert_eq!(group_vi(1_234_567), "1.234.567");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
    }

    #[test]
    fn control_chars_dropped() {
        let svg = rate_chart(
            &[RateBar {
                label: "a\u{0}b\u{1b}c\nd\u{FFFF}".into(),
                rate: Some(0.1),
            }],
            "t\u{8}",
            "x",
        );
        check_common(&svg);
        assert!(svg.contains(">abc d<"));
    }

    #[test]
    fn rate_many_rows() {
        let rows: Vec<RateBar> = (0..3000)
            .map(|i| RateBar {
                label: format!("Đơn vị số {i} <&>"),
                rate: if i % 7 == 0 {
                    None
                } else {
                    Some(f64::from(i % 101) / 100.0)
                },
            })
            .collect();
        let svg = rate_chart(&rows, "Nhiều đơn vị", "không có");
        check_common(&svg);
        // Height grows ~22 per row.
        assert!(svg.contains(&format!("viewBox=\"0 0 720 {}\"", 44 + 3000 * 22 + 22)));
    }

    #[test]
    fn funnel_basic_and_escaping() {
        let rows = vec![
            Funnel {
                label: "Phường Hoàn Kiếm".into(),
                assigned: 120,
                took_part: 100,
                eligible: 80,
                sat: 70,
                certified: 56,
            },
            Funnel {
                label: "<b>&".into(),
                assigned: 40,
                took_part: 60, // inconsistent: clamped for drawing
                eligible: 10,
                sat: 20,
                certified: 1234,
            },
            Funnel {
                label: long_vi(),
                assigned: 0,
                took_part: 0,
                eligible: 0,
                sat: 0,
                certified: 0,
            },
        ];
        let labels = stages();
        let svg = funnel_chart(&rows, &labels);
        check_common(&svg);
        assert!(svg.contains("&lt;b&gt;&amp;"));
        assert!(svg.contains("Phễu chứng nhận &lt;theo đơn vị&gt; &amp; &quot;tỉ lệ&quot;"));
        for s in &labels.stages {
            assert!(svg.contains(s.as_str()), "{s}");
        }
        for fill in STAGE_FILLS {
            assert!(svg.contains(fill));
        }
        assert!(svg.contains(">56</text>"));
        assert!(svg.contains(">1.234</text>"));
        // Largest assigned bar gets the full width; the inconsistent
        // took_part=60 is drawn no wider than assigned=40.
        assert!(svg.contains(&format!("width=\"{}\"", num(FUNNEL_BAR_W))));
        let w40 = num(40.0 * FUNNEL_BAR_W / 120.0);
        let w60 = num(60.0 * FUNNEL_BAR_W / 120.0);
        assert!(svg.contains(&format!("width=\"{w40}\"")));
        assert!(!svg.contains(&format!("width=\"{w60}\"")));
        let (texts, _) = parse(&svg);
        assert!(texts.iter().any(|t| t == "<b>&"));
        let shown = texts.iter().find(|t| t.ends_with('…')).unwrap();
        assert!(shown.chars().count() <= MAX_LABEL_CHARS);
    }

    #[test]
    fn funnel_all_zero_and_empty() {
        let rows: Vec<Funnel> = (0..5)
            .map(|i| Funnel {
                label: format!("Đơn vị {i}"),
                assigned: 0,
                took_part: 0,
                eligible: 0,
                sat: 0,
                certified: 0,
            })
            .collect();
        let svg = funnel_chart(&rows, &stages());
        check_common(&svg);
        assert!(svg.contains(">0</text>"));

        let svg = funnel_chart(&[], &stages());
        check_common(&svg);
        assert!(svg.contains("không có"));
        let mut l = stages();
        l.no_data = String::new();
        let svg = funnel_chart(&[], &l);
        check_common(&svg);
        assert!(svg.contains("—"));
    }

    #[test]
    fn funnel_extreme_counts_and_many_rows() {
        let mut rows: Vec<Funnel> = (0..3000u64)
            .map(|i| Funnel {
                label: format!("Xã {i} \"quoted\" 'x'"),
                assigned: i * 3,
                took_part: i * 2,
                eligible: i * 2,
                sat: i,
                certified: i / 2,
            })
            .collect();
        rows.push(Funnel {
            label: "max".into(),
            assigned: u64::MAX,
            took_part: u64::MAX,
            eligible: u64::MAX,
            sat: u64::MAX,
            certified: u64::MAX,
        });
        let svg = funnel_chart(&rows, &stages());
        check_common(&svg);
        assert!(svg.contains(&group_vi(u64::MAX)));
    }

    #[test]
    fn funnel_long_stage_names_wrap_legend() {
        let mut l = stages();
        l.stages = std::array::from_fn(|i| format!("{i} {}", long_vi()));
        let rows = vec![Funnel {
            label: "a".into(),
            assigned: 3,
            took_part: 2,
            eligible: 2,
            sat: 1,
            certified: 1,
        }];
        let svg = funnel_chart(&rows, &l);
        check_common(&svg);
    }

    /// Writes samples to $CHARTS_SAMPLE_DIR when set (for visual checks).
    #[test]
    fn write_samples() {
        let Ok(dir) = std::env::var("CHARTS_SAMPLE_DIR") else {
            return;
        };
        let rates = vec![
            RateBar {
                label: "Phường Hoàn Kiếm".into(),
                rate: Some(0.875),
            },
            RateBar {
                label: "Phường Tràng Tiền".into(),
                rate: Some(0.62),
            },
            RateBar {
                label: "<b>&".into(),
                rate: Some(0.05),
            },
            RateBar {
                label: "Xã Đông Anh".into(),
                rate: None,
            },
            RateBar {
                label: long_vi(),
                rate: Some(1.0),
            },
            RateBar {
                label: "Phường Cửa Nam".into(),
                rate: Some(0.0),
            },
        ];
        let funnels = vec![
            Funnel {
                label: "Phường Hoàn Kiếm".into(),
                assigned: 120,
                took_part: 100,
                eligible: 80,
                sat: 70,
                certified: 56,
            },
            Funnel {
                label: "Phường Tràng Tiền".into(),
                assigned: 80,
                took_part: 72,
                eligible: 40,
                sat: 38,
                certified: 30,
            },
            Funnel {
                label: "<b>&".into(),
                assigned: 40,
                took_part: 60,
                eligible: 10,
                sat: 20,
                certified: 1234,
            },
            Funnel {
                label: long_vi(),
                assigned: 1500,
                took_part: 1200,
                eligible: 900,
                sat: 800,
                certified: 640,
            },
            Funnel {
                label: "Xã Đông Anh".into(),
                assigned: 0,
                took_part: 0,
                eligible: 0,
                sat: 0,
                certified: 0,
            },
        ];
        std::fs::write(
            format!("{dir}/rate.svg"),
            rate_chart(&rates, "Tỉ lệ đạt chứng nhận theo đơn vị", "không có"),
        )
        .unwrap();
        std::fs::write(
            format!("{dir}/funnel.svg"),
            funnel_chart(&funnels, &stages()),
        )
        .unwrap();
        std::fs::write(
            format!("{dir}/empty.svg"),
            rate_chart(&[], "Tỉ lệ", "không có"),
        )
        .unwrap();
    }
}
