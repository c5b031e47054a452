use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub full_name: String,
    pub password_hash: Option<String>,
    pub date_of_birth: Option<Date>,
    pub place_of_birth: Option<String>,
    pub sex: Option<String>,
    pub national_id: Option<String>,
    pub phone: Option<String>,
    pub unit_id: Option<Uuid>,
    pub job_title: Option<String>,
    pub is_leader: bool,
    pub is_active: bool,
    pub session_version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
