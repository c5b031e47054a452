//! One-page A4 landscape PDF rendering of a Vietnamese ICT-skills certificate.
//!
//! Built on `printpdf` 0.12 (ops-based API, no default features) and `qrcode` 0.14.
//! Text is real, selectable text in the supplied TrueType fonts, which are
//! embedded (Identity-H CID fonts with a ToUnicode map), so Vietnamese
//! diacritics render and extract correctly. Input text should be in Unicode NFC
//! form (precomposed letters such as "ễ", "ạ", "ư"), which is what Rust string
//! literals and typical form input contain.

use printpdf::{
    Color, FontId, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Pt, Rect, Rgb, TextItem, WindingOrder,
};

/// TrueType font bytes used for the certificate.
pub struct Fonts<'a> {
    pub regular: &'a [u8],
    pub bold: &'a [u8],
}

/// Everything printed on the certificate.
pub struct CertificatePrint {
    /// e.g. "CHỨNG CHỈ ỨNG DỤNG CÔNG NGHỆ THÔNG TIN CƠ BẢN"
    pub title: String,
    /// Issuing body lines (first line is bold).
    pub header_left: Vec<String>,
    /// National motto lines (first line is bold).
    pub header_right: Vec<String>,
    /// (label, value) rows; labels regular, values bold.
    pub fields: Vec<(String, String)>,
    /// e.g. ["Số hiệu: TT01-2026-000001", "Số vào sổ: 1/2026"]
    pub footer_left: Vec<String>,
    /// e.g. "Hà Nội, ngày 25 tháng 11 năm 2026"
    pub place_date: String,
    /// e.g. "GIÁM ĐỐC"
    pub signer_title: String,
    pub signer_name: String,
    /// Printed under the QR code and encoded in it.
    pub verify_url: String,
    /// Small note (e.g. re-issue information), shown if present.
    pub note: Option<String>,
}

// ---------------------------------------------------------------------------
// Page geometry (millimetres, origin bottom-left as in PDF)
// ---------------------------------------------------------------------------

const PAGE_W: f32 = 297.0;
const PAGE_H: f32 = 210.0;
const FRAME_OUTER: f32 = 8.0;
const FRAME_INNER: f32 = 11.0;
/// Horizontal padding kept between the inner frame and any text.
const TEXT_PAD: f32 = 8.0;

const PT_PER_MM: f32 = 72.0 / 25.4;

/// Fallback advance (in em) for characters whose width is unknown.
const FALLBACK_EM: f32 = 0.6;
/// Smallest font size text is shrunk to; beyond that it is condensed horizontally.
const MIN_FONT_PT: f32 = 6.0;
/// Text is shrunk to at most this fraction of its nominal size before condensing.
const MIN_SHRINK: f32 = 0.6;

const QR_SIZE_MM: f32 = 35.0;
const QR_QUIET_MODULES: usize = 4;

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

fn black() -> Color {
    rgb(0.0, 0.0, 0.0)
}

fn frame_color() -> Color {
    rgb(0.08, 0.22, 0.48)
}

fn title_color() -> Color {
    rgb(0.72, 0.07, 0.07)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Center,
}

/// A loaded font: the id registered in the document and its parsed metrics.
struct LoadedFont {
    id: FontId,
    parsed: ParsedFont,
}

