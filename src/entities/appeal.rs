use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appeals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// `theory` or `practical`.
    pub part: String,
    /// The theory attempt or the practical attempt.
    pub attempt_id: Uuid,
    pub reason: String,
    /// `pending` or `decided`.
    pub state: String,
    pub requested_at: DateTimeUtc,
    pub old_score: Option<f64>,
    pub new_score: Option<f64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
