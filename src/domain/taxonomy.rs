//! The standard's modules and the platform's working topic codes
//! (`../shared/reference/standard.md`); trainers may add and rename topics.
use crate::i18n::Lang;

/// `(code, Vietnamese name, English name)` of the six basic modules.
pub const MODULES: [(&str, &str, &str); 6] = [
    ("IU01", "Hiểu biết về CNTT cơ bản", "Basic ICT knowledge"),
    ("IU02", "Sử dụng máy tính cơ bản", "Basic computer use"),
    ("IU03", "Xử lý văn bản cơ bản", "Basic word processing"),
    ("IU04", "Sử dụng bảng tính cơ bản", "Basic spreadsheets"),
    ("IU05", "Sử dụng trình chiếu cơ bản", "Basic presentations"),
    ("IU06", "Sử dụng Internet cơ bản", "Basic Internet use"),
];

/// `(code, Vietnamese name, English name)` of the working topics.
pub const TOPICS: [(&str, &str, &str); 39] = [
    (
        "IU01.1",
        "Máy tính và mạng máy tính",
        "Computers and networks",
    ),
    ("IU01.2", "Ứng dụng của CNTT", "ICT applications"),
    (
        "IU01.3",
        "An toàn lao động và bảo vệ môi trường",
        "Occupational safety and environment",
    ),
    (
        "IU01.4",
        "An toàn thông tin cơ bản",
        "Information security basics",
    ),
    (
        "IU01.5",
        "Pháp luật (bản quyền, bảo vệ dữ liệu)",
        "Law (copyright, data protection)",
    ),
    ("IU02.1", "Làm quen với máy tính", "Getting started"),
    ("IU02.2", "Hệ điều hành", "The operating system"),
    ("IU02.3", "Thư mục và tệp", "Folders and files"),
    ("IU02.4", "Phần mềm tiện ích", "Utility software"),
    ("IU02.5", "Gõ tiếng Việt", "Vietnamese typing"),
    ("IU02.6", "In ấn", "Printing"),
    (
        "IU03.1",
        "Văn bản và xử lý văn bản",
        "Documents and word processing",
    ),
    ("IU03.2", "Phần mềm soạn thảo văn bản", "The word processor"),
    ("IU03.3", "Biên tập văn bản", "Editing"),
    (
        "IU03.4",
        "Xử lý lỗi hiển thị tiếng Việt",
        "Vietnamese display issues",
    ),
    ("IU03.5", "Định dạng văn bản", "Formatting"),
    (
        "IU03.6",
        "Nhúng đối tượng và bảng",
        "Embedded objects and tables",
    ),
    (
        "IU03.7",
        "Hoàn thiện văn bản (kiểu, đầu trang, trộn thư)",
        "Finishing (styles, headers, mail merge)",
    ),
    ("IU03.8", "In văn bản", "Printing"),
    ("IU04.1", "Bảng tính", "Spreadsheets"),
    ("IU04.2", "Phần mềm bảng tính", "The spreadsheet program"),
    ("IU04.3", "Ô", "Cells"),
    ("IU04.4", "Trang tính", "Sheets"),
    ("IU04.5", "Công thức và hàm", "Formulas and functions"),
    ("IU04.6", "Định dạng", "Formatting"),
    ("IU04.7", "Biểu đồ", "Charts"),
    ("IU04.8", "Kết xuất và chia sẻ", "Output and sharing"),
    ("IU05.1", "Bài thuyết trình", "Presentations"),
    ("IU05.2", "Phần mềm trình chiếu", "The presentation program"),
    ("IU05.3", "Nội dung trang chiếu", "Content"),
    (
        "IU05.4",
        "Biểu đồ và sơ đồ tổ chức",
        "Charts and org charts",
    ),
    ("IU05.5", "Đối tượng đồ họa", "Graphic objects"),
    (
        "IU05.6",
        "Chuẩn bị, trình chiếu và in",
        "Preparing, showing and printing",
    ),
    ("IU06.1", "Internet", "The Internet"),
    ("IU06.2", "Trình duyệt web", "The browser"),
    (
        "IU06.3",
        "Sử dụng web (tìm kiếm, biểu mẫu, tải về)",
        "Using the web (search, forms, downloads)",
    ),
    ("IU06.4", "Thư điện tử", "E-mail"),
    (
        "IU06.5",
        "Các hình thức giao tiếp số khác",
        "Other digital communication",
    ),
    ("IU06.6", "An toàn trực tuyến", "Online safety"),
];

/// The name of a module in `lang`, if it is one of the basic six.
pub fn module_name(code: &str, lang: Lang) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, vi, en)| lang.pick(vi, en))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::question::TopicCode;

    #[test]
    fn every_topic_code_is_valid_and_under_a_basic_module() {
        for (code, _, _) in TOPICS {
            let t = TopicCode::parse(code);
            assert!(t.is_some(), "{code}");
            let m = t
                .map(|t| t.module().as_str().to_string())
                .unwrap_or_default();
            assert!(module_name(&m, Lang::Vi).is_some(), "{code}");
        }
    }
}
