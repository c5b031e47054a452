use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "practical_uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub submission_id: Uuid,
    pub name: String,
    /// The file type (`xlsx`, `odt`, ...).
    pub kind: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTimeUtc,
    /// JSON: the automatic checks' outcomes per rubric criterion.
    pub checks: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
