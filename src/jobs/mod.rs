//! Background work besides mail delivery.
pub mod reminders;
