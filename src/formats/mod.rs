//! File formats people already use: parsers and writers.
pub mod aiken;
pub mod certificate_pdf;
pub mod course_dir;
pub mod gift;
pub mod moodle_xml;
pub mod question_sheet;
pub mod table;
pub mod units_csv;

/// UTF-8 (with or without BOM) to text with `\n` line ends; `None` for
/// anything else (UTF-16 shows up as a BOM or as NUL bytes). A byte-order
/// mark inside the text (two exports joined into one file) is dropped too,
/// so it never ends up in a question.
pub(crate) fn decode_text(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) || bytes.contains(&0) {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    Some(
        text.replace('\u{feff}', "")
            .replace("\r\n", "\n")
            .replace('\r', "\n"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn text_loses_every_byte_order_mark_and_keeps_the_rest() {
        let joined = "\u{feff}Câu 1\r\n\u{feff}Câu 2\rCâu 3\n";
        assert_eq!(
            super::decode_text(joined.as_bytes()).unwrap(),
            "Câu 1\nCâu 2\nCâu 3\n"
        );
        assert!(super::decode_text(&[0xFF, 0xFE, b'a', 0]).is_none());
        assert!(super::decode_text(&[0xC3, 0x28]).is_none());
    }
}