impl LoadedFont {
    fn load(doc: &mut PdfDocument, bytes: &[u8], what: &str) -> Result<Self, String> {
        if bytes.is_empty() {
            return Err(format!("{what} font: no font data"));
        }
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings).ok_or_else(|| {
            let details: Vec<String> = warnings.iter().map(|w| w.message.clone()).collect();
            format!(
                "{what} font: cannot parse TrueType data ({})",
                details.join("; ")
            )
        })?;
        if parsed.codepoint_to_glyph.is_empty() {
            return Err(format!("{what} font: no Unicode character map"));
        }
        let id = doc.add_font(&parsed);
        Ok(Self { id, parsed })
    }

    /// Advance width of `text` in points at `size_pt`, from the font's hmtx advances.
    /// Characters without a glyph/width are estimated at 0.6 em.
    fn text_width_pt(&self, text: &str, size_pt: f32) -> f32 {
        let upm = f32::from(self.parsed.units_per_em);
        let em: f32 = text
            .chars()
            .map(|c| {
                let adv = self
                    .parsed
                    .lookup_glyph_index(u32::from(c))
                    .and_then(|gid| self.parsed.get_glyph_width(gid));
                match adv {
                    Some(w) if upm > 0.0 => f32::from(w) / upm,
                    _ => FALLBACK_EM,
                }
            })
            .sum();
        em * size_pt
    }

    fn text_width_mm(&self, text: &str, size_pt: f32) -> f32 {
        self.text_width_pt(text, size_pt) / PT_PER_MM
    }

    /// Font size and horizontal scaling (percent) at which `text` fits into
    /// `max_w_mm`. The size is first reduced, down to a floor of
    /// `MIN_SHRINK` x nominal (but never below `MIN_FONT_PT`); text that is still too
    /// wide is additionally condensed horizontally so it never leaves the frame.
    fn fit(&self, text: &str, size_pt: f32, max_w_mm: f32) -> (f32, f32) {
        let w = self.text_width_mm(text, size_pt);
        if w <= max_w_mm || w <= 0.0 || max_w_mm <= 0.0 || size_pt <= 0.0 {
            return (size_pt, 100.0);
        }
        // Width scales linearly with size; keep a little slack for rounding.
        let wanted = size_pt * max_w_mm / w * 0.995;
        let floor = (size_pt * MIN_SHRINK).max(MIN_FONT_PT).min(size_pt);
        if wanted >= floor {
            return (wanted, 100.0);
        }
        let w_at_floor = self.text_width_mm(text, floor);
        let scale = if w_at_floor > 0.0 {
            (max_w_mm / w_at_floor * 99.5).clamp(1.0, 100.0)
        } else {
            100.0
        };
        (floor, scale)
    }
}

/// Accumulates page operations.
struct Canvas {
    ops: Vec<Op>,
    regular: LoadedFont,
    bold: LoadedFont,
}

impl Canvas {
    fn font(&self, weight: Weight) -> &LoadedFont {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// Draw a single line of text. `x_mm` is the left edge, centre or right edge
    /// depending on `align`; `y_mm` is the baseline. The text is shrunk to fit
    /// `max_w_mm`. Returns the size and horizontal scaling actually used.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        text: &str,
        weight: Weight,
        size_pt: f32,
        x_mm: f32,
        y_mm: f32,
        align: Align,
        max_w_mm: f32,
        color: Color,
    ) -> (f32, f32) {
        let text = sanitize(text);
        if text.is_empty() {
            return (size_pt, 100.0);
        }
        let font = self.font(weight);
        let (size, hscale) = font.fit(&text, size_pt, max_w_mm);
        let w = font.text_width_mm(&text, size) * hscale / 100.0;
        let left = match align {
            Align::Left => x_mm,
            Align::Center => x_mm - w / 2.0,
        };
        let id = font.id.clone();
        let condensed = hscale < 100.0;
        self.ops.extend([
            Op::SetFillColor { col: color },
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(id),
                size: Pt(size),
            },
        ]);
        if condensed {
            self.ops.push(Op::SetHorizontalScaling { percent: hscale });
        }
        self.ops.extend([
            Op::SetTextCursor {
                pos: printpdf::Point::new(Mm(left), Mm(y_mm)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text)],
            },
        ]);
        if condensed {
            // Tz is text state that outlives ET: reset it for the next text object.
            self.ops.push(Op::SetHorizontalScaling { percent: 100.0 });
        }
        self.ops.push(Op::EndTextSection);
        (size, hscale)
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, mode: PaintMode) {
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Mm(x).into_pt(),
                y: Mm(y).into_pt(),
                width: Mm(w).into_pt(),
                height: Mm(h).into_pt(),
                mode: Some(mode),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32, thickness_pt: f32, color: Color) {
        self.ops.extend([
            Op::SetOutlineColor { col: color },
            Op::SetOutlineThickness {
                pt: Pt(thickness_pt),
            },
        ]);
        self.rect(x, y, w, h, PaintMode::Stroke);
    }

    /// Horizontal rule drawn as a thin filled rectangle.
    fn hrule(&mut self, x_center: f32, y: f32, w: f32, thickness_mm: f32, color: Color) {
        self.ops.push(Op::SetFillColor { col: color });
        self.rect(
            x_center - w / 2.0,
            y - thickness_mm / 2.0,
            w,
            thickness_mm,
            PaintMode::Fill,
        );
    }
}

