use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "question_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub question_id: Uuid,
    pub version: i32,
    pub module: String,
    pub topic: Option<String>,
    pub difficulty: String,
    pub qtype: String,
    pub format: String,
    pub stem: String,
    /// JSON: `[{"id","text","correct","feedback"}]`.
    pub options: String,
    pub general_feedback: String,
    /// JSON: `["tag", …]`.
    pub tags: String,
    pub content_hash: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
