use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "quiz_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub lesson_id: Uuid,
    /// JSON: the drawn items (`DrawnItem`).
    pub items: String,
    /// JSON: `{"<position>": [option ids]}` once submitted.
    pub answers: Option<String>,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