/// Replace control characters (which have no glyph) with spaces and trim.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Render the certificate to PDF bytes.
pub fn render(c: &CertificatePrint, fonts: &Fonts) -> Result<Vec<u8>, String> {
    let mut doc = PdfDocument::new(&sanitize(&c.title));
    let regular = LoadedFont::load(&mut doc, fonts.regular, "regular")?;
    let bold = LoadedFont::load(&mut doc, fonts.bold, "bold")?;
    let mut cv = Canvas {
        ops: Vec::new(),
        regular,
        bold,
    };

    draw_frame(&mut cv);
    draw_headers(&mut cv, c);
    let title_bottom = draw_title(&mut cv, &c.title);
    draw_fields(&mut cv, &c.fields, title_bottom - 14.0, 84.0);
    draw_qr_block(&mut cv, c)?;
    draw_signer_block(&mut cv, c);
    if let Some(note) = &c.note {
        let inner_w = PAGE_W - 2.0 * (FRAME_INNER + TEXT_PAD);
        cv.text(
            note,
            Weight::Regular,
            8.0,
            PAGE_W / 2.0,
            FRAME_INNER + 3.5,
            Align::Center,
            inner_w * 0.4,
            rgb(0.25, 0.25, 0.25),
        );
    }

    let page = PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), cv.ops);
    let mut warnings = Vec::new();
    let bytes = doc
        .with_pages(vec![page])
        .save(&PdfSaveOptions::default(), &mut warnings);
    if !bytes.starts_with(b"%PDF") {
        return Err("PDF serialization produced no document".to_string());
    }
    Ok(bytes)
}

fn draw_frame(cv: &mut Canvas) {
    let col = frame_color();
    cv.stroke_rect(
        FRAME_OUTER,
        FRAME_OUTER,
        PAGE_W - 2.0 * FRAME_OUTER,
        PAGE_H - 2.0 * FRAME_OUTER,
        2.4,
        col.clone(),
    );
    cv.stroke_rect(
        FRAME_INNER,
        FRAME_INNER,
        PAGE_W - 2.0 * FRAME_INNER,
        PAGE_H - 2.0 * FRAME_INNER,
        0.7,
        col,
    );
}

/// Header blocks, each centred in its half of the page, first line bold, with a
/// short rule under the block.
fn draw_headers(cv: &mut Canvas, c: &CertificatePrint) {
    let half_w = PAGE_W / 2.0 - FRAME_INNER - TEXT_PAD;
    let left_cx = FRAME_INNER + TEXT_PAD + half_w / 2.0;
    let right_cx = PAGE_W / 2.0 + half_w / 2.0;
    let block_w = half_w - 4.0;
    for (lines, cx) in [(&c.header_left, left_cx), (&c.header_right, right_cx)] {
        let mut y = PAGE_H - FRAME_INNER - 12.0;
        let mut last_w = 0.0f32;
        let mut drawn = false;
        for (i, line) in lines.iter().enumerate() {
            let weight = if i == 0 {
                Weight::Bold
            } else {
                Weight::Regular
            };
            let size = if i == 0 { 11.5 } else { 11.0 };
            let (used, hscale) =
                cv.text(line, weight, size, cx, y, Align::Center, block_w, black());
            let clean = sanitize(line);
            if !clean.is_empty() {
                last_w = cv.font(weight).text_width_mm(&clean, used) * hscale / 100.0;
                drawn = true;
            }
            y -= 5.6;
        }
        if drawn {
            let rule_w = (last_w * 0.6).clamp(20.0, block_w);
            cv.hrule(cx, y + 3.0, rule_w, 0.3, black());
        }
    }
}

