use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "practical_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    /// The anonymous number (số phách) markers see instead of the name.
    pub anon_number: i32,
    /// `in_progress`, `submitted` (also when the deadline ended it) or `marked`.
    pub state: String,
    pub started_at: DateTimeUtc,
    pub deadline: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub marked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
