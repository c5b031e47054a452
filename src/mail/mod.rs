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