/// Title centred and bold; returns the baseline y.
fn draw_title(cv: &mut Canvas, title: &str) -> f32 {
    let y = PAGE_H - 57.0;
    let max_w = PAGE_W - 2.0 * (FRAME_INNER + TEXT_PAD) - 10.0;
    cv.text(
        title,
        Weight::Bold,
        22.0,
        PAGE_W / 2.0,
        y,
        Align::Center,
        max_w,
        title_color(),
    );
    y
}

/// Label/value rows between `top` (first baseline) and `bottom` (lowest allowed baseline).
fn draw_fields(cv: &mut Canvas, fields: &[(String, String)], top: f32, bottom: f32) {
    if fields.is_empty() {
        return;
    }
    let n = fields.len() as f32;
    let pitch = if n > 1.0 {
        ((top - bottom) / (n - 1.0)).min(8.2)
    } else {
        8.2
    };
    let size = (pitch * PT_PER_MM * 0.62).clamp(MIN_FONT_PT, 13.0);

    let label_x = 48.0;
    let max_label_w = 80.0;
    let widest_label = fields
        .iter()
        .map(|(l, _)| cv.regular.text_width_mm(&sanitize(l), size))
        .fold(0.0f32, f32::max)
        .min(max_label_w);
    let value_x = label_x + widest_label + 5.0;
    let value_max_w = PAGE_W - FRAME_INNER - TEXT_PAD - 10.0 - value_x;

    let mut y = top;
    for (label, value) in fields {
        cv.text(
            label,
            Weight::Regular,
            size,
            label_x,
            y,
            Align::Left,
            max_label_w,
            black(),
        );
        cv.text(
            value,
            Weight::Bold,
            size,
            value_x,
            y,
            Align::Left,
            value_max_w,
            black(),
        );
        y -= pitch;
    }
}

/// QR code bottom-left, URL under it, footer lines to its right.
fn draw_qr_block(cv: &mut Canvas, c: &CertificatePrint) -> Result<(), String> {
    let qr_x = FRAME_INNER + TEXT_PAD + 3.0;
    let qr_y = FRAME_INNER + 13.0;

    let url = sanitize(&c.verify_url);
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| format!("cannot encode verify URL as QR code: {e}"))?;
    let width = code.width();
    if width == 0 {
        return Err("QR code has zero width".to_string());
    }
    let modules_total = width + 2 * QR_QUIET_MODULES;
    let module = QR_SIZE_MM / modules_total as f32;

    // White background including the quiet zone.
    cv.ops.push(Op::SetFillColor {
        col: rgb(1.0, 1.0, 1.0),
    });
    cv.rect(qr_x, qr_y, QR_SIZE_MM, QR_SIZE_MM, PaintMode::Fill);

    // Dark modules, merged into horizontal runs. Row 0 is the top row.
    cv.ops.push(Op::SetFillColor { col: black() });
    let colors = code.to_colors();
    for (row_idx, row) in colors.chunks(width).enumerate() {
        let y = qr_y + QR_SIZE_MM - (QR_QUIET_MODULES + row_idx + 1) as f32 * module;
        let mut run_start: Option<usize> = None;
        for col_idx in 0..=row.len() {
            let dark = row.get(col_idx).is_some_and(|m| *m == qrcode::Color::Dark);
            match (dark, run_start) {
                (true, None) => run_start = Some(col_idx),
                (false, Some(start)) => {
                    let x = qr_x + (QR_QUIET_MODULES + start) as f32 * module;
                    // Tiny overlap avoids hairline gaps between adjacent rows.
                    cv.rect(
                        x,
                        y - 0.01,
                        (col_idx - start) as f32 * module,
                        module + 0.02,
                        PaintMode::Fill,
                    );
                    run_start = None;
                }
                _ => {}
            }
        }
    }

    // Verify URL under the QR code, small.
    let url_max_w = PAGE_W / 2.0 - qr_x;
    cv.text(
        &url,
        Weight::Regular,
        7.5,
        qr_x,
        qr_y - 4.0,
        Align::Left,
        url_max_w,
        black(),
    );

    // Footer lines to the right of the QR code, top-aligned with it.
    let fx = qr_x + QR_SIZE_MM + 5.0;
    let fmax = PAGE_W / 2.0 - fx;
    let mut fy = qr_y + QR_SIZE_MM - 4.0;
    for line in &c.footer_left {
        cv.text(
            line,
            Weight::Regular,
            10.5,
            fx,
            fy,
            Align::Left,
            fmax,
            black(),
        );
        fy -= 5.5;
    }
    Ok(())
}

