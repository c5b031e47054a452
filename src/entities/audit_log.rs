use sea_orm::entity::prelude::*;

/// One entry of the tamper-evident record (see `services::audit`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    #[sea_orm(column_type = "Text")]
    pub data: String,
    /// Place in the chain, from 1; `None` until sealed.
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
