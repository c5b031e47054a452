//! E-mail: messages are written to the outbox inside the caller's
//! transaction and delivered later by [`worker`].
pub mod worker;

use sea_orm::{ConnectionTrait, DbErr};

use crate::i18n::Lang;
use crate::store::outbox;

/// The kinds of message the platform sends.
pub enum Mail<'a> {
    PasswordReset {
        name: &'a str,
        link: &'a str,
    },
    Invitation {
        name: &'a str,
        link: &'a str,
        email: &'a str,
    },
    StudyReminder {
        name: &'a str,
        class: &'a str,
        days: i64,
        link: &'a str,
    },
    CertificateIssued {
        name: &'a str,
        serial: &'a str,
        link: &'a str,
        verify: &'a str,
    },
    WeeklySummary {
        name: &'a str,
        class: &'a str,
        enrolled: usize,
        eligible: usize,
        stuck: &'a [String],
        link: &'a str,
    },
}

impl Mail<'_> {
    fn render(&self, lang: Lang) -> (String, String) {
        match (self, lang) {
            (Mail::PasswordReset { name, link }, Lang::Vi) => (
                "Đặt lại mật khẩu ictskills".into(),
                format!(
                    "Chào {name},\n\nCó yêu cầu đặt lại mật khẩu cho tài khoản của bạn. \
                     Mở liên kết sau để đặt mật khẩu mới (liên kết chỉ dùng được một lần):\n\n{link}\n\n\
                     Nếu bạn không yêu cầu, hãy bỏ qua thư này.\n"
                ),
            ),
            (Mail::PasswordReset { name, link }, Lang::En) => (
                "Reset your ictskills password".into(),
                format!(
                    "Hello {name},\n\nSomeone asked to reset the password of your account. \
                     Open this link to choose a new one (it works once):\n\n{link}\n\n\
                     If it was not you, ignore this message.\n"
                ),
            ),
            (Mail::Invitation { name, link, email }, Lang::Vi) => (
                "Tài khoản học tập ictskills của bạn".into(),
                format!(
                    "Chào {name},\n\nBạn đã được tạo tài khoản trên hệ thống ôn luyện và thi chuẩn kỹ năng \
                     sử dụng CNTT cơ bản. Tên đăng nhập: {email}\n\n\
                     Mở liên kết sau để đặt mật khẩu (liên kết chỉ dùng được một lần):\n\n{link}\n"
                ),
            ),
            (
                Mail::StudyReminder {
                    name,
                    class,
                    days,
                    link,
                },
                Lang::Vi,
            ) => (
                format!("Nhắc học: lớp {class}"),
                format!(
                    "Chào {name},\n\nĐã {days} ngày bạn chưa học trên hệ thống trong lớp {class}. \
                     Hãy tiếp tục để đủ điều kiện dự thi:\n\n{link}\n"
                ),
            ),
            (
                Mail::StudyReminder {
                    name,
                    class,
                    days,
                    link,
                },
                Lang::En,
            ) => (
                format!("Reminder: class {class}"),
                format!(
                    "Hello {name},\n\nYou have not studied in class {class} for {days} days. \
                     Continue to become eligible for the exam:\n\n{link}\n"
                ),
            ),
            (
                Mail::WeeklySummary {
                    name,
                    class,
                    enrolled,
                    eligible,
                    stuck,
                    link,
                },
                Lang::Vi,
            ) => (
                format!("Tổng hợp tuần: lớp {class}"),
                format!(
                    "Chào {name},\n\nLớp {class}: {enrolled} học viên, {eligible} đủ điều kiện dự thi.\n\
                     Chưa học trong thời gian gần đây ({}): {}\n\nBảng theo dõi lớp: {link}\n",
                    stuck.len(),
                    if stuck.is_empty() {
                        "không có".to_string()
                    } else {
                        stuck.join(", ")
                    }
                ),
            ),
            (
                Mail::WeeklySummary {
                    name,
                    class,
                    enrolled,
                    eligible,
                    stuck,
                    link,
                },
                Lang::En,
            ) => (
                format!("Weekly summary: class {class}"),
                format!(
                    "Hello {name},\n\nClass {class}: {enrolled} learners, {eligible} eligible for the exam.\n\
                     Not studying lately ({}): {}\n\nClass board: {link}\n",
                    stuck.len(),
                    if stuck.is_empty() {
                        "none".to_string()
                    } else {
                        stuck.join(", ")
                    }
                ),
            ),
            (
                Mail::CertificateIssued {
                    name,
                    serial,
                    link,
                    verify,
                },
                Lang::Vi,
            ) => (
                "Chứng chỉ ứng dụng CNTT cơ bản đã được cấp".into(),
                format!(
                    "Chào {name},\n\nChúc mừng bạn! Chứng chỉ ứng dụng công nghệ thông tin \
                     cơ bản số hiệu {serial} đã được cấp cho bạn.\n\n\
                     Xem, in và tải bản PDF tại:\n{link}\n\n\
                     Bất kỳ ai cũng có thể kiểm tra chứng chỉ tại:\n{verify}\n"
                ),
            ),
            (
                Mail::CertificateIssued {
                    name,
                    serial,
                    link,
                    verify,
                },
                Lang::En,
            ) => (
                "Your basic ICT skills certificate has been issued".into(),
                format!(
                    "Hello {name},\n\nCongratulations! Your basic ICT skills certificate, \
                     serial number {serial}, has been issued.\n\n\
                     View, print and download the PDF at:\n{link}\n\n\
                     Anyone can verify it at:\n{verify}\n"
                ),
            ),
            (Mail::Invitation { name, link, email }, Lang::En) => (
                "Your ictskills account".into(),
                format!(
                    "Hello {name},\n\nAn account was created for you on the basic ICT skills \
                     training and exam platform. Login: {email}\n\n\
                     Open this link to set your password (it works once):\n\n{link}\n"
                ),
            ),
        }
    }
}

/// Queues `mail` for `to` in the same transaction as the change that causes it.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    to: &str,
    lang: Lang,
    mail: Mail<'_>,
) -> Result<(), DbErr> {
    let (subject, body) = mail.render(lang);
    outbox::enqueue(db, to, &subject, &body).await?;
    Ok(())
}
