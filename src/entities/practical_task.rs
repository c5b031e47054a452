use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "practical_tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The shipped task's folder name (None for tasks made on the web).
    pub slug: Option<String>,
    pub module: String,
    pub title: String,
    /// Markdown.
    pub instructions: String,
    /// JSON array of extensions (`["xlsx","ods"]`).
    pub expected_types: String,
    /// JSON array of criteria `{criterion, points, check?}`.
    pub rubric: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
