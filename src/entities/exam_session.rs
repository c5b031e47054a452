use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exam_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub blueprint_id: Uuid,
    pub course_id: Option<Uuid>,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub access_code: Option<String>,
    pub ip_allow: String,
    pub attempts_allowed: i32,
    pub review: String,
    pub issue_mode: String,
    pub registration: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub approved_at: Option<DateTimeUtc>,
    pub approved_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