/// Place/date, signer title and name, centred in the bottom-right area.
fn draw_signer_block(cv: &mut Canvas, c: &CertificatePrint) {
    let cx = PAGE_W * 0.75 - 5.0;
    let max_w = PAGE_W / 2.0 - FRAME_INNER - TEXT_PAD - 6.0;
    let top = FRAME_INNER + 61.0;
    cv.text(
        &c.place_date,
        Weight::Regular,
        11.5,
        cx,
        top,
        Align::Center,
        max_w,
        black(),
    );
    cv.text(
        &c.signer_title,
        Weight::Bold,
        12.5,
        cx,
        top - 7.0,
        Align::Center,
        max_w,
        black(),
    );
    cv.text(
        &c.signer_name,
        Weight::Bold,
        12.5,
        cx,
        FRAME_INNER + 14.0,
        Align::Center,
        max_w,
        black(),
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn fonts() -> (Vec<u8>, Vec<u8>) {
        let r = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/static/fonts/DejaVuSerif.ttf"
        ))
        .expect("regular font");
        let b = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/static/fonts/DejaVuSerif-Bold.ttf"
        ))
        .expect("bold font");
        (r, b)
    }

    fn sample() -> CertificatePrint {
        let f = |a: &str, b: &str| (a.to_string(), b.to_string());
        CertificatePrint {
            title: "CHỨNG CHỈ ỨNG DỤNG CÔNG NGHỆ THÔNG TIN CƠ BẢN".into(),
            header_left: vec![
                "TRUNG TÂM SÁT HẠCH CÔNG NGHỆ THÔNG TIN".into(),
                "TRƯỜNG ĐẠI HỌC QUẢNG TRỊ".into(),
                "Mã: TT01".into(),
            ],
            header_right: vec![
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".into(),
                "Độc lập - Tự do - Hạnh phúc".into(),
            ],
            fields: vec![
                f("Họ và tên:", "Nguyễn Thị Hường"),
                f("Ngày sinh:", "05/03/2001"),
                f("Giới tính:", "Nữ"),
                f("Nơi sinh:", "Quảng Trị"),
                f("Số CCCD:", "045301001234"),
                f("Ngày sát hạch:", "15/11/2026"),
                f("Điểm lý thuyết / thực hành:", "8,5 / 9,0"),
                f("Xếp loại:", "Đạt"),
            ],
            footer_left: vec![
                "Số hiệu: TT01-2026-000001".into(),
                "Số vào sổ: 1/2026".into(),
            ],
            place_date: "Hà Nội, ngày 25 tháng 11 năm 2026".into(),
            signer_title: "GIÁM ĐỐC".into(),
            signer_name: "Trần Văn Ánh".into(),
            verify_url: "https://sathach.example.edu.vn/xac-minh/TT01-2026-000001".into(),
            note: Some("Bản cấp lại ngày 01/12/2026".into()),
        }
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    /// Extracts the 4 numbers of the first /MediaBox array.
    fn media_box(pdf: &[u8]) -> Vec<f64> {
        let pos = find(pdf, b"/MediaBox").expect("MediaBox present");
        let rest = &pdf[pos + 9..];
        let open = rest.iter().position(|&b| b == b'[').expect("[");
        let close = rest.iter().position(|&b| b == b']').expect("]");
        std::str::from_utf8(&rest[open + 1..close])
            .expect("ascii")
            .split_whitespace()
            .map(|s| s.parse::<f64>().expect("number"))
            .collect()
    }

    #[test]
    fn renders_vietnamese_certificate() {
        let (r, b) = fonts();
        let pdf = render(
            &sample(),
            &Fonts {
                regular: &r,
                bold: &b,
            },
        )
        .expect("render");
        if let Ok(path) = std::env::var("CERTPDF_OUT") {
            std::fs::write(path, &pdf).expect("write sample");
        }
        assert!(pdf.starts_with(b"%PDF"));
        assert!(pdf.len() < 1_000_000, "size {}", pdf.len());
        assert!(find(&pdf, b"FontFile2").is_some(), "embedded TrueType font");
        assert!(find(&pdf, b"ToUnicode").is_some(), "ToUnicode map");
        let mb = media_box(&pdf);
        assert_eq!(mb.len(), 4);
        let (w, h) = (mb[2] - mb[0], mb[3] - mb[1]);
        assert!(w > h, "landscape: {w} x {h}");
        assert!((w - 841.89).abs() < 1.0, "width {w}");
        assert!((h - 595.28).abs() < 1.0, "height {h}");
    }

    #[test]
    fn very_long_name_does_not_error() {
        let (r, b) = fonts();
        let mut c = sample();
        let long: String = "Nguyễn Thị Hường ".repeat(20).chars().take(300).collect();
        assert_eq!(long.chars().count(), 300);
        if let Some(row) = c.fields.get_mut(0) {
            row.1 = long;
        }
        c.title = c.title.repeat(3);
        c.place_date = c.place_date.repeat(4);
        let pdf = render(
            &c,
            &Fonts {
                regular: &r,
                bold: &b,
            },
        )
        .expect("render long");
        if let Ok(path) = std::env::var("CERTPDF_OUT_LONG") {
            std::fs::write(path, &pdf).expect("write sample");
        }
        assert!(pdf.starts_with(b"%PDF"));
    }

    #[test]
    fn long_value_is_shrunk_to_fit() {
        let (r, _) = fonts();
        let mut doc = PdfDocument::new("t");
        let f = LoadedFont::load(&mut doc, &r, "regular").expect("load");
        let text = "Nguyễn Thị Hường ".repeat(20);
        let (size, scale) = f.fit(&text, 12.0, 150.0);
        assert!((MIN_FONT_PT..12.0).contains(&size));
        assert!(scale < 100.0, "300+ chars need condensing too");
        assert!(f.text_width_mm(&text, size) * scale / 100.0 <= 150.0);
        // Moderately long text only shrinks.
        let (size, scale) = f.fit("Nguyễn Thị Hường Nguyễn Thị Hường", 12.0, 60.0);
        assert!(size < 12.0 && scale == 100.0);
        assert!(f.text_width_mm("Nguyễn Thị Hường Nguyễn Thị Hường", size) <= 60.0);
        // Short text is left alone.
        assert_eq!(f.fit("Đạt", 12.0, 150.0), (12.0, 100.0));
    }

    #[test]
    fn bad_font_is_an_error_not_a_panic() {
        let res = render(
            &sample(),
            &Fonts {
                regular: b"not a font",
                bold: b"",
            },
        );
        assert!(res.is_err());
    }

    #[test]
    fn empty_content_renders() {
        let (r, b) = fonts();
        let c = CertificatePrint {
            title: String::new(),
            header_left: vec![],
            header_right: vec![],
            fields: vec![],
            footer_left: vec![],
            place_date: String::new(),
            signer_title: String::new(),
            signer_name: String::new(),
            verify_url: String::new(),
            note: None,
        };
        let pdf = render(
            &c,
            &Fonts {
                regular: &r,
                bold: &b,
            },
        )
        .expect("render empty");
        assert!(pdf.starts_with(b"%PDF"));
    }
}
